#!/usr/bin/env bash
# agent-config-sync installer: applies sql/*.sql with psql (one transaction, stops at the first error).
# Connection from the usual PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) or -d.
# Idempotent: running it twice changes nothing.
# Tables another role owns: the seed row is written as that owner (sql/163, so its triggers never run
# as the installing superuser), or the install stops naming the role to run it as (docs/privileges.md).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: agent-install.sh [-d|--database NAME] [--channel NAME] [--verify-only] [--help]

Applies the agent-config-sync SQL (tables if missing, notify triggers on agents and
agent_system_config, seed max_spawn_depth = 5) with psql, using PG* environment variables.
On tables another (non-superuser) role owns, the seed row is written as that role, so its
triggers never run with the installer's privileges; a role that cannot act as the owner is
refused, naming the role to run as.

  -d, --database NAME   database to install into (default: $PGDATABASE, else psql's default)
      --channel NAME    make the triggers notify NAME instead of agent_config_changed
                        (ALTER DATABASE … SET agent_config_sync.channel; sessions opened afterwards);
                        trimmed, 1 to 63 bytes (PostgreSQL's limit counts bytes, not characters)
      --verify-only     change nothing; check that the tables, functions and triggers exist
                        and that the trigger functions are hardened (search_path pinned)
  -h, --help            this text

Exit codes: 0 ok, 1 install failed or schema incomplete, 64 bad usage.
USAGE
}

# The channel rule of every agent-config-sync entry point (src/domain/channel.ts): the name is trimmed,
# then it must be 1 to 63 bytes, PostgreSQL's limit, which counts bytes, not characters (40 x "é" is 80).
# Prints the trimmed name, or explains on stderr and fails.
checked_channel() {
  local value="$1" bytes
  value="${value#"${value%%[![:space:]]*}"}"
  value="${value%"${value##*[![:space:]]}"}"
  bytes=$(printf '%s' "$value" | LC_ALL=C wc -c)
  bytes=$((bytes))
  if [ "$bytes" -eq 0 ] || [ "$bytes" -gt 63 ]; then
    echo "agent-install.sh: --channel must be a channel name of 1 to 63 bytes (PostgreSQL's limit; counted in bytes, not characters), got $bytes bytes" >&2
    return 1
  fi
  printf '%s' "$value"
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sql_dir="$here/sql"
verify_only=false
database="${PGDATABASE:-}"
channel=""

while [ $# -gt 0 ]; do
  case "$1" in
    -d|--database)
      [ $# -ge 2 ] && [ -n "$2" ] || { echo "agent-install.sh: $1 needs a database name" >&2; exit 64; }
      database="$2"; shift 2 ;;
    --database=*) database="${1#*=}"; shift ;;
    --channel)
      [ $# -ge 2 ] || { echo "agent-install.sh: --channel needs a channel name" >&2; exit 64; }
      channel="$(checked_channel "$2")" || exit 64; shift 2 ;;
    --channel=*) channel="$(checked_channel "${1#*=}")" || exit 64; shift ;;
    --verify-only) verify_only=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "agent-install.sh: unknown option '$1' (allowed: -d/--database NAME, --channel NAME, --verify-only, --help)" >&2; exit 64 ;;
  esac
done

command -v psql >/dev/null 2>&1 || { echo "agent-install.sh: psql not found (install the PostgreSQL client)" >&2; exit 1; }

psql_args=(-X -q -v ON_ERROR_STOP=1)
[ -n "$database" ] && psql_args+=(-d "$database")

if $verify_only; then
  missing="$(psql "${psql_args[@]}" -At <<'SQL'
SELECT label FROM (VALUES
  ('table agents', pg_catalog.to_regclass('agents') IS NOT NULL),
  ('table agent_system_config', pg_catalog.to_regclass('agent_system_config') IS NOT NULL),
  ('table agent_config_changes', pg_catalog.to_regclass('agent_config_changes') IS NOT NULL),
  ('function notify_agent_config_changed', pg_catalog.to_regprocedure('notify_agent_config_changed()') IS NOT NULL),
  ('function notify_system_config_changed', pg_catalog.to_regprocedure('notify_system_config_changed()') IS NOT NULL),
  ('trigger agent_config_changed on agents', EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE NOT tgisinternal AND tgname = 'agent_config_changed' AND tgrelid = pg_catalog.to_regclass('agents'))),
  ('trigger agent_config_changed_truncate on agents', EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE NOT tgisinternal AND tgname = 'agent_config_changed_truncate' AND tgrelid = pg_catalog.to_regclass('agents'))),
  ('trigger system_config_changed on agent_system_config', EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE NOT tgisinternal AND tgname = 'system_config_changed' AND tgrelid = pg_catalog.to_regclass('agent_system_config'))),
  ('trigger system_config_changed_truncate on agent_system_config', EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE NOT tgisinternal AND tgname = 'system_config_changed_truncate' AND tgrelid = pg_catalog.to_regclass('agent_system_config'))),
  ('function notify_agent_config_changed hardened (search_path pinned)', pg_catalog.to_regprocedure('notify_agent_config_changed()') IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure('notify_agent_config_changed()')::pg_catalog.oid AND 'search_path=pg_catalog, pg_temp' OPERATOR(pg_catalog.=) ANY (proconfig))),
  ('function notify_system_config_changed hardened (search_path pinned)', pg_catalog.to_regprocedure('notify_system_config_changed()') IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure('notify_system_config_changed()')::pg_catalog.oid AND 'search_path=pg_catalog, pg_temp' OPERATOR(pg_catalog.=) ANY (proconfig)))
) AS expected(label, found) WHERE NOT found;
SQL
)"
  if [ -n "$missing" ]; then
    echo "agent-install.sh: schema incomplete, missing:" >&2
    printf '  %s\n' "$missing" >&2
    echo "run agent-install.sh without --verify-only to install" >&2
    exit 1
  fi
  echo "agent-install.sh: schema complete${database:+ in $database}"
  exit 0
fi

files=("$sql_dir"/*.sql)
[ -e "${files[0]}" ] || { echo "agent-install.sh: no SQL files in $sql_dir" >&2; exit 1; }
args=()
for file in "${files[@]}"; do args+=(-f "$file"); done
# NOTICEs such as "relation … already exists, skipping" are what idempotent SQL says on a second run:
# not news for the operator. Warnings and errors still show.
psql "${psql_args[@]}" --single-transaction -c 'SET client_min_messages = warning' "${args[@]}"
if [ -n "$channel" ]; then
  # The default channel is a RESET, so the database carries no setting it does not need.
  # pg_catalog.format by its full name: an unqualified format(…) with these argument types could be
  # shadowed by a better-matching function a less privileged role planted in public.
  if [ "$channel" = agent_config_changed ]; then
    psql "${psql_args[@]}" <<'SQL'
SELECT pg_catalog.format('ALTER DATABASE %I RESET agent_config_sync.channel', pg_catalog.current_database()) \gexec
SQL
  else
    psql "${psql_args[@]}" -v channel="$channel" <<'SQL'
SELECT pg_catalog.format('ALTER DATABASE %I SET agent_config_sync.channel = %L', pg_catalog.current_database(), :'channel'::pg_catalog.text) \gexec
SQL
  fi
  echo "agent-install.sh: the triggers notify \"$channel\" (sessions opened from now on)"
fi
echo "agent-install.sh: applied $(printf '%s ' "${files[@]##*/}")${database:+to $database}"
