#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local OpenLDAP directory (Debian's slapd with its own slapd.conf) without Docker.
#
#   deploy/local/ldap.sh up       start slapd on ldap://127.0.0.1:3389/, seed it once, verify it
#   deploy/local/ldap.sh down     stop slapd if this tooling started it [--purge: delete its data]
#   deploy/local/ldap.sh status   one status line
#   deploy/local/ldap.sh env      LDAP_* lines
#
# Usually driven by services.sh, which sources this file for its ldap_* functions.
#
# Layout:
#   $STATE_DIR/slapd.pid          pid of slapd started by this tooling (written by slapd too)
#   $STATE_DIR/ldap/slapd.conf    rendered from deploy/local/ldap/slapd.conf.in
#   $STATE_DIR/ldap/data/         mdb database
#   $STATE_DIR/ldap/slapd.log     slapd output (-d stats: one line per operation; previous run: .prev)
#
# Credentials (local test values, documented in ldap/slapd.conf.in and ldap/seed.ldif):
#   root DN cn=admin,dc=example,dc=org / admin-password (seeding only)
#   service account cn=authz-service,ou=services,dc=example,dc=org / authz-service-password
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LDAP_HOST=127.0.0.1
# AUTHZ_LDAP_PORT: another port, with another AUTHZ_STATE_DIR, for a second instance (tests: failover, ppolicy).
LDAP_PORT="${AUTHZ_LDAP_PORT:-3389}"
LDAP_URL="ldap://$LDAP_HOST:$LDAP_PORT"
LDAP_BASE_DN="dc=example,dc=org"
LDAP_BIND_DN="cn=authz-service,ou=services,$LDAP_BASE_DN"
LDAP_BIND_PASSWORD="authz-service-password"
LDAP_ADMIN_DN="cn=admin,$LDAP_BASE_DN"
LDAP_ADMIN_PASSWORD="admin-password"
LDAP_START_TIMEOUT="${LDAP_START_TIMEOUT:-30}"
# -d makes slapd stay in the foreground (we background it ourselves) and log to stderr;
# "stats" = connections and operations, one line each. Override e.g. SLAPD_DEBUG=any.
SLAPD_DEBUG="${SLAPD_DEBUG:-stats}"
LDAP_STATE="$STATE_DIR/ldap"
LDAP_DATA="$LDAP_STATE/data"
LDAP_CONF="$LDAP_STATE/slapd.conf"
LDAP_LOG="$LDAP_STATE/slapd.log"
SLAPD_PIDFILE="$STATE_DIR/slapd.pid"
SLAPD_PID_PATTERN="slapd"
SEED_LDIF="$LOCAL_DIR/ldap/seed.ldif"

# The client tools must not pick up ~/.ldaprc, /etc/ldap/ldap.conf or LDAP* variables.
export LDAPNOINIT=1

ldap_env() {
  printf 'LDAP_URL=%s\n' "$LDAP_URL"
  printf 'LDAP_BASE_DN=%s\n' "$LDAP_BASE_DN"
  printf 'LDAP_BIND_DN=%s\n' "$LDAP_BIND_DN"
  printf 'LDAP_BIND_PASSWORD=%s\n' "$LDAP_BIND_PASSWORD"
}

ldap_check_tools() {
  local hint='Install it with: echo "slapd slapd/no_configuration boolean true" | debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils'
  # slapd lives in /usr/sbin, which is not on every PATH.
  [[ -x /usr/sbin/slapd ]] && PATH="$PATH:/usr/sbin"
  need_cmd slapd "$hint"
  need_cmd slaptest "$hint"
  local c
  for c in ldapsearch ldapadd ldapwhoami; do
    need_cmd "$c" "$hint"
  done
  [[ -f /usr/lib/ldap/back_mdb.la || -f /usr/lib/ldap/back_mdb.so ]] ||
    die "/usr/lib/ldap/back_mdb is missing (slapd package incomplete?). $hint"
}

# Anonymous read of the root DSE: the server answers LDAP.
ldap_answers() {
  ldapsearch -x -H "$LDAP_URL" -o nettimeout=2 -b "" -s base -LLL dn >/dev/null 2>&1
}

# ldap_wait PID T0: wait until slapd answers; loud failure when it dies or times out.
ldap_wait() {
  local pid=$1 t0=$2 deadline
  deadline=$(($(date +%s) + LDAP_START_TIMEOUT))
  until ldap_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$SLAPD_PIDFILE"
      show_log_tail "$LDAP_LOG" 50
      die "ldap: slapd (pid $pid) exited during startup; see $LDAP_LOG"
    fi
    if (($(date +%s) >= deadline)); then
      show_log_tail "$LDAP_LOG" 50
      stop_pidfile "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN" slapd
      die "ldap: slapd not answering on $LDAP_URL after ${LDAP_START_TIMEOUT}s (stopped)"
    fi
    sleep 0.1
  done
  log "ldap: slapd answers on $LDAP_URL (pid $pid, $(elapsed "$t0"))"
}

ldap_start() {
  local t0 pid i
  t0=$(now_ms)
  mkdir -p "$LDAP_DATA"
  render_template "$LOCAL_DIR/ldap/slapd.conf.in" "$LDAP_CONF" \
    "SLAPD_PID_FILE=$SLAPD_PIDFILE" \
    "SLAPD_ARGS_FILE=$LDAP_STATE/slapd.args" \
    "LDAP_DATA_DIR=$LDAP_DATA"
  # Config check first: a clear error instead of a slapd that dies in the background.
  if ! slaptest -u -f "$LDAP_CONF" >"$LDAP_STATE/slaptest.out" 2>&1; then
    cat "$LDAP_STATE/slaptest.out" >&2
    die "ldap: slaptest rejected $LDAP_CONF"
  fi
  [[ -f "$LDAP_LOG" ]] && mv -f "$LDAP_LOG" "$LDAP_LOG.prev"
  log "ldap: starting slapd on $LDAP_URL (log: $LDAP_LOG)"
  # Same launch pattern as Kafka: own session, pid file = slapd's pid, no lock fd.
  # slapd also writes (and on shutdown removes) the same pid file itself.
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner bash
  setsid bash -c 'printf "%s\n" "$$" >"$0"; exec "$@"' "$SLAPD_PIDFILE" \
    slapd -d "$SLAPD_DEBUG" -f "$LDAP_CONF" -h "$LDAP_URL/" \
    </dev/null >>"$LDAP_LOG" 2>&1 9>&- &
  for ((i = 0; i < 50; i++)); do
    pid=$(pid_from_file "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN") && break
    sleep 0.1
  done
  if [[ -z "${pid:-}" ]]; then
    rm -f "$SLAPD_PIDFILE"
    show_log_tail "$LDAP_LOG" 50
    die "ldap: slapd did not start (no live pid in $SLAPD_PIDFILE)"
  fi
  ldap_wait "$pid" "$t0"
}

# Seed online (ldapadd as the root DN) when the suffix entry does not exist yet.
ldap_seed_if_needed() {
  local rc=0 t0
  ldapsearch -x -H "$LDAP_URL" -D "$LDAP_ADMIN_DN" -w "$LDAP_ADMIN_PASSWORD" \
    -b "$LDAP_BASE_DN" -s base -LLL dn >/dev/null 2>&1 || rc=$?
  case $rc in
    0) return 0 ;;
    32) ;; # noSuchObject: empty directory
    49) die "ldap: $LDAP_URL rejects $LDAP_ADMIN_DN / admin-password (a slapd not configured by this tooling?)" ;;
    *) die "ldap: checking $LDAP_BASE_DN failed (ldapsearch exit $rc)" ;;
  esac
  t0=$(now_ms)
  log "ldap: seeding $LDAP_BASE_DN from $SEED_LDIF"
  if ! ldapadd -x -H "$LDAP_URL" -D "$LDAP_ADMIN_DN" -w "$LDAP_ADMIN_PASSWORD" \
    -f "$SEED_LDIF" >"$LDAP_STATE/seed.out" 2>&1; then
    cat "$LDAP_STATE/seed.out" >&2
    die "ldap: ldapadd of $SEED_LDIF failed"
  fi
  log "ldap: seeded $(grep -c '^adding new entry' "$LDAP_STATE/seed.out") entries in $(elapsed "$t0")"
}

# Cheap end-to-end checks of what the authz server relies on (run on every up).
ldap_verify() {
  local out
  ldapwhoami -x -H "$LDAP_URL" -D "uid=alice,ou=people,$LDAP_BASE_DN" -w alice-password >/dev/null 2>&1 ||
    die "ldap: alice cannot bind with her demo password"
  out=$(ldapsearch -x -H "$LDAP_URL" -D "$LDAP_BIND_DN" -w "$LDAP_BIND_PASSWORD" \
    -b "ou=people,$LDAP_BASE_DN" -LLL '(uid=alice)' uid memberOf userPassword 2>&1) ||
    die "ldap: service account search failed: $out"
  grep -qi '^uid: alice$' <<<"$out" || die "ldap: service account cannot find uid=alice: $out"
  grep -qi "^memberOf: cn=developers,ou=groups,$LDAP_BASE_DN\$" <<<"$out" ||
    die "ldap: no memberOf on alice (memberof overlay not active, or data loaded offline): $out"
  if grep -qi '^userPassword:' <<<"$out"; then
    die "ldap: ACL leak: the service account can read userPassword"
  fi
}

ldap_up() {
  ldap_check_tools
  mkdir -p "$LDAP_STATE"
  local pid t0
  t0=$(now_ms)
  if ldap_answers; then
    if pid=$(pid_from_file "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN"); then
      log "ldap: already running (pid $pid, started by this tooling)"
    else
      log "ldap: $LDAP_URL already answers (not started by this tooling), using it"
    fi
  elif pid=$(pid_from_file "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN"); then
    log "ldap: slapd pid $pid is starting, waiting for it"
    ldap_wait "$pid" "$t0"
  else
    rm -f "$SLAPD_PIDFILE"
    ldap_start
  fi
  ldap_seed_if_needed
  ldap_verify
}

# ldap_down [--purge]
ldap_down() {
  stop_pidfile "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN" slapd
  if [[ "${1:-}" == --purge ]]; then
    log "ldap: purging $LDAP_STATE"
    rm -rf "$LDAP_STATE"
  fi
}

# ldap_status: one line on stdout; returns 0 when the directory answers.
ldap_status() {
  local pid
  if ldap_answers; then
    if pid=$(pid_from_file "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN"); then
      printf '%-9s running   %-22s pid %s, started by this tooling\n' slapd "$LDAP_URL" "$pid"
    else
      printf '%-9s running   %-22s not started by this tooling\n' slapd "$LDAP_URL"
    fi
    return 0
  fi
  if pid=$(pid_from_file "$SLAPD_PIDFILE" "$SLAPD_PID_PATTERN"); then
    printf '%-9s starting  %-22s pid %s, not answering yet\n' slapd "$LDAP_URL" "$pid"
  else
    printf '%-9s stopped   %-22s\n' slapd "$LDAP_URL"
  fi
  return 1
}

ldap_main() {
  case "${1:-}" in
    up)
      take_lock
      ldap_up
      ldap_env
      ;;
    down)
      take_lock
      ldap_down "${2:-}"
      ;;
    status) ldap_status ;;
    env) ldap_env ;;
    *)
      echo "usage: $0 up|down [--purge]|status|env" >&2
      exit 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ldap_main "$@"
fi
