-- agent-config-sync: the change ledger, created only when missing (PostgreSQL 13 or later: xid8).
-- One row per change to agents / agent_system_config, written by their notify triggers (sql/162,
-- sql/163) in the same transaction as the change, so a row exists exactly when its change committed.
-- `agent-config-sync history` reads it, `revert` undoes from it, running syncs name its ids.
--
-- Who may do what: the trigger functions are SECURITY DEFINER and owned by the role that migrates,
-- so a writer needs no privilege here, and has none: it cannot forge, alter or erase a row. Gateways
-- (and operators running history) need SELECT; running syncs prune old rows through
-- agent_config_sync_prune_changes, which needs EXECUTE (README: grants).
--
-- What a row holds: `old` / `new` carry only the columns the sync maps (agents: name, model and the
-- optional columns it reads; agent_system_config: key, value, value_type); every other column that
-- changed is named in `changed` without its value, as upstream agents tables carry prompts and secrets.
-- A TRUNCATE is one row for the statement, its `old` the array of the rows it removed (mapped
-- columns only), so a revert to a point before it can put them back.

CREATE TABLE IF NOT EXISTS agent_config_changes (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at               TIMESTAMPTZ NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    txid             XID8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    actor            TEXT NOT NULL,
    db_role          NAME NOT NULL,
    application_name TEXT,
    client_addr      INET,
    source           TEXT NOT NULL,
    key              TEXT,
    operation        TEXT NOT NULL,
    old              JSONB,
    new              JSONB,
    changed          TEXT[]
);
-- An existing ledger must belong to the role that migrates (or a superuser). CREATE TABLE IF NOT EXISTS
-- keeps a table someone created first: a role that could create in this schema would then own the
-- ledger (rewrite it, and put triggers on it that the recorder, running as the migrating role, fires
-- with that role's privileges on every write). Refused, naming the owner, before anything uses it.
DO $owner$
DECLARE
    owner_name pg_catalog.name;
    owner_is_superuser pg_catalog.bool;
BEGIN
    SELECT r.rolname, r.rolsuper INTO owner_name, owner_is_superuser
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
     WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('agent_config_changes');
    IF owner_name OPERATOR(pg_catalog.<>) CURRENT_USER AND NOT owner_is_superuser THEN
        RAISE EXCEPTION 'agent_config_changes is owned by role "%", not by the role that migrates ("%"): a role that creates it first owns what every gateway trusts',
            owner_name, CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  HINT = pg_catalog.format('Check the table (its rows, triggers, policies), then ALTER TABLE agent_config_changes OWNER TO %I, or drop it; or migrate as "%s".', CURRENT_USER, owner_name);
    END IF;
END
$owner$;

CREATE INDEX IF NOT EXISTS agent_config_changes_at ON agent_config_changes (at);
CREATE INDEX IF NOT EXISTS agent_config_changes_source_key ON agent_config_changes (source, key);

-- Nobody but the owner writes it; SELECT is granted per gateway role by the operator.
REVOKE ALL ON agent_config_changes FROM PUBLIC;

-- The functions below name the ledger by its schema (the one this migration creates it in): they run
-- with search_path pinned to pg_catalog, so an unqualified name would not be found, and putting a
-- writable schema on their path would let its creators shadow what they call.
DO $ledger$
DECLARE
    here pg_catalog.text := pg_catalog.quote_ident(pg_catalog.current_schema());
BEGIN
    -- Records one change. Called only by the trigger functions (as their owner): nobody else may
    -- execute it, so nobody can write a ledger row that no change made.
    -- The actor is what an application says it acts for (agent_config_sync.actor, trimmed, at most
    -- 200 characters), else the session's login role.
    EXECUTE pg_catalog.format($fn$
CREATE OR REPLACE FUNCTION %1$s.agent_config_sync_record_change(
    change_source pg_catalog.text, change_key pg_catalog.text, change_operation pg_catalog.text,
    old_row pg_catalog.jsonb, new_row pg_catalog.jsonb, mapped pg_catalog.text[]
) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    actor pg_catalog.text;
    kept_old pg_catalog.jsonb;
    changed pg_catalog.text[];
BEGIN
    actor := pg_catalog.left(pg_catalog.btrim(pg_catalog.current_setting('agent_config_sync.actor', true)), 200);
    IF actor IS NULL OR actor OPERATOR(pg_catalog.=) '' THEN
        actor := SESSION_USER;
    END IF;
    IF change_operation OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        SELECT pg_catalog.jsonb_agg(kept.entry ORDER BY removed.n),
               (SELECT pg_catalog.array_agg(DISTINCT k ORDER BY k)
                  FROM pg_catalog.jsonb_array_elements(old_row) r, pg_catalog.jsonb_object_keys(r) k)
          INTO kept_old, changed
          FROM pg_catalog.jsonb_array_elements(old_row) WITH ORDINALITY AS removed(entry, n),
               LATERAL (SELECT pg_catalog.jsonb_object_agg(e.key, e.value) AS entry
                          FROM pg_catalog.jsonb_each(removed.entry) e
                         WHERE e.key OPERATOR(pg_catalog.=) ANY (mapped)) kept;
        INSERT INTO %1$s.agent_config_changes
            (actor, db_role, application_name, client_addr, source, key, operation, old, new, changed)
        VALUES
            (actor, SESSION_USER, pg_catalog.current_setting('application_name', true), pg_catalog.inet_client_addr(),
             change_source, change_key, change_operation, kept_old, NULL, changed);
        RETURN;
    END IF;
    -- One statement for the row (each statement in a function costs an executor start): the mapped
    -- columns of each side, and the changed columns. A column changed when its value differs, a
    -- missing row counting as all nulls: an INSERT or DELETE names every column it set or removed,
    -- an UPDATE the ones it changed.
    INSERT INTO %1$s.agent_config_changes
        (actor, db_role, application_name, client_addr, source, key, operation, old, new, changed)
    VALUES
        (actor, SESSION_USER, pg_catalog.current_setting('application_name', true), pg_catalog.inet_client_addr(),
         change_source, change_key, change_operation,
         (SELECT pg_catalog.jsonb_object_agg(e.key, e.value)
            FROM pg_catalog.jsonb_each(old_row) e WHERE e.key OPERATOR(pg_catalog.=) ANY (mapped)),
         (SELECT pg_catalog.jsonb_object_agg(e.key, e.value)
            FROM pg_catalog.jsonb_each(new_row) e WHERE e.key OPERATOR(pg_catalog.=) ANY (mapped)),
         (SELECT pg_catalog.array_agg(keys.k ORDER BY keys.k)
            FROM pg_catalog.jsonb_object_keys(COALESCE(old_row, new_row)) AS keys(k)
           WHERE COALESCE(old_row OPERATOR(pg_catalog.->) keys.k, 'null'::pg_catalog.jsonb)
                 OPERATOR(pg_catalog.<>) COALESCE(new_row OPERATOR(pg_catalog.->) keys.k, 'null'::pg_catalog.jsonb)));
END;
$body$
$fn$, here);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s.agent_config_sync_record_change(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.text[]) FROM PUBLIC', here);

    -- True when converting a row of the table to jsonb runs only trusted code. to_jsonb calls a
    -- type's cast to json when one exists (for an enum, a range or a base type, also inside arrays,
    -- domains and composite columns), and the trigger functions convert rows as the role that
    -- migrated: a cast whose function a less-privileged role owns (the owner of the agents table can
    -- add a column of its own enum type, and cast that type with its own function) would run that
    -- role's code with the migrating role's privileges on every write. Trusted: casts whose
    -- function a superuser or the migrating role itself owns (an extension's, this install's).
    -- When this is false the triggers record the change without values rather than convert.
    EXECUTE pg_catalog.format($fn$
CREATE OR REPLACE FUNCTION %1$s.agent_config_sync_row_convertible(relation pg_catalog.oid) RETURNS pg_catalog.bool
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- search_path is pinned to pg_catalog (pg_temp is never searched for operators), so the bare
    -- operators below are the built-in ones.
    -- The common case first, and cheap (it runs for every row written): no type created after the
    -- system's own (to_jsonb consults casts only for those) has a cast to json whose function an
    -- untrusted role owns. Only then are the table's column types looked through.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
                    WHERE c.casttarget = 'pg_catalog.json'::pg_catalog.regtype AND c.castmethod = 'f'
                      AND c.castsource >= 16384
                      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                       WHERE r.oid = p.proowner AND (r.rolsuper OR r.rolname = CURRENT_USER))) THEN
        RETURN true;
    END IF;
    RETURN NOT EXISTS (
        WITH RECURSIVE reached(type) AS (
            SELECT a.atttypid FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
          UNION
            SELECT inner_type.type
              FROM reached JOIN pg_catalog.pg_type t ON t.oid = reached.type
              CROSS JOIN LATERAL (
                    SELECT t.typbasetype WHERE t.typbasetype <> 0
                    UNION ALL SELECT t.typelem WHERE t.typelem <> 0
                    UNION ALL SELECT f.atttypid FROM pg_catalog.pg_attribute f
                               WHERE t.typrelid <> 0 AND f.attrelid = t.typrelid AND f.attnum > 0 AND NOT f.attisdropped
              ) AS inner_type(type)
        )
        SELECT 1
          FROM reached
          JOIN pg_catalog.pg_cast c ON c.castsource = reached.type AND c.casttarget = 'pg_catalog.json'::pg_catalog.regtype
          JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
          JOIN pg_catalog.pg_roles r ON r.oid = p.proowner
         WHERE NOT r.rolsuper AND r.rolname <> CURRENT_USER);
END;
$body$
$fn$, here);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s.agent_config_sync_row_convertible(pg_catalog.oid) FROM PUBLIC', here);
    EXECUTE pg_catalog.format('ALTER FUNCTION %s.agent_config_sync_row_convertible(pg_catalog.oid) OWNER TO CURRENT_USER', here);

    -- Removes changes older than keep_days (at least 1), oldest first, at most max_rows per call, and
    -- never the newest row: the ledger's highest id is every running sync's "through change N" and
    -- must not go back. SECURITY DEFINER so a sync's role needs only EXECUTE on this (nothing on the
    -- table); one prune at a time (the others return 0 at once); rows a concurrent prune or reader
    -- holds are skipped, so it never waits on them. The caller bounds it with its own timeouts.
    EXECUTE pg_catalog.format($fn$
CREATE OR REPLACE FUNCTION %1$s.agent_config_sync_prune_changes(keep_days pg_catalog.int4, max_rows pg_catalog.int4 DEFAULT 10000)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    newest pg_catalog.int8;
    removed pg_catalog.int8;
BEGIN
    IF keep_days IS NULL OR keep_days OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'keep_days must be a whole number of days, at least 1 (got %%)', keep_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF max_rows IS NULL OR max_rows OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'max_rows must be at least 1 (got %%)', max_rows USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_catalog.pg_try_advisory_xact_lock(7412063150::pg_catalog.int8) THEN
        RETURN 0;
    END IF;
    SELECT pg_catalog.max(id) INTO newest FROM %1$s.agent_config_changes;
    DELETE FROM %1$s.agent_config_changes c
     WHERE c.id OPERATOR(pg_catalog.=) ANY (ARRAY(
        SELECT d.id FROM %1$s.agent_config_changes d
         WHERE d.at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(days => keep_days))
           AND d.id OPERATOR(pg_catalog.<) newest
         ORDER BY d.id
         LIMIT max_rows
         FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$body$
$fn$, here);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s.agent_config_sync_prune_changes(pg_catalog.int4, pg_catalog.int4) FROM PUBLIC', here);

    -- What a gateway needs of the ledger and nothing more: its highest id (the snapshot's "through
    -- change N") and who made the changes after a given id (the write's log line) — ids, actors, roles
    -- and applications, never a row's values. A gateway granted EXECUTE on this needs no SELECT on the
    -- ledger, which holds every roster's recorded columns. The first row is the mark itself (id = the
    -- highest id, the other columns NULL), so one call answers both; at most 100 authors follow, oldest
    -- first. STABLE: it reads the calling transaction's snapshot, so the mark is the snapshot's own.
    EXECUTE pg_catalog.format($fn$
CREATE OR REPLACE FUNCTION %1$s.agent_config_sync_changes_since(after_id pg_catalog.int8)
RETURNS TABLE (id pg_catalog.int8, actor pg_catalog.text, db_role pg_catalog.text, application_name pg_catalog.text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE(pg_catalog.max(c.id), 0), NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text
      FROM %1$s.agent_config_changes c
    UNION ALL
    (SELECT c.id, c.actor, c.db_role::pg_catalog.text, c.application_name
       FROM %1$s.agent_config_changes c
      WHERE after_id IS NOT NULL AND c.id OPERATOR(pg_catalog.>) after_id
      ORDER BY c.id
      LIMIT 100)
$body$
$fn$, here);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s.agent_config_sync_changes_since(pg_catalog.int8) FROM PUBLIC', here);
    EXECUTE pg_catalog.format('ALTER FUNCTION %s.agent_config_sync_changes_since(pg_catalog.int8) OWNER TO CURRENT_USER', here);
    -- Owned by whoever migrates (a replaced function keeps its old owner otherwise).
    EXECUTE pg_catalog.format('ALTER FUNCTION %s.agent_config_sync_record_change(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.text[]) OWNER TO CURRENT_USER', here);
    EXECUTE pg_catalog.format('ALTER FUNCTION %s.agent_config_sync_prune_changes(pg_catalog.int4, pg_catalog.int4) OWNER TO CURRENT_USER', here);
END
$ledger$;
