import { describe, it, expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { guard } from '../../src/operators/guard.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** Refuses `b` (two reasons) and `z` (one); lets everything else through. */
const check = (value: string): string[] =>
  value === 'b' ? ['the host would reject it', 'it would empty the roster'] : value === 'z' ? ['not valid JSON'] : [];

describe('guard', () => {
  it('should behave as its marble diagram: a refused value is dropped, the others pass', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a--b--c--|');
      const e1subs = '  ^----------!';
      const expected = '--a-----c--|';

      expectObservable(e1.pipe(guard(check, () => undefined))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should call onRefused with the reasons and the value, once per refused value, and emit nothing for it', () => {
    const refused: [readonly string[], string][] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' b-a-z-b|');
      const expected = '--a----|';

      expectObservable(e1.pipe(guard(check, (reasons, value) => refused.push([reasons, value])))).toBe(expected);
    });
    expect(refused).toEqual([
      [['the host would reject it', 'it would empty the roster'], 'b'],
      [['not valid JSON'], 'z'],
      [['the host would reject it', 'it would empty the roster'], 'b'],
    ]);
  });

  it('should not call onRefused for values it lets through', () => {
    let refusals = 0;
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' a-c-d|');
      const expected = 'a-c-d|';

      expectObservable(e1.pipe(guard(check, () => refusals++))).toBe(expected);
    });
    expect(refusals).toBe(0);
  });

  it('should check each value at the time it arrives', () => {
    // The rule changes during the stream (e.g. the file on disk changed): the same value is
    // refused first, then let through.
    let strict = true;
    const refused: string[] = [];
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  -a--a--|');
      const expected = '----a--|';

      const result = e1.pipe(
        guard(
          () => (strict ? ['strict'] : []),
          (_reasons, value) => {
            refused.push(value);
            strict = false;
          },
        ),
      );
      expectObservable(result).toBe(expected);
    });
    expect(refused).toEqual(['a']);
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>(' |');
      const e1subs = '  (^!)';
      const expected = '|';

      expectObservable(e1.pipe(guard(check, () => undefined))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through untouched', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const error = new Error('render failed');
      const e1 = hot('  -a-b-#', undefined, error);
      const e1subs = '  ^----!';
      const expected = '-a---#';

      expectObservable(e1.pipe(guard(check, () => undefined))).toBe(expected, undefined, error);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should allow unsubscribing early and explicitly', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--c--d--|');
      const unsub = '   -----!';
      const e1subs = '  ^----!';
      const expected = '-a--c-';

      expectObservable(e1.pipe(guard(check, () => undefined)), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});
