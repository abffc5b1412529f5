# shellcheck shell=bash
# Sourced by deploy/galera/faults.sh (`deploy/cluster test`, `deploy/cluster faults`): what that
# bash suite took from deploy/stack-test.sh and deploy/stack-faults.sh (now pytest:
# deploy/tests/test_stack.py, deploy/tests/test_faults.py), until it moves to pytest too: the
# checks' PASS/FAIL, the fault load of bench/loadgen (`pustaka-loadgen faults`: build, start,
# phases, stop; the pytest suites have their one copy in deploy/tests/deploylib.py), its figures.

PASSED=0 FAILED=0
T=$(mktemp -d)
BASE=http://127.0.0.1:$PORT
pass() { echo "PASS  $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL  $*"; FAILED=$((FAILED + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
up_servers() { curl -s --max-time 3 "http://127.0.0.1:$STATS_PORT/;csv" | awk -F, '$1 == "web" && $18 == "UP"' | wc -l; }
cleanup() {
    [ "${KEEP:-}" = 1 ] || down > /dev/null 2>&1
    rm -rf "$T"
}

LOAD_PID='' LOADGEN='' RUN_ID=faults-$(date +%s)-$$
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

# figure PHASE KEY...: the sum of these figures of a phase in the load report (null: no such phase)
figure() {
    local ph=$1; shift
    # shellcheck disable=SC2016  # jq's variables
    jq --arg ph "$ph" --args 'if .phases[$ph] then [.phases[$ph][$ARGS.positional[]]] | add else null end' "$@" < "$T/report.json"
}
