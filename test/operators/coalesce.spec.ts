import { describe, it, expect } from 'vitest';
import { merge, of, Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { coalesce } from '../../src/operators/coalesce.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

describe('coalesce', () => {
  it('should behave as its marble diagram (3 frames quiet, 9 frames max wait)', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  a-b-c--------d-e-f-g-h-i-j-k-l|');
      const e1subs = '  ^-----------------------------!';
      const expected = '-------c--------------h-------(l|)';

      expectObservable(e1.pipe(coalesce(3, 9))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit a burst inside the quiet window once, with its last value, after the silence', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b-c----------|');
      const e1subs = '  ^---------------!';
      const expected = '--------c-------|';

      expectObservable(e1.pipe(coalesce(3, 100))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should restart the quiet window at every value, unlike a fixed-period audit', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // Gaps of 3 frames (< quiet 4): only the last value comes out, 4 frames after it.
      const e1 = hot('  a--b--c--d----------|');
      const expected = '-------------d------|';

      expectObservable(e1.pipe(coalesce(4, 100))).toBe(expected);
    });
  });

  it('should emit each burst separately when bursts are separated by silence', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  ab------cd-------|');
      const expected = '----b-------d----|';

      expectObservable(e1.pipe(coalesce(3, 100))).toBe(expected);
    });
  });

  it('should emit at least once per max wait when the source never falls silent (no starvation)', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // A value every 2 frames never leaves the 3-frame quiet window; max wait 7 still lets the
      // latest value through 7 frames after the first value of each burst (0→7, 8→15, 16→23).
      // The last value (24) comes out when the source falls silent, at 27.
      const e1 = hot('  a-b-c-d-e-f-g-h-i-j-k-l-m-');
      const expected = '-------d-------h-------l---m';

      expectObservable(e1.pipe(coalesce(3, 7))).toBe(expected);
    });
  });

  it('should use 250 ms quiet and 2000 ms max wait by default', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // One value every 100 ms for 3 s: only the max wait can end the burst.
      const e1 = hot(`${'a 99ms '.repeat(30)}-`);
      // The burst starting at 0 comes out at 2000 (max wait); the next one starts by 2100 and the
      // last value (2900) comes out 250 ms later, at 3150, when the source falls silent.
      const expected = '2000ms a 1149ms a';

      expectObservable(e1.pipe(coalesce())).toBe(expected);
    });
  });

  it('should start the max wait at the first value after the previous emission', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // Burst 1 ends by silence at 3; burst 2 starts at 10, so its max wait (7) ends at 17 (not at 7
      // or 14, as a timer kept from the first burst would); burst 3 starts at 18 and ends by silence.
      const e1 = hot('  a---------b-c-d-e-f-g-h------|');
      const expected = '---a-------------e-------h---|';

      expectObservable(e1.pipe(coalesce(3, 7))).toBe(expected);
    });
  });

  it('should emit a pending value before completing when the source completes', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b-|');
      const e1subs = '  ^----!';
      const expected = '-----(b|)';

      expectObservable(e1.pipe(coalesce(3, 100))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete without emitting when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' |');
      const e1subs = '  (^!)';
      const expected = '|';

      expectObservable(e1.pipe(coalesce(3, 7))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should neither emit nor complete when the source never emits', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' -');
      const e1subs = '  ^';
      const expected = '-';

      expectObservable(e1.pipe(coalesce(3, 7))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should drop a pending value and pass the error through untouched', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const error = new Error('connection lost');
      const e1 = hot('  -a-b-#', undefined, error);
      const e1subs = '  ^----!';
      const expected = '-----#';

      expectObservable(e1.pipe(coalesce(3, 100))).toBe(expected, undefined, error);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through after earlier bursts were emitted', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  a-------b-#');
      const expected = '---a------#';

      expectObservable(e1.pipe(coalesce(3, 100))).toBe(expected);
    });
  });

  it('should allow unsubscribing early and explicitly, dropping the pending value', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  a-------b-c-------|');
      const unsub = '   -----------!';
      const e1subs = '  ^----------!';
      const expected = '---a--------';

      expectObservable(e1.pipe(coalesce(3, 100)), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should start a fresh burst for a value sent while it is emitting', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // The subscriber answers a's emission with b; b must not be wiped by a's clean-up.
      const e1 = hot('  a---------|');
      const loop$ = new Subject<string>();
      const expected = '---a--b---';

      const result = merge(e1, loop$).pipe(
        coalesce(3, 100),
        tap((v) => {
          if (v === 'a') loop$.next('b');
        }),
      );
      expectObservable(result).toBe(expected);
    });
  });

  it('should pass each value through at once, without a timer, when the max wait is 0', () => {
    const seen: number[] = [];
    // No scheduler is run: anything that waits for a timer would not be seen synchronously.
    const subscription = merge(of(1), of(2)).pipe(coalesce(0, 0)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([1, 2]);
    subscription.unsubscribe();
  });

  it('should throw a RangeError naming a negative or non-finite duration', () => {
    expect(() => coalesce(-1, 100)).toThrow(new RangeError('coalesce: quietMs must be a finite number of milliseconds >= 0, got -1.'));
    expect(() => coalesce(10, Number.NaN)).toThrow(
      new RangeError('coalesce: maxWaitMs must be a finite number of milliseconds >= 0, got NaN.'),
    );
    expect(() => coalesce(10, Infinity)).toThrow(/maxWaitMs/);
  });
});
