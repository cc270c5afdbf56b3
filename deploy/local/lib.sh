# shellcheck shell=bash
# Shared helpers for the local service scripts (services.sh, kafka.sh, ldap.sh).
# This file is sourced, never executed. It only defines variables and functions.
#
# Conventions:
#   * stdout is reserved for machine-readable output (the KEY=value env lines);
#     every progress or error message goes to stderr through log/warn/die.
#   * Everything this tooling creates lives under $STATE_DIR (pid files, logs,
#     Kafka and slapd data) or $CACHE_DIR (downloaded Kafka jars).
#   * A pid file in $STATE_DIR means "this tooling started that process";
#     `down` only ever stops processes recorded that way.

# Guard against double sourcing (kafka.sh and ldap.sh both source this file).
if [[ -n "${AUTHZ_LOCAL_LIB_LOADED:-}" ]]; then
  return 0
fi
AUTHZ_LOCAL_LIB_LOADED=1

# shellcheck disable=SC2034 # LOCAL_DIR and CACHE_DIR are used by the sourcing scripts
LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# realpath -m: absolute even when the variable is relative or the dir does not exist yet
# (the paths end up in Kafka/slapd config files, which need absolute paths).
STATE_DIR="$(realpath -m "${AUTHZ_STATE_DIR:-$HOME/.local/state/authz-suite}")"
# shellcheck disable=SC2034
CACHE_DIR="$(realpath -m "${AUTHZ_CACHE_DIR:-$HOME/.cache/authz-suite}")"
LOCK_FILE="$STATE_DIR/.lock"

# Seconds to wait for a process to exit after SIGTERM before sending SIGKILL.
STOP_TIMEOUT="${AUTHZ_STOP_TIMEOUT:-15}"

log() { printf '[authz-local] %s\n' "$*" >&2; }
warn() { printf '[authz-local] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[authz-local] ERROR: %s\n' "$*" >&2
  exit 1
}

# need_cmd CMD HINT: fail loudly when CMD is not on PATH.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found. $2"
}

# Milliseconds since the epoch, and a human readable elapsed time since $1 (ms).
now_ms() { date +%s%3N; }
elapsed() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%01ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

# port_open HOST PORT: true when something accepts TCP connections there.
# Uses bash's /dev/tcp (no nc needed); loopback connects fail instantly when closed.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pid_from_file PIDFILE PATTERN: print the pid recorded in PIDFILE when that process
# is alive AND its command line contains PATTERN (protects against pid reuse after a
# reboot). Returns 1 otherwise.
pid_from_file() {
  local file=$1 pattern=$2 pid cmdline
  [[ -r "$file" ]] || return 1
  pid="$(head -n1 "$file" 2>/dev/null | tr -dc '0-9')"
  [[ -n "$pid" ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]] || return 1
  printf '%s\n' "$pid"
}

# stop_pidfile PIDFILE PATTERN NAME [SIGNAL]: stop the process recorded in PIDFILE
# (SIGNAL, default TERM; wait up to $STOP_TIMEOUT s; then KILL) and remove PIDFILE.
# A stale pid file (process gone or pid reused by something else) is just removed.
stop_pidfile() {
  local file=$1 pattern=$2 name=$3 sig=${4:-TERM} pid i
  if ! pid="$(pid_from_file "$file" "$pattern")"; then
    if [[ -e "$file" ]]; then
      log "$name: stale pid file removed ($file)"
      rm -f "$file"
    fi
    return 0
  fi
  log "$name: stopping pid $pid (SIG$sig)"
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name: pid $pid still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$file"
  log "$name: stopped"
}

# take_lock: serialise up/down across concurrent callers (e.g. two test runs starting
# at once). The lock is held on fd 9 until the calling script exits; every process
# started in the background must close fd 9 (`9>&-`) or it would hold the lock forever.
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  if ! flock -w "${AUTHZ_LOCK_TIMEOUT:-300}" 9; then
    die "could not lock $LOCK_FILE (another up/down still running?)"
  fi
}

# show_log_tail FILE [LINES]: dump the end of a log to stderr, for loud failures.
show_log_tail() {
  local file=$1 lines=${2:-50}
  if [[ -s "$file" ]]; then
    printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  fi
}

# render_template SRC DST KEY=VALUE...: copy SRC to DST replacing every @KEY@ by VALUE.
# Values are file paths or fixed strings; '|' and '&' are not expected in them.
render_template() {
  local src=$1 dst=$2 kv key value
  shift 2
  local args=()
  for kv in "$@"; do
    key=${kv%%=*}
    value=${kv#*=}
    args+=(-e "s|@${key}@|${value}|g")
  done
  sed "${args[@]}" "$src" >"$dst.tmp"
  if grep -q '@[A-Z_]*@' "$dst.tmp"; then
    die "unreplaced placeholder in $dst.tmp: $(grep -o '@[A-Z_]*@' "$dst.tmp" | sort -u | tr '\n' ' ')"
  fi
  mv -f "$dst.tmp" "$dst"
}
