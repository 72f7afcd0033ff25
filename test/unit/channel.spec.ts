import { describe, expect, it } from 'vitest';
import { CHANNEL_MAX_BYTES, checkChannel, DEFAULT_CHANNEL, triggerChannelFor, utf8Bytes } from '../../src/domain/channel.js';

describe('checkChannel', () => {
  it('can count a channel in bytes, not characters', () => {
    expect(utf8Bytes('é'.repeat(40))).toBe(80);
    expect(checkChannel('é'.repeat(40))).toEqual({
      ok: false,
      reason: "must be at most 63 bytes in UTF-8 (PostgreSQL's limit for a channel name), got 80 bytes (40 characters)",
    });
    expect(checkChannel('😀'.repeat(16))).toMatchObject({ ok: false, reason: expect.stringContaining('got 64 bytes (16 characters)') });
  });

  it('can accept 1 to 63 bytes, trimmed', () => {
    expect(CHANNEL_MAX_BYTES).toBe(63);
    expect(checkChannel('x')).toEqual({ ok: true, channel: 'x' });
    expect(checkChannel(`  ${'x'.repeat(63)}\t`)).toEqual({ ok: true, channel: 'x'.repeat(63) });
    expect(checkChannel(`${'é'.repeat(31)}x`)).toEqual({ ok: true, channel: `${'é'.repeat(31)}x` });
    expect(checkChannel(' name ')).toEqual({ ok: true, channel: 'name' });
  });

  it('can refuse an empty or blank channel and a NUL', () => {
    expect(checkChannel('')).toMatchObject({ ok: false, reason: expect.stringContaining('got an empty one') });
    expect(checkChannel(' \t\n')).toMatchObject({ ok: false, reason: expect.stringContaining('got an empty one') });
    expect(checkChannel('a\0b')).toMatchObject({ ok: false, reason: 'must not contain a NUL character' });
  });
});

describe('triggerChannelFor', () => {
  it('can follow the trigger functions: the setting trimmed, else the default', () => {
    expect(triggerChannelFor(null)).toBe(DEFAULT_CHANNEL);
    expect(triggerChannelFor(undefined)).toBe(DEFAULT_CHANNEL);
    expect(triggerChannelFor('')).toBe(DEFAULT_CHANNEL);
    expect(triggerChannelFor(' \t\n\r\f\v ')).toBe(DEFAULT_CHANNEL);
    expect(triggerChannelFor('é'.repeat(32))).toBe(DEFAULT_CHANNEL);
    expect(triggerChannelFor('x'.repeat(64))).toBe(DEFAULT_CHANNEL);
    expect(triggerChannelFor(' fleet ')).toBe('fleet');
    expect(triggerChannelFor(`${'é'.repeat(31)}x`)).toBe(`${'é'.repeat(31)}x`);
  });
});
