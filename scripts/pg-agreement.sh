#!/usr/bin/env bash
# PostgreSQL agreement: replays every SQL fixture (and the WOR-321 example) into a real
# PostgreSQL and checks that Baton's schema model (`baton debug model DIR`) says what the
# catalogs say: RLS flags, columns, keys, policies, indexes, functions (SECURITY DEFINER,
# search_path, EXECUTE for anon/authenticated), views (security_invoker) and extensions. Then
# applies every SQL quick fix on its own and checks PostgreSQL still runs the migrations.
#
# Installs Debian's `postgresql` when it is missing (needs root), runs a throw-away cluster on
# 127.0.0.1 as the `postgres` user with its data under target/, and stops it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "pg-agreement: PostgreSQL is not installed and this is not root; skipped" >&2
    exit 0
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ "$(id -u)" != 0 ] && [ "$(id -un)" != postgres ]; then
  echo "pg-agreement: needs root (to run PostgreSQL as the postgres user); skipped" >&2
  exit 0
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

baton=${BATON_BIN:-target/debug/baton}
[ -x "$baton" ] || cargo build --locked -q
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

work="$PWD/target/pg-agreement"
rm -rf "$work"
mkdir -p "$work/data" "$work/run"
chown -R postgres:postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_postgres "$pgbin/initdb" -D "$work/data" -A trust -U postgres --locale=C --encoding=UTF8 --no-sync >/dev/null
stop() { as_postgres "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; }
trap stop EXIT
as_postgres "$pgbin/pg_ctl" -D "$work/data" -l "$work/run/server.log" -w \
  -o "-p $port -k $work/run -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null

python3 scripts/pg_agreement.py --port "$port" --baton "$baton" --psql "$pgbin/psql" --check-fixes \
  --exclude scripts/pg-agreement-exclude.txt ${PG_AGREEMENT_WORKSPACES:-tests/fixtures/sql/*/* tests/sql-model/* examples/wor-321}
