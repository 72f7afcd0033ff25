import { describe, it, expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import type { RenderOptions } from '../../src/domain/render.js';
import type { Problem, Rendered, Snapshot } from '../../src/domain/types.js';
import { render } from '../../src/operators/render.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

const s1: Snapshot = { agents: [{ name: 'Alpha', model: 'openai/gpt-5' }], systemConfig: [], columns: [] };
const s2: Snapshot = {
  agents: [
    { name: 'alpha', model: 'openai/gpt-5' },
    { name: 'bad name!', model: 'x' },
  ],
  systemConfig: [],
  columns: [],
};

/** The canonical text: 2-space JSON plus a trailing newline. */
const canonical = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const r1: Rendered = { text: canonical({ agents: { entries: { alpha: { model: 'openai/gpt-5' } } } }), agentCount: 1, problems: [] };
const badNameProblem: Problem = {
  key: 'agents:bad-id:undefined/bad name!',
  message:
    'agents row name="bad name!": name is not a valid agent id (lower case letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit); row skipped',
};
const r2: Rendered = { ...r1, problems: [badNameProblem] };

describe('render', () => {
  it('should behave as its marble diagram: one canonical text per snapshot', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  --a----b--|', { a: s1, b: s2 });
      const e1subs = '  ^---------!';
      const expected = '--a----b--|';

      expectObservable(e1.pipe(render({ format: 'entries', layout: 'root' }))).toBe(expected, { a: r1, b: r2 });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should lay the file out as the options say (legacy list, section layout)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' -a|', { a: s1 });
      const expected = '-a|';

      expectObservable(e1.pipe(render({ format: 'list', layout: 'section' }))).toBe(expected, {
        a: { text: canonical({ list: [{ id: 'alpha', model: 'openai/gpt-5' }] }), agentCount: 1, problems: [] },
      });
    });
  });

  it('should read options given as a function again at each snapshot', () => {
    // The host changes shape between the two snapshots (e.g. after an upgrade).
    const asked: RenderOptions[] = [
      { format: 'entries', layout: 'root' },
      { format: 'list', layout: 'section' },
    ];
    let calls = 0;
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  -a---a-|', { a: s1 });
      const expected = '-x---y-|';

      expectObservable(e1.pipe(render(() => asked[calls++]!))).toBe(expected, {
        x: r1,
        y: { text: canonical({ list: [{ id: 'alpha', model: 'openai/gpt-5' }] }), agentCount: 1, problems: [] },
      });
    });
    expect(calls).toBe(2);
  });

  it('should hand each snapshot its own problems, in order', () => {
    const seen: Problem[][] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const e1 = cold(' a-b-a|', { a: s1, b: s2 });
      const expected = 'x-y-x|';

      expectObservable(e1.pipe(render({ format: 'entries', layout: 'root' }, (p) => seen.push(p)))).toBe(expected, { x: r1, y: r2 });
    });
    expect(seen).toEqual([[], [badNameProblem], []]);
  });

  it('should complete without rendering when the source is empty', () => {
    const seen: Problem[][] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<Snapshot>(' |');
      const e1subs = '  (^!)';
      const expected = '|';

      expectObservable(e1.pipe(render({ format: 'entries', layout: 'root' }, (p) => seen.push(p)))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(seen).toEqual([]);
  });

  it('should pass an error through untouched', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const error = new Error('snapshot stream failed');
      const e1 = hot('  -a-#', { a: s1 }, error);
      const e1subs = '  ^--!';
      const expected = '-a-#';

      expectObservable(e1.pipe(render({ format: 'entries', layout: 'root' }))).toBe(expected, { a: r1 }, error);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should allow unsubscribing early and explicitly', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a---a--|', { a: s1 });
      const unsub = '   ---!';
      const e1subs = '  ^--!';
      const expected = '-a--';

      expectObservable(e1.pipe(render({ format: 'entries', layout: 'root' })), unsub).toBe(expected, { a: r1 });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});
