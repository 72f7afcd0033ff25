/** Help texts of the CLI, one per command. */
export const HELP: Record<string, string> = {
  main: `agent-config-sync — keep OpenClaw's agents.json in sync with PostgreSQL

Usage: agent-config-sync <command> [flags]

Commands:
  sync --once     read the database once, write the file if it changed (--dry-run, --diff)
  watch           keep the file in sync: LISTEN, coalesce, snapshot, write, reload
  migrate         create the tables, trigger functions and triggers (idempotent)
  status          the file on disk against what the database renders now (exit 2 when they differ)
  doctor          check the whole chain: database, triggers, LISTEN, output path, $include, host shape
  fleet           every gateway sharing this database: current, behind, stale, failing, conflict or stopped
  history         who changed what in the database, newest first (the change ledger)
  revert ID       undo one change (or --to ID: every change after it) in one transaction
  quickstart      embedded PostgreSQL + demo roster + watch into ./.openclaw-demo/agents.json (npm start)

Gateway: sync, watch, status and doctor find openclaw.json as OpenClaw does ($OPENCLAW_CONFIG_PATH,
$OPENCLAW_STATE_DIR/openclaw.json, ~/.openclaw/openclaw.json), say which file they used, and take the
plugin's settings there (outputPath, channel, agentsSource, format, layout, rowSettings,
minHeartbeatEvery; flags win).
Connection: --database-url URL (or --database-url-file FILE holding it), else, with an openclaw.json,
the plugin's chain (plugin config, channels.agent_chat, ~/.openclaw/postgres.json), else DATABASE_URL,
else the PG* variables. A password in --database-url is visible in ps to every local user: put the URL in a
file (chmod 600) for --database-url-file, or the password in PGPASSWORD / ~/.pgpass.
Run "agent-config-sync <command> --help" for the flags of a command.
Exit codes: 0 ok, 1 failure (one line on stderr; doctor: a check failed), 2 --diff or status found a
difference, 64 bad flag or value.
`,
  sync: `Usage: agent-config-sync sync --once [flags]

Reads both tables in one snapshot, renders agents.json and replaces the file atomically when it changed.

  --once                  one sync, then exit (the default: "sync" alone does the same; "watch" keeps syncing)
  --dry-run               print the file that would be written; write nothing
  --diff                  print what would change against the file on disk; write nothing;
                          exit 2 when something would change, 0 when not
  -o, --output FILE       the file to write (default: agents.json beside --openclaw-config)
  --openclaw-config FILE  the gateway's openclaw.json (default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json or ~/.openclaw/openclaw.json
                          when it exists): used for the default output, the layout and warnings
  --host-version V        OpenClaw version the file is for, e.g. 2026.8.2 (default: openclaw.json's
                          meta.lastTouchedVersion; unknown means the newest shape)
  --format F              entries | list | auto (default auto: entries on >= 2026.8, list before)
  --layout L              root | section | auto (default auto: as openclaw.json includes the file, else root)
  --agents-source NAME    table, view or set-returning function (default agents)
  --gateway-id ID         this gateway's id in a fleet, set as agent_config_sync.gateway while reading
                          (default <hostname>:<OpenClaw state dir>)
  --allow-empty           allow replacing a roster that has agents with an empty one
  --row-settings a,b.c    the openclaw_config paths a row may set (prefix match; the plugin's rowSettings).
                          Replaces the default list (description, identity.name, identity.theme,
                          identity.emoji, heartbeat.activeHours, reasoningDefault, fastModeDefault); what
                          the columns write (model, subagents.allowAgents, heartbeat.every|target|to,
                          thinkingDefault) is always allowed; empty (--row-settings=): columns only.
                          Anything else is left out and warned. Listing tools, sandbox, workspace,
                          agentDir, memory, params or heartbeat.prompt hands every row writer that power
                          over the host
  --min-heartbeat-every D shortest heartbeat a row may set; shorter is raised to it (default 5m; 0: none)
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  --reload-pid-file F     after a write, signal the process whose id is in F (read again before every
                          signal: a new pid is followed only when it runs the same executable as the
                          first; the same pid with another start time was reused by another process and
                          is not signalled; pid 0, 1 and the sync's own never). F and its directory must
                          belong to the sync's user or root and be writable by no one else ...
  --reload-signal SIG     ... with SIG: SIGHUP (default) or SIGUSR2; never sent if the process does not
                          catch it. SIGUSR1 is never sent to another process (Node opens its inspector)
  --signal-node-process   allow signalling a Node process (told by its executable, not its name): its
                          SIGHUP/SIGUSR2 handler cannot be told apart from signal-exit's, which re-raises
                          the signal and kills it; without this flag such a process is not signalled
  --touch FILE            after a write, set FILE's mtime to now (e.g. openclaw.json on OpenClaw < 2026.8)
  --exec "CMD"            after a write, run CMD with the shell, in a process group of its own
  --exec-timeout-ms N     stop CMD's whole process group (SIGTERM, SIGKILL 2 s later) when it runs longer
                          than N ms (default 30000); it is stopped the same way when the sync stops
  --openclaw-bin FILE     check the file with this host's own schema (openclaw config validate --json)
                          before writing (default: openclaw on PATH; none: our own rules only)
  --json                  with --diff: print {path, changed, changes} as JSON
  -v, --verbose           debug lines on stderr
`,
  watch: `Usage: agent-config-sync watch [flags]

Keeps the file in sync until SIGINT/SIGTERM: LISTENs on the channel, coalesces bursts, re-reads both
tables, writes atomically when the file changes, then reloads. Reconnects forever (5 s doubling to 60 s).

  --debounce-ms N         quiet window before a resync (default 250)
  --max-wait-ms N         longest a change waits under constant changes (default 2000)
  --reconcile-ms N        full re-read every N ms, writing only when the file differs: catches changes
                          that sent no notification (triggers disabled, replication apply); 0 = off
                          (default 300000)
  --channel NAME          LISTEN channel (default agent_config_changed)
  --history-days N        keep N days of the change ledger (1 to 36500, default 90): pruned at most
                          hourly, never the newest change (the sync's role needs EXECUTE on
                          agent_config_sync_prune_changes; without it the sync warns once and goes on)
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  plus every flag of "sync" except --once, --dry-run, --diff

The file is watched: a change by another writer (a hand edit, "openclaw config set agents…") is
undone within about 2 s and logged; a deleted file is recreated.
`,
  quickstart: `Usage: agent-config-sync quickstart [flags]      (what "npm start" runs)

Starts an embedded PostgreSQL (data in ./.pgdata, a free port on 127.0.0.1), applies the migrations,
seeds a demo roster when the tables are empty and watches into ./.openclaw-demo/agents.json.
The embedded superuser's password is random per data folder, kept in <data-dir>/quickstart-password
(mode 0600) and never printed; the printed demo command reads it from there.
With DATABASE_URL / PG* set (or --database-url), uses that database instead. Ctrl-C stops everything.

  -o, --output FILE       where to write (default ./.openclaw-demo/agents.json)
  --data-dir DIR          data folder of the embedded PostgreSQL (default ./.pgdata; kept between runs)
  --database-url URL      use this database instead of the embedded one
  --database-url-file FILE  the same, the URL read from FILE (trimmed); keeps the password out of ps
  --format F, --layout L, --debounce-ms N, --max-wait-ms N, --reconcile-ms N, -v/--verbose: as for "watch"
`,
  migrate: `Usage: agent-config-sync migrate [flags]

Applies the SQL files (tables if missing, trigger functions, triggers, seed) in one transaction.
Running it twice changes nothing; existing tables, columns and rows are kept.

  --verify-only           check that tables, functions and triggers exist and that the trigger
                          functions are hardened (search_path pinned); change nothing;
                          exit 1 and list what is missing when something is
  --channel NAME          make the triggers notify NAME (ALTER DATABASE … SET agent_config_sync.channel;
                          sessions opened afterwards); agent_config_changed resets it to the default;
                          trimmed, 1 to 63 bytes (PostgreSQL counts bytes, not characters)
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  --json                  print the result as JSON
`,
  status: `Usage: agent-config-sync status [flags]

Shows what the file holds (agents, roster shape, layout, size), when it was last written (mtime),
what the database renders now with the same settings as "sync --once", and whether the two are
byte-equal. Reads only; writes nothing.

  -o, --output FILE       the file (default: agents.json beside --openclaw-config)
  --openclaw-config FILE  the gateway's openclaw.json (default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json or ~/.openclaw/openclaw.json
                          when it exists)
  --host-version V        OpenClaw version, e.g. 2026.8.2 (default: openclaw.json's meta.lastTouchedVersion)
  --format F              entries | list | auto (default auto)
  --layout L              root | section | auto (default auto)
  --agents-source NAME    table, view or set-returning function (default agents)
  --row-settings a,b.c, --min-heartbeat-every D: the row policy, as for "sync"
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  --json                  print {path, agree, file, database, host, changes} as JSON

Exit codes: 0 the file agrees with the database, 2 they differ (or the file is missing),
1 error (e.g. the database is unreachable), 64 bad flag or value.
`,
  fleet: `Usage: agent-config-sync fleet [flags]

Lists every gateway recorded in agent_config_sync_gateways (each running sync upserts its row on
start, after each sync or error, at most once a second, and once a minute otherwise) with the
database role that owns the row, judged from its row and the change ledger alone:
  current   its file holds every change made before now - (its max wait + 5 s)
  behind    it does not: "3 changes behind, oldest 41, 12 s ago"
  stale     its row was not refreshed for 3 of its intervals (crashed, or cut off from the database)
  failing   its last error is newer than its last sync
  conflict  two instances (processes) write one gateway id: give each its own gatewayId
  stopped   its last word was a clean stop; it reads everything when it starts again

  --change ID             which gateways have change ID (from "history") and when each synced it;
                          exit 0 every running gateway has it, 2 some do not yet, 1 no such change
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  --forget ID             remove the row of a retired gateway (needs DELETE on the table: the operator's
                          role, not a gateway's); exit 0 when removed, 1 when there was none
  --json                  print {current, behind, stale, failing, conflict, stopped, gateways: [...]} as JSON

Needs SELECT on agent_config_sync_gateways and agent_config_changes.
Exit codes: 0 every gateway current or stopped (or none recorded), 2 some behind or stale, 1 some
failing or in conflict, or an error (e.g. no table: run "agent-config-sync migrate"), 64 bad flag or value.
`,
  history: `Usage: agent-config-sync history [flags]

The change ledger (agent_config_changes, written by the triggers in the writer's own transaction),
newest first: id, time, actor (the application's agent_config_sync.actor, else the login role), role,
application, table, agent or key, operation, and what changed (old → new). Only the columns the sync
reads are recorded with their values; any other column that changed is named, its value never
recorded (upstream tables hold prompts and secrets). Kept historyDays (default 90) days.

  --agent NAME            only changes to this agent (by its name before or after a rename)
  --since WHEN            only changes since WHEN: a duration back from now (30m, 1h, 2d) or an ISO
                          date or time (2026-12-07, 2026-12-07T17:00:00Z)
  --limit N               at most N changes (default 50, at most 10000)
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables); the role
                          needs SELECT on agent_config_changes
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  --json                  print {changes: [{id, at, actor, role, application, clientAddr, source, key,
                          operation, old, new, changed}]} (a TRUNCATE's old: the rows it removed)

Exit codes: 0 ok, 1 error (no ledger: run "agent-config-sync migrate"; no SELECT on it), 64 bad flag or value.
`,
  revert: `Usage: agent-config-sync revert ID [flags]
       agent-config-sync revert --to ID [flags]

"revert ID" undoes one change: an insert is deleted, an update restored, a delete re-inserted, a
TRUNCATE's rows put back. It is refused, naming them, when a later change touched the same row
(revert those first, or use --force). "revert --to ID" puts every row changed after change ID back
as it was at ID (renames followed; rows inserted since are deleted). Either runs in one transaction,
and is itself recorded in the ledger with application "agent-config-sync revert"; running syncs
write the file as usual. Only the columns the ledger records are restored: other columns of an
updated row keep their values, a re-inserted row gets their defaults.

It writes the tables as the connecting role: that role needs the writer's privileges (SELECT,
INSERT, UPDATE, DELETE on agents and agent_system_config) and SELECT on agent_config_changes.

  --to ID                 go back to change ID instead of undoing one change
  --force                 revert ID even though a later change touched the same row
  --dry-run               print what would change; write nothing
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --database-url-file FILE  the URL read from FILE (trimmed); keeps the password out of ps
  --json                  print {dryRun, change | to, steps: [{source, key, action, columns, before,
                          after}], recordedAs, refused?: {reason, later}}

Exit codes: 0 reverted (or nothing to revert, or a dry run), 2 refused: a later change touched the
same row (nothing written), 1 error (no such change, pruned history, a constraint), 64 bad flag or value.
`,
  doctor: `Usage: agent-config-sync doctor [flags]

Checks the whole chain and prints one finding per check (ok / warn / fail) with one line of advice:
  database         reachable, and not a hot standby
  schema           both tables, both trigger functions and all four triggers present
  listen           LISTEN holds on this connection (PgBouncer transaction pooling breaks it)
  triggers-firing  a committed no-op write per table (a row updated to itself, or the scratch key
                   __agent_config_sync_doctor inserted and deleted in one transaction when the table
                   is empty) sends a notification that arrives on the channel within --timeout-ms;
                   a running watcher resyncs and writes nothing
  agent-columns    which optional columns the agents source has, and what a missing one would enable
  output-writable  the output's directory exists and the file can be replaced atomically
  output-owner     no user but the sync's own and root owns or can write the output's directory (a
                   shared or sticky one like /tmp is refused), a symlink at the output or its target's
                   directory; the sync refuses to write there
  output-exists    the file exists (an $include of a missing file stops the gateway)
  include-roots    the file is inside openclaw.json's directory or OPENCLAW_INCLUDE_ROOTS
  included         openclaw.json really $includes the file (else the sync is ignored)
  shadowed-keys    keys the database writes that openclaw.json also sets beside $include (it wins)
  roster-shape     the file on disk fits the OpenClaw version (--host-version or meta.lastTouchedVersion)
  default-agent    on the keyed roster (≥ 2026.8): a default agent, and talk.agentId and bindings set in
                   openclaw.json itself (OpenClaw's own migration of a default writes them outside the include)
  in-sync          the file equals what the database renders now
  temp-files       temp files a killed writer left beside the output

  --openclaw-config FILE  the gateway's openclaw.json (default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json or ~/.openclaw/openclaw.json
                          when it exists)
  -o, --output FILE       the file (default: agents.json beside openclaw.json)
  --host-version V        OpenClaw version, e.g. 2026.8.2 (default: openclaw.json's meta.lastTouchedVersion)
  --channel NAME          the channel the sync LISTENs on (default agent_config_changed)
  --timeout-ms N          how long to wait for the test notification (default 2000)
  --format F, --layout L, --agents-source NAME, --row-settings a,b.c, --min-heartbeat-every D,
  --database-url URL, --database-url-file FILE: as for "status"
  --json                  print {output, connection, channel, ok, checks: [{id, status, detail, advice}]}

Exit codes: 0 no check failed (warnings allowed), 1 at least one failed, 64 bad flag or value.
`,
};
