// The ledger section of npm run bench (issue 20): what the change ledger adds to a writer's
// single-row UPDATE. One database, one row, three trigger setups measured in the same run,
// interleaved round by round so drift on the machine hits all three alike:
//   none         the notify trigger disabled (no trigger work at all)
//   notify only  the previous release's trigger function (pg_notify, no ledger row)
//   ledger       this release's (pg_notify + one ledger row, SECURITY DEFINER)
// Each UPDATE is timed at the client (one round trip on loopback), inside a transaction (the
// statement's own cost) and on its own (autocommit: the commit's WAL flush included, fsync on).
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.LEDGER_ROUNDS ?? 6);
const IN_TX = Number(process.env.LEDGER_IN_TX ?? 300);
const AUTOCOMMIT = Number(process.env.LEDGER_AUTOCOMMIT ?? 100);

/** @param {{ url: string, connect: (url: string) => Promise<any>, summary: (s: number[]) => any }} env */
export async function ledgerBench(env) {
  const current = fs.readFileSync(path.join(HERE, '../sql/162-agent-config-trigger.sql'), 'utf8');
  const previous = fs.readFileSync(path.join(HERE, '../test/fixtures/sql-before-ledger/162-agent-config-trigger.sql'), 'utf8');
  const client = await env.connect(env.url);
  const setups = {
    none: async () => {
      await client.query(current);
      await client.query('ALTER TABLE agents DISABLE TRIGGER agent_config_changed');
    },
    notifyOnly: async () => {
      await client.query(previous);
    },
    ledger: async () => {
      await client.query(current);
    },
  };
  const times = Object.fromEntries(Object.keys(setups).map((k) => [k, { inTransaction: [], autocommit: [] }]));
  let n = 0;
  const update = async () => {
    n += 1;
    const t0 = performance.now();
    await client.query(`UPDATE agents SET model = $1 WHERE name = 'agent-0'`, [`bench/model-${n % 2}`]);
    return (performance.now() - t0) * 1000;
  };
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, setup] of Object.entries(setups)) {
        await setup();
        // A few untimed statements first: the function's plan is cached per session after its first call.
        for (let i = 0; i < 5; i += 1) await update();
        await client.query('BEGIN');
        for (let i = 0; i < IN_TX; i += 1) times[name].inTransaction.push(await update());
        await client.query('COMMIT');
        for (let i = 0; i < AUTOCOMMIT; i += 1) times[name].autocommit.push(await update());
      }
    }
    const ledgerRows = Number((await client.query('SELECT count(*) AS n FROM agent_config_changes')).rows[0].n);
    const result = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { inTransactionUs: env.summary(v.inTransaction), autocommitUs: env.summary(v.autocommit) }]));
    return {
      rounds: ROUNDS,
      ...result,
      ledgerOverheadUs: {
        inTransactionP50: round(result.ledger.inTransactionUs.p50 - result.notifyOnly.inTransactionUs.p50),
        autocommitP50: round(result.ledger.autocommitUs.p50 - result.notifyOnly.autocommitUs.p50),
      },
      ledgerRowsWritten: ledgerRows,
    };
  } finally {
    await client.query(current).catch(() => undefined);
    await client.end();
  }
}

function round(x) {
  return Math.round(x * 10) / 10;
}
