/** Help texts of the CLI, one per command. */
export const HELP: Record<string, string> = {
  main: `agent-config-sync — keep OpenClaw's agents.json in sync with PostgreSQL

Usage: agent-config-sync <command> [flags]

Commands:
  sync --once     read the database once, write the file if it changed (--dry-run, --diff)
  watch           keep the file in sync: LISTEN, coalesce, snapshot, write, reload
  migrate         create the tables, trigger functions and triggers (idempotent)
  quickstart      embedded PostgreSQL + demo roster + watch into ./.openclaw-demo/agents.json (npm start)

Connection: --database-url URL, else DATABASE_URL, else the PG* variables.
Run "agent-config-sync <command> --help" for the flags of a command.
Exit codes: 0 ok, 1 failure (one line on stderr), 2 --diff found a change, 64 bad flag or value.
`,
  sync: `Usage: agent-config-sync sync --once [flags]

Reads both tables in one snapshot, renders agents.json and replaces the file atomically when it changed.

  --once                  required: one sync, then exit
  --dry-run               print the file that would be written; write nothing
  --diff                  print what would change against the file on disk; write nothing;
                          exit 2 when something would change, 0 when not
  -o, --output FILE       the file to write (default: agents.json beside --openclaw-config)
  --openclaw-config FILE  the gateway's openclaw.json (default: $OPENCLAW_CONFIG_PATH or ~/.openclaw/openclaw.json
                          when it exists): used for the default output, the layout and warnings
  --host-version V        OpenClaw version the file is for, e.g. 2026.8.2 (default: openclaw.json's
                          meta.lastTouchedVersion; unknown means the newest shape)
  --format F              entries | list | auto (default auto: entries on >= 2026.8, list before)
  --layout L              root | section | auto (default auto: as openclaw.json includes the file, else root)
  --agents-source NAME    table, view or set-returning function (default agents)
  --allow-empty           allow replacing a roster that has agents with an empty one
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --reload-pid-file F     after a write, signal the process whose id is in F ...
  --reload-signal SIG     ... with SIG: SIGHUP (default), SIGUSR1, SIGUSR2; never sent if the process does not handle it
  --touch FILE            after a write, set FILE's mtime to now (e.g. openclaw.json on OpenClaw < 2026.8)
  --exec "CMD"            after a write, run CMD with the shell
  --json                  with --diff: print {path, changed, changes} as JSON
  -v, --verbose           debug lines on stderr
`,
  watch: `Usage: agent-config-sync watch [flags]

Keeps the file in sync until SIGINT/SIGTERM: LISTENs on the channel, coalesces bursts, re-reads both
tables, writes atomically when the file changes, then reloads. Reconnects forever (5 s doubling to 60 s).

  --debounce-ms N         quiet window before a resync (default 250)
  --max-wait-ms N         longest a change waits under constant changes (default 2000)
  --channel NAME          LISTEN channel (default agent_config_changed)
  plus every flag of "sync" except --once, --dry-run, --diff
`,
  quickstart: `Usage: agent-config-sync quickstart [flags]      (what "npm start" runs)

Starts an embedded PostgreSQL (data in ./.pgdata, a free port on 127.0.0.1), applies the migrations,
seeds a demo roster when the tables are empty and watches into ./.openclaw-demo/agents.json.
With DATABASE_URL / PG* set (or --database-url), uses that database instead. Ctrl-C stops everything.

  -o, --output FILE       where to write (default ./.openclaw-demo/agents.json)
  --database-url URL      use this database instead of the embedded one
  --format F, --layout L, --debounce-ms N, --max-wait-ms N, -v/--verbose: as for "watch"
`,
  migrate: `Usage: agent-config-sync migrate [flags]

Applies the SQL files (tables if missing, trigger functions, triggers, seed) in one transaction.
Running it twice changes nothing; existing tables, columns and rows are kept.

  --verify-only           check that tables, functions and triggers exist; change nothing;
                          exit 1 and list what is missing when something is
  --database-url URL      PostgreSQL connection (default DATABASE_URL, then PG* variables)
  --json                  print the result as JSON
`,
};
