import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { columnParser, simpleTextArray } from '../../src/db/columnParsers.js';

/** node-postgres's own text[] parser (postgres-array): what the fast path must agree with. */
const library = (text: string) => (pg.types.getTypeParser(1009 as never, 'text') as (t: string) => unknown)(text);

describe('simpleTextArray', () => {
  it.each([
    ['{}', []],
    ['{openai/gpt-5}', ['openai/gpt-5']],
    ['{a,b,NULL}', ['a', 'b', null]],
    ['{NULL}', [null]],
    ['{é,日本,🙂}', ['é', '日本', '🙂']],
    ['{a-b_c.d:e@f}', ['a-b_c.d:e@f']],
  ])('should split %s as node-postgres reads it', (text, want) => {
    expect(simpleTextArray(text)).toEqual(want);
    expect(library(text)).toEqual(want);
  });

  it.each([
    '{"a b",c}', // quoted (white space)
    '{"",a}', // an empty element
    '{"NULL"}', // the text NULL, not the null element
    '{"a\\"b"}', // an escaped quote
    '{"a\\\\b"}', // an escaped backslash
    '{{a,b},{c,d}}', // two dimensions
    '[0:1]={a,b}', // explicit bounds
    '{a,,b}', // not PostgreSQL's output
    '{a',
    'a}',
    '',
    '{',
    '{a\tb}',
  ])('should leave %j to the full parser', (text) => {
    expect(simpleTextArray(text)).toBeUndefined();
  });

  it('should read every array of the corpus as the library does, through the column parser', () => {
    const parse = columnParser(1009);
    const corpus = ['{}', '{a}', '{a,b,NULL}', '{"a b",NULL,c}', '{"",x}', '{"NULL",NULL}', '{"a\\"b","c\\\\d"}', '{{a,b},{c,d}}', '[0:1]={a,b}', '{null}'];
    for (const text of corpus) expect(parse(text)).toEqual(library(text));
  });
});

describe('columnParser', () => {
  it('should read bool, int and text columns as node-postgres does', () => {
    for (const [oid, texts] of [
      [16, ['t', 'f']],
      [23, ['0', '-2147483648', '2147483647', '42']],
      [21, ['-32768', '7']],
      [25, ['', 'a b', ' x ']],
      [1043, ['varchar']],
    ] as const) {
      const ours = columnParser(oid);
      const theirs = pg.types.getTypeParser(oid as never, 'text') as (t: string) => unknown;
      for (const text of texts) expect(ours(text)).toEqual(theirs(text));
    }
  });

  it('should not follow a parser another plugin registered globally for a type it reads itself', () => {
    const before = pg.types.getTypeParser(16 as never, 'text');
    pg.types.setTypeParser(16 as never, 'text', () => 'hijacked');
    try {
      expect(columnParser(16)('t')).toBe(true);
    } finally {
      pg.types.setTypeParser(16 as never, 'text', before as (t: string) => unknown);
    }
  });
});
