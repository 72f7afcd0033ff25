import { describe, expect, it } from 'vitest';
import { decideReload, formatVersion, parseHostVersion, rosterFormatFor, type ReloadOption } from '../../src/domain/hostProfile.js';

describe('parseHostVersion', () => {
  it.each([
    ['2026.4.29', { year: 2026, month: 4, patch: 29 }],
    ['2026.7.35', { year: 2026, month: 7, patch: 35 }],
    ['2026.8.2', { year: 2026, month: 8, patch: 2 }],
    ['2026.9.6', { year: 2026, month: 9, patch: 6 }],
    ['v2026.9.6', { year: 2026, month: 9, patch: 6 }],
    [' 2026.8.1-beta.3 ', { year: 2026, month: 8, patch: 1 }],
    ['2026.12.0', { year: 2026, month: 12, patch: 0 }],
  ])('can parse %j', (text, expected) => {
    expect(parseHostVersion(text)).toEqual(expected);
  });

  it.each([[''], ['latest'], ['26.8.2'], ['2026.8'], ['2026.x.1'], [null], [undefined], [20260802]])('can reject %j', (text) => {
    expect(parseHostVersion(text)).toBeUndefined();
  });
});

describe('rosterFormatFor and decideReload (auto)', () => {
  it.each([
    ['2026.4.29', 'list', 'touch'],
    ['2026.7.35', 'list', 'touch'],
    ['2026.7.99', 'list', 'touch'],
    ['2026.8.0', 'entries', 'none'],
    ['2026.8.2', 'entries', 'none'],
    ['2026.9.6', 'entries', 'none'],
    ['2027.1.0', 'entries', 'none'],
    ['2025.12.40', 'list', 'touch'],
  ])('can pick the roster and reload for %s: %s + %s', (text, format, reload) => {
    const version = parseHostVersion(text);
    expect(version).toBeDefined();
    expect(rosterFormatFor(version)).toBe(format);
    expect(decideReload('auto', version, 'SIGUSR1').kind).toBe(reload);
    expect(formatVersion(version)).toBe(text);
  });

  it('can treat an unknown version as the newest host (entries, no reload)', () => {
    expect(rosterFormatFor(undefined)).toBe('entries');
    expect(decideReload('auto', undefined, 'SIGUSR1')).toEqual({ kind: 'none', why: expect.stringContaining('watches included files') });
    expect(formatVersion(undefined)).toBe('unknown');
  });

  it('can never choose a signal on auto', () => {
    for (const text of ['2026.4.29', '2026.7.35', '2026.8.2', '2026.9.6', 'nonsense']) {
      expect(decideReload('auto', parseHostVersion(text), 'SIGUSR1').kind).not.toBe('signal');
    }
  });
});

describe('decideReload (explicit options)', () => {
  const versions = ['2026.4.29', '2026.7.35', '2026.8.2', '2026.9.6', undefined];
  const table: [ReloadOption, NodeJS.Signals, unknown][] = [
    ['touch', 'SIGUSR1', { kind: 'touch', why: "openclaw.json's mtime is touched after each write, as the reload option says" }],
    ['none', 'SIGUSR1', { kind: 'none', why: 'set by the reload option' }],
    ['signal', 'SIGUSR1', { kind: 'signal', signal: 'SIGUSR1', why: 'SIGUSR1 is sent to this process after each write, as the reload option says' }],
    ['signal', 'SIGHUP', { kind: 'signal', signal: 'SIGHUP', why: 'SIGHUP is sent to this process after each write, as the reload option says' }],
  ];
  for (const [option, signal, expected] of table) {
    it(`can honour reload "${option}" (${signal}) on every host version`, () => {
      for (const text of versions) expect(decideReload(option, text === undefined ? undefined : parseHostVersion(text), signal)).toEqual(expected);
    });
  }
});
