/**
 * Durations as OpenClaw's `parseDurationMs` reads `heartbeat.every` (default unit minutes). Pure.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The milliseconds of `30s`, `5m`, `1h30m`, `500ms`, `2d` or a bare number of minutes (trimmed, any
 * case); undefined when the text is not such a duration or is not a whole safe number of milliseconds.
 */
export function durationMs(text: string): number | undefined {
  // A roster repeats a few intervals ("30m", "1h"): each distinct text is parsed once.
  if (known.has(text)) return known.get(text);
  const ms = parse(text);
  if (known.size >= 256) known.clear();
  known.set(text, ms);
  return ms;
}

const known = new Map<string, number | undefined>();

function parse(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed.length > 64) return undefined;
  const single = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(trimmed);
  if (single) return safeMs(Number(single[1]) * UNIT_MS[single[2] ?? 'm']!);
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    if (match.index !== consumed) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  return consumed === trimmed.length ? safeMs(total) : undefined;
}

function safeMs(ms: number): number | undefined {
  const rounded = Math.round(ms);
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}
