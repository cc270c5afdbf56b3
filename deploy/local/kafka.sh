#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local single-node Apache Kafka 3.9.1 (KRaft combined broker+controller) without Docker.
#
#   deploy/local/kafka.sh up       fetch jars (once), format storage (once), start, wait until ready
#   deploy/local/kafka.sh down     stop the broker if this tooling started it [--purge: delete its data]
#   deploy/local/kafka.sh status   one status line
#   deploy/local/kafka.sh env      KAFKA_BROKERS=...
#   deploy/local/kafka.sh smoke    end-to-end check: create topic, produce, consume, delete
#
# Usually driven by services.sh, which sources this file for its kafka_* functions.
#
# Layout:
#   $CACHE_DIR/kafka-3.9.1/libs/       the 57 jars from deploy/local/kafka/pom.xml (Maven)
#   $STATE_DIR/kafka.pid               pid of the broker JVM started by this tooling
#   $STATE_DIR/kafka/server.properties rendered from deploy/local/kafka/server.properties.in
#   $STATE_DIR/kafka/log4j.properties  rendered from deploy/local/kafka/log4j.properties.in
#   $STATE_DIR/kafka/cluster.id        KRaft cluster id, generated once
#   $STATE_DIR/kafka/data/             log.dirs (meta.properties = storage formatted)
#   $STATE_DIR/kafka/logs/server.log   broker log (previous run: server.log.prev)
#   $STATE_DIR/kafka/logs/kafka.out    JVM stdout/stderr (crashes before log4j is up)
#   $STATE_DIR/kafka/ready             pid of the broker once "Kafka Server started" was logged
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=3.9.1
KAFKA_HOST=127.0.0.1
# AUTHZ_KAFKA_PORT / AUTHZ_KAFKA_CONTROLLER_PORT: other ports, with another AUTHZ_STATE_DIR, for a
# broker of a test's own (tests that stop or kill the broker: the shared one is never touched).
KAFKA_PORT="${AUTHZ_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${AUTHZ_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_POM="$LOCAL_DIR/kafka/pom.xml"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_STATE="$STATE_DIR/kafka"
KAFKA_DATA="$KAFKA_STATE/data"
KAFKA_LOGS="$KAFKA_STATE/logs"
KAFKA_LOG="$KAFKA_LOGS/server.log"
KAFKA_OUT="$KAFKA_LOGS/kafka.out"
KAFKA_READY="$KAFKA_STATE/ready"
KAFKA_PIDFILE="$STATE_DIR/kafka.pid"
# Matched against /proc/<pid>/cmdline to make sure a pid file still means our broker.
KAFKA_PID_PATTERN="kafka.Kafka"
KAFKA_STARTED_MARKER="Kafka Server started"
KAFKA_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

kafka_env() {
  printf 'KAFKA_BROKERS=%s\n' "$KAFKA_BROKERS"
}

# kafka_java ARGS...: run a Kafka tool class from the cached jars, quiet logging.
kafka_java() {
  "$KAFKA_JAVA" -Xmx256m -cp "$KAFKA_LIBS/*" \
    "-Dlog4j.configuration=file:$LOCAL_DIR/kafka/tools-log4j.properties" "$@"
}

# Download the broker jars with Maven into the cache, unless already complete.
# The ".complete" marker is written last, so an interrupted download is redone.
kafka_fetch_jars() {
  [[ -f "$KAFKA_LIBS/.complete" ]] && return 0
  need_cmd mvn "Install Maven (apt-get install -y maven); it fetches the Kafka jars from Maven Central."
  local t0 tmp count
  t0=$(now_ms)
  tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "kafka: fetching Kafka $KAFKA_VERSION jars with Maven into $KAFKA_LIBS"
  # Maven's output goes to a log shown only on failure (even -q -B prints ANSI escapes
  # on stdout, which must stay clean for the env lines).
  if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
    "-DoutputDirectory=$tmp" -DincludeScope=runtime </dev/null >"$tmp.mvn.log" 2>&1 9>&-; then
    show_log_tail "$tmp.mvn.log" 50
    rm -rf "$tmp" "$tmp.mvn.log"
    die "kafka: 'mvn dependency:copy-dependencies' failed for $KAFKA_POM"
  fi
  rm -f "$tmp.mvn.log"
  count=$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)
  if [[ ! -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" || ! -f "$tmp/reload4j-1.2.25.jar" ]]; then
    rm -rf "$tmp"
    die "kafka: Maven finished but kafka_2.13-$KAFKA_VERSION.jar / reload4j are missing"
  fi
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: $count jars fetched in $(elapsed "$t0")"
}

# Fail loudly unless Java 17 or newer is available.
kafka_check_java() {
  need_cmd "$KAFKA_JAVA" "Install Java 17 (apt-get install -y openjdk-17-jre-headless)."
  local version major
  version=$("$KAFKA_JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
  major=${version%%.*}
  [[ "$major" == 1 ]] && major=$(cut -d. -f2 <<<"$version") # 1.8.0_x style
  if [[ ! "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "kafka: Java 17+ required, found '$version' ($KAFKA_JAVA)"
  fi
}

# Render the config files and format the KRaft storage once (meta.properties exists
# afterwards). The cluster id is generated once and kept in the state dir.
kafka_prepare() {
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOGS"
  render_template "$LOCAL_DIR/kafka/server.properties.in" "$KAFKA_STATE/server.properties" \
    "KAFKA_DATA_DIR=$KAFKA_DATA" "KAFKA_PORT=$KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT"
  render_template "$LOCAL_DIR/kafka/log4j.properties.in" "$KAFKA_STATE/log4j.properties" \
    "KAFKA_LOG_FILE=$KAFKA_LOG"
  [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0

  local cluster_id
  if [[ ! -s "$KAFKA_STATE/cluster.id" ]]; then
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 9>&- | tail -n1)
    [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: bad cluster id from StorageTool: '$cluster_id'"
    printf '%s\n' "$cluster_id" >"$KAFKA_STATE/cluster.id"
  fi
  cluster_id=$(<"$KAFKA_STATE/cluster.id")
  log "kafka: formatting storage in $KAFKA_DATA (cluster id $cluster_id)"
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$KAFKA_STATE/server.properties" >&2 9>&- ||
    die "kafka: StorageTool format failed"
}

# kafka_is_ready PID: our broker PID logged "Kafka Server started" and its port answers.
kafka_is_ready() {
  [[ -f "$KAFKA_READY" && "$(<"$KAFKA_READY")" == "$1" ]] && port_open "$KAFKA_HOST" "$KAFKA_PORT"
}

# kafka_wait PID T0: wait until the broker logs "Kafka Server started" (the port opens
# earlier, before the broker can serve). Fails loudly with the log when the JVM dies or
# after $KAFKA_START_TIMEOUT s (then the half-started broker is stopped).
kafka_wait() {
  local pid=$1 t0=$2 deadline
  deadline=$(($(date +%s) + KAFKA_START_TIMEOUT))
  while :; do
    if grep -qF "$KAFKA_STARTED_MARKER" "$KAFKA_LOG" 2>/dev/null && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      printf '%s\n' "$pid" >"$KAFKA_READY"
      log "kafka: ready on $KAFKA_BROKERS (pid $pid, $(elapsed "$t0"))"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$KAFKA_PIDFILE"
      show_log_tail "$KAFKA_LOG" 50
      show_log_tail "$KAFKA_OUT" 50
      die "kafka: broker (pid $pid) exited during startup; see $KAFKA_LOG and $KAFKA_OUT"
    fi
    if (($(date +%s) >= deadline)); then
      show_log_tail "$KAFKA_LOG" 50
      show_log_tail "$KAFKA_OUT" 50
      stop_pidfile "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN" kafka
      die "kafka: no '$KAFKA_STARTED_MARKER' in $KAFKA_LOG after ${KAFKA_START_TIMEOUT}s (broker stopped)"
    fi
    sleep 0.25
  done
}

kafka_up() {
  local pid t0
  t0=$(now_ms)
  if pid=$(pid_from_file "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN"); then
    if kafka_is_ready "$pid"; then
      log "kafka: already running (pid $pid, started by this tooling)"
      return 0
    fi
    log "kafka: pid $pid is starting, waiting for it"
    kafka_wait "$pid" "$t0"
    return 0
  fi
  rm -f "$KAFKA_PIDFILE" "$KAFKA_READY"
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "kafka: $KAFKA_BROKERS already answers (not started by this tooling), using it"
    return 0
  fi

  kafka_check_java
  kafka_fetch_jars
  kafka_prepare

  # Keep the previous run's log for post-mortems; the new log then only holds this run,
  # so the readiness grep cannot match an old "Kafka Server started".
  [[ -f "$KAFKA_LOG" ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.prev"
  : >"$KAFKA_OUT"
  log "kafka: starting broker (log: $KAFKA_LOG)"
  # setsid: own session, so the broker survives the caller's terminal/job ending.
  # The inner bash writes its pid and execs java, so the pid file holds the JVM's pid
  # (whether or not setsid had to fork). fd 9 (the up/down lock) is not inherited.
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner bash
  setsid bash -c 'printf "%s\n" "$$" >"$0"; exec "$@"' "$KAFKA_PIDFILE" \
    "$KAFKA_JAVA" -Xmx512m -Xms256m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$KAFKA_LOGS" \
    "-Dlog4j.configuration=file:$KAFKA_STATE/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties" \
    </dev/null >>"$KAFKA_OUT" 2>&1 9>&- &
  # Wait (briefly) for the launcher to write the pid file.
  local i
  for ((i = 0; i < 50; i++)); do
    pid=$(pid_from_file "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN") && break
    sleep 0.1
  done
  if [[ -z "${pid:-}" ]]; then
    rm -f "$KAFKA_PIDFILE"
    show_log_tail "$KAFKA_OUT" 50
    die "kafka: broker JVM did not start (no live pid in $KAFKA_PIDFILE)"
  fi
  kafka_wait "$pid" "$t0"
}

# kafka_down [--purge]
kafka_down() {
  stop_pidfile "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN" kafka
  rm -f "$KAFKA_READY"
  if [[ "${1:-}" == --purge ]]; then
    log "kafka: purging $KAFKA_STATE"
    rm -rf "$KAFKA_STATE"
  fi
}

# kafka_status: one line on stdout; returns 0 when Kafka answers.
kafka_status() {
  local pid
  if pid=$(pid_from_file "$KAFKA_PIDFILE" "$KAFKA_PID_PATTERN"); then
    if kafka_is_ready "$pid"; then
      printf '%-9s running   %-22s pid %s, started by this tooling\n' kafka "$KAFKA_BROKERS" "$pid"
      return 0
    fi
    printf '%-9s starting  %-22s pid %s, started by this tooling\n' kafka "$KAFKA_BROKERS" "$pid"
    return 1
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    printf '%-9s running   %-22s not started by this tooling\n' kafka "$KAFKA_BROKERS"
    return 0
  fi
  printf '%-9s stopped   %-22s\n' kafka "$KAFKA_BROKERS"
  return 1
}

# End-to-end check with the Java client from the cached jars (single-file source launch).
kafka_smoke() {
  [[ -f "$KAFKA_LIBS/.complete" ]] || die "kafka: jars not fetched yet (run up first)"
  kafka_java "$LOCAL_DIR/kafka/KafkaSmoke.java" "$KAFKA_BROKERS"
}

kafka_main() {
  case "${1:-}" in
    up)
      take_lock
      kafka_up
      kafka_env
      ;;
    down)
      take_lock
      kafka_down "${2:-}"
      ;;
    status) kafka_status ;;
    env) kafka_env ;;
    smoke) kafka_smoke ;;
    *)
      echo "usage: $0 up|down [--purge]|status|env|smoke" >&2
      exit 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  kafka_main "$@"
fi
