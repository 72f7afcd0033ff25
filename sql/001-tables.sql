-- agent-config-sync: tables, created only when missing.
-- An existing (upstream-shaped) agents table is left exactly as it is: extra columns and data stay.
-- The plugin needs `name` and `model`; it reads fallback_models, allowed_subagents, is_default,
-- instance_type, status, heartbeat_enabled/every/target/to, thinking and openclaw_config when they exist
-- (DESIGN §10). Only a new table gets them: an existing table is never altered.

CREATE TABLE IF NOT EXISTS agents (
    id                SERIAL PRIMARY KEY,
    name              VARCHAR(100) NOT NULL UNIQUE,
    model             VARCHAR(100),
    fallback_models   TEXT[],
    allowed_subagents TEXT[],
    is_default        BOOLEAN NOT NULL DEFAULT FALSE,
    instance_type     VARCHAR(20) NOT NULL DEFAULT 'primary',
    status            VARCHAR(20) DEFAULT 'active',
    heartbeat_enabled BOOLEAN DEFAULT FALSE,
    heartbeat_every   TEXT,
    heartbeat_target  TEXT,
    heartbeat_to      TEXT,
    thinking          VARCHAR(20),
    openclaw_config   JSONB,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS agent_system_config (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    value_type  TEXT NOT NULL DEFAULT 'text',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
