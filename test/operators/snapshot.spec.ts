import { describe, it, expect } from 'vitest';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { snapshot } from '../../src/operators/snapshot.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A query that hands out the given observables in turn, one per subscription (trigger or retry). */
function queries<S>(...reads: Observable<S>[]): { query: () => Observable<S>; calls: () => number } {
  let calls = 0;
  return {
    query: () => {
      const read = reads[calls++];
      if (!read) throw new Error(`query called ${calls} times, only ${reads.length} reads prepared`);
      return read;
    },
    calls: () => calls,
  };
}

describe('snapshot', () => {
  it('should behave as its marble diagram: one read per trigger, a stale read cancelled', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a-------b-c------|');
      const e1subs = '  ^------------------!';
      const q1 = cold('   ---(s|)');
      const q1subs = '  --^--!';
      const q2 = cold('           ---(x|)');
      const q2subs = '  ----------^-!';
      const q3 = cold('             ---(s|)');
      const q3subs = '  ------------^--!';
      const expected = '-----s---------s---|';

      const { query } = queries(q1, q2, q3);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(q1.subscriptions).toBe(q1subs);
      expectSubscriptions(q2.subscriptions).toBe(q2subs);
      expectSubscriptions(q3.subscriptions).toBe(q3subs);
    });
  });

  it('should cancel a running read when a change arrives, so the newer state wins', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      // The older read is slow: it would answer after the newer one if it were not cancelled.
      const e1 = hot('  -a-b--------|');
      const old = cold('  -----(o|)');
      const oldsubs = ' -^-!';
      const fresh = cold('  --(n|)');
      const freshsubs = '---^-!';
      const expected = '-----n------|';

      const { query } = queries(old, fresh);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      expectSubscriptions(old.subscriptions).toBe(oldsubs);
      expectSubscriptions(fresh.subscriptions).toBe(freshsubs);
    });
  });

  it('should retry a failed read after the retry delay and report each failure to onError', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const error = new Error('connection refused');
      const e1 = hot('  a--------------------');
      const q1 = cold(' -#', undefined, error);
      const q1subs = '  ^!';
      const q2 = cold('      -#', undefined, error);
      const q2subs = '  -----^!';
      const q3 = cold('                -(s|)');
      const q3subs = '  ---------------^!';
      const expected = '----------------s----';

      // Delays 4 then 9 frames: read fails at 1 → retry at 5, fails at 6 → retry at 15.
      const { query } = queries(q1, q2, q3);
      const result = e1.pipe(
        snapshot(query, {
          retryDelay: (attempt) => [4, 9][attempt - 1] ?? 1000,
        }),
      );
      expectObservable(result).toBe(expected);
      expectSubscriptions(q1.subscriptions).toBe(q1subs);
      expectSubscriptions(q2.subscriptions).toBe(q2subs);
      expectSubscriptions(q3.subscriptions).toBe(q3subs);
    });
  });

  it('should report each failure with its attempt number before retrying', () => {
    const failures: [unknown, number][] = [];
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const error = new Error('connection refused');
      const e1 = hot('  a-----------');
      const q1 = cold(' #', undefined, error);
      const q2 = cold(' #', undefined, error);
      const q3 = cold(' (s|)');
      const expected = '--s---------';

      const { query } = queries(q1, q2, q3);
      expectObservable(e1.pipe(snapshot(query, { retryDelay: () => 1, onError: (e, n) => failures.push([e, n]) }))).toBe(expected);
    });
    expect(failures).toEqual([
      [new Error('connection refused'), 1],
      [new Error('connection refused'), 2],
    ]);
  });

  it('should wait 5 s, then 10 s, between failed reads by default', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  a');
      const q1 = cold(' #');
      const q2 = cold(' #');
      const q3 = cold(' (s|)');
      const q2subs = '  5000ms (^!)';
      const q3subs = '  15000ms (^!)';
      const expected = '15000ms s';

      const { query } = queries(q1, q2, q3);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      expectSubscriptions(q2.subscriptions).toBe(q2subs);
      expectSubscriptions(q3.subscriptions).toBe(q3subs);
    });
  });

  it('should drop a pending retry when a newer trigger arrives', () => {
    const attempts: number[] = [];
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  a---b-------------');
      const q1 = cold(' #');
      const q1subs = '  (^!)';
      const q2 = cold('     -(n|)');
      const q2subs = '  ----^!';
      const expected = '-----n------------';

      // Were the retry kept, a third read would be asked for at 10 and `queries` would throw.
      const { query } = queries(q1, q2);
      expectObservable(e1.pipe(snapshot(query, { retryDelay: () => 10, onError: (_e, n) => attempts.push(n) }))).toBe(expected);
      expectSubscriptions(q1.subscriptions).toBe(q1subs);
      expectSubscriptions(q2.subscriptions).toBe(q2subs);
    });
    expect(attempts).toEqual([1]);
  });

  it('should never let a query error reach the output', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  a---|');
      const q1 = cold(' -#');
      const q2 = cold('  -#');
      const q3 = cold('   -#');
      const q4 = cold('    ---(s|)');
      const expected = '------(s|)';

      const { query } = queries(q1, q2, q3, q4);
      expectObservable(e1.pipe(snapshot(query, { retryDelay: () => 0 }))).toBe(expected);
    });
  });

  it('should let the running read finish when the source completes, then complete', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-|');
      const e1subs = '  ^--!';
      const q1 = cold('  ----(s|)');
      const expected = '-----(s|)';

      const { query } = queries(q1);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete without reading when the source is empty', () => {
    const { query, calls } = queries<string>();
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' |');
      const expected = '|';

      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
    });
    expect(calls()).toBe(0);
  });

  it('should neither read nor complete when the source never emits', () => {
    let called = 0;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -');
      const e1subs = '  ^';
      const expected = '-';

      expectObservable(
        e1.pipe(
          snapshot(() => {
            called++;
            return cold('(s|)');
          }),
        ),
      ).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(called).toBe(0);
  });

  it('should pass a source error through untouched and cancel the running read', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const error = new Error('listen failed');
      const e1 = hot('  -a--#', undefined, error);
      const q1 = cold('  -----(s|)');
      const q1subs = '  -^--!';
      const expected = '----#';

      const { query } = queries(q1);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected, undefined, error);
      expectSubscriptions(q1.subscriptions).toBe(q1subs);
    });
  });

  it('should allow unsubscribing early and explicitly, cancelling the running read', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--------|');
      const unsub = '   ---!';
      const e1subs = '  ^--!';
      const q1 = cold('  -----(s|)');
      const q1subs = '  -^-!';
      const expected = '----';

      const { query } = queries(q1);
      expectObservable(e1.pipe(snapshot(query)), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(q1.subscriptions).toBe(q1subs);
    });
  });
});
