import { describe, it, expect } from 'vitest';
import { tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { distinct } from '../../src/operators/distinct.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A rendered file: its bytes plus a stamp that differs between renders of the same bytes. */
interface Render {
  text: string;
  at: number;
}

const byText = (r: Render) => r.text;
const identity = (s: string) => s;

describe('distinct', () => {
  it('should behave as its marble diagram: repeats and the text already on disk are dropped', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a--a--b--b--c--|');
      const e1subs = '  ^----------------!';
      const expected = '--a-----b--------|';

      expectObservable(e1.pipe(distinct(identity, () => 'c'))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should drop a render identical to the previous one, whatever the disk holds', () => {
    // No file on disk: only the distinctUntilChanged part can drop anything.
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' a-a-b-b-b-a-a|');
      const expected = 'a---b-----a--|';

      expectObservable(e1.pipe(distinct(identity, () => undefined))).toBe(expected);
    });
  });

  it('should compare renders by their text, not by identity', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const values = { a: { text: 'x', at: 1 }, b: { text: 'x', at: 2 }, c: { text: 'y', at: 3 } };
      const e1 = cold(' a-b-c|', values);
      const expected = 'a---c|';

      expectObservable(e1.pipe(distinct<Render>(byText, () => undefined))).toBe(expected, values);
    });
  });

  it('should drop a render equal to the file on disk even when it differs from the previous render', () => {
    // Another writer puts b on disk at frame 3; our b at frame 4 must not rewrite it.
    let disk: string | undefined = 'old';
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  a---b-c-|');
      const writer = hot('---w');
      const expected = 'a-----c-|';

      writer.subscribe(() => {
        disk = 'b';
      });
      expectObservable(e1.pipe(distinct(identity, () => disk))).toBe(expected);
    });
  });

  it('should read the disk at each render, so a file changed since is written again', () => {
    // Disk holds a, so a is dropped; after b is written (disk = b), a is new again.
    let disk: string | undefined = 'a';
    let reads = 0;
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' a-b-a|');
      const expected = '--b-a|';

      const result = e1.pipe(
        distinct(identity, () => {
          reads++;
          return disk;
        }),
        tap((written) => {
          disk = written;
        }),
      );
      expectObservable(result).toBe(expected);
    });
    expect(reads).toBe(3);
  });

  it('should not read the disk for a repeat of the previous render', () => {
    let reads = 0;
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' a-a-a|');
      const expected = 'a----|';

      expectObservable(
        e1.pipe(
          distinct(identity, () => {
            reads++;
            return undefined;
          }),
        ),
      ).toBe(expected);
    });
    expect(reads).toBe(1);
  });

  it('should let the first render through when there is no file yet', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' -a|');
      const expected = '-a|';

      expectObservable(e1.pipe(distinct(identity, () => undefined))).toBe(expected);
    });
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<string>(' |');
      const e1subs = '  (^!)';
      const expected = '|';

      expectObservable(e1.pipe(distinct(identity, () => undefined))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through untouched', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const error = new Error('render failed');
      const e1 = hot('  -a-a-#', undefined, error);
      const e1subs = '  ^----!';
      const expected = '-a---#';

      expectObservable(e1.pipe(distinct(identity, () => undefined))).toBe(expected, undefined, error);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should allow unsubscribing early and explicitly', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--b--c--|');
      const unsub = '   -----!';
      const e1subs = '  ^----!';
      const expected = '-a--b-';

      expectObservable(e1.pipe(distinct(identity, () => undefined)), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});
