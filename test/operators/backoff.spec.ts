import { describe, it, expect } from 'vitest';
import { retry, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { makeBackoff, reconnectDelay } from '../../src/domain/backoff.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

describe('reconnectDelay', () => {
  it('should wait 5 s before the first retry, doubling up to 60 s, and stay there', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((attempt) => reconnectDelay(attempt))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('should stay finite and capped for huge attempt numbers', () => {
    expect(reconnectDelay(1e9)).toBe(60_000);
    expect(reconnectDelay(Number.MAX_SAFE_INTEGER)).toBe(60_000);
  });

  it('should treat attempt 0, below 1 and fractions as the floor, never less than the base', () => {
    expect(reconnectDelay(0)).toBe(5_000);
    expect(reconnectDelay(-3)).toBe(5_000);
    expect(reconnectDelay(2.9)).toBe(10_000);
  });

  it('should take another base and ceiling', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => reconnectDelay(attempt, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000]);
    const fast = makeBackoff(10, 35);
    expect([1, 2, 3, 4].map(fast)).toEqual([10, 20, 35, 35]);
  });

  it('should space the resubscriptions of rxjs retry 5 s, 10 s, 20 s, 40 s, 60 s, 60 s apart', () => {
    // The shape of streams/notifications.ts: retry forever, the delay from reconnectDelay(attempt).
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('#');
      const unsub = '   200s !';
      const expected = '-';
      const e1subs = [
        '               (^!)',
        '               5s (^!)',
        '               15s (^!)',
        '               35s (^!)',
        '               75s (^!)',
        '               135s (^!)',
        '               195s (^!)',
      ];

      const result = e1.pipe(retry({ delay: (_error: unknown, attempt: number) => timer(reconnectDelay(attempt)) }));
      expectObservable(result, unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should start again from 5 s after a connection that worked, with resetOnSuccess', () => {
    // Each connection emits (connected) and is lost 2 frames later: every loss is attempt 1.
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold(' c-#');
      const unsub = '   12s !';
      const expected = 'c 5001ms c 5001ms c';
      const e1subs = ['^-!', '5002ms ^-!', '10004ms ^-!'];

      const result = e1.pipe(
        retry({ resetOnSuccess: true, delay: (_error: unknown, attempt: number) => timer(reconnectDelay(attempt)) }),
      );
      expectObservable(result, unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});
