import { describe, it, expect } from 'vitest';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { snapshot } from '../../src/operators/snapshot.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A query that hands out the given observables in turn, one per read (trigger or retry), recording its triggers. */
function queries<S>(...reads: Observable<S>[]): { query: (trigger: string) => Observable<S>; triggers: string[] } {
  const triggers: string[] = [];
  return {
    query: (trigger) => {
      const read = reads[triggers.length];
      triggers.push(trigger);
      // An unexpected extra read never answers (a throw here would retry forever in virtual time);
      // each test asserts the triggers it expected.
      return read ?? NEVER;
    },
    triggers,
  };
}

describe('snapshot', () => {
  it('should behave as its marble diagram: triggers during a read start exactly one more read', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a-bc-------d----|');
      const e1subs = '  ^-----------------!';
      const q1 = cold('   ----(s|)');
      const q1subs = '  --^---!';
      const q2 = cold('         ---(s|)');
      const q2subs = '  ------^--!';
      const q3 = cold('                ---(s|)');
      const q3subs = '  -------------^--!';
      const expected = '------s--s------s-|';

      const { query, triggers } = queries(q1, q2, q3);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(q1.subscriptions).toBe(q1subs);
      expectSubscriptions(q2.subscriptions).toBe(q2subs);
      expectSubscriptions(q3.subscriptions).toBe(q3subs);
      return () => expect(triggers).toEqual(['a', 'c', 'd']);
    });
  });

  it('should never have two reads in flight, however fast the triggers come', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      // A read takes 5 frames and a trigger comes every 2: reads run back to back, never overlapping.
      const e1 = hot('  a-b-c-d-e-f-g-h-|');
      const q = cold('  ----(s|)');
      const qsubs = [
        '               ^---!',
        '               ----^---!',
        '               --------^---!',
        '               ------------^---!',
        '               ----------------^---!',
      ];
      const expected = '----s---s---s---s---(s|)';
      const { query } = queries(q, q, q, q, q);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      expectSubscriptions(q.subscriptions).toBe(qsubs);
    });
  });

  it('should not read again when no trigger came during a read (a read started after the last trigger is fresh)', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a--------|');
      const q1 = cold('  --(s|)');
      const expected = '---s------|';
      const { query, triggers } = queries(q1);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
      return () => expect(triggers).toEqual(['a']);
    });
  });

  it('should retry a failed read after the retry delay and report each failure to onError', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-----------|');
      const bad = cold(' -#');
      const badsubs = ' -^!';
      const good = cold('     -(s|)');
      const goodsubs = '-----^!';
      const expected = '------s------|';
      const errors: number[] = [];
      const { query } = queries(bad, good);
      expectObservable(e1.pipe(snapshot(query, { retryDelay: () => 3, onError: (_e, attempt) => errors.push(attempt) }))).toBe(expected);
      expectSubscriptions(bad.subscriptions).toBe(badsubs);
      expectSubscriptions(good.subscriptions).toBe(goodsubs);
      return () => expect(errors).toEqual([1]);
    });
  });

  it('should start the read at once when a trigger arrives while a retry waits', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  -a----b---------|');
      const bad = cold(' -#');
      const good = cold('      -(s|)');
      const expected = '-------s--------|';
      const { query, triggers } = queries(bad, good);
      expectObservable(e1.pipe(snapshot(query, { retryDelay: () => 100 }))).toBe(expected);
      return () => expect(triggers).toEqual(['a', 'b']);
    });
  });

  it('should back off longer with each failure and start over after a success', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  a--------------------------|');
      const bad = cold('#');
      const good = cold('(s|)');
      // Attempts at 0, 1 (delay 1), 3 (delay 2), 7 (delay 4), then success at 7.
      const expected = '-------s-------------------|';
      const delays: number[] = [];
      const { query } = queries(bad, bad, bad, good);
      expectObservable(
        e1.pipe(snapshot(query, { retryDelay: (attempt) => (delays.push(attempt), 2 ** (attempt - 1)) })),
      ).toBe(expected);
      return () => expect(delays).toEqual([1, 2, 3]);
    });
  });

  it('should finish the running read and its dirty follow-up before completing', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  a-b|');
      const q1 = cold(' ---(s|)');
      const q2 = cold('    ---(t|)');
      const expected = '---s--(t|)';
      const { query } = queries(q1, q2);
      expectObservable(e1.pipe(snapshot(query))).toBe(expected);
    });
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { query, triggers } = queries<string>();
      expectObservable(cold('|').pipe(snapshot(query))).toBe('|');
      return () => expect(triggers).toEqual([]);
    });
  });

  it('should raise the source error and end the running read', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--#');
      const q = cold('   -----(s|)');
      const qsubs = '   -^--!';
      const { query } = queries(q);
      expectObservable(e1.pipe(snapshot(query))).toBe('----#');
      expectSubscriptions(q.subscriptions).toBe(qsubs);
    });
  });

  it('should allow unsubscribing early and explicitly, ending the running read', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-------|');
      const q = cold('   -----(s|)');
      const qsubs = '   -^--!';
      const unsub = '   ----!';
      const { query } = queries(q);
      expectObservable(e1.pipe(snapshot(query)), unsub).toBe('-----');
      expectSubscriptions(q.subscriptions).toBe(qsubs);
    });
  });
});
