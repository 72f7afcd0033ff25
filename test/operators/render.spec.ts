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

// A render also carries the model it laid out (for the host check to leave a setting out and render again)
// and what our rules for the host found in it, for those render options (so the guard need not parse the text).
const r1: Rendered = {
  text: canonical({ agents: { entries: { alpha: { model: 'openai/gpt-5' } } } }),
  agentCount: 1,
  problems: [],
  model: expect.anything(),
  ourRules: { reasons: [], for: 'entries/root/-' },
};
const listSection: Rendered = {
  text: canonical({ list: [{ id: 'alpha', model: 'openai/gpt-5' }] }),
  agentCount: 1,
  problems: [],
  model: expect.anything(),
  ourRules: { reasons: [], for: 'list/section/-' },
};
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
        a: listSection,
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
        y: listSection,
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

  it('should render a snapshot with hostile values instead of erroring, and go on', () => {
    // A view returned jsonb where text was expected: String() on it would throw (issue 10).
    const hostile: Snapshot = {
      agents: [
        { id: 1, name: 'alpha', model: 'openai/gpt-5' },
        { id: 2, name: JSON.parse('{"toString": 0}') as unknown, model: 'x' },
        { id: Object.create(null) as unknown, name: 'beta', model: 'y', fallback_models: [JSON.parse('{"valueOf": 0}') as unknown] },
      ],
      systemConfig: [{ key: 'max_spawn_depth', value: JSON.parse('{"toString": 0}') as unknown, value_type: JSON.parse('{"toString": 0}') as unknown }],
      columns: [],
    };
    const seen: Problem[][] = [];
    newScheduler().run(({ hot, expectObservable }) => {
      const e1 = hot('  -a-h-a-|', { a: s1, h: hostile });
      const expected = '-x-y-x-|';

      expectObservable(e1.pipe(render({ format: 'entries', layout: 'root' }, (p) => seen.push(p)))).toBe(expected, {
        x: r1,
        y: {
          text: canonical({ agents: { ownership: 'explicit', entries: { alpha: { model: 'openai/gpt-5' }, beta: { model: 'y' } } } }),
          agentCount: 2,
          problems: expect.any(Array),
          model: expect.anything(),
          ourRules: { reasons: [], for: 'entries/root/-' },
        },
      });
    });
    expect(seen[1]!.map((p) => p.message)).toEqual([
      'agent_system_config key "max_spawn_depth": value_type an object with key "toString" does not match the key\'s type (integer); skipped',
      'agents row id=2 (name an object with key "toString"): name is not a valid agent id (lower case letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit); row skipped',
      'agents row id=an empty object (name "beta"): id is not a number or text (object); ignored (the row is ordered by its name)',
      'agents row id=an empty object (name "beta"): fallback_models[1] an object with key "valueOf" is not valid; element dropped',
    ]);
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
