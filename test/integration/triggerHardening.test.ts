import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, setTriggerChannel, triggerChannel, verifySchema } from '../../src/db/migrate.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';

/**
 * The trigger functions run as whoever writes `agents` / `agent_system_config` (often the DBA). A
 * role that may CREATE in a schema on the writer's search_path (every role on PostgreSQL ≤ 14's
 * `public`) must not be able to make them call its own code, and the database's channel setting
 * must never be able to fail the writer's statement.
 */

/** The trigger function as releases before the hardening shipped it: unqualified calls, no search_path. */
const OLD_INSTALL = `
  CREATE TABLE agents (id SERIAL PRIMARY KEY, name varchar(100) NOT NULL UNIQUE, model varchar(100));
  CREATE TABLE agent_system_config (key text PRIMARY KEY, value text NOT NULL, value_type text NOT NULL DEFAULT 'text',
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
  CREATE FUNCTION notify_agent_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE agent_name TEXT;
  BEGIN
    IF TG_OP = 'DELETE' THEN agent_name := OLD.name; ELSIF TG_OP IN ('INSERT', 'UPDATE') THEN agent_name := NEW.name; END IF;
    PERFORM pg_notify(COALESCE(NULLIF(current_setting('agent_config_sync.channel', true), ''), 'agent_config_changed'),
      json_build_object('source', 'agents', 'agent_name', left(agent_name, 200), 'operation', TG_OP)::text);
    RETURN NULL;
  END $$;
  CREATE TRIGGER agent_config_changed AFTER INSERT OR UPDATE OR DELETE ON agents FOR EACH ROW EXECUTE FUNCTION notify_agent_config_changed();`;

/** Shadows of every function the triggers call, each a better (or equal) match than the built-in for some call. */
const SHADOWS: { name: string; args: string; returns: string; real: string }[] = [
  { name: 'json_build_object', args: 'text, text, text, text, text, text', returns: 'json', real: 'pg_catalog.json_build_object($1, $2, $3, $4, $5, $6)' },
  { name: 'json_build_object', args: 'VARIADIC text[]', returns: 'json', real: 'pg_catalog.json_build_object(VARIADIC $1)' },
  { name: 'pg_notify', args: 'text, text', returns: 'void', real: 'pg_catalog.pg_notify($1, $2)' },
  { name: 'pg_notify', args: 'character varying, text', returns: 'void', real: 'pg_catalog.pg_notify($1, $2)' },
  { name: 'current_setting', args: 'text, boolean', returns: 'text', real: 'pg_catalog.current_setting($1, $2)' },
  { name: 'current_setting', args: 'text', returns: 'text', real: 'pg_catalog.current_setting($1)' },
  { name: 'left', args: 'text, integer', returns: 'text', real: 'pg_catalog.left($1, $2)' },
  { name: 'left', args: 'character varying, integer', returns: 'text', real: 'pg_catalog.left($1, $2)' },
  { name: 'btrim', args: 'text, text', returns: 'text', real: 'pg_catalog.btrim($1, $2)' },
  { name: 'octet_length', args: 'text', returns: 'integer', real: 'pg_catalog.octet_length($1)' },
  { name: 'octet_length', args: 'character varying', returns: 'integer', real: 'pg_catalog.octet_length($1)' },
];

/** The shadow body: record that it ran, then try to make its owner a superuser, then behave like the real one. */
function shadowSql(role: string, fn: (typeof SHADOWS)[number]): string {
  const body = `
    BEGIN
      INSERT INTO public.shadow_ran (fn, ran_as) VALUES (${pg.escapeLiteral(`${fn.name}(${fn.args})`)}, current_user);
      BEGIN
        EXECUTE ${pg.escapeLiteral(`ALTER ROLE ${pg.escapeIdentifier(role)} SUPERUSER`)};
      EXCEPTION WHEN OTHERS THEN NULL;
      END;
      ${fn.returns === 'void' ? `PERFORM ${fn.real}; RETURN;` : `RETURN ${fn.real};`}
    END`;
  return `CREATE FUNCTION public.${pg.escapeIdentifier(fn.name)}(${fn.args}) RETURNS ${fn.returns} LANGUAGE plpgsql AS ${pg.escapeLiteral(body)}`;
}

interface Heard {
  channel: string;
  payload: string;
}

/** LISTENs on `channels`, runs `work`, and returns what arrived (NOTIFY is delivered at commit). */
async function listenWhile(url: string, channels: string[], work: () => Promise<void>): Promise<Heard[]> {
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  const heard: Heard[] = [];
  try {
    listener.on('notification', (n) => heard.push({ channel: n.channel, payload: n.payload ?? '' }));
    for (const channel of channels) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    await work();
    // A round trip on the listener after the writer's commit: notifications queued before it arrive first.
    await new Promise((r) => setTimeout(r, 100));
    await listener.query('SELECT 1');
  } finally {
    await listener.end();
  }
  return heard;
}

/** INSERT, UPDATE, DELETE and TRUNCATE on both tables, on a session opened now (so it sees the database's settings). */
async function writeEverything(url: string, name = 'w'): Promise<void> {
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  try {
    await writer.query(`INSERT INTO agents (name, model) VALUES ($1, 'm/a')`, [name]);
    await writer.query(`UPDATE agents SET model = 'm/b' WHERE name = $1`, [name]);
    await writer.query(`DELETE FROM agents WHERE name = $1`, [name]);
    await writer.query('TRUNCATE agents');
    await writer.query(`INSERT INTO agent_system_config (key, value, value_type) VALUES ($1, '1', 'integer')`, [name]);
    await writer.query(`UPDATE agent_system_config SET value = '2' WHERE key = $1`, [name]);
    await writer.query(`DELETE FROM agent_system_config WHERE key = $1`, [name]);
    await writer.query('TRUNCATE agent_system_config');
  } finally {
    await writer.end();
  }
}

const EVERY_CHANGE = (name: string) => [
  { source: 'agents', agent_name: name, operation: 'INSERT' },
  { source: 'agents', agent_name: name, operation: 'UPDATE' },
  { source: 'agents', agent_name: name, operation: 'DELETE' },
  { source: 'agents', agent_name: null, operation: 'TRUNCATE' },
  { source: 'agent_system_config', key: name, operation: 'INSERT' },
  { source: 'agent_system_config', key: name, operation: 'UPDATE' },
  { source: 'agent_system_config', key: name, operation: 'DELETE' },
  { source: 'agent_system_config', key: null, operation: 'TRUNCATE' },
];

async function setChannelSetting(client: pg.Client, db: string, value: string): Promise<void> {
  await client.query(`ALTER DATABASE ${pg.escapeIdentifier(db)} SET agent_config_sync.channel = ${pg.escapeLiteral(value)}`);
}

describe('hardened trigger functions on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeEach(async () => {
    db = await createTestDatabase('harden');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  it('can keep shadow functions planted in public from running as the writer (migrate upgrades an old install in place)', async () => {
    const role = `acs_mallory_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await client.query(OLD_INSTALL);
    await migrate(client);

    // An ordinary login role with CREATE on public: PostgreSQL ≤ 14 gives that to every role.
    await client.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN NOSUPERUSER PASSWORD ${pg.escapeLiteral(password)}`);
    try {
      await client.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${pg.escapeIdentifier(role)}`);
      const url = new URL(db.url);
      url.username = role;
      url.password = password;
      const mallory = new pg.Client({ connectionString: url.toString() });
      await mallory.connect();
      try {
        await mallory.query('CREATE TABLE public.shadow_ran (fn text, ran_as text)');
        await mallory.query('GRANT INSERT ON public.shadow_ran TO PUBLIC');
        for (const fn of SHADOWS) await mallory.query(shadowSql(role, fn));
      } finally {
        await mallory.end();
      }
      // The shadows are live: a call as the search_path resolves it reaches them.
      await client.query(`SELECT json_build_object('a', 'b', 'c', 'd', 'e', 'f')`);
      expect((await client.query('SELECT fn FROM public.shadow_ran')).rows).toEqual([{ fn: 'json_build_object(text, text, text, text, text, text)' }]);
      await client.query('TRUNCATE public.shadow_ran');
      await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} NOSUPERUSER`);

      // The superuser writes both tables in every way a trigger fires.
      const heard = await listenWhile(db.url, ['agent_config_changed'], () => writeEverything(db.url));

      const ran = await client.query<{ fn: string; ran_as: string }>('SELECT fn, ran_as FROM public.shadow_ran');
      expect(ran.rows).toEqual([]);
      const rolsuper = await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [role]);
      expect(rolsuper.rows).toEqual([{ rolsuper: false }]);
      expect(heard.map((h) => h.channel)).toEqual(Array(8).fill('agent_config_changed'));
      expect(heard.map((h) => JSON.parse(h.payload))).toEqual(EVERY_CHANGE('w'));

      // What stops them: each function runs with its own search_path (set by migrate over the old ones).
      const pinned = await client.query<{ proname: string; proconfig: string[] | null }>(
        `SELECT proname, proconfig FROM pg_proc WHERE proname IN ('notify_agent_config_changed', 'notify_system_config_changed') ORDER BY 1`,
      );
      expect(pinned.rows).toEqual([
        { proname: 'notify_agent_config_changed', proconfig: ['search_path=pg_catalog, pg_temp'] },
        { proname: 'notify_system_config_changed', proconfig: ['search_path=pg_catalog, pg_temp'] },
      ]);
    } finally {
      await client.query(`DROP OWNED BY ${pg.escapeIdentifier(role)}`);
      await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`));
    }
  });

  it('can migrate and verify as a superuser without calling functions planted in public', async () => {
    // Shadows of what migrate and verifySchema call with untyped parameters (unknown prefers text).
    const planted = [
      { name: 'pg_advisory_xact_lock', args: 'text', returns: 'void', real: 'pg_catalog.pg_advisory_xact_lock(1)' },
      { name: 'to_regclass', args: 'character varying', returns: 'regclass', real: 'pg_catalog.to_regclass($1)' },
      { name: 'to_regprocedure', args: 'character varying', returns: 'regprocedure', real: 'pg_catalog.to_regprocedure($1)' },
      { name: 'substr', args: 'text, text', returns: 'text', real: "''" },
      { name: 'length', args: 'character varying', returns: 'integer', real: 'pg_catalog.length($1)' },
      { name: 'current_database', args: 'VARIADIC text[] DEFAULT NULL', returns: 'name', real: 'pg_catalog.current_database()' },
    ];
    await client.query('CREATE TABLE public.shadow_ran (fn text, ran_as text)');
    for (const fn of planted) {
      const body = `BEGIN INSERT INTO public.shadow_ran VALUES (${pg.escapeLiteral(fn.name)}, current_user); ${
        fn.returns === 'void' ? `PERFORM ${fn.real}; RETURN;` : `RETURN ${fn.real};`
      } END`;
      await client.query(`CREATE FUNCTION public.${fn.name}(${fn.args}) RETURNS ${fn.returns} LANGUAGE plpgsql AS ${pg.escapeLiteral(body)}`);
    }
    await migrate(client);
    await setTriggerChannel(client, 'acs_planted');
    expect(await triggerChannel(client)).toBe('acs_planted');
    expect((await verifySchema(client)).missing).toEqual([]);
    expect((await client.query('SELECT fn FROM public.shadow_ran')).rows).toEqual([]);
  });

  it('can notify the default channel instead of failing the write when the database channel setting is unusable', async () => {
    await migrate(client);
    const unusable = [
      'é'.repeat(40), // 40 characters, 80 bytes
      'é'.repeat(32), // 64 bytes: one over
      'x'.repeat(64),
      '',
      '   ',
      ' \t\n ',
    ];
    for (const [i, value] of unusable.entries()) {
      await setChannelSetting(client, db.name, value);
      const name = `unusable-${i}`;
      const heard = await listenWhile(db.url, ['agent_config_changed'], () => writeEverything(db.url, name));
      expect(heard.map((h) => h.channel), JSON.stringify(value)).toEqual(Array(8).fill('agent_config_changed'));
      expect(heard.map((h) => JSON.parse(h.payload))).toEqual(EVERY_CHANGE(name));
    }
  });

  it('can notify a usable channel setting trimmed, up to exactly 63 bytes', async () => {
    await migrate(client);
    const cases: [setting: string, channel: string][] = [
      ['  acs_padded \t', 'acs_padded'],
      [`${'é'.repeat(31)}x`, `${'é'.repeat(31)}x`], // 63 bytes
    ];
    for (const [setting, channel] of cases) {
      await setChannelSetting(client, db.name, setting);
      const heard = await listenWhile(db.url, [channel, 'agent_config_changed'], () => writeEverything(db.url, 'p'));
      expect(heard.map((h) => h.channel), JSON.stringify(setting)).toEqual(Array(8).fill(channel));
    }
  });

  it('can bound the payload in bytes, cutting a long name or key only between characters', async () => {
    await migrate(client);
    const key = `k${'😀'.repeat(3000)}`; // 12 001 bytes
    const agent = '😀'.repeat(100); // varchar(100): 100 characters, 400 bytes
    const quotes = '"'.repeat(5000); // each one doubles when escaped in JSON
    const heard = await listenWhile(db.url, ['agent_config_changed'], async () => {
      await client.query(`INSERT INTO agent_system_config (key, value) VALUES ($1, 'v'), ($2, 'v')`, [key, quotes]);
      await client.query(`INSERT INTO agents (name, model) VALUES ($1, 'm')`, [agent]);
    });
    expect(heard).toHaveLength(3);
    const [first, second, third] = heard.map((h) => JSON.parse(h.payload) as Record<string, string>);
    for (const h of heard) expect(Buffer.byteLength(h.payload)).toBeLessThan(2000);
    expect(key.startsWith(first!.key!)).toBe(true);
    expect(Buffer.byteLength(first!.key!)).toBeLessThanOrEqual(200);
    expect(Buffer.byteLength(first!.key!)).toBeGreaterThan(190);
    expect(first!.key).toBe(`k${'😀'.repeat(49)}`); // 197 bytes: the 50th emoji would cut past 200
    expect(second!.key).toBe('"'.repeat(200));
    expect(third!.agent_name).toBe('😀'.repeat(50));
  });
});
