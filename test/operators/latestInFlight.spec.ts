import { describe, it, expect } from 'vitest';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { latestInFlight } from '../../src/operators/latestInFlight.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A run that hands out, per value, the given attempts in turn, recording each attempt's value. */
function runs(plan: Record<string, Observable<string>[]>): { run: (value: string) => Observable<string>; attempts: string[] } {
  const attempts: string[] = [];
  const used: Record<string, number> = {};
  return {
    run: (value) => {
      attempts.push(value);
      const n = used[value] ?? 0;
      used[value] = n + 1;
      return plan[value]?.[n] ?? NEVER;
    },
    attempts,
  };
}

describe('latestInFlight', () => {
  it('should behave as its marble diagram: one run in flight, the latest waiting value next, failures retried', () => {
    const seen: string[][] = [];
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  --a-bc--------d-------|');
      const ra = cold('   ---(x|)');
      const rc = cold('      ---(y|)');
      const rd1 = cold('              -#');
      const rd2 = cold('                 -(z|)');
      const expected = '-----x--y---------z---|';
      const { run, attempts } = runs({ a: [ra], c: [rc], d: [rd1, rd2] });
      seen.push(attempts);
      expectObservable(e1.pipe(latestInFlight(run, { retryDelay: () => 2, newerSkipsDelay: true }))).toBe(expected);
    });
    expect(seen[0]).toEqual(['a', 'c', 'd', 'd']);
  });

  it('should retry with the newer value after the delay when newer values do not skip it', () => {
    const seen: string[][] = [];
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a-b-------|');
      const ra = cold('  ---#');
      const rb = cold('         -(y|)');
      const expected = '----------y|';
      const { run, attempts } = runs({ a: [ra], b: [rb] });
      seen.push(attempts);
      expectObservable(e1.pipe(latestInFlight(run, { retryDelay: () => 5, newerSkipsDelay: false }))).toBe(expected);
    });
    expect(seen[0]).toEqual(['a', 'b']);
  });

  it('should start the newer value at once after a failure when newer values skip the delay', () => {
    const seen: string[][] = [];
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a-b-------|');
      const ra = cold('  ---#');
      const rb = cold('     -(y|)');
      const expected = '-----y-----|';
      const { run, attempts } = runs({ a: [ra], b: [rb] });
      seen.push(attempts);
      expectObservable(e1.pipe(latestInFlight(run, { retryDelay: () => 5, newerSkipsDelay: true }))).toBe(expected);
    });
    expect(seen[0]).toEqual(['a', 'b']);
  });

  it('should report each failure with its attempt number and one recovery', () => {
    const errors: number[] = [];
    let recovered = 0;
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a---------|');
      const expected = '-----x-----|';
      const { run } = runs({ a: [cold('-#'), cold('-#'), cold('(x|)')] });
      const policy = { retryDelay: () => 1, newerSkipsDelay: false, onError: (_: unknown, n: number) => errors.push(n), onRecovered: () => (recovered += 1) };
      expectObservable(e1.pipe(latestInFlight(run, policy))).toBe(expected);
    });
    expect(errors).toEqual([1, 2]);
    expect(recovered).toBe(1);
  });

  it('should finish the run in flight and the waiting value before completing', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' ab|');
      const { run } = runs({ a: [cold('---(x|)')], b: [cold('--(y|)')] });
      expectObservable(e1.pipe(latestInFlight(run, { retryDelay: () => 1, newerSkipsDelay: true }))).toBe('---x-(y|)');
    });
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { run } = runs({});
      expectObservable(cold('|').pipe(latestInFlight(run, { retryDelay: () => 1, newerSkipsDelay: true }))).toBe('|');
    });
  });

  it('should raise the source error untouched and end the running run', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--#');
      const ra = cold('  -----(x|)');
      const rasubs = '  -^--!';
      const { run } = runs({ a: [ra] });
      expectObservable(e1.pipe(latestInFlight(run, { retryDelay: () => 1, newerSkipsDelay: true }))).toBe('----#');
      expectSubscriptions(ra.subscriptions).toBe(rasubs);
    });
  });

  it('should allow unsubscribing early and explicitly, dropping a pending retry', () => {
    const seen: string[][] = [];
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a---------|');
      const unsub = '   -----!';
      const { run, attempts } = runs({ a: [cold('-#'), cold('(x|)')] });
      seen.push(attempts);
      expectObservable(e1.pipe(latestInFlight(run, { retryDelay: () => 5, newerSkipsDelay: true })), unsub).toBe('------');
    });
    expect(seen[0]).toEqual(['a']);
  });
});

describe('latestInFlight with a schedule that gives up', () => {
  it('should raise the run error when the retry schedule returns undefined, and say it will not retry', () => {
    const told: boolean[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' a----|');
      const { run } = runs({ a: [cold('--#', undefined, new Error('down'))] });
      const policy = { retryDelay: () => undefined, newerSkipsDelay: false, onError: (_: unknown, __: number, willRetry: boolean) => told.push(willRetry) };
      expectObservable(e1.pipe(latestInFlight(run, policy))).toBe('--#', undefined, new Error('down'));
    });
    expect(told).toEqual([false]);
  });
});
