import { describe, expect, it } from 'vitest';
import { checkPrivileges } from '../../src/domain/doctorChecks.js';
import { leastPrivilegeGrants, sourceRefusal, type SessionRole } from '../../src/domain/privileges.js';

const superuser: SessionRole = { role: 'postgres', superuser: true, serverRoles: ['pg_execute_server_program', 'pg_write_server_files'] };
const programs: SessionRole = { role: 'ops', superuser: false, serverRoles: ['pg_execute_server_program'] };
const plain: SessionRole = { role: 'agent_config_sync', superuser: false, serverRoles: [] };
const foreign = [{ what: 'function public.export_rows()', owner: 'app' }];

describe('database privileges (pure)', () => {
  it('refuses a superuser or a server-program member whose source runs another role\'s code, naming both and the grants', () => {
    const refusal = sourceRefusal(superuser, foreign);
    expect(refusal).toContain('refusing to read the agents source as "postgres", a superuser: function public.export_rows() belongs to role "app"');
    expect(refusal).toContain('GRANT USAGE ON SCHEMA public TO agent_config_sync;');
    expect(sourceRefusal(programs, foreign)).toContain('"ops", a member of pg_execute_server_program');
    expect(sourceRefusal(superuser, [...foreign, { what: 'view public.v', owner: 'app' }])).toContain('(and 1 more: view public.v of "app")');
  });

  it('lets a least-privileged role read anything, and a superuser read code of its own or of superusers', () => {
    expect(sourceRefusal(plain, foreign)).toBeUndefined();
    expect(sourceRefusal(superuser, [])).toBeUndefined();
  });

  it('gives the least-privileged grants as SQL, quoting names that need it, with the ledger when it exists', () => {
    expect(leastPrivilegeGrants()).toEqual([
      "CREATE ROLE agent_config_sync LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE;",
      'GRANT USAGE ON SCHEMA public TO agent_config_sync;',
      'GRANT SELECT ON public.agents, public.agent_system_config TO agent_config_sync;',
      'GRANT SELECT, INSERT, UPDATE ON public.agent_config_sync_gateways TO agent_config_sync;',
      '-- a function source: GRANT EXECUTE ON FUNCTION public.get_agent_export_rows() TO agent_config_sync; LISTEN needs no grant',
    ]);
    expect(leastPrivilegeGrants('Gate "A"', 'fleet', true)[2]).toBe('GRANT SELECT ON fleet.agents, fleet.agent_system_config TO "Gate ""A""";');
    expect(leastPrivilegeGrants('Gate "A"', 'fleet', true)[4]).toBe('GRANT EXECUTE ON FUNCTION fleet.agent_config_sync_changes_since(bigint), fleet.agent_config_sync_prune_changes(integer, integer) TO "Gate ""A""";');
  });

  it('checks privileges in doctor: ok for a plain role, warn for a superuser, fail when it would run another role\'s code', () => {
    expect(checkPrivileges({ session: plain, foreign })).toMatchObject({ id: 'privileges', status: 'ok' });
    const warned = checkPrivileges({ session: superuser, foreign: [] });
    expect(warned.status).toBe('warn');
    expect(warned.detail).toContain('"postgres", a superuser');
    expect(warned.advice).toContain('GRANT SELECT, INSERT, UPDATE ON public.agent_config_sync_gateways TO agent_config_sync;');
    const failed = checkPrivileges({ session: programs, foreign });
    expect(failed.status).toBe('fail');
    expect(failed.detail).toContain('function public.export_rows() (owned by "app")');
  });
});
