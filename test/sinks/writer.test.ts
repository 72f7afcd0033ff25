import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { makeFileSink, type FileSink } from '../../src/sinks/file.js';
import { makeWriterSink } from '../../src/sinks/writer.js';
import { makeLogger } from '../../src/logger.js';
import { captureLog } from '../support/pipelineHarness.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-writer-'));
  file = path.join(dir, 'agents.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const roster = (...names: string[]) => `${JSON.stringify({ agents: { entries: Object.fromEntries(names.map((n) => [n, { model: 'm' }])) } }, null, 2)}\n`;

/** A file sink whose writes each wait for one release, to see what happens while one is in flight. */
function gatedSink(inner: FileSink): { sink: FileSink; release: () => void; started: string[] } {
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  let released = 0;
  return {
    started,
    release: () => {
      const next = waiting.shift();
      if (next) next();
      else released += 1;
    },
    sink: {
      ...inner,
      async write(text, current) {
        started.push(text);
        if (released > 0) released -= 1;
        else await new Promise<void>((resolve) => waiting.push(resolve));
        return inner.write(text, current);
      },
    },
  };
}

describe('writer sink', () => {
  it('counts the text found at start and each text it wrote as its own, and nothing else', async () => {
    fs.writeFileSync(file, roster('a'));
    const writer = makeWriterSink(makeFileSink(file), { log: makeLogger(captureLog()) });
    expect(writer.isOwn(roster('a'))).toBe(true);
    expect(writer.isOwn(roster('b'))).toBe(false);
    await lastValueFrom(writer.write$(roster('b')));
    expect(writer.isOwn(roster('b'))).toBe(true);
    expect(writer.isOwn(roster('a'))).toBe(false);
  });

  it('counts the text it is writing as its own while the write is in flight', async () => {
    const gated = gatedSink(makeFileSink(file));
    const writer = makeWriterSink(gated.sink, { log: makeLogger(captureLog()) });
    const done = lastValueFrom(writer.write$(roster('a')));
    await new Promise((r) => setImmediate(r));
    expect(writer.isOwn(roster('a'))).toBe(true);
    gated.release();
    await done;
    expect(writer.isOwn(roster('a'))).toBe(true);
  });

  it('reports what a write replaced, and "unchanged" without a replaced text when the file already holds it', async () => {
    fs.writeFileSync(file, roster('a'));
    const writer = makeWriterSink(makeFileSink(file), { log: makeLogger(captureLog()) });
    expect(await lastValueFrom(writer.write$(roster('b')))).toEqual({ outcome: 'written', replaced: roster('a'), repaired: false });
    expect(await lastValueFrom(writer.write$(roster('b')))).toEqual({ outcome: 'unchanged', replaced: undefined, repaired: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(roster('b'));
  });

  it('keeps writes in the order they were started, even when the first subscriber has gone (a restarted flow)', async () => {
    const gated = gatedSink(makeFileSink(file));
    const writer = makeWriterSink(gated.sink, { log: makeLogger(captureLog()) });
    const first = writer.write$(roster('old')).subscribe();
    const second = firstValueFrom(writer.write$(roster('new')));
    await new Promise((r) => setImmediate(r));
    first.unsubscribe(); // the flow that started it restarted: its write cannot be cut short
    expect(gated.started).toEqual([roster('old')]);
    gated.release();
    gated.release();
    expect((await second).outcome).toBe('written');
    expect(gated.started).toEqual([roster('old'), roster('new')]);
    expect(fs.readFileSync(file, 'utf8')).toBe(roster('new'));
  });

  it('writes nothing for a write unsubscribed before its turn', async () => {
    const gated = gatedSink(makeFileSink(file));
    const writer = makeWriterSink(gated.sink, { log: makeLogger(captureLog()) });
    const first = firstValueFrom(writer.write$(roster('a')));
    writer.write$(roster('stale')).subscribe().unsubscribe();
    const third = firstValueFrom(writer.write$(roster('c')));
    gated.release();
    await first;
    gated.release();
    await third;
    expect(gated.started).toEqual([roster('a'), roster('c')]);
  });

  it('reports a repair when it replaced text another writer put there, warning at most once a minute', async () => {
    const log = captureLog();
    let clock = 1_000_000;
    const writer = makeWriterSink(makeFileSink(file), { log: makeLogger(log), now: () => clock });
    await lastValueFrom(writer.write$(roster('a')));
    fs.writeFileSync(file, roster('a', 'intruder'));
    expect(await lastValueFrom(writer.write$(roster('a')))).toEqual({ outcome: 'written', replaced: roster('a', 'intruder'), repaired: true });
    fs.writeFileSync(file, roster('a', 'again'));
    clock += 30_000;
    expect((await lastValueFrom(writer.write$(roster('a')))).repaired).toBe(true);
    fs.rmSync(file);
    clock += 31_000;
    await lastValueFrom(writer.write$(roster('a')));
    const repairs = log.lines.filter((l) => l.message.includes('was changed by another writer'));
    expect(repairs.map((l) => l.level)).toEqual(['warn', 'info', 'warn']);
    expect(repairs[0]!.message).toContain('agents.entries.intruder');
    expect(repairs[2]!.message).toContain('deleted it');
  });

  it('says a fight once per episode, and its repairs only at debug level while it lasts', async () => {
    const log = captureLog();
    const writer = makeWriterSink(makeFileSink(file), { log: makeLogger(log) });
    await lastValueFrom(writer.write$(roster('a')));
    writer.repairStreak(2, 2_000);
    writer.repairStreak(3, 4_000);
    fs.writeFileSync(file, roster('theirs'));
    await lastValueFrom(writer.write$(roster('a')));
    writer.repairStreak(1, 0);
    writer.repairStreak(2, 2_000);
    const fights = log.lines.filter((l) => l.message.includes('keeps rewriting'));
    expect(fights.map((l) => l.level)).toEqual(['warn', 'debug', 'warn']);
    expect(fights[0]!.message).toContain('repairs now wait 2 s');
    expect(log.lines.find((l) => l.message.includes('was changed by another writer'))?.level).toBe('debug');
  });
});
