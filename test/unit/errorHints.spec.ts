import { describe, expect, it } from 'vitest';
import { withHint } from '../../src/db/errorHints.js';

describe('withHint', () => {
  it('can tell a missing password from the driver\'s SASL message', () => {
    const text = withHint('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
    expect(text).toMatch(/^SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string — the server asks for a password and none was given: set PGPASSWORD/);
  });

  it('can tell a missing password from the driver\'s md5/password message', () => {
    expect(withHint('empty password returned by client')).toContain('the server asks for a password and none was given');
  });

  it('can point a missing table at migrate, naming the table', () => {
    expect(withHint('relation "agent_system_config" does not exist')).toContain('the table "agent_system_config" is not in this database: install the schema with "agent-config-sync migrate"');
  });

  it('can give the view recipe for a table without the model column', () => {
    expect(withHint('agents source "agents" has no column model (required: name, model)')).toContain('CREATE VIEW agent_export AS SELECT <your id column> AS name, <your model column> AS model');
  });

  it('can leave other messages as they are, and not repeat a hint', () => {
    expect(withHint('password authentication failed for user "app"')).toBe('password authentication failed for user "app"');
    const once = withHint('relation "agents" does not exist');
    expect(withHint(once)).toBe(once);
  });
});
