# shellcheck shell=bash
# Sourced by `deploy/stack faults`: faults under load. Brings the stack up with 3 replicas,
# runs the load generator's fault load (`pustaka-loadgen faults run`, bench/loadgen: reader
# and writer tasks through the balancer, every request recorded with its phase), and meanwhile:
#   R1  docker kill of one replica (then started again): no read fails; every acknowledged
#       (201) write is in the database exactly once
#   R2  the database stopped for a few seconds, then started: every request is answered
#       within its timeout (503 while the database is down), reads are 200 again within 5 s
#       of the database being healthy, no acknowledged write lost
#   R8  rolling restart (docker stop = SIGTERM, drain, docker start, healthy) of every
#       replica: no request fails
#   R4  deploy/backup (the dump 0600), down -v, up, deploy/restore: the same books, row for row, and the
#       same checksums of every table
# Prints a summary, then one JSON line; returns non-zero when a figure is off. Every wait is
# bounded; a run takes about 3 minutes (180-200 s here). The project is taken down (volumes too) at the end.
# The load generator is built first (`cargo build --release --locked` in bench/loadgen, quick
# when nothing changed); PUSTAKA_LOADGEN=path uses another binary.

# The helpers this file and deploy/galera/faults.sh took from deploy/stack-test.sh (now
# deploy/tests/test_stack.py, pytest), until they move to pytest too.
PASSED=0 FAILED=0
T=$(mktemp -d)
BASE=http://127.0.0.1:$PORT
pass() { echo "PASS  $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL  $*"; FAILED=$((FAILED + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
db_sql() {
    # shellcheck disable=SC2016  # expanded inside the container
    dc exec -T db bash -c 'exec mariadb --defaults-extra-file=<(printf "[client]\nuser=pustaka\npassword=%s\n" "$(cat /run/secrets/db_password)") -N -B pustaka' <<< "$1"
}
# a checksum of every table of the application's database
fingerprint() {
    local tables
    tables=$(db_sql "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\`') ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'pustaka' AND table_type = 'BASE TABLE'")
    [ -n "$tables" ] && [ "$tables" != NULL ] || return 1
    db_sql "CHECKSUM TABLE $tables"
}
web_ids() { dc ps -q web | xargs -r docker inspect -f '{{if .State.Running}}{{.Id}}{{end}}' | grep . || true; }
up_servers() { curl -s --max-time 3 "http://127.0.0.1:$STATS_PORT/;csv" | awk -F, '$1 == "web" && $18 == "UP"' | wc -l; }
cleanup() {
    [ "${KEEP:-}" = 1 ] || down > /dev/null 2>&1
    rm -rf "$T"
}
stack_up() {
    dc up -d --no-build --scale web=3 > "$T/up.log" 2>&1 && wait_healthy 240 > "$T/wait.log" 2>&1 && return 0
    tail -n 5 "$T/up.log" "$T/wait.log"; dc logs --tail=20 2>&1 | tail -n 60
    return 1
}

LOAD_PID='' LOADGEN='' RUN_ID=faults-$(date +%s)-$$ T_DB_STOP=0 T_DB_START=0
R1_FAILED_READS=null R1_LOST=null R1_DUP=null R2_RECOVERY=null R2_LOST=null R8_FAILED=null R4_DIFF=null
PROBLEMS=()

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
problem() { PROBLEMS+=("$*"); echo "PROBLEM  $*" >&2; }
phase() { echo "$1" > "$T/phase.new" && mv "$T/phase.new" "$T/phase"; log "$(date +%T) phase $1"; }

# build_loadgen: LOADGEN is the load generator, built from bench/loadgen unless
# PUSTAKA_LOADGEN names one; empty (and a problem noted) if there is none. The path comes
# from cargo, so that a CARGO_TARGET_DIR elsewhere is found too.
build_loadgen() {
    if [ -n "${PUSTAKA_LOADGEN:-}" ]; then
        LOADGEN=$PUSTAKA_LOADGEN
    else
        log "cargo build --release --locked (bench/loadgen)"
        LOADGEN=$(cd bench/loadgen && cargo build --release --locked --message-format=json-render-diagnostics |
            jq -r 'select(.reason == "compiler-artifact" and .target.name == "pustaka-loadgen" and .executable != null) | .executable' |
            tail -n 1)
    fi
    if [ -z "$LOADGEN" ] || [ ! -x "$LOADGEN" ]; then
        problem "no load generator: bench/loadgen did not build (or PUSTAKA_LOADGEN=${PUSTAKA_LOADGEN:-} is no program)"
        LOADGEN=''
        return 1
    fi
}

faults_cleanup() {
    stop_load
    [ "${KEEP:-}" = 1 ] || down > /dev/null 2>&1
    rm -rf "$T"
}

stop_load() {
    [ -n "$LOAD_PID" ] || return 0
    kill -TERM "$LOAD_PID" 2>/dev/null
    local deadline=$((SECONDS + 20))
    while kill -0 "$LOAD_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    kill -KILL "$LOAD_PID" 2>/dev/null
    wait "$LOAD_PID" 2>/dev/null
    LOAD_PID=''
}

# replicas_ready N SECONDS: N web containers healthy and N servers UP in the balancer
replicas_ready() {
    local deadline=$((SECONDS + $2)) healthy=0
    while [ $SECONDS -lt "$deadline" ]; do
        healthy=$(dc ps -q web | xargs -r docker inspect -f '{{.State.Health.Status}}' 2>/dev/null | grep -c '^healthy$')
        [ "$healthy" -ge "$1" ] && [ "$(up_servers)" -ge "$1" ] && return 0
        sleep 0.5
    done
    problem "not $1 healthy replicas up in the balancer after $2 s ($healthy healthy, $(up_servers) up)"
    return 1
}

# health_of CONTAINER: its health status (starting, healthy, unhealthy), or its state
health_of() { docker inspect -f '{{if .State.Running}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null; }

start_load() {
    : > "$T/records.jsonl"; rm -f "$T/ready"
    phase warmup
    FAULTS_ADMIN_PASSWORD=$(admin_password) "$LOADGEN" faults run --base "$BASE" --run-id "$RUN_ID" \
        --phase-file "$T/phase" --out "$T/records.jsonl" --ready-file "$T/ready" --max-seconds 300 &
    LOAD_PID=$!
    local deadline=$((SECONDS + 40))
    until [ -f "$T/ready" ] || [ $SECONDS -ge $deadline ] || ! kill -0 "$LOAD_PID" 2>/dev/null; do sleep 0.5; done
    [ -f "$T/ready" ] || { problem "the load generator did not start"; return 1; }
    sleep 5
}

fault_kill_replica() {
    local victim
    phase r1
    sleep 3
    victim=$(web_ids | head -1)
    log "docker kill ${victim:0:12}"
    docker kill "$victim" > /dev/null
    sleep 10
    # unless-stopped: the engine may have started it again already
    [ "$(docker inspect -f '{{.State.Running}}' "$victim")" = true ] || docker start "$victim" > /dev/null
    replicas_ready 3 90
    sleep 2
}

fault_restart_db() {
    local db t_healthy t_200 code='' deadline
    db=$(dc ps -q db)
    phase r2
    sleep 3
    log "docker stop db, 5 s without a database, docker start db"
    T_DB_STOP=$(now)
    docker stop "$db" > /dev/null
    sleep 5
    docker start "$db" > /dev/null
    T_DB_START=$(now)
    deadline=$((SECONDS + 90))
    until [ "$(health_of "$db")" = healthy ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
    t_healthy=$(now)
    if [ "$(health_of "$db")" != healthy ]; then
        problem "the database was not healthy 90 s after docker start"
        return 1
    fi
    deadline=$((SECONDS + 30))
    until [ "$code" = 200 ] || [ $SECONDS -ge $deadline ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 "$BASE/api/v1/books?q=$RUN_ID&per_page=1")
        [ "$code" = 200 ] || sleep 0.1
    done
    t_200=$(now)
    if [ "$code" = 200 ]; then
        R2_RECOVERY=$(elapsed "$t_healthy" "$t_200")
        log "docker start returned $(elapsed "$T_DB_STOP" "$T_DB_START") s after docker stop; the database healthy" \
            "$(elapsed "$T_DB_START" "$t_healthy") s after docker start; a read 200 again $R2_RECOVERY s later"
    else
        problem "no 200 read within 30 s of the database being healthy (last: $code)"
    fi
    replicas_ready 3 60
    sleep 2
}

fault_rolling_restart() {
    local id ids
    ids=$(web_ids)
    phase r8
    sleep 2
    for id in $ids; do
        log "docker stop ${id:0:12} (drains), docker start, wait until healthy and up"
        docker stop "$id" > /dev/null
        docker start "$id" > /dev/null
        replicas_ready 3 90 || break
    done
    sleep 2
}

# books_dump FILE: every column of every book, in id order
books_dump() { db_sql "SELECT * FROM books ORDER BY id" > "$1"; }

fault_backup_restore() {
    local fp1 fp2
    phase r4
    if ! books_dump "$T/books.before" || ! fp1=$(fingerprint); then
        problem "cannot read the books before the backup"; return 1
    fi
    (umask 022; deploy/backup "$T/backup.sql") > /dev/null 2> "$T/backup.err" || { problem "backup failed: $(tail -n 3 "$T/backup.err")"; return 1; }
    # a dump holds password hashes and members' contacts: private whatever the umask (issue 12)
    [ "$(stat -c %a "$T/backup.sql")" = 600 ] || problem "the backup is readable by others (mode $(stat -c %a "$T/backup.sql"))"
    log "backup $(wc -c < "$T/backup.sql") bytes, $(grep -c . "$T/books.before") books; down -v, up, restore"
    dc down -v > "$T/down.log" 2>&1
    stack_up || { problem "the stack did not come up again after down -v"; return 1; }
    deploy/restore "$T/backup.sql" > /dev/null 2> "$T/restore.err" || { problem "restore failed: $(tail -n 3 "$T/restore.err")"; return 1; }
    if ! books_dump "$T/books.after" || ! fp2=$(fingerprint); then
        problem "cannot read the books after the restore"; return 1
    fi
    R4_DIFF=$(comm -3 "$T/books.before" "$T/books.after" | grep -c .)
    [ "$R4_DIFF" -eq 0 ] || comm -3 "$T/books.before" "$T/books.after" | head -n 6 | sed 's/^/      /' >&2
    [ "$fp1" = "$fp2" ] || problem "table checksums differ after the restore: $(diff <(echo "$fp1") <(echo "$fp2") | grep '^[<>]' | tr '\n\t' '  ')"
}

# figure PHASE KEY...: the sum of these figures of a phase in the load report (null: no such phase)
figure() {
    local ph=$1; shift
    # shellcheck disable=SC2016  # jq's variables
    jq --arg ph "$ph" --args 'if .phases[$ph] then [.phases[$ph][$ARGS.positional[]]] | add else null end' "$@" < "$T/report.json"
}

reckon_load() {
    db_sql "SELECT title FROM books WHERE title LIKE '$RUN_ID-%'" > "$T/db-titles" ||
        { problem "cannot read this run's titles from the database"; return 1; }
    log "requests per phase (reads: 200 is success; writes: 201 is acknowledged)"
    "$LOADGEN" faults report --records "$T/records.jsonl" --db-titles "$T/db-titles" > "$T/report.json" ||
        { problem "the load report failed"; return 1; }
    R1_FAILED_READS=$(figure r1 failed_reads)
    R1_LOST=$(figure r1 lost_writes)
    R1_DUP=$(figure r1 duplicate_writes)
    R2_LOST=$(figure r2 lost_writes)
    R8_FAILED=$(figure r8 failed_reads failed_writes)
    # other phases count too: an acknowledged write lost or stored twice anywhere is a failure
    local other
    other=$(jq '[.phases | to_entries[] | select(.key | IN("r1", "r2") | not) | .value | .lost_writes + .duplicate_writes] | add // 0' "$T/report.json")
    [ "$other" -eq 0 ] || problem "$other acknowledged writes lost or duplicated outside R1/R2 (see above)"
    # R2: while the database is down, every request gets an answer (503) within its timeout
    local hung odd
    hung=$(jq '.phases.r2.hung // 0' "$T/report.json")
    odd=$(jq '[.phases.r2.statuses // {} | to_entries[] | select(.key | test(" (200|201|503)$") | not) | .value] | add // 0' "$T/report.json")
    local from until
    from=$(jq '.phases.r2.failures_from // empty' "$T/report.json") until=$(jq '.phases.r2.failures_until // empty' "$T/report.json")
    [ -z "$from" ] || log "R2: the load's failed requests ran from $(elapsed "$T_DB_STOP" "$from") s after docker stop" \
        "until $(elapsed "$T_DB_START" "$until") s after docker start; slowest answer $(jq '.phases.r2.max_latency_s' "$T/report.json") s"
    [ "$hung" -eq 0 ] || problem "R2: $hung requests got no answer within 8 s"
    [ "$odd" -eq 0 ] || problem "R2: $odd answers other than 200/201/503 while the database restarted"
}

run_faults() {
    set +e +o pipefail
    trap faults_cleanup EXIT
    local start=$SECONDS rc=0
    build_loadgen
    images
    down > /dev/null 2>&1
    log "compose up --scale web=3 (project $COMPOSE_PROJECT_NAME, port $PORT)"
    if [ -n "$LOADGEN" ] && stack_up && replicas_ready 3 60 && start_load; then
        fault_kill_replica
        fault_restart_db
        fault_rolling_restart
        phase end
        sleep 1
        stop_load
        reckon_load
        fault_backup_restore
    else
        problem "the stack or the load did not start"
    fi
    stop_load
    down > /dev/null 2>&1
    log "faults run took $((SECONDS - start)) s"
    local json
    json=$(jq -nc --argjson a "$R1_FAILED_READS" --argjson b "$R1_LOST" --argjson c "$R1_DUP" --argjson d "$R2_RECOVERY" \
        --argjson e "$R2_LOST" --argjson f "$R8_FAILED" --argjson g "$R4_DIFF" \
        '{r1_failed_reads: $a, r1_lost_writes: $b, r1_duplicate_writes: $c, r2_recovery_s: $d, r2_lost_writes: $e, r8_failed: $f, r4_diff_rows: $g}')
    # a figure not measured (null) is a failure too
    jq -e '(.r2_recovery_s != null and .r2_recovery_s <= 5) and ([to_entries[] | select(.key != "r2_recovery_s") | .value == 0] | all)' \
        <<< "$json" > /dev/null || rc=1
    [ ${#PROBLEMS[@]} -eq 0 ] || rc=1
    if [ $rc -eq 0 ]; then log "faults: all figures in bounds"; else log "faults: FAILED (${#PROBLEMS[@]} problems noted)"; fi
    echo "$json"
    return $rc
}
