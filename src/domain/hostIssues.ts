import type { HostIssue } from './hostRules.js';

/** One issue as the host gives it: a dotted path from the config root (`bindings.0.agentId`) and a message. */
export interface RawIssue {
  path: string;
  message: string;
}

/**
 * The host's own issues (`[{path, message}]`, `path` dotted from the config root, as both `config
 * validate --json` and the in-process validator give them) as issues below the agents object. An
 * unknown key, which the host reports on its parent (`Unrecognized key: "foo"`), ends the path. An
 * issue outside the agents object keeps its place in the message, with an empty path. Pure.
 */
export function hostIssues(issues: unknown): HostIssue[] {
  const out: HostIssue[] = [];
  for (const issue of Array.isArray(issues) ? issues : []) {
    const { path: where, message } = (issue ?? {}) as { path?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : 'invalid';
    const segments = typeof where === 'string' && where !== '' ? where.split('.') : [];
    if (segments[0] !== 'agents') {
      out.push({ path: [], message: `${typeof where === 'string' && where !== '' ? where : '(root)'}: ${text}` });
      continue;
    }
    const below = segments.slice(1).map((s, i) => (i === 1 && /^\d+$/.test(s) && segments[1] === 'list' ? Number(s) : s));
    const unknown = /^Unrecognized keys?: (.*)$/s.exec(text);
    if (unknown) {
      const keys = [...unknown[1]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => safeJsonString(m[1]!));
      for (const key of keys) out.push({ path: [...below, key], message: 'is not an accepted key' });
      if (keys.length > 0) continue;
    }
    out.push({ path: below, message: text });
  }
  return out;
}

/** The host's issues as given (any shape) made total: a dotted string path and a message each. */
export function rawIssues(issues: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of Array.isArray(issues) ? issues : []) {
    const { path: where, message } = (issue ?? {}) as { path?: unknown; message?: unknown };
    out.push({
      path: typeof where === 'string' ? where : Array.isArray(where) ? where.map(String).join('.') : '',
      message: typeof message === 'string' ? message : 'invalid',
    });
  }
  return out;
}

function safeJsonString(inner: string): string {
  try {
    return JSON.parse(`"${inner}"`) as string;
  } catch {
    return inner;
  }
}
