import { describe, it, expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { makeStartupTick } from '../../src/streams/startupTick.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

describe('makeStartupTick', () => {
  it('should not tick when LISTEN connects within the wait (its `connected` is the first read)', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const connected = hot('--c---c-');
      const failed = hot('   --------');
      const subs = '         ^-!';
      expectObservable(makeStartupTick({ connected$: connected, failed$: failed, waitMs: 5 })).toBe('--|');
      expectSubscriptions(connected.subscriptions).toBe(subs);
    });
  });

  it('should tick once when LISTEN is not up within the wait', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const connected = hot('--------c-');
      const failed = hot('   ----------');
      expectObservable(makeStartupTick({ connected$: connected, failed$: failed, waitMs: 5 })).toBe('-----(s|)', { s: 'startup' });
    });
  });

  it('should tick at once when LISTEN fails before the wait is over, and only once', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const connected = hot('--------c-');
      const failed = hot('   -f-f------');
      expectObservable(makeStartupTick({ connected$: connected, failed$: failed, waitMs: 5 })).toBe('-(s|)', { s: 'startup' });
    });
  });
});
