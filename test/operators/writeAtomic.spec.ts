import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest';
import { Subject } from 'rxjs';
import { writeAtomic, type WriteOutcome } from '../../src/operators/writeAtomic.js';

// writeAtomic takes a Promise-returning write, which TestScheduler cannot virtualise (STYLE §1, §9):
// these are plain async tests on fake timers (rxjs's asyncScheduler runs on setInterval).

/** Records what the operator does: each write attempt (value and fake-clock time), outputs, callbacks. */
function harness(outcomes: (value: string, attempt: number) => Promise<WriteOutcome>, options: Parameters<typeof writeAtomic>[1] = {}) {
  const attempts: { value: string; at: number }[] = [];
  const out: string[] = [];
  const errors: [unknown, number][] = [];
  let recovered = 0;
  let completed = false;
  let failed: unknown;
  const source = new Subject<string>();
  const perValue = new Map<string, number>();
  const subscription = source
    .pipe(
      writeAtomic(
        (value) => {
          attempts.push({ value, at: Date.now() });
          const n = (perValue.get(value) ?? 0) + 1;
          perValue.set(value, n);
          return outcomes(value, n);
        },
        {
          onError: (error, attempt) => errors.push([error, attempt]),
          onRecovered: () => recovered++,
          ...options,
        },
      ),
    )
    .subscribe({
      next: (v) => out.push(v),
      error: (e: unknown) => (failed = e),
      complete: () => (completed = true),
    });
  return {
    source,
    subscription,
    attempts,
    out,
    errors,
    recovered: () => recovered,
    completed: () => completed,
    failed: () => failed,
  };
}

const diskFull = new Error('ENOSPC: no space left on device');
/** Fails the first `n` attempts of each value, then writes. */
const failFirst = (n: number) => async (_value: string, attempt: number): Promise<WriteOutcome> => {
  if (attempt <= n) throw diskFull;
  return 'written';
};
/** Resolves after `ms` of (fake) time. */
const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('writeAtomic', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should emit each value once its write resolves "written", in order', async () => {
    const h = harness(async () => 'written');
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.out).toEqual(['a']);
    h.source.next('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.out).toEqual(['a', 'b']);
    expect(h.attempts).toEqual([
      { value: 'a', at: 0 },
      { value: 'b', at: 0 },
    ]);
  });

  it('should not emit a value whose write finds the file unchanged, so nothing reloads for it', async () => {
    const h = harness(async (value) => (value === 'same' ? 'unchanged' : 'written'));
    h.source.next('same');
    await vi.advanceTimersByTimeAsync(0);
    h.source.next('new');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.out).toEqual(['new']);
  });

  it('should retry a failing write after 1 s, 2 s, 4 s by default, then emit it', async () => {
    const h = harness(failFirst(3));
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(6_999);
    expect(h.out).toEqual([]);
    expect(h.attempts.map((a) => a.at)).toEqual([0, 1_000, 3_000]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.attempts.map((a) => a.at)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(h.out).toEqual(['a']);
  });

  it('should cap the default retry delay at 60 s', async () => {
    const h = harness(failFirst(8));
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const gaps = h.attempts.slice(1).map((a, i) => a.at - h.attempts[i]!.at);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    expect(h.out).toEqual(['a']);
  });

  it('should use the retryDelay it is given, with 1-based attempts', async () => {
    const asked: number[] = [];
    const h = harness(failFirst(2), {
      retryDelay: (attempt) => {
        asked.push(attempt);
        return attempt * 10;
      },
    });
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(asked).toEqual([1, 2]);
    expect(h.attempts.map((a) => a.at)).toEqual([0, 10, 30]);
  });

  it('should report each failure to onError and call onRecovered once the write succeeds', async () => {
    const h = harness(failFirst(2));
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(999);
    expect(h.errors).toEqual([[diskFull, 1]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.errors).toHaveLength(2);
    expect(h.recovered()).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.errors).toEqual([
      [diskFull, 1],
      [diskFull, 2],
    ]);
    expect(h.recovered()).toBe(1);
    expect(h.out).toEqual(['a']);
  });

  it('should not call onRecovered when nothing failed', async () => {
    const h = harness(async () => 'written');
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(0);
    h.source.next('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.out).toEqual(['a', 'b']);
    expect(h.recovered()).toBe(0);
    expect(h.errors).toEqual([]);
  });

  it('should call onRecovered when a newer value is written after the replaced one kept failing', async () => {
    // a fails (disk full) and is replaced by b while waiting to retry; b is written at once.
    const h = harness(async (value) => {
      if (value === 'a') throw diskFull;
      return 'written';
    });
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(500);
    expect(h.errors).toHaveLength(1);
    h.source.next('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.out).toEqual(['b']);
    expect(h.recovered()).toBe(1);
    // And only once: the next good write is not a recovery.
    h.source.next('c');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.recovered()).toBe(1);
  });

  it('should drop a failing value and its retries when a newer value arrives (the newer wins)', async () => {
    const h = harness(async (value) => {
      if (value === 'a') throw diskFull;
      return 'written';
    });
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(500);
    h.source.next('b');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.attempts.map((a) => a.value)).toEqual(['a', 'b']);
    expect(h.out).toEqual(['b']);
  });

  it('should not emit a slow write that a newer value replaced', async () => {
    const h = harness((value) => (value === 'a' ? after(100, 'written') : after(10, 'written')));
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(50);
    h.source.next('b');
    await vi.advanceTimersByTimeAsync(200);
    expect(h.out).toEqual(['b']);
  });

  it('should finish a running write, retries included, before completing', async () => {
    const h = harness(failFirst(1));
    h.source.next('a');
    h.source.complete();
    await vi.advanceTimersByTimeAsync(999);
    expect(h.completed()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.out).toEqual(['a']);
    expect(h.completed()).toBe(true);
  });

  it('should never let a write error reach the output', async () => {
    const h = harness(failFirst(5), { retryDelay: () => 1 });
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(h.failed()).toBeUndefined();
    expect(h.errors.map(([, n]) => n)).toEqual([1, 2, 3, 4, 5]);
    expect(h.out).toEqual(['a']);
  });

  it('should pass a source error through untouched and stop retrying', async () => {
    const h = harness(failFirst(100), { retryDelay: () => 10 });
    const error = new Error('snapshot stream failed');
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(5);
    h.source.error(error);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.failed()).toBe(error);
    expect(h.attempts).toHaveLength(1);
  });

  it('should stop retrying when unsubscribed', async () => {
    const h = harness(failFirst(100), { retryDelay: () => 10 });
    h.source.next('a');
    await vi.advanceTimersByTimeAsync(5);
    h.subscription.unsubscribe();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.attempts).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
