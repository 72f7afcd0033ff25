import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnParser } from '../../src/db/columnParsers.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The snapshot's column parsers against PostgreSQL's real text output: random text arrays (plain,
 * with white space, quotes, backslashes, braces, commas, NULL spelled in any case, empty elements,
 * NULL elements, non-ASCII) go through the server and come back as node-postgres's own parser reads them.
 */
describe('column parsers on real PostgreSQL output', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('parsers');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const pieces = ['a', 'openai/gpt-5', 'NULL', 'null', 'Null', '', ' ', 'a b', 'a,b', '{', '}', '"', '\\', 'é', '日本', '\t', 'x\ny', 'NULLS'];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const element = (): string | null => (random(8) === 0 ? null : Array.from({ length: 1 + random(3) }, () => pieces[random(pieces.length)]).join(''));

  it('should read 2 000 random text[] and varchar[] values exactly as node-postgres does', async () => {
    const arrays = Array.from({ length: 2_000 }, () => Array.from({ length: random(5) }, element));
    for (const type of ['text[]', 'varchar[]']) {
      const { rows, fields } = await client.query({
        text: `SELECT (v::${type})::text AS shown, v::${type} AS value FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS u (j, n), LATERAL (SELECT j::text[] AS v) AS x ORDER BY n`,
        values: [arrays.map((a) => `{${a.map((e) => (e === null ? 'NULL' : `"${e.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`)],
        rowMode: 'array',
        types: { getTypeParser: () => (t: string) => t } as never,
      });
      const parse = columnParser(fields[1]!.dataTypeID);
      const library = pg.types.getTypeParser(fields[1]!.dataTypeID as never, 'text') as (t: string) => unknown;
      rows.forEach((row, i) => {
        expect(parse(row[1] as string)).toEqual(library(row[1] as string));
        expect(parse(row[1] as string)).toEqual(arrays[i]);
      });
    }
  });

  it('should read bool, int4, int2 and text as node-postgres does', async () => {
    const { rows, fields } = await client.query({
      text: `SELECT true, false, 2147483647::int4, (-32768)::int2, 'a b'::text, 'x'::varchar(5)`,
      rowMode: 'array',
      types: { getTypeParser: () => (t: string) => t } as never,
    });
    fields.forEach((field, i) => {
      const library = pg.types.getTypeParser(field.dataTypeID as never, 'text') as (t: string) => unknown;
      expect(columnParser(field.dataTypeID)(rows[0]![i] as string)).toEqual(library(rows[0]![i] as string));
    });
  });
});
