-- agent-config-sync: fleet status (DESIGN §9), created only when missing.
-- Each running instance upserts its own row: on start, after each write or error, and at most once a
-- minute otherwise. `agent-config-sync fleet` reads it. There is deliberately no notify trigger on this
-- table: a status row must never make the fleet re-read its rosters.
-- Grant each gateway's role SELECT, INSERT, UPDATE on it; without them the sync goes on and warns once.
-- `fleet --forget ID` deletes a retired gateway's row: that needs DELETE, which only an operator's role should have.

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

-- stopped_at: set by an instance's last upsert when it stops cleanly, cleared by its next start. `fleet`
-- calls such a gateway "stopped" (not stale: it syncs in full when it starts again). Added in place to
-- tables created before it.
ALTER TABLE agent_config_sync_gateways ADD COLUMN IF NOT EXISTS stopped_at TIMESTAMPTZ;
