-- agent-config-sync: fleet status, created only when missing and upgraded in place.
-- Each running instance upserts its own row: on start, after each sync or error (at most one upsert a
-- second), and once a minute otherwise. `agent-config-sync fleet` reads the rows and the change ledger
-- (agent_config_changes). There is deliberately no notify trigger on this table: a status row must never
-- make the fleet re-read its rosters.
--
-- Who may do what (row-level security, below):
--   * each gateway runs as a role of its own and writes only rows whose owner is that role (session_user):
--       GRANT SELECT, INSERT, UPDATE ON agent_config_sync_gateways TO <gateway role>;
--     so gateway A cannot rewrite gateway B's row, nor claim a row another role owns.
--   * reading is not scoped: every role granted SELECT sees every row (the fleet view is the point of the
--     table, and a row holds ids, versions, hashes and error text, no roster). Whoever runs `fleet`:
--       GRANT SELECT ON agent_config_sync_gateways, agent_config_changes TO <fleet reader>;
--   * `fleet --forget ID` deletes a retired gateway's row: grant DELETE to the operator's role only.
--   * the table's owner (the migrating role) and superusers are not bound by the policies: they are the
--     operator. Do not run gateways as the migrating role.

CREATE TABLE IF NOT EXISTS agent_config_sync_gateways (
    gateway_id      TEXT PRIMARY KEY,
    host_version    TEXT,
    format          TEXT,
    layout          TEXT,
    output_path     TEXT,
    agents          INTEGER,
    roster_sha256   TEXT,
    last_write_at   TIMESTAMPTZ,
    last_error      TEXT,
    last_error_at   TIMESTAMPTZ,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    plugin_version  TEXT
);

-- An existing status table must belong to the role that migrates (or a superuser): its owner is not
-- bound by the row-level security below, so a role that created it first could rewrite every
-- gateway's row (and turn the policies off).
DO $owner$
DECLARE
    owner_name pg_catalog.name;
    owner_is_superuser pg_catalog.bool;
BEGIN
    SELECT r.rolname, r.rolsuper INTO owner_name, owner_is_superuser
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
     WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('agent_config_sync_gateways');
    IF owner_name OPERATOR(pg_catalog.<>) CURRENT_USER AND NOT owner_is_superuser THEN
        RAISE EXCEPTION 'agent_config_sync_gateways is owned by role "%", not by the role that migrates ("%"): a role that creates it first owns what every gateway trusts',
            owner_name, CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  HINT = pg_catalog.format('Check the table (its rows, triggers, policies), then ALTER TABLE agent_config_sync_gateways OWNER TO %I, or drop it; or migrate as "%s".', CURRENT_USER, owner_name);
    END IF;
END
$owner$;

-- stopped_at: set by an instance's last upsert when it stops cleanly, cleared by its next start. `fleet`
-- calls such a gateway "stopped" (not stale: it syncs in full when it starts again).
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS stopped_at TIMESTAMPTZ;

-- synced_through: the ledger id of the newest snapshot whose render the file holds (written, or found
-- equal); synced_at: when the file first held it. Both only move forward.
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS synced_through BIGINT;
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS synced_at TIMESTAMPTZ;
-- last_sync_at: the newest sync of any kind (an error older than it is over).
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS last_sync_at TIMESTAMPTZ;
-- The instance (random per process) writing the row, when it started, and the instance that wrote the row
-- before it with the last time that one was seen: two live instances on one gateway id take turns here,
-- which `fleet` reports as a conflict.
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS instance_id TEXT;
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS instance_started_at TIMESTAMPTZ;
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS previous_instance_id TEXT;
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS previous_instance_seen_at TIMESTAMPTZ;
-- The instance's timing, so `fleet` judges it by its own clockwork: its status interval (stale after 3)
-- and its coalescing max wait (a change is owed only once that and 5 s have passed).
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS interval_ms INTEGER;
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS max_wait_ms INTEGER;
-- owner: the role that writes the row. Added without a default first, so rows from before owners stay
-- unowned (NULL) instead of all becoming the migrating role's; the first gateway to write such a row
-- claims it. New rows default to the inserting role.
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS owner NAME;
ALTER TABLE agent_config_sync_gateways ALTER COLUMN owner SET DEFAULT session_user;

ALTER TABLE agent_config_sync_gateways ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agent_config_sync_gateways_read ON agent_config_sync_gateways;
DROP POLICY IF EXISTS agent_config_sync_gateways_insert ON agent_config_sync_gateways;
DROP POLICY IF EXISTS agent_config_sync_gateways_update ON agent_config_sync_gateways;
DROP POLICY IF EXISTS agent_config_sync_gateways_forget ON agent_config_sync_gateways;
CREATE POLICY agent_config_sync_gateways_read ON agent_config_sync_gateways
    FOR SELECT USING (true);
CREATE POLICY agent_config_sync_gateways_insert ON agent_config_sync_gateways
    FOR INSERT WITH CHECK (owner = session_user);
CREATE POLICY agent_config_sync_gateways_update ON agent_config_sync_gateways
    FOR UPDATE USING (owner = session_user OR owner IS NULL) WITH CHECK (owner = session_user);
-- DELETE is gated by the grant alone (the operator's role): a retired gateway's row must be removable
-- whoever owned it.
CREATE POLICY agent_config_sync_gateways_forget ON agent_config_sync_gateways
    FOR DELETE USING (true);
