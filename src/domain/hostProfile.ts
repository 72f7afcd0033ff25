import type { RosterFormat } from './types.js';

/** A parsed OpenClaw calendar version such as 2026.8.2. */
export interface HostVersion {
  year: number;
  month: number;
  patch: number;
}

/** First host version whose watcher follows included files and that reads the keyed roster. */
export const ENTRIES_SINCE: HostVersion = { year: 2026, month: 8, patch: 0 };

/** Parses "2026.8.2", "2026.8.1-beta.3" or "v2026.9.6"; undefined when it is not a version. */
export function parseHostVersion(text: unknown): HostVersion | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^v?(\d{4})\.(\d{1,2})\.(\d+)/.exec(text.trim());
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]), patch: Number(match[3]) };
}

export function compareVersions(a: HostVersion, b: HostVersion): number {
  return a.year - b.year || a.month - b.month || a.patch - b.patch;
}

/** True on hosts (≥ 2026.8) that read `agents.entries` and hot-reload when an included file changes. */
export function isModernHost(version: HostVersion | undefined): boolean {
  // Unknown version: assume the newest behaviour, since new hosts are what an unknown string most likely is.
  return version === undefined || compareVersions(version, ENTRIES_SINCE) >= 0;
}

/** The roster shape the host accepts (docs/design.md §4). */
export function rosterFormatFor(version: HostVersion | undefined): RosterFormat {
  return isModernHost(version) ? 'entries' : 'list';
}

/** Reload options of the plugin and CLI (docs/design.md §5). */
export type ReloadOption = 'auto' | 'touch' | 'signal' | 'none';

/** What to do after a write. */
export type ReloadAction =
  | { kind: 'none'; why: string }
  | { kind: 'touch'; why: string }
  | { kind: 'signal'; signal: NodeJS.Signals; why: string };

/**
 * Decides the reload mechanism. `auto`: nothing on hosts that watch included files (the write is
 * the reload), a touch of openclaw.json on older hosts. A signal only when asked for explicitly;
 * whether anything handles it is checked again at send time (see the reload operator).
 */
export function decideReload(option: ReloadOption, version: HostVersion | undefined, signal: NodeJS.Signals): ReloadAction {
  switch (option) {
    case 'none':
      return { kind: 'none', why: 'set by the reload option' };
    case 'touch':
      return { kind: 'touch', why: "openclaw.json's mtime is touched after each write, as the reload option says" };
    case 'signal':
      return { kind: 'signal', signal, why: `${signal} is sent to this process after each write, as the reload option says` };
    case 'auto':
      return isModernHost(version)
        ? { kind: 'none', why: 'not needed: the host watches included files, so the write itself is the reload' }
        : { kind: 'touch', why: "the host watches openclaw.json only, so its mtime is touched after each write" };
  }
}

/** Formats a version for log lines. */
export function formatVersion(version: HostVersion | undefined): string {
  return version ? `${version.year}.${version.month}.${version.patch}` : 'unknown';
}
