#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local backing services of the authz suite, without Docker:
#   PostgreSQL 15 :5432, Redis 7 :6379, Kafka 3.9.1 :9092 (KRaft), OpenLDAP :3389.
#
#   deploy/local/services.sh up             ensure all four run, then print the env lines
#   deploy/local/services.sh down [--purge] stop only what this tooling started
#                                           (--purge also deletes Kafka and LDAP data)
#   deploy/local/services.sh env            print the env lines only
#   deploy/local/services.sh status         one line per service (exit 1 if any is down)
#
# stdout of `up` and `env` is exactly KEY=value lines, usable as e.g.
#   eval "$(deploy/local/services.sh up)"   or   deploy/local/services.sh up > .env.local
# Progress and errors go to stderr. `up` is idempotent and fast (well under 2 s) when
# everything already runs.
#
# PostgreSQL and Redis normally run already (machine services); they are started here
# only when down, and then recorded in the state dir (postgres.pid / redis.pid) so that
# `down` stops them again - and never a server this tooling did not start.
#
# State: ${AUTHZ_STATE_DIR:-~/.local/state/authz-suite}   Jar cache: ${AUTHZ_CACHE_DIR:-~/.cache/authz-suite}
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=kafka.sh
source "$HERE/kafka.sh"
# shellcheck source=ldap.sh
source "$HERE/ldap.sh"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_DB="test"
PG_USER=postgres
DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"
PG_PIDFILE="$STATE_DIR/postgres.pid"     # line 1: postmaster pid, line 2: cluster version
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT"
REDIS_PIDFILE="$STATE_DIR/redis.pid"     # written by redis-server itself
REDIS_STATE="$STATE_DIR/redis"

print_env() {
  kafka_env
  printf 'DATABASE_URL=%s\n' "$DATABASE_URL"
  printf 'REDIS_URL=%s\n' "$REDIS_URL"
  ldap_env
}

# ---------------------------------------------------------------- PostgreSQL
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

# Newest cluster version configured in /etc/postgresql (normally just "15").
pg_version() {
  local v
  v=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
  [[ -n "$v" ]] || die "postgres: no cluster in /etc/postgresql (install postgresql-15)"
  printf '%s\n' "$v"
}

pg_up() {
  need_cmd pg_isready "Install postgresql-client (apt-get install -y postgresql)."
  if pg_ready; then
    log "postgres: already running on $PG_HOST:$PG_PORT"
  else
    need_cmd pg_ctlcluster "Install postgresql-common (apt-get install -y postgresql)."
    local ver datadir pid i t0
    t0=$(now_ms)
    ver=$(pg_version)
    log "postgres: not answering, starting cluster $ver/main"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 9>&- ||
      die "postgres: pg_ctlcluster $ver main start failed"
    for ((i = 0; i < 300; i++)); do
      pg_ready && break
      sleep 0.1
    done
    pg_ready || die "postgres: started but $PG_HOST:$PG_PORT does not accept connections after 30s"
    # Record that we started it: the postmaster pid (first line of postmaster.pid).
    datadir=$(pg_lsclusters -h 2>/dev/null | awk -v v="$ver" '$1 == v && $2 == "main" {print $6}')
    pid=$(head -n1 "$datadir/postmaster.pid" 2>/dev/null || true)
    [[ -n "$pid" ]] || die "postgres: cannot read the postmaster pid in $datadir"
    printf '%s\n%s\n' "$pid" "$ver" >"$PG_PIDFILE"
    log "postgres: started (pid $pid, $(elapsed "$t0"))"
  fi
  # The test database must exist (it normally does; a fresh cluster lacks it).
  local has_db
  has_db=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" 2>&1) ||
    die "postgres: cannot connect as $PG_USER (trust auth on 127.0.0.1 expected): $has_db"
  if [[ "$has_db" != 1 ]]; then
    log "postgres: creating database $PG_DB"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB" || die "postgres: createdb $PG_DB failed"
  fi
}

pg_down() {
  local pid ver
  [[ -f "$PG_PIDFILE" ]] || return 0
  ver=$(sed -n 2p "$PG_PIDFILE")
  if pid=$(pid_from_file "$PG_PIDFILE" postgres); then
    log "postgres: stopping cluster $ver/main (pid $pid, started by this tooling)"
    # Fast shutdown (SIGTERM would be postgres' "smart" mode, which waits for clients).
    if ! pg_ctlcluster --skip-systemctl-redirect --mode fast "$ver" main stop >&2; then
      warn "postgres: pg_ctlcluster stop failed, signalling the postmaster"
      stop_pidfile "$PG_PIDFILE" postgres postgres INT
    fi
  fi
  rm -f "$PG_PIDFILE"
}

pg_status() {
  local pid how="not started by this tooling"
  if pid=$(pid_from_file "$PG_PIDFILE" postgres); then
    how="pid $pid, started by this tooling"
  fi
  if pg_ready; then
    printf '%-9s running   %-22s %s\n' postgres "$PG_HOST:$PG_PORT" "$how"
    return 0
  fi
  printf '%-9s stopped   %-22s\n' postgres "$PG_HOST:$PG_PORT"
  return 1
}

# ---------------------------------------------------------------- Redis
redis_ready() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_up() {
  need_cmd redis-cli "Install redis (apt-get install -y redis-server)."
  if redis_ready; then
    log "redis: already running on $REDIS_HOST:$REDIS_PORT"
    return 0
  fi
  need_cmd redis-server "Install redis (apt-get install -y redis-server)."
  local i t0
  t0=$(now_ms)
  mkdir -p "$REDIS_STATE"
  log "redis: not answering, starting redis-server (pid file $REDIS_PIDFILE)"
  # Throw-away cache for tests: no persistence at all.
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
    --save "" --appendonly no --pidfile "$REDIS_PIDFILE" \
    --dir "$REDIS_STATE" --logfile "$REDIS_STATE/redis.log" </dev/null >&2 9>&- ||
    die "redis: redis-server failed to start"
  for ((i = 0; i < 100; i++)); do
    redis_ready && break
    sleep 0.1
  done
  if ! redis_ready; then
    show_log_tail "$REDIS_STATE/redis.log" 50
    die "redis: started but no PONG from $REDIS_HOST:$REDIS_PORT after 10s"
  fi
  log "redis: started ($(elapsed "$t0"))"
}

redis_down() { stop_pidfile "$REDIS_PIDFILE" redis-server redis; }

redis_status() {
  local pid how="not started by this tooling"
  if pid=$(pid_from_file "$REDIS_PIDFILE" redis-server); then
    how="pid $pid, started by this tooling"
  fi
  if redis_ready; then
    printf '%-9s running   %-22s %s\n' redis "$REDIS_HOST:$REDIS_PORT" "$how"
    return 0
  fi
  printf '%-9s stopped   %-22s\n' redis "$REDIS_HOST:$REDIS_PORT"
  return 1
}

# ---------------------------------------------------------------- commands
cmd_up() {
  local t0
  t0=$(now_ms)
  take_lock
  pg_up
  redis_up
  ldap_up   # seconds at most; before Kafka so a broken slapd fails fast
  kafka_up  # the slow one on a cold start (JVM, up to 120 s)
  log "all services up ($(elapsed "$t0"))"
  print_env
}

cmd_down() {
  local purge=${1:-}
  if [[ -n "$purge" && "$purge" != --purge ]]; then
    die "usage: $0 down [--purge]"
  fi
  take_lock
  kafka_down "$purge"
  ldap_down "$purge"
  redis_down
  pg_down
  log "down: done (PostgreSQL/Redis/Kafka/slapd not started by this tooling were left alone)"
}

cmd_status() {
  local rc=0
  pg_status || rc=1
  redis_status || rc=1
  kafka_status || rc=1
  ldap_status || rc=1
  printf 'state dir: %s\n' "$STATE_DIR"
  return "$rc"
}

services_main() {
  case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down "${2:-}" ;;
    env) print_env ;;
    status) cmd_status ;;
    *)
      echo "usage: $0 up|down [--purge]|env|status" >&2
      exit 2
      ;;
  esac
}

# Run only when executed (sourcing gives the functions, e.g. for tests).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  services_main "$@"
fi
