import { describe, it, expect } from 'vitest';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { writeLatest, type WriteOutcome } from '../../src/operators/writeLatest.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A write that hands out, per value, the given attempts in turn, recording each attempt's value. */
function writes(plan: Record<string, Observable<string>[]>): { write: (value: string) => Observable<WriteOutcome>; attempts: string[] } {
  const attempts: string[] = [];
  const used: Record<string, number> = {};
  return {
    write: (value) => {
      attempts.push(value);
      const n = used[value] ?? 0;
      used[value] = n + 1;
      // An unplanned attempt never settles (a throw would retry forever in virtual time).
      return (plan[value]?.[n] ?? NEVER) as Observable<WriteOutcome>;
    },
    attempts,
  };
}

describe('writeLatest', () => {
  it('should behave as its marble diagram: one write in flight, the latest waiting value next, failures retried', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a-bc---------d------|');
      const e1subs = '  ^---------------------!';
      const wa = cold('   ----(w|)', { w: 'written' });
      const wasubs = '  --^---!';
      const wc = cold('         ---(w|)', { w: 'written' });
      const wcsubs = '  ------^--!';
      const wd1 = cold('               -#');
      const wd2 = cold('                  -(w|)', { w: 'written' });
      const wd2subs = ' ------------------^!';
      const expected = '------a--c---------d--|';
      const { write, attempts } = writes({ a: [wa], c: [wc], d: [wd1, wd2] });
      expectObservable(e1.pipe(writeLatest(write, { retryDelay: () => 2 }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(wa.subscriptions).toBe(wasubs);
      expectSubscriptions(wc.subscriptions).toBe(wcsubs);
      expectSubscriptions(wd2.subscriptions).toBe(wd2subs);
      return () => expect(attempts).toEqual(['a', 'c', 'd', 'd']);
    });
  });

  it('should let a newer value supersede a retry that is waiting, so the older value never lands', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      // Disk holds A; B fails (disk full) and waits to retry; the database goes back to A meanwhile.
      const e1 = hot('  -B---A-------------|');
      const wB = cold('  -#');
      const wA = cold('      -(u|)', { u: 'unchanged' });
      const { write, attempts } = writes({ B: [wB], A: [wA] });
      expectObservable(e1.pipe(writeLatest(write, { retryDelay: () => 10 }))).toBe('-------------------|');
      // B is never attempted again: its retry was superseded by A.
      return () => expect(attempts).toEqual(['B', 'A']);
    });
  });

  it('should go straight to the newer value when the write in flight fails', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a-b--------|');
      const wa = cold('  ---#');
      const wb = cold('     -(w|)', { w: 'written' });
      const { write, attempts } = writes({ a: [wa], b: [wb] });
      expectObservable(e1.pipe(writeLatest(write, { retryDelay: () => 50 }))).toBe('-----b------|');
      return () => expect(attempts).toEqual(['a', 'b']);
    });
  });

  it('should keep only the latest of many values that arrive during one write (latest wins)', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -abcdef-----|');
      const wa = cold('  ------(w|)', { w: 'written' });
      const wf = cold('        -(w|)', { w: 'written' });
      const { write, attempts } = writes({ a: [wa], f: [wf] });
      expectObservable(e1.pipe(writeLatest(write))).toBe('-------af---|');
      return () => expect(attempts).toEqual(['a', 'f']);
    });
  });

  it('should not emit a value whose write found the file already equal ("unchanged"), so nothing reloads', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a--b--|');
      const wa = cold('  -(u|)', { u: 'unchanged' });
      const wb = cold('     -(w|)', { w: 'written' });
      const { write } = writes({ a: [wa], b: [wb] });
      expectObservable(e1.pipe(writeLatest(write))).toBe('-----b-|');
    });
  });

  it('should report each failure and one recovery when a later attempt succeeds', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a----------|');
      const bad = cold(' -#');
      const good = cold('-(w|)', { w: 'written' });
      const errors: number[] = [];
      let recovered = 0;
      const { write } = writes({ a: [bad, bad, good] });
      expectObservable(
        e1.pipe(writeLatest(write, { retryDelay: (n) => n, onError: (_e, n) => errors.push(n), onRecovered: () => recovered++ })),
      ).toBe('-------a----|');
      return () => {
        expect(errors).toEqual([1, 2]);
        expect(recovered).toBe(1);
      };
    });
  });

  it('should finish the write in flight and the waiting value before completing', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -ab|');
      const wa = cold('  ---(w|)', { w: 'written' });
      const wb = cold('     --(w|)', { w: 'written' });
      const { write } = writes({ a: [wa], b: [wb] });
      expectObservable(e1.pipe(writeLatest(write))).toBe('----a-(b|)');
    });
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { write, attempts } = writes({});
      expectObservable(cold('|').pipe(writeLatest(write))).toBe('|');
      return () => expect(attempts).toEqual([]);
    });
  });

  it('should raise the source error untouched', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a--#');
      const wa = cold('  -----(w|)', { w: 'written' });
      const { write } = writes({ a: [wa] });
      expectObservable(e1.pipe(writeLatest(write))).toBe('----#');
    });
  });

  it('should allow unsubscribing early and explicitly, dropping a pending retry', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a-------|');
      const bad = cold(' -#');
      const unsub = '   -----!';
      const { write, attempts } = writes({ a: [bad] });
      expectObservable(e1.pipe(writeLatest(write, { retryDelay: () => 2 })), unsub).toBe('------');
      // Attempt at 1 fails at 2; retry at 4 (unplanned: never settles); nothing after the unsubscribe at 5.
      return () => expect(attempts).toEqual(['a', 'a']);
    });
  });
});
