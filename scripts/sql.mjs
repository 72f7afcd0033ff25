#!/usr/bin/env node
// Runs one SQL statement: `node scripts/sql.mjs URL "STATEMENT"`. The quick start prints this
// command on machines without psql, so its demo change works from a fresh npm install.
import pg from 'pg';

const [url, statement] = process.argv.slice(2);
if (!url || !statement) {
  process.stderr.write('usage: node scripts/sql.mjs URL "STATEMENT"\n');
  process.exit(64);
}
const client = new pg.Client({ connectionString: url, application_name: 'agent_config_sync_demo' });
try {
  await client.connect();
  const result = await client.query(statement);
  process.stdout.write(`${result.command ?? 'OK'} ${result.rowCount ?? ''}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await client.end().catch(() => undefined);
}
