import { describe, it, expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { makeReconcileTick } from '../../src/streams/reconcileTick.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

describe('makeReconcileTick', () => {
  it('should tick once per period, forever', () => {
    newScheduler().run(({ expectObservable }) => {
      const unsub = '  -----------!';
      expectObservable(makeReconcileTick(3), unsub).toBe('---r--r--r--', { r: 'reconcile' });
    });
  });

  it('should never tick when the period is 0', () => {
    newScheduler().run(({ expectObservable }) => {
      expectObservable(makeReconcileTick(0)).toBe('|');
    });
  });

  it('should refuse a negative or non-finite period with a sentence naming reconcileMs', () => {
    expect(() => makeReconcileTick(-1)).toThrow(/reconcileMs must be a whole number of milliseconds >= 0/);
    expect(() => makeReconcileTick(Number.NaN)).toThrow(/reconcileMs/);
  });
});
