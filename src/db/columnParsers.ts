import pg from 'pg';

/**
 * How a column's text (PostgreSQL's text output) becomes a value. The types an agents source
 * usually has are parsed here, the same way node-postgres parses them but without a per-element
 * callback, and independent of parsers other code in the process registered globally (a host may
 * share `pg.types` with other plugins); every other type uses node-postgres's parser.
 */
export type ColumnParser = (text: string) => unknown;

const BOOL = 16;
const INT2 = 21;
const INT4 = 23;
const TEXT_TYPES = new Set([25, 1043, 1042, 19]); // text, varchar, bpchar, name
const TEXT_ARRAYS = new Set([1009, 1015, 1014, 1003]); // text[], varchar[], bpchar[], name[]

const asIs: ColumnParser = (text) => text;
/**
 * node-postgres's own string-array parser (pg-types' arrayParser, the one it registers for text[],
 * varchar[] and bpchar[]), used for every text array the fast path leaves: the same for all four
 * types — node-postgres registers none for name[], whose quoted values would otherwise stay raw text
 * while its unquoted ones are split — and not one another plugin replaced globally.
 */
const fullTextArray: ColumnParser = (text) => (pg.types as unknown as { arrayParser: { create(source: string): { parse(): unknown } } }).arrayParser.create(text).parse();
const bool: ColumnParser = (text) => text === 't';
const int: ColumnParser = (text) => Number.parseInt(text, 10);

/** The parser of a column of this type (text format). */
export function columnParser(dataTypeID: number): ColumnParser {
  if (TEXT_TYPES.has(dataTypeID)) return asIs;
  if (dataTypeID === BOOL) return bool;
  if (dataTypeID === INT4 || dataTypeID === INT2) return int;
  if (TEXT_ARRAYS.has(dataTypeID)) return (text) => simpleTextArray(text) ?? fullTextArray(text);
  return pg.types.getTypeParser(dataTypeID, 'text') as ColumnParser;
}

/**
 * A one-dimensional text array whose elements PostgreSQL did not quote (`{a,b,NULL}`): split at the
 * commas. PostgreSQL quotes every element that is empty, holds a comma, brace, quote, backslash or
 * white space, or spells NULL in any case; so an unquoted `NULL` is the null element (as
 * node-postgres reads it). Anything else (quotes, escapes, nesting, explicit bounds) returns
 * undefined and goes to the full parser.
 */
export function simpleTextArray(text: string): (string | null)[] | undefined {
  const last = text.length - 1;
  if (last < 1 || text.charCodeAt(0) !== 0x7b || text.charCodeAt(last) !== 0x7d) return undefined;
  if (last === 1) return [];
  const inner = text.slice(1, last);
  if (/["\\{}\s]/.test(inner)) return undefined;
  const parts = inner.split(',');
  const out: (string | null)[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i]!;
    if (part === '') return undefined; // not PostgreSQL's output: let the full parser decide
    out[i] = part === 'NULL' ? null : part;
  }
  return out;
}
