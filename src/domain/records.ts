/**
 * The two meanings of "an object" in this code, each written once. Parsed config (openclaw.json,
 * agents.json, a host's verdict) is walked with {@link isRecord}; row data from the database, which
 * must hold only JSON values, is read with {@link isPlainObject}.
 */

/** Any object that is not an array: what JSON and JSON5 parse `{…}` into, as parsed config is walked. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain JSON object (what jsonb `{…}` arrives as), not an array, a Date or a bytea. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
