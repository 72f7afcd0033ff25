import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest';
import { defer, Subject } from 'rxjs';
import { reload } from '../../src/operators/reload.js';
import { writeLatest, type WriteOutcome } from '../../src/operators/writeLatest.js';

// reload wraps every action in `defer(async () => …)`, so even a synchronous action completes in a
// microtask, which TestScheduler cannot virtualise (STYLE §1, §9): plain async tests on fake timers.

/** Subscribes `reload(action, onError)` to a Subject and records what comes out and when. */
function harness<T>(action: (value: T) => void | Promise<void>, onError?: (error: unknown, value: T) => void) {
  const source = new Subject<T>();
  const out: { value: T; at: number }[] = [];
  let completed = false;
  let failed: unknown;
  const subscription = source.pipe(reload(action, onError)).subscribe({
    next: (value) => out.push({ value, at: Date.now() }),
    error: (e: unknown) => (failed = e),
    complete: () => (completed = true),
  });
  return { source, subscription, out, completed: () => completed, failed: () => failed };
}

/** Resolves after `ms` of (fake) time. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('reload', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should run the action once per value, then pass the value on', async () => {
    const ran: { value: string; at: number }[] = [];
    const h = harness<string>(async (value) => {
      ran.push({ value, at: Date.now() });
      await sleep(10);
    });
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(9);
    expect(ran).toEqual([{ value: 'a', at: 0 }]);
    expect(h.out).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.out).toEqual([{ value: 'a', at: 10 }]);
    expect(ran).toHaveLength(1);
  });

  it('should run reloads one after another, in order, never two at once', async () => {
    const ran: { value: string; at: number }[] = [];
    const h = harness<string>(async (value) => {
      ran.push({ value, at: Date.now() });
      await sleep(10);
    });
    h.source.next('a');
    h.source.next('b');
    h.source.next('c');
    await vi.advanceTimersByTimeAsync(100);
    expect(ran).toEqual([
      { value: 'a', at: 0 },
      { value: 'b', at: 10 },
      { value: 'c', at: 20 },
    ]);
    expect(h.out).toEqual([
      { value: 'a', at: 10 },
      { value: 'b', at: 20 },
      { value: 'c', at: 30 },
    ]);
  });

  it('should run a synchronous action too', async () => {
    const ran: string[] = [];
    const h = harness<string>((value) => void ran.push(value));
    h.source.next('a');
    h.source.next('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b']);
    expect(h.out.map((o) => o.value)).toEqual(['a', 'b']);
  });

  it('should report a failing action to onError and keep the stream going', async () => {
    const reported: [unknown, string][] = [];
    const rejected = new Error('touch failed: EACCES');
    const thrown = new Error('kill failed: ESRCH');
    const h = harness<string>(
      (value) => {
        if (value === 'a') return Promise.reject(rejected);
        if (value === 'b') throw thrown;
      },
      (error, value) => reported.push([error, value]),
    );
    h.source.next('a');
    h.source.next('b');
    h.source.next('c');
    await vi.advanceTimersByTimeAsync(0);
    expect(reported).toEqual([
      [rejected, 'a'],
      [thrown, 'b'],
    ]);
    expect(h.out.map((o) => o.value)).toEqual(['a', 'b', 'c']);
    expect(h.failed()).toBeUndefined();
  });

  it('should not run the action when nothing was written', async () => {
    let runs = 0;
    const h = harness<string>(() => void runs++);
    h.source.complete();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(0);
    expect(h.completed()).toBe(true);
  });

  it('should let a running reload finish before completing', async () => {
    const h = harness<string>(() => sleep(10));
    h.source.next('a');
    h.source.complete();
    await vi.advanceTimersByTimeAsync(9);
    expect(h.completed()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.out.map((o) => o.value)).toEqual(['a']);
    expect(h.completed()).toBe(true);
  });

  it('should pass a source error through untouched', async () => {
    const error = new Error('write stream failed');
    const h = harness<string>(() => undefined);
    h.source.error(error);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.failed()).toBe(error);
  });

  it('should reload once per completed write and never for a write that changed nothing', async () => {
    // The pipeline's order: writeLatest, then reload (docs/design.md §5: at most one reload per write).
    const reloaded: string[] = [];
    const source = new Subject<string>();
    const write = async (text: string): Promise<WriteOutcome> => (text.startsWith('same') ? 'unchanged' : 'written');
    source.pipe(writeLatest((text: string) => defer(() => write(text))), reload((text) => void reloaded.push(text))).subscribe();
    for (const text of ['v1', 'same-1', 'v2', 'same-2', 'v3']) {
      source.next(text);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(reloaded).toEqual(['v1', 'v2', 'v3']);
  });
});
