import { describe, it, expect } from 'vitest';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { hostCheck } from '../../src/operators/hostCheck.js';
import type { Rendered } from '../../src/domain/types.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** A value with context around its render, as the flow carries it. */
const value = (text: string, trigger = 'notification') => ({ trigger, rendered: { text, agentCount: 1, problems: [] } as Rendered });
const checked = (text: string, trigger = 'notification') => value(text.toUpperCase(), trigger);

/** A check that hands out, per render text, the given answers in turn (an unplanned one never settles). */
function checks(plan: Record<string, Observable<Rendered>[]>): { check: (r: Rendered) => Observable<Rendered>; asked: string[] } {
  const asked: string[] = [];
  const used: Record<string, number> = {};
  return {
    check: (r) => {
      asked.push(r.text);
      const n = used[r.text] ?? 0;
      used[r.text] = n + 1;
      return plan[r.text]?.[n] ?? NEVER;
    },
    asked,
  };
}

/** The check's answer for a render: its text in capitals (the roster as the host accepts it). */
const answer = (text: string) => ({ text, agentCount: 1, problems: [] }) as Rendered;

describe('hostCheck', () => {
  it('should behave as its marble diagram: one check in flight, the latest waiting render next, context kept', () => {
    let asked: string[] = [];
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a-bc-----------|', { a: value('a', 'startup'), b: value('b'), c: value('c', 'drift') });
      const e1subs = '  ^----------------!';
      const ca = cold('   ---(A|)', { A: answer('A') });
      const casubs = '  --^--!';
      const cc = cold('      ---(C|)', { C: answer('C') });
      const expected = '-----A--C--------|';
      const { check, asked: seen } = checks({ a: [ca], c: [cc] });
      asked = seen;
      expectObservable(e1.pipe(hostCheck(check))).toBe(expected, { A: checked('a', 'startup'), C: checked('c', 'drift') });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      expectSubscriptions(ca.subscriptions).toBe(casubs);
    });
    expect(asked).toEqual(['a', 'c']);
  });

  it('should retry a check that errors after the retry delay, and pass its answer on', () => {
    let asked: string[] = [];
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const e1 = hot('  --a--------|', { a: value('a') });
      const first = cold<Rendered>('  -#');
      const second = cold('      --(A|)', { A: answer('A') });
      const expected = '--------A--|';
      const { check, asked: seen } = checks({ a: [first, second] });
      asked = seen;
      expectObservable(e1.pipe(hostCheck(check, { retryDelay: () => 3 }))).toBe(expected, { A: checked('a') });
    });
    expect(asked).toEqual(['a', 'a']);
  });

  it('should finish the running check and the waiting render before completing', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' ab|', { a: value('a'), b: value('b') });
      const ca = cold(' ---(A|)', { A: answer('A') });
      const cb = cold('    --(B|)', { B: answer('B') });
      const expected = '---A-(B|)';
      const { check } = checks({ a: [ca], b: [cb] });
      expectObservable(e1.pipe(hostCheck(check))).toBe(expected, { A: checked('a'), B: checked('b') });
    });
  });

  it('should complete when the source is empty', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold<ReturnType<typeof value>>(' |');
      const { check } = checks({});
      expectObservable(e1.pipe(hostCheck(check))).toBe('|');
    });
  });

  it('should raise the source error and end the running check', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a--#', { a: value('a') });
      const ca = cold('  -----(A|)', { A: answer('A') });
      const casubs = '  -^--!';
      const { check } = checks({ a: [ca] });
      expectObservable(e1.pipe(hostCheck(check))).toBe('----#');
      expectSubscriptions(ca.subscriptions).toBe(casubs);
    });
  });

  it('should allow unsubscribing early and explicitly, ending the running check', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a---------|', { a: value('a') });
      const ca = cold('  ------(A|)', { A: answer('A') });
      const casubs = '  -^--!';
      const unsub = '   ----!';
      const { check } = checks({ a: [ca] });
      expectObservable(e1.pipe(hostCheck(check)), unsub).toBe('----');
      expectSubscriptions(ca.subscriptions).toBe(casubs);
    });
  });
});
