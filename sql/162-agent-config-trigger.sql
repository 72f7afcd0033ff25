-- agent-config-sync: notify on every change to agents.
-- Any notification on the channel means "re-read everything"; the payload is informational.
-- Trigger names match the ones operators already have, so re-running replaces instead of adding.
--
-- Hardened: the function runs with its own search_path and calls only pg_catalog
-- functions by their full names, so a role that can CREATE in a schema on the writer's search_path
-- (every role, in PostgreSQL <= 14's default `public`) cannot make it run that role's code as the
-- writer. The database's channel setting can never fail the writer's statement: a blank or too long
-- (> 63 bytes) one falls back to the default channel. The payload is cut in bytes, far below 8000.
-- CREATE OR REPLACE: running the migration again upgrades an existing function in place.
--
-- Each change also writes its row in the change ledger (sql/150), in the same transaction. The
-- function is SECURITY DEFINER, owned by the role that migrates: writers need no privilege on the
-- ledger and get none. Created through format() because it names the ledger's schema (its own
-- search_path holds only pg_catalog).

DO $install$
BEGIN
    EXECUTE pg_catalog.format($fn$
CREATE OR REPLACE FUNCTION %1$s.notify_agent_config_changed() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    agent_name pg_catalog.text;
    channel pg_catalog.text;
    payload pg_catalog.text;
    removed pg_catalog.jsonb;
    old_row pg_catalog.jsonb;
    new_row pg_catalog.jsonb;
    -- The columns the sync maps: recorded with their values. Others are only named.
    mapped CONSTANT pg_catalog.text[] := ARRAY['name', 'model', 'id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type', 'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config']::pg_catalog.text[];
BEGIN
    -- The row as jsonb, read through to_jsonb, not OLD.name / NEW.name: on an existing table of
    -- another shape (migrate keeps it as it is) a missing column would fail every write of the
    -- application that owns it. Only when the conversion runs trusted code: this function runs as the
    -- role that migrated, and a column type's cast to json is code its owner wrote. Otherwise the change
    -- is recorded without values (nor a name), and the write goes through.
    IF TG_OP IN ('INSERT', 'UPDATE', 'DELETE') THEN
        IF %1$s.agent_config_sync_row_convertible(TG_RELID) THEN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                old_row := pg_catalog.to_jsonb(OLD);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                new_row := pg_catalog.to_jsonb(NEW);
            END IF;
        END IF;
    END IF;
    agent_name := COALESCE(new_row, old_row) OPERATOR(pg_catalog.->>) 'name';
    -- The payload is informational: at most 200 bytes of the name, cut between characters,
    -- so the payload stays far below NOTIFY's 8000-byte limit (even if JSON escaping multiplies it by 6).
    IF pg_catalog.octet_length(agent_name) > 200 THEN
        agent_name := pg_catalog.left(agent_name, 200);
        WHILE pg_catalog.octet_length(agent_name) > 200 LOOP
            agent_name := pg_catalog.left(agent_name, -1);
        END LOOP;
    END IF;
    payload := pg_catalog.json_build_object(
        'source', 'agents',
        'agent_name', agent_name,
        'operation', TG_OP
    )::pg_catalog.text;
    -- 'agent_config_changed' unless agent_config_sync.channel is set (ALTER DATABASE … SET, see README),
    -- trimmed. Checked exactly as pg_notify checks it (not empty, at most max_identifier_length = 63
    -- bytes), so the setting can never make pg_notify raise and fail the write: an unusable one
    -- notifies the default channel. (No EXCEPTION block: that would cost a subtransaction per row.)
    channel := pg_catalog.btrim(pg_catalog.current_setting('agent_config_sync.channel', true), E' \t\n\r\f\x0B');
    IF channel IS NULL OR channel = ''
       OR pg_catalog.octet_length(channel) > pg_catalog.current_setting('max_identifier_length')::pg_catalog.int4 THEN
        channel := 'agent_config_changed';
    END IF;
    PERFORM pg_catalog.pg_notify(channel, payload);
    -- The ledger row, in this transaction. A TRUNCATE (this runs before it, once per statement)
    -- records the rows it is about to remove, so a revert to an earlier change can restore them.
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        IF %1$s.agent_config_sync_row_convertible(TG_RELID) THEN
            EXECUTE pg_catalog.format('SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t)) FROM %%I.%%I t', TG_TABLE_SCHEMA, TG_TABLE_NAME)
                INTO removed;
        END IF;
        PERFORM %1$s.agent_config_sync_record_change('agents', NULL, TG_OP, COALESCE(removed, '[]'::pg_catalog.jsonb), NULL, mapped);
    ELSE
        PERFORM %1$s.agent_config_sync_record_change('agents', agent_name, TG_OP, old_row, new_row, mapped);
    END IF;
    RETURN NULL;
END;
$$
$fn$, pg_catalog.quote_ident(pg_catalog.current_schema()));
    -- Owned by whoever migrates: it runs as that role, which owns the ledger. Nobody else may execute
    -- it: EXECUTE is what CREATE TRIGGER asks for (firing does not), and a role that could attach it to
    -- a table of its own would write ledger rows no change made, and run that table's code as this role.
    EXECUTE pg_catalog.format('ALTER FUNCTION %s.notify_agent_config_changed() OWNER TO CURRENT_USER', pg_catalog.quote_ident(pg_catalog.current_schema()));
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s.notify_agent_config_changed() FROM PUBLIC', pg_catalog.quote_ident(pg_catalog.current_schema()));
END
$install$;

DROP TRIGGER IF EXISTS agent_config_changed ON agents;
CREATE TRIGGER agent_config_changed
    AFTER INSERT OR UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION notify_agent_config_changed();

-- BEFORE, so the ledger row can list the rows the TRUNCATE removes (the notification is sent at
-- commit either way).
DROP TRIGGER IF EXISTS agent_config_changed_truncate ON agents;
CREATE TRIGGER agent_config_changed_truncate
    BEFORE TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agent_config_changed();
