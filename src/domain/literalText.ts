import { compareVersions, type HostVersion } from './hostProfile.js';

/**
 * Literal text: a string from the database reaches the host as the text the row holds, never as a
 * reference the host resolves. OpenClaw substitutes `${NAME}` (NAME of `A-Z`, `0-9`, `_`, not
 * starting with a digit, up to the first `}`) with the gateway's environment in every string of its
 * config, includes too, and writes `$${NAME}` as the literal `${NAME}`: a row could otherwise make
 * the gateway show or send its own secrets. Read in the installed 2026.4.29, 2026.7.35, 2026.8.2 and
 * 2026.9.6 (`src/config/env-substitution.ts`: the same token grammar in all four). Pure: no I/O.
 */

/** The oldest host whose escape was read and proven; an older one gets such values refused instead. */
export const ESCAPE_SINCE: HostVersion = { year: 2026, month: 4, patch: 29 };

/** True when this host turns `$${NAME}` into the literal `${NAME}` (an unknown version is taken as the newest). */
export function hostEscapesEnv(version: HostVersion | undefined): boolean {
  return version === undefined || compareVersions(version, ESCAPE_SINCE) >= 0;
}

/** True when `text[from, end)` is a name the host substitutes: `A-Z` or `_`, then `A-Z`, `0-9` or `_` (no slice, no regex). */
function isEnvName(text: string, from: number, end: number): boolean {
  if (end <= from) return false;
  for (let i = from; i < end; i += 1) {
    const c = text.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const underscore = c === 95;
    const digit = c >= 48 && c <= 57;
    if (!(upper || underscore || (digit && i > from))) return false;
  }
  return true;
}

/**
 * Calls `found` with the start of each `${NAME}` the host would substitute, in order. The host reads
 * NAME up to the first `}` after `${`; a `${` without a `}` after it ends the search (none can follow).
 */
function eachReference(text: string, found: (at: number) => void): void {
  for (let at = text.indexOf('${'); at !== -1; at = text.indexOf('${', at + 1)) {
    const end = text.indexOf('}', at + 2);
    if (end === -1) return;
    if (isEnvName(text, at + 2, end)) found(at);
  }
}

/** True when the host would substitute something in `text`. */
export function hasEnvReference(text: string): boolean {
  if (!text.includes('${')) return false;
  let any = false;
  eachReference(text, () => (any = true));
  return any;
}

/**
 * `text` written so the host reads it back as `text`: one more `$` before each `${NAME}` it would
 * substitute. The host reads `$${NAME}` as the literal `${NAME}` and any other `$` as itself, so
 * `${HOME}` → `$${HOME}` and `$${HOME}` → `$$${HOME}` (read back as `$${HOME}`). A text without a
 * reference is returned as it is (the common case costs one `includes`).
 */
export function escapeEnvReferences(text: string): string {
  if (!text.includes('${')) return text;
  let out = '';
  let from = 0;
  eachReference(text, (at) => {
    out += `${text.slice(from, at)}$`;
    from = at;
  });
  return out === '' ? text : out + text.slice(from);
}

/**
 * True for a whole value the host reads as an env SecretRef in its secret fields (`$NAME` or
 * `${NAME}`, trimmed; NAME an upper-case env name): escaping does not help there, since the
 * unescaped `${NAME}` is itself the SecretRef form.
 */
export function isSecretShorthand(text: string): boolean {
  return text.length <= 140 && /^\s*\$(?:\{[A-Z][A-Z0-9_]{0,127}\}|[A-Z][A-Z0-9_]{0,127})\s*$/.test(text);
}

/**
 * True for an object the host may read as a SecretRef (`{source, provider, id}`, or the older
 * `{source, id}`): a row never names a secret of the host.
 */
export function isSecretRefShaped(value: Record<string, unknown>): boolean {
  return Object.hasOwn(value, 'source') && Object.hasOwn(value, 'id');
}
