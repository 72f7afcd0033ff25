/**
 * Channel names (docs/design.md §3), one rule for every place that takes one: the plugin's `channel`, the
 * CLI's `--channel` and `migrate --channel` (agent-install.sh applies the same rule in bash).
 *
 * PostgreSQL limits a channel to 63 **bytes** (NAMEDATALEN - 1): `pg_notify` refuses a longer one
 * ("channel name too long") and `LISTEN "…"` silently truncates it, so a name that is short in
 * characters but long in bytes (40 × "é" is 80 bytes) would split the listener from the triggers.
 * Names are trimmed first, so `" name "` and `"name"` are the same channel everywhere. Pure: no I/O.
 */

/** The channel the triggers notify when the database names none (or an unusable one). */
export const DEFAULT_CHANNEL = 'agent_config_changed';

/** PostgreSQL's identifier limit in bytes (NAMEDATALEN 64 minus the terminator). */
export const CHANNEL_MAX_BYTES = 63;

const encoder = new TextEncoder();

/** Length of `text` in UTF-8 bytes, the client encoding the plugin and the CLI use. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** A channel as given, checked: the trimmed name, or why it is refused. */
export type ChannelCheck = { ok: true; channel: string } | { ok: false; reason: string };

/**
 * Trims `raw` and checks it is a usable channel: 1 to {@link CHANNEL_MAX_BYTES} bytes in UTF-8, no
 * NUL. The reason reads after the name of the setting: `"<key> must be …"`.
 */
export function checkChannel(raw: string): ChannelCheck {
  const channel = raw.trim();
  if (channel === '') return { ok: false, reason: `must be a channel name of 1 to ${CHANNEL_MAX_BYTES} bytes, got an empty one` };
  if (channel.includes('\0')) return { ok: false, reason: 'must not contain a NUL character' };
  const bytes = utf8Bytes(channel);
  if (bytes > CHANNEL_MAX_BYTES) {
    const chars = [...channel].length;
    return {
      ok: false,
      reason: `must be at most ${CHANNEL_MAX_BYTES} bytes in UTF-8 (PostgreSQL's limit for a channel name), got ${bytes} bytes (${chars} characters)`,
    };
  }
  return { ok: true, channel };
}

/** ASCII whitespace, the set the trigger functions trim (`btrim` with these characters). */
const SQL_TRIMMED = /^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g;

/**
 * The channel the shipped trigger functions notify for a database setting of
 * `agent_config_sync.channel` (mirrors the SQL in sql/162 and sql/163): the setting trimmed, or
 * {@link DEFAULT_CHANNEL} when it is unset, blank or longer than {@link CHANNEL_MAX_BYTES} bytes.
 */
export function triggerChannelFor(setting: string | null | undefined): string {
  const trimmed = (setting ?? '').replace(SQL_TRIMMED, '');
  return trimmed !== '' && utf8Bytes(trimmed) <= CHANNEL_MAX_BYTES ? trimmed : DEFAULT_CHANNEL;
}
