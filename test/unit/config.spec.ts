import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, resolveSettings } from '../../src/config.js';
import { APPLICATION_NAME, resolveConnection, type ConnectionInputs } from '../../src/connection.js';
import { makeLogger, printable } from '../../src/logger.js';
import { parseAgentsSource } from '../../src/db/source.js';

const WHERE = 'plugins.entries.agent_config_sync.config';

/** Runs fn and returns the ConfigError it throws (fails the test when it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('resolveSettings', () => {
  it.each([[undefined], [null], [{}]])('can apply every default to %j', (raw) => {
    expect(resolveSettings(raw, WHERE)).toEqual({
      connection: {},
      outputPath: undefined,
      channel: 'agent_config_changed',
      debounceMs: 250,
      maxWaitMs: 2000,
      format: 'auto',
      layout: 'auto',
      reload: 'auto',
      reloadSignal: 'SIGUSR1',
      allowEmpty: false,
      agentsSource: 'agents',
      reconcileMs: 300000,
      rowSettings: ['description', 'identity.name', 'identity.theme', 'identity.emoji', 'heartbeat.activeHours', 'reasoningDefault', 'fastModeDefault'],
      minHeartbeatEvery: '5m',
      historyDays: 90,
    });
  });

  it('can keep DEFAULTS in line with docs/design.md §6', () => {
    expect(DEFAULTS).toMatchObject({ debounceMs: 250, maxWaitMs: 2000, allowEmpty: false, reloadSignal: 'SIGUSR1', agentsSource: 'agents' });
  });

  it('can accept every option set to an allowed value', () => {
    const settings = resolveSettings(
      {
        connectionString: ' postgres://u@h/db ',
        outputPath: '/cfg/agents.json',
        channel: 'fleet_changed',
        debounceMs: 0,
        maxWaitMs: 0,
        format: 'list',
        layout: 'section',
        reload: 'signal',
        reloadSignal: 'SIGHUP',
        allowEmpty: true,
        agentsSource: 'fleet.get_agent_export_rows()',
        reconcileMs: 0,
        rowSettings: ['tools.profile', 'identity', 'identity'],
        minHeartbeatEvery: ' 30s ',
        historyDays: 7,
        host: 'db',
        port: 5433,
        database: 'nova',
        user: 'nova',
        password: ' spaces kept ',
        ssl: { rejectUnauthorized: false },
      },
      WHERE,
    );
    expect(settings).toEqual({
      connection: { connectionString: 'postgres://u@h/db', host: 'db', port: 5433, database: 'nova', user: 'nova', password: ' spaces kept ', ssl: { rejectUnauthorized: false } },
      outputPath: '/cfg/agents.json',
      channel: 'fleet_changed',
      debounceMs: 0,
      maxWaitMs: 0,
      format: 'list',
      layout: 'section',
      reload: 'signal',
      reloadSignal: 'SIGHUP',
      allowEmpty: true,
      agentsSource: 'fleet.get_agent_export_rows()',
      reconcileMs: 0,
      rowSettings: ['identity', 'tools.profile'],
      minHeartbeatEvery: '30s',
      historyDays: 7,
    });
  });

  // Each bad value: the key that must be named and what must be said about what is allowed.
  const bad: [string, unknown, string, string][] = [
    ['an unknown key', { outputpath: '/x' }, `${WHERE}.outputpath is not a known option`, 'allowed: connectionString'],
    ['a config that is not an object', 'postgres://x', WHERE, 'must be an object'],
    ['a config that is an array', [], WHERE, 'must be an object'],
    ['a negative debounceMs', { debounceMs: -1 }, `${WHERE}.debounceMs`, 'integer from 0 to 600000, got -1'],
    ['a string debounceMs', { debounceMs: '250' }, `${WHERE}.debounceMs`, 'integer from 0 to 600000, got "250"'],
    ['a fractional debounceMs', { debounceMs: 2.5 }, `${WHERE}.debounceMs`, 'integer from 0 to 600000'],
    ['a NaN debounceMs', { debounceMs: Number.NaN }, `${WHERE}.debounceMs`, 'integer from 0 to 600000'],
    ['a negative maxWaitMs', { maxWaitMs: -5 }, `${WHERE}.maxWaitMs`, 'integer from 0 to 3600000'],
    ['maxWaitMs < debounceMs', { debounceMs: 500, maxWaitMs: 100 }, `${WHERE}.maxWaitMs (100)`, `must be >= ${WHERE}.debounceMs (500)`],
    ['maxWaitMs below the default debounceMs', { maxWaitMs: 100 }, `${WHERE}.maxWaitMs (100)`, 'must be >= '],
    ['a format not in the enum', { format: 'keyed' }, `${WHERE}.format`, 'must be one of auto, entries, list, got "keyed"'],
    ['a layout not in the enum', { layout: 'nested' }, `${WHERE}.layout`, 'must be one of auto, root, section'],
    ['a reload not in the enum', { reload: 'restart' }, `${WHERE}.reload`, 'must be one of auto, touch, signal, none'],
    ['a reload that is not a string', { reload: true }, `${WHERE}.reload`, 'must be one of auto, touch, signal, none'],
    ['reloadSignal SIGKILL', { reloadSignal: 'SIGKILL' }, `${WHERE}.reloadSignal`, 'must be one of SIGUSR1, SIGUSR2, SIGHUP, got "SIGKILL"'],
    ['reloadSignal SIGTERM', { reloadSignal: 'SIGTERM' }, `${WHERE}.reloadSignal`, 'must be one of SIGUSR1, SIGUSR2, SIGHUP'],
    ['reloadSignal as a number', { reloadSignal: 10 }, `${WHERE}.reloadSignal`, 'must be one of'],
    ['allowEmpty as a string', { allowEmpty: 'yes' }, `${WHERE}.allowEmpty`, 'must be true or false'],
    ['an empty outputPath', { outputPath: '  ' }, `${WHERE}.outputPath`, 'must be a non-empty string'],
    ['a channel longer than 63 bytes', { channel: 'c'.repeat(64) }, `${WHERE}.channel`, 'must be at most 63 bytes'],
    ['a channel of 40 characters that is 80 bytes', { channel: 'é'.repeat(40) }, `${WHERE}.channel`, 'must be at most 63 bytes in UTF-8 (PostgreSQL\'s limit for a channel name), got 80 bytes (40 characters)'],
    ['a channel of 64 bytes in 32 characters', { channel: 'é'.repeat(32) }, `${WHERE}.channel`, 'got 64 bytes'],
    ['a blank channel', { channel: '   ' }, `${WHERE}.channel`, 'of 1 to 63 bytes, got an empty one'],
    ['a channel that is not a string', { channel: 42 }, `${WHERE}.channel`, 'must be a string'],
    ['a channel with a NUL', { channel: 'a\0b' }, `${WHERE}.channel`, 'must not contain a NUL'],
    ['a reconcileMs under a second', { reconcileMs: 10 }, `${WHERE}.reconcileMs`, 'must be 0 (off) or from 1000 to 86400000 ms, got 10'],
    ['a negative reconcileMs', { reconcileMs: -1 }, `${WHERE}.reconcileMs`, 'integer from 0 to 86400000'],
    ['a string reconcileMs', { reconcileMs: '5m' }, `${WHERE}.reconcileMs`, 'integer from 0 to 86400000, got "5m"'],
    ['a port out of range', { port: 70000 }, `${WHERE}.port`, 'integer from 1 to 65535'],
    ['a non-string password', { password: 1234 }, `${WHERE}.password`, 'must be a string'],
    ['ssl as a string', { ssl: 'require' }, `${WHERE}.ssl`, 'must be true, false or an object'],
    ['agentsSource with a statement after it', { agentsSource: 'agents; DROP TABLE x' }, `${WHERE}.agentsSource`, 'allowed: name, schema.name, name() or schema.name()'],
    ['agentsSource with a WHERE clause', { agentsSource: 'agents WHERE true' }, `${WHERE}.agentsSource`, 'is not a table, view or function name'],
    ['agentsSource with a comment', { agentsSource: 'agents--' }, `${WHERE}.agentsSource`, 'is not a table, view or function name'],
    ['agentsSource calling with arguments', { agentsSource: "get_rows('x')" }, `${WHERE}.agentsSource`, 'allowed:'],
    ['an empty agentsSource', { agentsSource: '' }, `${WHERE}.agentsSource`, 'must be a non-empty string'],
    ['rowSettings that is a string', { rowSettings: 'tools.exec' }, `${WHERE}.rowSettings`, 'must be an array of dotted setting paths'],
    ['rowSettings with an empty segment', { rowSettings: ['identity', 'tools..exec'] }, `${WHERE}.rowSettings[1]`, 'must be a dotted path of setting names'],
    ['rowSettings with a $-key', { rowSettings: ['params.$include'] }, `${WHERE}.rowSettings[0]`, 'got "params.$include"'],
    ['rowSettings with a number', { rowSettings: [3] }, `${WHERE}.rowSettings[0]`, 'got 3'],
    ['rowSettings naming the roster id', { rowSettings: ['id'] }, `${WHERE}.rowSettings[0]`, 'belongs to the roster'],
    ['rowSettings: how it combines is said', { rowSettings: [''] }, `${WHERE}.rowSettings[0]`, 'It replaces the default list (description, identity.name'],
    ['rowSettings: the column outputs are said', { rowSettings: {} }, `${WHERE}.rowSettings`, 'the column outputs (model, subagents.allowAgents, heartbeat.every'],
    ['a minHeartbeatEvery that is not a duration', { minHeartbeatEvery: 'often' }, `${WHERE}.minHeartbeatEvery`, 'must be a duration such as "5m", "30s" or "1h" ("0" for no floor), got "often"'],
    ['a minHeartbeatEvery as a number', { minHeartbeatEvery: 5 }, `${WHERE}.minHeartbeatEvery`, 'must be a duration'],
    ['a historyDays of 0', { historyDays: 0 }, `${WHERE}.historyDays`, 'must be an integer from 1 to 36500, got 0'],
    ['a historyDays as text', { historyDays: '90d' }, `${WHERE}.historyDays`, 'must be an integer from 1 to 36500, got "90d"'],
    ['a fractional historyDays', { historyDays: 1.5 }, `${WHERE}.historyDays`, 'must be an integer from 1 to 36500'],
  ];
  for (const [name, raw, key, allowed] of bad) {
    it(`can refuse ${name}, naming the key and what is allowed`, () => {
      const error = configError(() => resolveSettings(raw, WHERE));
      expect(error.message).toContain(key);
      expect(error.message).toContain(allowed);
    });
  }

  it('can trim the channel and accept exactly 63 bytes', () => {
    expect(resolveSettings({ channel: ' \tfleet_changed \n' }).channel).toBe('fleet_changed');
    const sixtyThreeBytes = `${'é'.repeat(31)}x`;
    expect(resolveSettings({ channel: ` ${sixtyThreeBytes} ` }).channel).toBe(sixtyThreeBytes);
  });

  it('can name the key with the prefix it is given', () => {
    expect(configError(() => resolveSettings({ format: 'x' }, 'flags')).message).toMatch(/^flags\.format must be one of/);
  });

  it('can take a gatewayId, trimmed, and refuse an empty or unprintable one', () => {
    expect(resolveSettings({ gatewayId: '  gw-eu-1 ' }).gatewayId).toBe('gw-eu-1');
    expect(resolveSettings({}).gatewayId).toBeUndefined();
    expect(() => resolveSettings({ gatewayId: ' ' }, WHERE)).toThrow(`${WHERE}.gatewayId must be a non-empty string.`);
    expect(() => resolveSettings({ gatewayId: 'a\nb' }, WHERE)).toThrow(`${WHERE}.gatewayId must be 1 to 200 printable characters`);
    expect(() => resolveSettings({ gatewayId: 'x'.repeat(201) }, WHERE)).toThrow('1 to 200 printable characters');
  });

  it('can accept maxWaitMs equal to debounceMs', () => {
    expect(resolveSettings({ debounceMs: 700, maxWaitMs: 700 })).toMatchObject({ debounceMs: 700, maxWaitMs: 700 });
  });
});

describe('resolveConnection', () => {
  const PASSWORD = 'S3cret!pw';
  const full = { host: 'chat-db', port: 5434, database: 'chat', user: 'chatter', password: PASSWORD };

  const order: { name: string; inputs: ConnectionInputs; source: string; description: string; config: Record<string, unknown> }[] = [
    {
      name: 'the plugin config first',
      inputs: {
        plugin: { connectionString: `postgres://plug:${encodeURIComponent(PASSWORD)}@plug-db:6543/plugdb` },
        agentChat: full,
        postgresJson: { host: 'file-db', database: 'f' },
        env: { DATABASE_URL: 'postgres://env@env-db/envdb' },
      },
      source: 'plugin config',
      description: 'plug@plug-db:6543/plugdb',
      config: { connectionString: `postgres://plug:${encodeURIComponent(PASSWORD)}@plug-db:6543/plugdb` },
    },
    {
      name: 'plugin host/database/user/password',
      inputs: { plugin: { host: 'p', database: 'pd', user: 'pu', password: PASSWORD }, agentChat: full },
      source: 'plugin config',
      description: 'pu@p:5432/pd',
      config: { host: 'p', database: 'pd', user: 'pu', password: PASSWORD },
    },
    {
      name: 'channels.agent_chat when the plugin config names no server',
      inputs: { plugin: { password: 'x' }, agentChat: full, postgresJson: { host: 'file-db', database: 'f' }, env: { PGHOST: 'env-db' } },
      source: 'channels.agent_chat',
      description: 'chatter@chat-db:5434/chat',
      config: full,
    },
    {
      name: '~/.openclaw/postgres.json (flat keys, aliases, port as text) after agent_chat',
      inputs: { agentChat: { enabled: true }, postgresJson: { host: 'file-db', port: '5499', dbname: 'fdb', username: 'fu', password: PASSWORD }, env: { PGHOST: 'env-db' } },
      source: '~/.openclaw/postgres.json',
      description: 'fu@file-db:5499/fdb',
      config: { host: 'file-db', port: 5499, database: 'fdb', user: 'fu', password: PASSWORD },
    },
    {
      name: 'postgres.json with a url',
      inputs: { postgresJson: { url: `postgresql://fu:${PASSWORD}@file-db/fdb` } },
      source: '~/.openclaw/postgres.json',
      description: 'fu@file-db:5432/fdb',
      config: { connectionString: `postgresql://fu:${PASSWORD}@file-db/fdb` },
    },
    {
      name: 'DATABASE_URL last, before PG*',
      inputs: { postgresJson: 'not an object', env: { DATABASE_URL: `postgres://eu:${PASSWORD}@env-db:5440/edb`, PGHOST: 'pg-host' } },
      source: 'environment',
      description: 'eu@env-db:5440/edb',
      config: { connectionString: `postgres://eu:${PASSWORD}@env-db:5440/edb` },
    },
    {
      name: 'PG* variables',
      inputs: { env: { PGHOST: 'pg-host', PGPORT: '5441', PGDATABASE: 'pgdb', PGUSER: 'pgu', PGPASSWORD: PASSWORD } },
      source: 'environment',
      description: 'pgu@pg-host:5441/pgdb',
      config: { host: 'pg-host', port: 5441, database: 'pgdb', user: 'pgu', password: PASSWORD },
    },
  ];

  for (const c of order) {
    it(`can pick ${c.name}`, () => {
      const resolved = resolveConnection(c.inputs);
      expect(resolved.source).toBe(c.source);
      expect(resolved.description).toBe(c.description);
      expect(resolved.description).not.toContain(PASSWORD);
      expect(resolved.description).not.toContain(encodeURIComponent(PASSWORD));
      expect(resolved.config).toEqual({ ...c.config, application_name: 'agent_config_sync' });
      if (JSON.stringify(c.config).includes('S3cret')) expect(resolved.secrets).toContain(PASSWORD);
    });
  }

  it('can name its connections agent_config_sync', () => {
    expect(APPLICATION_NAME).toBe('agent_config_sync');
  });

  it('can hide a percent-encoded password and the whole URL', () => {
    const url = 'postgres://u:p%40ss%2Fw@h/db';
    const resolved = resolveConnection({ plugin: { connectionString: url } });
    expect(resolved.secrets).toEqual(expect.arrayContaining(['p@ss/w', url]));
    expect(resolved.description).toBe('u@h:5432/db');
  });

  it.each([
    ['a libpq key=value string (node-postgres would read it as a database name)', `host=db password=${PASSWORD}`, 'is not a valid URL'],
    ['a port out of range', `postgres://u:${PASSWORD}@h:99999/db`, 'is not a valid URL'],
    ['another scheme', `mysql://u:${PASSWORD}@h/db`, 'has the scheme "mysql"'],
  ])('can refuse %s, naming the key and never the password', (_name, connectionString, says) => {
    const plugin = configError(() => resolveConnection({ plugin: { connectionString } }));
    expect(plugin.message).toContain(`plugins.entries.agent_config_sync.config.connectionString ${says}`);
    expect(plugin.message).toContain('allowed: postgres://');
    expect(plugin.message).not.toContain(PASSWORD);
    const env = configError(() => resolveConnection({ env: { DATABASE_URL: connectionString } }));
    expect(env.message).toContain(`DATABASE_URL ${says}`);
    const cli = configError(() => resolveConnection({ plugin: { connectionString }, pluginKey: '--database-url' }));
    expect(cli.message).toContain(`--database-url ${says}`);
  });

  it('can take a Unix socket directory and a socket: URL as they are', () => {
    expect(resolveConnection({ plugin: { connectionString: '/var/run/postgresql mydb' } }).config.connectionString).toBe('/var/run/postgresql mydb');
    expect(resolveConnection({ env: { DATABASE_URL: 'socket:/var/run/postgresql?db=mydb' } }).source).toBe('environment');
  });

  it.each([
    ['nothing at all', {}],
    ['empty sources', { plugin: {}, agentChat: {}, postgresJson: {}, env: {} }],
    ['only credentials, no server', { plugin: { user: 'u', password: 'p' }, agentChat: { user: 'u' }, postgresJson: { password: 'p' }, env: { PGUSER: 'u', PGPASSWORD: 'p' } }],
    ['blank values', { agentChat: { host: '  ', database: '' }, env: { DATABASE_URL: '' } }],
  ] as [string, ConnectionInputs][])('can refuse %s with a clear error listing the places looked at', (_name, inputs) => {
    const error = configError(() => resolveConnection(inputs));
    expect(error.message).toContain('no PostgreSQL connection configured');
    for (const place of ['plugins.entries.agent_config_sync.config', 'channels.agent_chat', '~/.openclaw/postgres.json', 'DATABASE_URL', 'PGHOST']) {
      expect(error.message).toContain(place);
    }
  });
});

describe('connection strings and secrets', () => {
  // Each password has a long distinctive tail, so "does not contain a piece of it" is meaningful.
  const accepted: [string, string, string, string[]][] = [
    // name, url, description, secrets it must hold (besides the whole URL)
    ['an unencoded "@"', 'postgres://u:Kv9@Tq4mZpw@h:5433/db', 'u@h:5433/db', ['Kv9@Tq4mZpw', 'Kv9%40Tq4mZpw']],
    ['a stray "%"', 'postgres://u:50%offTq4mZpw@h/db', 'u@h:5432/db', ['50%offTq4mZpw', '50%25offTq4mZpw']],
    ['"%41" (decoded by node-postgres)', 'postgres://u:Kv9%41Tq4mZpw@h/db', 'u@h:5432/db', ['Kv9%41Tq4mZpw', 'Kv9ATq4mZpw']],
    ['%-encoded "/", "?", "#"', 'postgres://u:Kv9%2FTq%3F4m%23Zpw@h/db', 'u@h:5432/db', ['Kv9/Tq?4m#Zpw', 'Kv9%2FTq%3F4m%23Zpw']],
    ['a space', 'postgres://u:Kv9 Tq4mZpw@h/db', 'u@h:5432/db', ['Kv9 Tq4mZpw', 'Kv9%20Tq4mZpw']],
    ['?password=', 'postgres://u@h/db?password=Kv9%2FTq4mZpw&sslmode=require', 'u@h:5432/db', ['Kv9/Tq4mZpw', 'Kv9%2FTq4mZpw']],
    ['?sslpassword= and sslkey=', 'postgres://u@h/db?sslkey=/keys/Kx.pem&sslpassword=Kv9Tq4mZpw', 'u@h:5432/db', ['Kv9Tq4mZpw']],
    ['?user= and ?host= (they win, as in node-postgres)', 'postgres://u:Kv9Tq4mZpw@h/db?user=qu&host=qh&port=6000', 'qu@qh:6000/db', ['Kv9Tq4mZpw']],
  ];

  it.each(accepted)('can describe a URL with %s from its parts and hide every form of the password', (_name, url, description, secrets) => {
    const resolved = resolveConnection({ plugin: { connectionString: url } });
    expect(resolved.description).toBe(description);
    expect(resolved.secrets).toEqual(expect.arrayContaining([...secrets, url]));
    for (const secret of secrets) expect(resolved.description).not.toContain(secret.slice(-8));
    expect(resolved.description).not.toContain('Kx.pem');
  });

  it.each([
    ['an unencoded "/" (the rest would be read as port and database)', 'postgres://u:12/Tq4mZpw@h/db'],
    ['an unencoded "/" after letters', 'postgres://u:Kv9/Tq4mZpw@h/db'],
    ['an unencoded "#"', 'postgres://u:12#Tq4mZpw@h/db'],
    ['an unencoded "?"', 'postgres://u:12?Tq4mZpw@h/db'],
    ['a "/" in the user name', 'postgres://u/x:Tq4mZpw@h/db'],
    ['a "/" and an "@" in the password', 'postgres://u:Kv@9/Tq4mZpw@h/db'],
    ['a libpq key=value string', 'host=h user=u password=Tq4mZpw'],
  ])('can refuse a URL with %s, without repeating any of it', (_name, connectionString) => {
    for (const inputs of [{ plugin: { connectionString } }, { env: { DATABASE_URL: connectionString } }, { postgresJson: { url: connectionString } }]) {
      const error = configError(() => resolveConnection(inputs));
      expect(error.message).not.toContain('Tq4mZpw');
      expect(error.message).toMatch(/%-encode|not a valid URL/);
    }
  });

  it('can hide PGPASSWORD, which node-postgres uses when the settings carry no password', () => {
    const resolved = resolveConnection({ plugin: { connectionString: 'postgres://u@h/db' }, env: { PGPASSWORD: 'Kv9/Tq4mZpw' } });
    expect(resolved.secrets).toEqual(expect.arrayContaining(['Kv9/Tq4mZpw', 'Kv9%2FTq4mZpw']));
  });

  it('can hide a password given as a field, also %-encoded', () => {
    const resolved = resolveConnection({ plugin: { host: 'h', database: 'd', user: 'u', password: 'Kv9/Tq4mZpw' } });
    expect(resolved.secrets).toEqual(expect.arrayContaining(['Kv9/Tq4mZpw', 'Kv9%2FTq4mZpw']));
  });

  it('can print a description without control characters from the URL', () => {
    const resolved = resolveConnection({ plugin: { connectionString: 'postgres://u%0Aforged%1B[31m@h/db' } });
    expect(resolved.description).toBe('u\\nforged\\u001b[31m@h:5432/db');
  });

  it('can mask every form of the password in a log line, the longest first', () => {
    const url = 'postgres://u:Kv9%2FTq4mZpw@h/db';
    const { secrets } = resolveConnection({ plugin: { connectionString: url } });
    const lines: string[] = [];
    const log = makeLogger({ info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) }, secrets);
    log.info(`url ${url}; as typed Kv9%2FTq4mZpw; decoded Kv9/Tq4mZpw; in JSON ${JSON.stringify({ p: 'Kv9/Tq4mZpw' })}`);
    expect(lines).toEqual(['agent_config_sync: url ***; as typed ***; decoded ***; in JSON {"p":"***"}']);
  });

  it('can keep the description readable when the password equals the user and database name', () => {
    const url = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
    const { secrets, description } = resolveConnection({ plugin: { connectionString: url } });
    const lines: string[] = [];
    const log = makeLogger({ info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) }, secrets, [description]);
    log.info(`connection from plugin config: ${description}`);
    log.warn(`postgresql said: password "postgres" rejected; url ${url}`);
    expect(lines).toEqual([
      'agent_config_sync: connection from plugin config: postgres@127.0.0.1:5432/postgres',
      'agent_config_sync: postgresql said: password "***" rejected; url ***',
    ]);
  });

  it('can mask a one-letter password only where it stands alone', () => {
    const { secrets, description } = resolveConnection({ plugin: { connectionString: 'postgres://app:x@db.example:5432/openclaw' } });
    const lines: string[] = [];
    const log = makeLogger({ info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) }, secrets, [description]);
    log.info(`connection from environment: ${description}; next sync in 5 s`);
    log.info('in a URL postgres://app:x@db, as a value password=x&sslmode=require, PGPASSWORD=x; "x" stays text');
    expect(lines).toEqual([
      'agent_config_sync: connection from environment: app@db.example:5432/openclaw; next sync in 5 s',
      'agent_config_sync: in a URL postgres://app:***@db, as a value password=***&sslmode=require, PGPASSWORD=***; "x" stays text',
    ]);
  });
});

describe('log lines', () => {
  it('can keep untrusted text on one line without terminal escapes', () => {
    const lines: string[] = [];
    const log = makeLogger({ info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) });
    log.info('notification: {"agent_name":"x"}\nagent_config_sync: forged line \u001b[2J\r\u2028\u202e');
    expect(lines).toEqual(['agent_config_sync: notification: {"agent_name":"x"}\\nagent_config_sync: forged line \\u001b[2J\\r\\u2028\\u202e']);
    expect(printable('plain "quoted" text → ok')).toBe('plain "quoted" text → ok');
  });
});

describe('parseAgentsSource', () => {
  it.each([
    ['agents', '"agents"'],
    ['Agents', '"agents"'],
    ['  agents  ', '"agents"'],
    ['public.agents', '"public"."agents"'],
    ['agent_export_v2', '"agent_export_v2"'],
    ['get_agent_export_rows()', '"get_agent_export_rows"()'],
    ['fleet.Get_Rows()', '"fleet"."get_rows"()'],
    ['"My Agents"', '"My Agents"'],
    ['"Fleet"."Agents"', '"Fleet"."Agents"'],
    ['"we""ird"', '"we""ird"'],
    ['"x; DROP TABLE y"', '"x; DROP TABLE y"'],
    ['"a""; DROP TABLE x; --"', '"a""; DROP TABLE x; --"'],
    ['rows$1', '"rows$1"'],
  ])('can quote %j as %s', (text, sql) => {
    expect(parseAgentsSource(text)).toEqual({ sql, text: text.trim(), isFunction: sql.endsWith('()') });
  });

  it.each([
    ['agents; DROP TABLE x'],
    ['agents;'],
    ['agents WHERE 1=1'],
    ['agents--'],
    ['agents/*x*/'],
    ['agents"; DROP TABLE x; --'],
    ['"unterminated'],
    ['""'],
    ['a.b.c'],
    ['get_rows(1)'],
    ["get_rows('x')"],
    ['get_rows() x'],
    ['1agents'],
    ['$agents'],
    ['agents)'],
    ['sch.'],
    ['.agents'],
    [''],
    ['agents, pg_shadow'],
    ['(SELECT 1)'],
  ])('can refuse %j', (text) => {
    expect(() => parseAgentsSource(text)).toThrow(/is not a table, view or function name \(allowed: name, schema\.name, name\(\) or schema\.name\(\)\)/);
  });
});
