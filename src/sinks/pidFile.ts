import fs from 'node:fs';

/** Where the pid file points now: a pid to signal, or why not. */
export type Located = { pid: number } | { refusal: string };

/**
 * Follows a pid file: read once now (remembering the start time of the process it names) and again
 * before every signal. A new pid in the file is the restarted target: it is adopted with its start
 * time. The same pid with another start time is another process that got the number: refused.
 */
export function makePidFileTracker(
  file: string,
  startTimeOf: (pid: number) => string | undefined,
  log: { info(message: string): void; warn(message: string): void },
): () => Located {
  const read = (): Located => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      return { refusal: `cannot read the pid file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
    }
    if (!/^\d+$/.test(text) || Number(text) < 1) return { refusal: `the pid file ${file} does not hold a process id` };
    return { pid: Number(text) };
  };
  const first = read();
  let known: { pid: number; startTime: string | undefined } | undefined;
  if ('pid' in first) {
    known = { pid: first.pid, startTime: startTimeOf(first.pid) };
    if (known.startTime === undefined) log.warn(`the pid file ${file} names pid ${first.pid}, which is not running`);
  }
  return () => {
    const now = read();
    if ('refusal' in now) return now;
    const startTime = startTimeOf(now.pid);
    if (startTime === undefined) return { refusal: `pid ${now.pid} (from ${file}) is not running` };
    if (known === undefined || known.pid !== now.pid) {
      if (known !== undefined) log.info(`reload: ${file} now names pid ${now.pid} (was ${known.pid}): following the restarted process`);
      known = { pid: now.pid, startTime };
      return { pid: now.pid };
    }
    if (known.startTime !== startTime) {
      const was = known.startTime === undefined ? 'was not running when the file was read' : `started at tick ${known.startTime}`;
      return {
        refusal:
          `pid ${now.pid} (from ${file}) is another process now (it started at tick ${startTime}; the one the file named ${was}): ` +
          `the pid was reused; waiting for ${file} to name the restarted target`,
      };
    }
    return { pid: now.pid };
  };
}

