import { describe, it, expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { repairBackoff } from '../../src/operators/repairBackoff.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));
const fast = { windowMs: 5, baseMs: 2, maxMs: 8 };

describe('repairBackoff', () => {
  it('should behave as its marble diagram: repeats wait longer and longer, a quiet window starts over', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  a-----b---c-------------------d--|');
      const e1subs = '  ^--------------------------------!';
      const expected = 'a-------b-----c---------------d--|';
      const streaks: [number, number][] = [];
      expectObservable(e1.pipe(repairBackoff({ ...fast, windowMs: 7, onStreak: (n, d) => streaks.push([n, d]) }))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      return () => expect(streaks).toEqual([[1, 0], [2, 2], [3, 4], [1, 0]]);
    });
  });

  it('should pass values at once while they do not come back within the window', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  a------b------c|');
      expectObservable(e1.pipe(repairBackoff(fast))).toBe('a------b------c|');
    });
  });

  it('should keep only the latest value while one waits', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  ab-c-d-------|');
      // b repeats (delay 2: due at 3); c arrives at 3 (same frame) … d at 5 waits for the next delay.
      expectObservable(e1.pipe(repairBackoff(fast))).toBe('a--c-----d---|');
    });
  });

  it('should cap the delay at maxMs', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const streaks: number[] = [];
      const e1 = hot('  a-b---c-------d---------e---------|');
      const expected = 'a---b-----c--------d---------e----|';
      expectObservable(e1.pipe(repairBackoff({ windowMs: 20, baseMs: 2, maxMs: 5, onStreak: (_n, d) => streaks.push(d) }))).toBe(expected);
      return () => expect(streaks).toEqual([0, 2, 4, 5, 5]);
    });
  });

  it('should pass a waiting value before completing', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  ab|');
      expectObservable(e1.pipe(repairBackoff(fast))).toBe('a-(b|)');
    });
  });

  it('should drop a waiting value and pass the error through', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  ab#');
      expectObservable(e1.pipe(repairBackoff(fast))).toBe('a-#');
    });
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(repairBackoff(fast))).toBe('|');
    });
  });

  it('should allow unsubscribing early and explicitly, dropping a waiting value', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  ab-------|');
      const unsub = '   --!';
      expectObservable(e1.pipe(repairBackoff(fast)), unsub).toBe('a--');
    });
  });
});
