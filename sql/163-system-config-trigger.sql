-- agent-config-sync: notify on every change to agent_system_config (the seed's migration 163),
-- and the seed row max_spawn_depth = 5 (kept when an operator already set it).
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
CREATE OR REPLACE FUNCTION %1$s.notify_system_config_changed() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config_key pg_catalog.text;
    channel pg_catalog.text;
    payload pg_catalog.text;
    removed pg_catalog.jsonb;
    old_row pg_catalog.jsonb;
    new_row pg_catalog.jsonb;
    -- The columns the sync maps: recorded with their values. Others are only named.
    mapped CONSTANT pg_catalog.text[] := ARRAY['key', 'value', 'value_type']::pg_catalog.text[];
BEGIN
    -- The row as jsonb, read through to_jsonb, not OLD.key / NEW.key: on an existing table of
    -- another shape (migrate keeps it as it is) a missing column would fail every write of the
    -- application that owns it. Only when the conversion runs trusted code: this function runs as the
    -- role that migrated, and a column type's cast to json is code its owner wrote. Otherwise the change
    -- is recorded without values (nor a key), and the write goes through.
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
    config_key := COALESCE(new_row, old_row) OPERATOR(pg_catalog.->>) 'key';
    -- The payload is informational: at most 200 bytes of the key, cut between characters,
    -- so the payload stays far below NOTIFY's 8000-byte limit (even if JSON escaping multiplies it by 6).
    IF pg_catalog.octet_length(config_key) > 200 THEN
        config_key := pg_catalog.left(config_key, 200);
        WHILE pg_catalog.octet_length(config_key) > 200 LOOP
            config_key := pg_catalog.left(config_key, -1);
        END LOOP;
    END IF;
    payload := pg_catalog.json_build_object(
        'source', 'agent_system_config',
        'key', config_key,
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
        PERFORM %1$s.agent_config_sync_record_change('agent_system_config', NULL, TG_OP, COALESCE(removed, '[]'::pg_catalog.jsonb), NULL, mapped);
    ELSE
        PERFORM %1$s.agent_config_sync_record_change('agent_system_config', config_key, TG_OP, old_row, new_row, mapped);
    END IF;
    RETURN NULL;
END;
$$
$fn$, pg_catalog.quote_ident(pg_catalog.current_schema()));
    -- Owned by whoever migrates: it runs as that role, which owns the ledger. Nobody else may execute
    -- it: EXECUTE is what CREATE TRIGGER asks for (firing does not), and a role that could attach it to
    -- a table of its own would write ledger rows no change made, and run that table's code as this role.
    EXECUTE pg_catalog.format('ALTER FUNCTION %s.notify_system_config_changed() OWNER TO CURRENT_USER', pg_catalog.quote_ident(pg_catalog.current_schema()));
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s.notify_system_config_changed() FROM PUBLIC', pg_catalog.quote_ident(pg_catalog.current_schema()));
END
$install$;

DROP TRIGGER IF EXISTS system_config_changed ON agent_system_config;
CREATE TRIGGER system_config_changed
    AFTER INSERT OR UPDATE OR DELETE ON agent_system_config
    FOR EACH ROW EXECUTE FUNCTION notify_system_config_changed();

-- BEFORE, so the ledger row can list the rows the TRUNCATE removes (the notification is sent at
-- commit either way).
DROP TRIGGER IF EXISTS system_config_changed_truncate ON agent_system_config;
CREATE TRIGGER system_config_changed_truncate
    BEFORE TRUNCATE ON agent_system_config
    FOR EACH STATEMENT EXECUTE FUNCTION notify_system_config_changed();

-- The seed row, written as the table's owner. An INSERT fires the table's triggers (BEFORE ones too,
-- even when ON CONFLICT then does nothing), its defaults and its policies, and they run with the
-- privileges of whoever writes: a superuser installing on a table an application role owns would run
-- that role's code as superuser (a trigger doing ALTER ROLE … SUPERUSER makes the role a superuser).
-- So when the table belongs to another role that is not a superuser, the INSERT runs inside a
-- SECURITY DEFINER function owned by that role: everything it fires runs as the owner. A plain
-- SET ROLE is not enough: code running after it can RESET ROLE back to the session's superuser,
-- while inside a SECURITY DEFINER function PostgreSQL refuses any change of role. SET CONSTRAINTS
-- ALL IMMEDIATE fires deferred triggers there too (before PostgreSQL 18 they would fire at COMMIT as
-- the installer). A session that cannot act as the owner (neither superuser nor a member) is
-- refused with the role to run as. The function lives in pg_temp and is dropped at once.
DO $seed$
DECLARE
    target pg_catalog.oid := pg_catalog.to_regclass('agent_system_config');
    qualified pg_catalog.text;
    owner_name pg_catalog.name;
    owner_is_superuser pg_catalog.bool;
    seed pg_catalog.text;
BEGIN
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), r.rolname, r.rolsuper
      INTO qualified, owner_name, owner_is_superuser
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
     WHERE c.oid OPERATOR(pg_catalog.=) target;
    seed := pg_catalog.format(
        $sql$INSERT INTO %s (key, value, value_type) VALUES ('max_spawn_depth', '5', 'integer') ON CONFLICT (key) DO NOTHING$sql$,
        qualified);
    IF owner_name OPERATOR(pg_catalog.=) CURRENT_USER OR owner_is_superuser THEN
        EXECUTE seed;
        RETURN;
    END IF;
    IF NOT pg_catalog.pg_has_role(owner_name, 'MEMBER') THEN
        RAISE EXCEPTION 'agent_system_config is owned by role "%", and its triggers must not run as "%": run the install as "%" (or as a superuser, or a member of "%")',
            owner_name, CURRENT_USER, owner_name, owner_name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION pg_temp.agent_config_sync_seed() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %L',
        'BEGIN ' OPERATOR(pg_catalog.||) seed OPERATOR(pg_catalog.||) '; SET CONSTRAINTS ALL IMMEDIATE; END');
    EXECUTE pg_catalog.format('ALTER FUNCTION pg_temp.agent_config_sync_seed() OWNER TO %I', owner_name);
    PERFORM pg_temp.agent_config_sync_seed();
    DROP FUNCTION pg_temp.agent_config_sync_seed();
END
$seed$;
