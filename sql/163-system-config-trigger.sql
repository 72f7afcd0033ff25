-- agent-config-sync: notify on every change to agent_system_config (the seed's migration 163),
-- and the seed row max_spawn_depth = 5 (kept when an operator already set it).

CREATE OR REPLACE FUNCTION notify_system_config_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    config_key TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        config_key := OLD.key;
    ELSIF TG_OP IN ('INSERT', 'UPDATE') THEN
        config_key := NEW.key;
    END IF;
    PERFORM pg_notify(
        -- 'agent_config_changed' unless agent_config_sync.channel is set (ALTER DATABASE … SET, see README)
        COALESCE(NULLIF(current_setting('agent_config_sync.channel', true), ''), 'agent_config_changed'),
        json_build_object(
            'source', 'agent_system_config',
            'key', left(config_key, 200),
            'operation', TG_OP
        )::text
    );
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS system_config_changed ON agent_system_config;
CREATE TRIGGER system_config_changed
    AFTER INSERT OR UPDATE OR DELETE ON agent_system_config
    FOR EACH ROW EXECUTE FUNCTION notify_system_config_changed();

DROP TRIGGER IF EXISTS system_config_changed_truncate ON agent_system_config;
CREATE TRIGGER system_config_changed_truncate
    AFTER TRUNCATE ON agent_system_config
    FOR EACH STATEMENT EXECUTE FUNCTION notify_system_config_changed();

INSERT INTO agent_system_config (key, value, value_type)
VALUES ('max_spawn_depth', '5', 'integer')
ON CONFLICT (key) DO NOTHING;
