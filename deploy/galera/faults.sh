# shellcheck shell=bash
# Sourced by `deploy/cluster test` and `deploy/cluster faults [--quick]`: the Galera option checked
# and put under faults, on this machine only (the project's own containers; every wait bounded;
# everything removed at the end, volumes too).
#
# faults: the option up with 2 web replicas, bench/loadgen's fault load through the balancer
# (readers and writers, every request recorded with its phase, writes never retried; as
# `deploy/stack faults`), then
#   g0  the writer node refuses every statement for 3 s (SET GLOBAL wsrep_reject_queries = ALL: the
#       1047 of a node that is not ready): requests answer 503 (or 200 elsewhere), never 500
#   g1  docker kill of the writer node: the time until writes are acknowledged again for good
#       (the first 201 after the last failed request, from the kill), the failed requests
#   g2  the killed node started again: the time until it is Synced, and how it caught up (IST/SST)
#   g3  one node that is not the writer disconnected from the network (docker network disconnect):
#       it turns non-Primary with wsrep_ready OFF and its health answers 503, while the other two
#       stay Primary and the load goes on without a failed request; reconnected (stopped, connected,
#       started: Docker gives it a new address, which a node announces when it starts), it rejoins
# and at the end: no acknowledged write lost or stored twice (all phases), and the three nodes
# hold the same rows (counts and CHECKSUM TABLE of every table, once the load stopped). One JSON
# line; non-zero when a figure is off. --quick shortens the waits between faults (CI).

# shellcheck source=deploy/galera/load.sh
. deploy/galera/load.sh     # check; the load's helpers: build_loadgen, start_load, stop_load, phase, figure, problem; T, BASE
# shellcheck source=deploy/galera/recovery.sh
. deploy/galera/recovery.sh   # g1_recovery, g1_write_gap, transfer_of

SETTLE=10
G0_500=null G0_503=null G1_VICTIM='' G1_FAILED=null G1_LOST=null G1_DUP=null G1_RECOVERY=null T_KILL=0
G1_GAP=null G2_REJOIN=null G2_TRANSFER=null G3_VICTIM='' G3_PART_SERVING=null G3_OTHERS_PRIMARY=null G3_OTHERS=null
G3_FAILED=null G3_REJOIN=null LOST=null DUP=null NODES_EQUAL=null

# watch_engine: the engine's network events while the run lasts, in $T/events. A Docker Swarm
# joined or left on this engine (another project's test) makes Docker 20.10 disconnect every
# container from its networks, which would be counted as the cluster's failure: such a run is void.
# Swarm's join and leave create and destroy the `ingress` and `docker_gwbridge` networks.
EVENTS_PID=''
watch_engine() {
    docker events --filter type=network --filter event=create --filter event=destroy \
        --format '{{.Time}} {{.Action}} {{.Actor.Attributes.name}}' > "$T/events" 2>/dev/null &
    EVENTS_PID=$!
}
swarm_seen() { [ -s "$T/events" ] && awk '$3 == "ingress" || $3 == "docker_gwbridge" { found = 1 } END { exit !found }' "$T/events"; }
engine_disturbed() {
    [ -n "$EVENTS_PID" ] || return 1
    kill "$EVENTS_PID" 2>/dev/null
    EVENTS_PID=''
    local swarm
    swarm=$(awk '$3 == "ingress" || $3 == "docker_gwbridge" { print strftime("%T", $1) " " $2 " " $3 }' "$T/events" | tr '\n' ';')
    [ -n "$swarm" ] || return 1
    problem "a Docker Swarm joined or left this engine during the run ($swarm), which disconnects every container from its networks: the figures are void; run it again"
}

# cluster_sql HOST SQL: SQL as the application user on HOST (dbproxy, galera1, galera2, galera3),
# from a one-off client container on the backend network (the nodes' image, the secrets volume)
cluster_sql() {
    local image
    image=$(docker inspect -f '{{.Config.Image}}' "$(dc ps -q db)" 2>/dev/null) || return 1
    # shellcheck disable=SC2016  # expanded in the container
    docker run --rm -i --network "${COMPOSE_PROJECT_NAME}_backend" -v "${COMPOSE_PROJECT_NAME}_secrets:/run/secrets:ro" \
        --user mysql --read-only --cap-drop ALL --security-opt no-new-privileges --entrypoint bash "$image" \
        -c 'exec mariadb --defaults-extra-file=<(printf "[client]\nuser=pustaka\npassword=%s\n" "$(cat /run/secrets/db_password)") --connect-timeout=3 -h "$0" -N -B pustaka' "$1" <<< "$2"
}
# The application's view, through the proxy.
db_sql() { cluster_sql dbproxy "$1"; }

# root_sql_galera1 SQL: as root inside galera1 (root exists on localhost only; its password is
# in galera1's secrets, which the other nodes do not have)
root_sql_galera1() {
    # shellcheck disable=SC2016  # expanded in the container
    dc exec -T db bash -c 'exec mariadb --defaults-extra-file=<(printf "[client]\nuser=root\npassword=%s\n" "$(cat /run/secrets/db_root_password)") -N -B' <<< "$1"
}

# health_answer NODE: the status line of NODE's :9200 responder, asked from inside NODE
health_answer() {
    # shellcheck disable=SC2016  # run by the container's bash
    docker exec "$(container_of "$1")" timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9200 && printf "GET /health HTTP/1.0\r\n\r\n" >&3 && head -n 1 <&3' 2>/dev/null | tr -d '\r'
}

cluster_up() {
    dc up -d --no-build --scale web=2 > "$T/up.log" 2>&1 && wait_healthy 420 > "$T/wait.log" 2>&1 &&
        wait_synced 120 "${NODES[@]}" && replicas_ready 2 60 && return 0
    tail -n 5 "$T/up.log" "$T/wait.log"; dc logs --tail=20 2>&1 | tail -n 80
    return 1
}

fault_reject_queries() {
    phase g0
    sleep 2
    local w deadline=$((SECONDS + 10))
    until w=$(writer); [ -n "$w" ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    if [ "$w" != galera1 ]; then problem "g0: the writer is '$w', not galera1: $(proxy_csv | tr '\n' ' ')"; return 1; fi
    log "galera1 refuses every statement for 3 s (wsrep_reject_queries = ALL)"
    root_sql_galera1 "SET GLOBAL wsrep_reject_queries = ALL" || problem "g0: cannot set wsrep_reject_queries"
    sleep 3
    root_sql_galera1 "SET GLOBAL wsrep_reject_queries = NONE" || problem "g0: cannot reset wsrep_reject_queries"
    wait_synced 30 galera1 || problem "g0: galera1 not Synced again"
    sleep "$SETTLE"
}

fault_kill_writer() {
    local victim
    phase g1
    sleep 3
    local deadline=$((SECONDS + 10))
    until victim=$(writer); [ -n "$victim" ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    [ -n "$victim" ] || { problem "g1: no node holds the replicas' connections: $(proxy_csv | tr '\n' ' ')"; return 1; }
    G1_VICTIM=$victim
    log "docker kill $victim (the writer)"
    T_KILL=$(now)
    docker kill "$(container_of "$victim")" > /dev/null
    sleep "$SETTLE"
    log "writer now: $(writer); $(proxy_csv | tr '\n' ' ')"
}

fault_rejoin() {
    local id t_start t_synced
    [ -n "$G1_VICTIM" ] || return 1
    phase g2
    id=$(container_of "$G1_VICTIM")
    # unless-stopped: the engine may have started it again already
    if [ "$(docker inspect -f '{{.State.Running}}' "$id")" = true ]; then
        t_start=$(date -d "$(docker inspect -f '{{.State.StartedAt}}' "$id")" +%s.%N)
        log "$G1_VICTIM was started again by the engine"
    else
        log "docker start $G1_VICTIM"
        t_start=$(now)
        docker start "$id" > /dev/null
    fi
    if wait_synced 300 "$G1_VICTIM"; then
        t_synced=$(now)
        G2_REJOIN=$(elapsed "$t_start" "$t_synced")
        # The joiner prepares to receive write sets from a position: from seqno 0 of an empty
        # history after a full copy (SST), from its own last seqno when it catches up (IST).
        docker logs --since "$(date -d "@${t_start%.*}" +%Y-%m-%dT%H:%M:%S)" "$id" > "$T/rejoin.log" 2>&1
        G2_TRANSFER=\"$(transfer_of "$T/rejoin.log")\"
        log "$G1_VICTIM Synced $G2_REJOIN s after its start (${G2_TRANSFER//\"/}); writer: $(writer)"
    else
        problem "g2: $G1_VICTIM not Synced 300 s after its start: $(node_state "$G1_VICTIM")"
    fi
    sleep "$SETTLE"
}

fault_partition() {
    local w victim id net=${COMPOSE_PROJECT_NAME}_backend deadline st others=() n ok t_back
    phase g3
    sleep 2
    w=$(writer)
    # galera1 is also on the db-host network: cut one of the others, not the writer
    if [ "$w" = galera3 ]; then victim=galera2; else victim=galera3; fi
    for n in "${NODES[@]}"; do [ "$n" = "$victim" ] || others+=("$n"); done
    G3_VICTIM=$victim
    id=$(container_of "$victim")
    log "docker network disconnect $victim (the writer is $w)"
    docker network disconnect "$net" "$id"
    deadline=$((SECONDS + 30))
    until st=$(node_state "$victim"); [[ $st == *ready=OFF* && $st != *cluster=Primary* ]] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    log "cut off: $st"
    if [[ $st == *ready=OFF* && $st != *cluster=Primary* ]] && [[ $(health_answer "$victim") != *' 200 '* ]]; then
        G3_PART_SERVING=false
    else
        G3_PART_SERVING=true
        problem "g3: $victim still serves while cut off: $st, health: $(health_answer "$victim")"
    fi
    deadline=$((SECONDS + 30)) ok=no
    until [ $ok = yes ] || [ $SECONDS -ge $deadline ]; do
        ok=yes
        for n in "${others[@]}"; do [[ $(node_state "$n") == *"ready=ON state=4("*"cluster=Primary size=2 "* ]] || ok=no; done
        [ $ok = yes ] || sleep 0.5
    done
    G3_OTHERS_PRIMARY=$([ $ok = yes ] && echo true || echo false)
    log "the others: $(for n in "${others[@]}"; do node_state "$n"; done | tr '\n' ';')"
    sleep "$SETTLE"       # the load goes on through the other two
    # Connected again, Docker gives the container a new address, while the node still announces
    # the one it started with (a real cut cable keeps the address): the node is stopped while cut
    # off, connected, and started, so that it announces its new address; it catches up by IST.
    log "docker stop $victim, docker network connect, docker start"
    docker stop "$id" > /dev/null
    docker network connect --alias "$victim" "$net" "$id"
    t_back=$(now)
    docker start "$id" > /dev/null
    wait_synced 240 "$victim" || problem "g3: $victim did not rejoin within 240 s"
    synced "$victim" && G3_REJOIN=$(elapsed "$t_back" "$(now)")
    sleep 2
}

reckon_cluster_load() {
    db_sql "SELECT title FROM books WHERE title LIKE '$RUN_ID-%'" > "$T/db-titles" ||
        { problem "cannot read this run's titles from the cluster"; return 1; }
    log "requests per phase (reads: 200 is success; writes: 201 is acknowledged)"
    "$LOADGEN" faults report --records "$T/records.jsonl" --db-titles "$T/db-titles" > "$T/report.json" ||
        { problem "the load report failed"; return 1; }
    # shellcheck disable=SC2016  # jq's variables
    G0_500=$(jq '[.phases.g0.statuses // {} | to_entries[] | select(.key | test(" 500$")) | .value] | add // 0' "$T/report.json")
    G0_503=$(jq '[.phases.g0.statuses // {} | to_entries[] | select(.key | test(" 503$")) | .value] | add // 0' "$T/report.json")
    G1_FAILED=$(figure g1 failed_reads failed_writes)
    G1_LOST=$(figure g1 lost_writes)
    G1_DUP=$(figure g1 duplicate_writes)
    G1_RECOVERY=$(g1_recovery)
    G1_GAP=$(g1_write_gap)
    G3_FAILED=$(figure g3 failed_reads failed_writes)
    # g1 as it happened: the failed requests, and the longest wait for an acknowledged write
    jq -rs --argjson kill "$T_KILL" '[.[] | select(.phase == "g1" and .t1 >= $kill)] as $g
        | "g1 failed requests (start..end s after the kill, status): " + ([$g[] | select((.status == 200 or .status == 201) | not)
            | "\(.kind) \((.t0 - $kill) * 100 | round / 100)..\((.t1 - $kill) * 100 | round / 100) \(.status)"] | join(", ")),
          "g1 longest gap between acknowledged writes after the kill: " + ([$kill] + ([$g[] | select(.kind == "write" and .status == 201) | .t1] | sort)
            | [range(1; length) as $i | .[$i] - .[$i - 1]] | max // 0 | . * 100 | round / 100 | tostring) + " s"' "$T/records.jsonl" >&2
    LOST=$(jq '[.phases[] | .lost_writes] | add // 0' "$T/report.json")
    DUP=$(jq '[.phases[] | .duplicate_writes] | add // 0' "$T/report.json")
    local all500 acked3
    all500=$(jq '[.phases[] | .statuses | to_entries[] | select(.key | test(" 500$")) | .value] | add // 0' "$T/report.json")
    [ "$all500" -eq 0 ] || problem "$all500 answers 500 during the run"
    acked3=$(figure g3 acked_writes)
    if [ "$G3_OTHERS_PRIMARY" = true ] && [ "${G3_FAILED:-1}" = 0 ] && [ "${acked3:-0}" -gt 0 ]; then
        G3_OTHERS=true
    else
        G3_OTHERS=false
        problem "g3: the other two nodes did not go on serving (Primary: $G3_OTHERS_PRIMARY, failed requests: $G3_FAILED, acknowledged writes: $acked3)"
    fi
    jq -c '.phases | to_entries[] | {phase: .key, reads: .value.reads, failed_reads: .value.failed_reads, writes: .value.writes, acked: .value.acked_writes, failed_writes: .value.failed_writes, statuses: .value.statuses, max_latency_s: .value.max_latency_s}' "$T/report.json" >&2
}

# nodes_equal: once every node has committed the same last write set, the same rows on each
nodes_equal() {
    local n deadline seqnos tables sums=()
    wait_synced 120 "${NODES[@]}" || { problem "not every node Synced at the end: $(status | tr '\n' ';')"; return 1; }
    deadline=$((SECONDS + 30))
    until seqnos=$(for n in "${NODES[@]}"; do node_state "$n" | sed 's/.*seqno=//'; done | sort -u); [ "$(grep -c . <<< "$seqnos")" = 1 ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    tables=$(db_sql "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\`') ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'pustaka' AND table_type = 'BASE TABLE'")
    for n in "${NODES[@]}"; do
        sums+=("$(cluster_sql "$n" "SELECT COUNT(*) FROM books; CHECKSUM TABLE $tables" | sha256sum | cut -c1-16)")
        log "$n: $(cluster_sql "$n" "SELECT COUNT(*) FROM books") books, tables' checksum ${sums[-1]}"
    done
    if [ "${sums[0]}" = "${sums[1]}" ] && [ "${sums[1]}" = "${sums[2]}" ]; then NODES_EQUAL=true; else
        NODES_EQUAL=false; problem "the nodes hold different rows"
    fi
}

run_cluster_faults() {
    set +e +o pipefail
    local arg quick=no swarm=yes
    for arg in "$@"; do
        case $arg in
            --quick) SETTLE=6 quick=yes ;;
            --no-swarm) swarm=no ;;
            *) echo "cluster faults: unknown argument $arg (--quick, --no-swarm)" >&2; return 2 ;;
        esac
    done
    trap faults_cleanup EXIT
    local start=$SECONDS rc=0
    build_loadgen
    images || problem "the images did not build"
    down > /dev/null 2>&1
    watch_engine
    log "compose up: 3 Galera nodes, 2 web replicas (project $COMPOSE_PROJECT_NAME, port $PORT)"
    if [ -n "$LOADGEN" ] && cluster_up && start_load; then
        local fault
        for fault in fault_reject_queries fault_kill_writer fault_rejoin fault_partition; do
            swarm_seen && break      # void already: stop early
            $fault
        done
        phase end
        sleep 1
        stop_load
        reckon_cluster_load
        nodes_equal
    else
        problem "the cluster or the load did not start"
    fi
    stop_load
    engine_disturbed
    down > /dev/null 2>&1
    log "cluster faults run took $((SECONDS - start)) s"
    local json
    json=$(jq -nc --argjson g0 "$G0_500" --argjson g0b "$G0_503" --arg v1 "$G1_VICTIM" --argjson f1 "$G1_FAILED" \
        --argjson l1 "$G1_LOST" --argjson d1 "$G1_DUP" --argjson r1 "$G1_RECOVERY" --argjson gap "$G1_GAP" --argjson r2 "$G2_REJOIN" \
        --argjson t2 "$G2_TRANSFER" --arg v3 "$G3_VICTIM" --argjson p3 "$G3_PART_SERVING" --argjson o3 "$G3_OTHERS" \
        --argjson f3 "$G3_FAILED" --argjson r3 "$G3_REJOIN" --argjson l "$LOST" --argjson d "$DUP" --argjson eq "$NODES_EQUAL" \
        '{g0_500s: $g0, g0_503s: $g0b, g1_victim: $v1, g1_failed_requests: $f1, g1_lost_writes: $l1, g1_doubled_writes: $d1,
          g1_recovery_s: $r1, g1_write_gap_s: $gap, g2_rejoin_s: $r2, g2_transfer: $t2, g3_victim: $v3, g3_partitioned_serving: $p3,
          g3_others_serving: $o3, g3_failed_requests: $f3, g3_rejoin_s: $r3, lost_writes: $l, doubled_writes: $d, nodes_equal: $eq}')
    jq -e '.g0_500s == 0 and .g1_recovery_s != null and .g1_recovery_s <= 5 and .g1_lost_writes == 0 and .g1_doubled_writes == 0
        and .g2_rejoin_s != null and .g3_partitioned_serving == false and .g3_others_serving == true and .g3_rejoin_s != null
        and .lost_writes == 0 and .doubled_writes == 0 and .nodes_equal == true' <<< "$json" > /dev/null || rc=1
    [ ${#PROBLEMS[@]} -eq 0 ] || rc=1
    if [ $swarm = yes ]; then
        # The same option on a Swarm (after `down`: joining and leaving a swarm disconnects every
        # container of the engine); its figures join this run's line.
        local sw args=(--galera)
        [ $quick = no ] || args+=(--quick)
        log "the Galera option on a single-node Swarm: deploy/swarm/swarm test ${args[*]}"
        PUSTAKA_LOADGEN=$LOADGEN deploy/swarm/swarm test "${args[@]}" | tee "$T/swarm.log" >&2
        [ "${PIPESTATUS[0]}" -eq 0 ] || { rc=1; PROBLEMS+=("the Swarm test failed"); }
        sw=$(tail -n 1 "$T/swarm.log")
        if jq -e 'type == "object"' <<< "$sw" > /dev/null 2>&1; then
            json=$(jq -c --argjson sw "$sw" '. + ($sw | del(.checks_passed, .checks_failed, .galera) | with_entries(select(.value != null)))' <<< "$json")
        else
            rc=1; PROBLEMS+=("the Swarm test printed no JSON line")
        fi
    fi
    if [ $rc -eq 0 ]; then log "cluster faults: all figures in bounds"; else log "cluster faults: FAILED (${#PROBLEMS[@]} problems noted)"; fi
    echo "$json"
    return $rc
}

# ---- deploy/cluster test -------------------------------------------------------------------

hardened() {   # hardened SERVICE: read-only, no capabilities, no new privileges, not root, limits
    local out
    out=$(docker inspect -f 'ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} sec={{.HostConfig.SecurityOpt}} user={{.Config.User}} health={{if .Config.Healthcheck}}yes{{end}} restart={{.HostConfig.RestartPolicy.Name}} mem={{.HostConfig.Memory}}' "$(dc ps -q "$1")")
    [[ $out == *ro=true* && $out == *caps=*ALL* && $out == *no-new-privileges* && $out == *health=yes* &&
        $out == *restart=unless-stopped* && $out != *mem=0 && ! $out =~ user=(root|0)?\  ]] || { echo "      $1: $out"; return 1; }
}
cluster_of_three() {
    local n
    for n in "${NODES[@]}"; do [[ $(node_state "$n") == *"ready=ON state=4(Synced) cluster=Primary size=3 "* ]] || return 1; done
}
proxy_view_now() {   # all three UP, and one writer: the replicas' connections all on one node
    [ "$(proxy_csv | awk -F, '$2 == "UP"' | wc -l)" = 3 ] && [ "$(proxy_csv | awk -F, '$3 > 0' | wc -l)" = 1 ]
}
proxy_view() {   # proxy_view SECONDS: the proxy's view converges (checks every second): wait for it
    local deadline=$((SECONDS + $1))
    until proxy_view_now || [ $SECONDS -ge $deadline ]; do sleep 1; done
    proxy_view_now || { echo "      $(proxy_csv | tr '\n' ' ')"; return 1; }
}
health_200() { [[ $(health_answer "$1") == *' 200 '* ]]; }
book_on_every_node() {   # a book added through the balancer is on each node
    local pw token id n
    pw=$(admin_password)
    token=$(curl -s --max-time 10 -H 'Content-Type: application/json' --data "{\"username\":\"admin\",\"password\":\"$pw\"}" "$BASE/api/v1/auth/login" | jq -r .token)
    id=$(curl -s --max-time 10 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data '{"title":"Galera cluster test","authors":["Uji"]}' "$BASE/api/v1/books" | jq -r .id)
    [ -n "$id" ] && [ "$id" != null ] || return 1
    for n in "${NODES[@]}"; do
        # wsrep_sync_wait: a node applies the others' write sets a moment after they commit
        [ "$(cluster_sql "$n" "SET SESSION wsrep_sync_wait = 1; SELECT title FROM books WHERE id = $id")" = "Galera cluster test" ] || return 1
    done
}
sst_user_socket_only() {   # the SST account: the OS user mysql by its socket, no password
    [ "$(root_sql_galera1 "SELECT JSON_VALUE(priv, '\$.plugin') FROM mysql.global_priv WHERE user = 'mysql' AND host = 'localhost'")" = unix_socket ]
}
primary_keys_everywhere() {   # Galera replicates tables without a primary key badly
    [ "$(db_sql "SELECT COUNT(*) FROM information_schema.tables t WHERE t.table_schema = 'pustaka' AND t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')")" = 0 ]
}
clean_stop_then_start() {   # docker compose stop, then up: the last node to stop bootstraps again
    dc stop > "$T/stop.log" 2>&1 && dc_up --scale web=2 > "$T/up2.log" 2>&1 && wait_healthy 420 > "$T/wait2.log" 2>&1 &&
        wait_synced 120 "${NODES[@]}" && book_on_every_node && return 0
    grep -hv 'undefined secret' "$T/stop.log" "$T/up2.log" "$T/wait2.log" | tail -n 12 | sed 's/^/      /'; status | sed 's/^/      /'
    return 1
}
crash_then_recover() {   # every node killed: nobody is safe to bootstrap; `recover` finds the most advanced
    local n
    for n in "${NODES[@]}"; do docker kill "$(container_of "$n")" > /dev/null 2>&1; done
    dc stop > /dev/null 2>&1
    recover > "$T/recover.log" 2>&1 || { tail -n 20 "$T/recover.log"; return 1; }
    cluster_of_three && book_on_every_node
}

run_cluster_test() {
    set +e +o pipefail
    trap cleanup EXIT
    images || { echo "the images did not build"; return 1; }
    down > /dev/null 2>&1
    watch_engine
    check "up: 3 Galera nodes, the proxy, 2 web replicas, all healthy" cluster_up
    check "three nodes Synced in one Primary component of 3" cluster_of_three
    check "the proxy: all three nodes UP, one writer (within 60 s)" proxy_view 60
    log "writer: $(writer)"
    for n in "${NODES[@]}"; do check "$n's health responder answers 200" health_200 "$n"; done
    for s in db galera2 galera3 dbproxy; do check "$s: read-only, no capabilities, not root, limits" hardened "$s"; done
    check "the SST account authenticates by its socket only" sst_user_socket_only
    check "every table has a primary key" primary_keys_everywhere
    check "a book added through the balancer is on every node" book_on_every_node
    check "stopped cleanly, then up: the cluster bootstraps itself again" clean_stop_then_start
    check "every node killed: deploy/cluster recover brings the cluster back" crash_then_recover
    engine_disturbed && fail "the engine disconnected the containers during the test: run it again"
    down > /dev/null 2>&1
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
