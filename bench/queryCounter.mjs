// Counts the statements the pipelines in this process send (every pg.Client#query call: pg-listen's
// keep-alive, the status writer's upsert, a snapshot's round trips), by their first words, excluding
// the clients the bench itself uses to observe. Exact, unlike the server's per-database transaction
// counters, which a backend reports late.
import pg from 'pg';

const excluded = new WeakSet();
let counts;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  if (counts && !excluded.has(this)) {
    const text = typeof config === 'string' ? config : config?.text ?? '';
    const kind = text.trim().split(/\s+/).slice(0, 2).join(' ').replace(/[^A-Za-z_ ]/g, '').slice(0, 40) || '(other)';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return original.call(this, config, ...rest);
};

/** This client's queries are the bench's own: never counted. */
export function exclude(client) {
  excluded.add(client);
  return client;
}

/** Starts counting from zero. */
export function startCounting() {
  counts = new Map();
}

/** Stops counting; the statements sent since {@link startCounting}, in all and by kind. */
export function stopCounting() {
  const byKind = Object.fromEntries([...(counts ?? new Map())].sort((a, b) => b[1] - a[1]));
  counts = undefined;
  return { total: Object.values(byKind).reduce((n, c) => n + c, 0), byKind };
}
