import { describe, it, expect } from 'vitest';
import { defer, NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { runPipeline, type PipelinePolicy, type PipelineStatus, type RunningPipeline, type Synced, type WrittenFile } from '../../src/pipeline.js';
import type { ListenSourceEvent, Sources } from '../../src/sources.js';
import type { Snapshot } from '../../src/domain/types.js';
import type { WriteReport } from '../../src/sinks/writer.js';
import type { FileChange } from '../../src/streams/fileChanges.js';
import { makeLogger } from '../../src/logger.js';
import { captureLog } from '../support/pipelineHarness.js';

/**
 * The whole flow in virtual time over fake sources: which reads and writes happen, and when. Every
 * source is a marble; a read or write is recorded when it is subscribed (the effect starts).
 */
const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A snapshot whose roster names the read it came from, so every read renders another text. */
const snapshotNo = (n: number): Snapshot => ({ agents: [{ name: `agent-${n}`, model: 'openai/gpt-5' }], systemConfig: [], columns: [], through: String(100 + n) });
const agentOf = (text: string) => /agent-\d+/.exec(text)?.[0];

interface FlowRun {
  reads: number[];
  writes: { at: number; agent: string | undefined }[];
  status: PipelineStatus;
  log: ReturnType<typeof captureLog>;
  running: RunningPipeline;
}

interface FakeSources {
  /** The listening connection per subscription of the flow (a restart subscribes again). */
  listen: Observable<ListenSourceEvent>[];
  /** A read's duration and outcome, as a marble over the value `s`; the same for every read unless `reads` says. */
  read?: string;
  reads?: string[];
  drift?: Observable<FileChange>;
  /** A write's duration and outcome per attempt, as a marble over the value `r` (written); the last repeats. */
  writes?: string[];
  /** Which writes (0-based) replaced another writer's text. */
  repaired?: number[];
  /** Which writes (0-based) found the file already equal. */
  unchanged?: number[];
  /** Frame at which the flow is disposed; null leaves it running (the reload and report are promises, after virtual time). */
  until?: number | null;
}

/** Runs the flow over fake sources inside `run` mode; returns what it did once virtual time has run out. */
function runFlow(ts: TestScheduler, fakes: FakeSources, policy: Partial<PipelinePolicy> = {}): FlowRun {
  const reads: number[] = [];
  const writes: FlowRun['writes'] = [];
  const log = captureLog();
  const result = {} as FlowRun;
  ts.run(({ cold }) => {
    let listened = 0;
    const sources: Sources = {
      listen$: defer(() => fakes.listen[Math.min(listened++, fakes.listen.length - 1)]!),
      read$: () =>
        defer(() => {
          reads.push(ts.now());
          const marble = fakes.reads?.[reads.length - 1] ?? fakes.read ?? '--(s|)';
          return cold(marble, { s: snapshotNo(reads.length) });
        }),
      drift$: fakes.drift ?? NEVER,
      writer: {
        path: '/virtual/agents.json',
        readCurrent: () => undefined,
        isOwn: () => false,
        write$: (text) =>
          defer(() => {
            writes.push({ at: ts.now(), agent: agentOf(text) });
            const plan = fakes.writes ?? ['-(r|)'];
            const n = writes.length - 1;
            const report: WriteReport = fakes.unchanged?.includes(n)
              ? { outcome: 'unchanged', replaced: undefined, repaired: false }
              : { outcome: 'written', replaced: '{}', repaired: fakes.repaired?.includes(n) ?? false };
            return cold(plan[Math.min(writes.length - 1, plan.length - 1)]!, { r: report });
          }),
        repairStreak: () => undefined,
      },
      labels: { channel: 'agent_config_changed', agentsSource: 'agents' },
      dispose: async () => undefined,
    };
    const running = runPipeline(sources, {
      debounceMs: 3,
      maxWaitMs: 20,
      render: { format: 'entries', layout: 'root' },
      reload: async () => undefined,
      allowEmpty: false,
      logger: makeLogger(log),
      reconcileMs: 0,
      writeRetryDelay: () => 50,
      reconnectDelay: () => 50,
      restartDelay: () => 7,
      ...policy,
    });
    result.running = running;
    if (fakes.until !== null)
      ts.schedule(() => {
        result.status = running.status();
        void running.dispose();
      }, fakes.until ?? 400);
  });
  return Object.assign(result, { reads, writes, log });
}

const connected = { c: { type: 'connected', first: true }, n: { type: 'notification', channel: 'agent_config_changed', payload: undefined } } as const;

describe('the whole flow', () => {
  it('should coalesce a burst of notifications into one read and one write', () => {
    const ts = newScheduler();
    const { reads, writes } = runFlow(ts, { listen: [marble(ts, '-c--------nnnn')] });
    // connected at 1 → read at 4 (quiet 3), written at 6; the burst 10–13 → one read at 16, one write at 18.
    expect(reads).toEqual([4, 16]);
    expect(writes).toEqual([
      { at: 6, agent: 'agent-1' },
      { at: 18, agent: 'agent-2' },
    ]);
  });

  it('should read exactly once more for triggers that arrive during a read', () => {
    const ts = newScheduler();
    const { reads, writes } = runFlow(ts, { listen: [marble(ts, '-c----n---n')], read: '----------(s|)' });
    // The read starting at 4 runs until 14; the notifications at 6 and 10 come out of coalesce at 9 and 13,
    // during it: one more read, at 14, and nothing after.
    expect(reads).toEqual([4, 14]);
    expect(writes.map((w) => w.agent)).toEqual(['agent-1', 'agent-2']);
  });

  it('should write a newer render at once when the write in flight fails, never retrying the superseded one', () => {
    const ts = newScheduler();
    // The first write (of read 1) takes until 14 and fails; read 2 renders meanwhile (notification at 6).
    const { writes, status } = runFlow(ts, { listen: [marble(ts, '-c----n')], writes: ['--------#', '-(r|)'] });
    expect(writes).toEqual([
      { at: 6, agent: 'agent-1' },
      { at: 14, agent: 'agent-2' },
    ]);
    expect(status.lastError?.message).toMatch(/^write:/);
  });

  it('should answer drift with one read and one repair, however many file events one edit makes', () => {
    const ts = newScheduler();
    const { reads, writes, status } = runFlow(ts, {
      listen: [marble(ts, '-c')],
      drift: marble<FileChange>(ts, '--------------------xxx', { x: { text: '{"agents":{}}' } }),
      repaired: [1],
    });
    // Drift at 20–22 → quiet 100 frames → 122 → coalesce 3 → one read at 125, one write at 127.
    expect(reads).toEqual([4, 125]);
    expect(writes.map((w) => w.at)).toEqual([6, 127]);
    expect(status.driftRepairs).toBe(1);
  });

  it('should restart after an unexpected error and read again', () => {
    const ts = newScheduler();
    const { reads, status, log } = runFlow(ts, { listen: [marble(ts, '-c------#'), marble(ts, '-c')] });
    // The listening stream errors at 8 → restart after 7 → resubscribed at 15, connected at 16 → read at 19.
    expect(reads).toEqual([4, 19]);
    expect(status.restarts).toBe(1);
    expect(log.lines.some((l) => l.level === 'error' && l.message.includes('pipeline failed'))).toBe(true);
  });

  it('should tell onSynced of a render found equal to the disk and of each write, with the ledger mark of its read', async () => {
    const ts = newScheduler();
    const synced: Synced[] = [];
    const written: WrittenFile[] = [];
    const { running } = runFlow(
      ts,
      { listen: [marble(ts, '-c------n')], unchanged: [0], until: null },
      { onSynced: (s) => synced.push(s), onWritten: (w) => written.push(w) },
    );
    // The reload and the report run on promises, after virtual time.
    await new Promise((resolve) => setImmediate(resolve));
    await running.dispose();
    expect(synced.map((s) => [agentOf(s.text), s.written, s.through])).toEqual([
      ['agent-1', false, '101'],
      ['agent-2', true, '102'],
    ]);
    expect(written.map((w) => [agentOf(w.text), w.trigger, w.through])).toEqual([['agent-2', 'notification', '102']]);
  });
});

/**
 * A source for runFlow, as a marble: cold, so its frames count from its subscription (the flow's
 * start, or its restart), and made when subscribed, inside runFlow's run(). Listening marbles use
 * `c` (connected) and `n` (notification).
 */
function marble<T = ListenSourceEvent>(ts: TestScheduler, frames: string, values?: Record<string, T>): Observable<T> {
  return defer(() => ts.createColdObservable<T>(frames, (values ?? connected) as unknown as Record<string, T>));
}
