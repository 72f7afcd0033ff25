-- agent-config-sync: notify on every change to agents.
-- Any notification on the channel means "re-read everything"; the payload is informational.
-- Trigger names match the ones operators already have, so re-running replaces instead of adding.

CREATE OR REPLACE FUNCTION notify_agent_config_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    agent_name TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        agent_name := OLD.name;
    ELSIF TG_OP IN ('INSERT', 'UPDATE') THEN
        agent_name := NEW.name;
    END IF;
    PERFORM pg_notify(
        -- 'agent_config_changed' unless agent_config_sync.channel is set (ALTER DATABASE … SET, see README)
        COALESCE(NULLIF(current_setting('agent_config_sync.channel', true), ''), 'agent_config_changed'),
        json_build_object(
            'source', 'agents',
            'agent_name', left(agent_name, 200),
            'operation', TG_OP
        )::text
    );
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS agent_config_changed ON agents;
CREATE TRIGGER agent_config_changed
    AFTER INSERT OR UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION notify_agent_config_changed();

DROP TRIGGER IF EXISTS agent_config_changed_truncate ON agents;
CREATE TRIGGER agent_config_changed_truncate
    AFTER TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agent_config_changed();
