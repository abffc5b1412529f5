# shellcheck shell=bash
# Sourced by `deploy/swarm/swarm test [--quick]`. On an engine that is in no swarm: makes a
# single-node swarm of its own (docker swarm init, left again by the EXIT trap whatever happens),
# builds or reuses the stand-in images (deploy/stack images, plus the page baked into the web
# image: a Swarm node has no checkout), deploys the stack with `swarm deploy`, checks it through
# the balancer, then updates the web service (docker service update --force: every replica
# replaced, one at a time, start-first) while bench/loadgen's fault load (readers and writers
# through the balancer, every request recorded) runs for the whole update; counts the failed
# requests and checks that every acknowledged write is in the database exactly once.
# Full run: 3 replicas, the admin password and the certificate's names chosen, a second update
# under load (a new image tag deployed with `swarm deploy`), scaling to 4, and an update that
# fails its health check and is rolled back by Swarm. --quick (CI): 2 replicas, generated
# secrets, the one update under load.
# While its swarm exists it holds deploy/stack test's lock (/run/lock/pustaka-stack-test.lock):
# a swarm adds firewall rules of the engine's own, which that test's firewall checks compare.
# --galera: the stack with the Galera option (deploy/swarm/galera.yaml): the same checks, and the
# three nodes Synced in one cluster, the proxy seeing them, a book on every node; after the rolling
# update the writer node's container is killed under the same load (g1: failed requests, the time
# until writes are acknowledged again; g2: Swarm starts the node again and it catches up).
# Prints PASS/FAIL per check, then one JSON line; non-zero when a check failed. The stack, its
# volumes, secrets, configs and networks, and the swarm are removed at the end. Every wait is
# bounded.

PASSED=0 FAILED=0 QUICK=no BOOK_TITLE=none ADMIN_PW=
T=$(mktemp -d)
SWARM_MADE=no GWBRIDGE_BEFORE=yes LOAD_PID='' LOADGEN=''
RUN_ID=swarm-$(date +%s)-$$
S1_FAILED=null S1_REQUESTS=null S1_UPDATE_S=null S1_LOST=null S1_DUP=null ROLLBACK_S=null
S2_FAILED=null S2_REQUESTS=null S2_UPDATE_S=null NEXT_TAG='' CHOSEN_PW=''
G1_VICTIM='' G1_FAILED=null G1_RECOVERY=null G2_REJOIN=null G2_TRANSFER=null T_KILL=0 NODES_EQUAL=null
# shellcheck source=deploy/galera/recovery.sh
. deploy/galera/recovery.sh   # g1_recovery, transfer_of

pass() { echo "PASS  $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL  $*"; FAILED=$((FAILED + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
in_subshell() { ( set -e; "$@" ); }     # a `die` in it fails the check, not the whole test
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# http METHOD PATH [JSON]: status code on stdout; body in $T/body
http() {
    local args=(-sS -o "$T/body" -w '%{http_code}' --max-time 10 -X "$1" "$BASE$2")
    [ -n "${TOKEN:-}" ] && args+=(-H "Authorization: Bearer $TOKEN")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
    curl "${args[@]}" 2> /dev/null || true
}
json() { jq -r "$1" "$T/body" 2> /dev/null; }

swarm_cleanup() {
    stop_load
    if [ "$SWARM_MADE" = yes ]; then
        rm_ --purge > /dev/null 2>&1
        docker swarm leave --force > /dev/null 2>&1
        # swarm init made this bridge; leaving the swarm keeps it
        [ "$GWBRIDGE_BEFORE" = yes ] || docker network rm docker_gwbridge > /dev/null 2>&1
        SWARM_MADE=no
    fi
    [ -z "$NEXT_TAG" ] || docker rmi "$NEXT_TAG" > /dev/null 2>&1
    flock -u 8 2> /dev/null
    rm -rf "$T"
}

stop_load() {
    [ -n "$LOAD_PID" ] || return 0
    kill -TERM "$LOAD_PID" 2> /dev/null
    local deadline=$((SECONDS + 20))
    while kill -0 "$LOAD_PID" 2> /dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    kill -KILL "$LOAD_PID" 2> /dev/null
    wait "$LOAD_PID" 2> /dev/null
    LOAD_PID=''
}

# swarm_images: the stand-in images of deploy/stack, and the web image with the page in it
# (with --galera, deploy/cluster's node image too)
swarm_images() {
    if galera; then
        local g
        g=$(deploy/cluster images 2> "$T/galera-images.log" | sed -n 's/^STANDIN_GALERA_IMAGE=//p')
        [ -n "$g" ] || { tail -n 20 "$T/galera-images.log" >&2; return 1; }
        export STANDIN_GALERA_IMAGE=$g
    fi
    local line
    while IFS= read -r line; do
        case $line in STANDIN_*_IMAGE=*) export "${line?}" ;; esac
    done < <(deploy/stack images 2> "$T/images.log")
    [ -n "${STANDIN_WEB_IMAGE:-}" ] || { tail -n 20 "$T/images.log" >&2; return 1; }
    local ctx=$T/webimage tag
    mkdir -p "$ctx"
    cp -r web "$ctx/web"
    printf '%s\n' 'ARG BASE' "FROM \${BASE}" 'COPY web /srv/pustaka/web' > "$ctx/Dockerfile"
    tag=pustaka-standin/web-page:$( { echo "$STANDIN_WEB_IMAGE"; cat "$ctx/Dockerfile"; find "$ctx/web" -type f | sort | xargs cat; } | sha256sum | cut -c1-16)
    docker image inspect "$tag" > /dev/null 2>&1 ||
        DOCKER_BUILDKIT=0 docker build -q --build-arg BASE="$STANDIN_WEB_IMAGE" -t "$tag" "$ctx" > /dev/null || return 1
    export STANDIN_WEB_IMAGE=$tag
}

build_loadgen() {
    if [ -n "${PUSTAKA_LOADGEN:-}" ]; then
        LOADGEN=$PUSTAKA_LOADGEN
    else
        log "cargo build --release --locked (bench/loadgen)"
        LOADGEN=$(cd bench/loadgen && cargo build --release --locked --message-format=json-render-diagnostics |
            jq -r 'select(.reason == "compiler-artifact" and .target.name == "pustaka-loadgen" and .executable != null) | .executable' |
            tail -n 1)
    fi
    [ -n "$LOADGEN" ] && [ -x "$LOADGEN" ]
}

make_swarm() {
    [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" = inactive ] || {
        echo "this engine is already in a swarm ($(docker info -f '{{.Swarm.LocalNodeState}}')): the test makes and leaves its own, so it will not run here" >&2
        return 1
    }
    # A swarm adds the engine's own firewall rules (docker_gwbridge, ingress): `deploy/stack test`
    # compares the rules before and after its firewall checks, so the two take turns on its lock.
    exec 8> /run/lock/pustaka-stack-test.lock
    flock -w 600 8 || { echo "another stack test held /run/lock/pustaka-stack-test.lock for 10 minutes" >&2; return 1; }
    docker network inspect docker_gwbridge > /dev/null 2>&1 || GWBRIDGE_BEFORE=no
    SWARM_MADE=yes     # from here on the trap leaves it, also if init fails half-way
    docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 > /dev/null
}

db_sql() {
    local sql=$1
    # Galera applies other nodes' write sets a moment after they commit: read after them all
    if galera; then sql="SET SESSION wsrep_sync_wait = 1; $sql"; fi
    # shellcheck disable=SC2016  # expanded inside the container
    docker exec -i "$(container_of db)" bash -c 'exec mariadb --defaults-extra-file=<(printf "[client]\nuser=pustaka\npassword=%s\n" "$(cat /run/secrets/db_password)") -N -B pustaka' <<< "$sql"
}

# every running container of the stack: read-only root, all capabilities dropped, not root,
# a memory limit, bounded logs
hardened() {
    local id out rc=0
    for id in $(docker ps -q --filter "label=com.docker.stack.namespace=$STACK"); do
        out=$(docker inspect -f '{{index .Config.Labels "com.docker.swarm.service.name"}} ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} user={{.Config.User}} mem={{.HostConfig.Memory}} pids={{.HostConfig.PidsLimit}} log={{index .HostConfig.LogConfig.Config "max-size"}}' "$id")
        if ! [[ $out == *ro=true* && $out == *caps=*ALL* && $out != *mem=0* && $out != *log=\ * && $out != *log= && ! $out =~ user=(root|0)?\  ]]; then
            echo "      $out"; rc=1
        fi
    done
    return $rc
}

secret_modes() {   # the files each service gets, and who may read them
    local lb db
    lb=$(docker exec "$(container_of lb)" stat -c '%a %U' /etc/pustaka/tls/pustaka.pem 2> /dev/null)
    db=$(docker exec "$(container_of db)" stat -c '%a %U' /run/secrets/db_password /run/secrets/db_root_password 2> /dev/null | paste -sd' ')
    if [ "$lb" != "400 haproxy" ] || [ "$db" != "400 mysql 400 mysql" ]; then echo "      lb: $lb; db: $db"; return 1; fi
}
no_secret_in_specs() {   # no password in any service's spec (environment, labels, arguments)
    local pw=$1
    # shellcheck disable=SC2046  # one argument per service id
    docker service inspect $(docker service ls -q --filter "label=com.docker.stack.namespace=$STACK") > "$T/specs.json" &&
        ! grep -qF "$pw" "$T/specs.json"
}
db_unreachable() {
    local lb ports
    lb=$(container_of lb)
    ports=$(docker service inspect -f '{{json .Endpoint.Ports}}' "$(svc db)")
    # published nowhere, and the balancer (frontend network only) can reach the replicas, not it
    [ "$ports" = null ] || [ "$ports" = '[]' ] || { echo "      db publishes $ports"; return 1; }
    docker exec "$lb" timeout 3 bash -c 'exec 3<>/dev/tcp/tasks.web/8080' 2> /dev/null || { echo "      the balancer cannot reach the replicas (probe broken)"; return 1; }
    ! docker exec "$lb" timeout 3 bash -c 'exec 3<>/dev/tcp/db/3306' 2> /dev/null
}
network_opts() {   # NETWORK: internal?, encrypted?
    docker network inspect -f '{{.Driver}} internal={{.Internal}} encrypted={{index .Options "encrypted"}}' "${STACK}_$1" 2> /dev/null
}
migrate_done() {   # migrate_done SECONDS: its task completed (it may still wait for the lock)
    local deadline=$((SECONDS + $1))
    until docker service ps --format '{{.CurrentState}}' "$(svc migrate)" | grep -q '^Complete' || [ $SECONDS -ge $deadline ]; do sleep 1; done
    docker service ps --format '{{.CurrentState}}' "$(svc migrate)" | grep -q '^Complete' ||
        { docker service ps --no-trunc "$(svc migrate)" | tail -n 3 | sed 's/^/      /'; return 1; }
}
# migrations_once: migrate and the replicas started together on an empty database; each migration
# is recorded once, all of them succeeded, and there are as many as the repository has
migrations_once() {
    local got want
    want=$(find migrations/mariadb -name '*.sql' | grep -c .)
    got=$(db_sql "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT version), ' ', SUM(success)) FROM _sqlx_migrations")
    [ "$got" = "$want $want $want" ] || { echo "      rows, versions, successes: $got (want $want each)"; return 1; }
}
backup_works() {
    local file; file=$(umask 022; backup "$T/backup.sql" 2> /dev/null) || return 1
    [ "$(stat -c %a "$file")" = 600 ] && grep -qF "$BOOK_TITLE" "$file"
}
restore_works() {   # the dump loads back into the running database; the book is read again
    local q; q=$(jq -rn --arg t "$BOOK_TITLE" '$t | @uri')
    restore "$T/backup.sql" > /dev/null 2>&1 && [ "$(TOKEN='' http GET "/api/v1/books?q=$q")" = 200 ] &&
        [ "$(json '.items[0].title')" = "$BOOK_TITLE" ]
}

flow() {
    local pw book tag=$RANDOM$RANDOM title
    pw=$(admin_password 2> /dev/null)
    ADMIN_PW=$pw
    if [ -n "$CHOSEN_PW" ]; then
        check "admin password read back from the Swarm secret is the one chosen in PUSTAKA_ADMIN_PASSWORD_FILE" test "$pw" = "$CHOSEN_PW"
    else
        check "admin password read back from the Swarm secret (swarm admin-password): generated, 48 characters" test ${#pw} -eq 48
    fi
    check "GET /healthz through the balancer" test "$(http GET /healthz)" = 200
    check "GET /readyz through the balancer (the database answers)" test "$(http GET /readyz)" = 200
    check "page: GET / is 200 HTML" bash -c "[ \"\$(curl -s -o '$T/page' -w '%{http_code}' --max-time 10 '$BASE/')\" = 200 ] && grep -qi '<html' '$T/page'"
    TOKEN=
    [ "$(http POST /api/v1/auth/login "$(jq -nc --arg p "$pw" '{username: "admin", password: $p}')")" = 200 ] && TOKEN=$(json .token)
    check "log in as admin with that password" test -n "$TOKEN" -a "$TOKEN" != null
    title="Laskar Pelangi $tag"
    [ "$(http POST /api/v1/books "$(jq -nc --arg t "$title" '{title: $t, authors: ["Andrea Hirata"]}')")" = 201 ] && book=$(json .id)
    check "create a book (201)" test -n "${book:-}" -a "${book:-null}" != null
    BOOK_TITLE=$title
    TOKEN='' http GET "/api/v1/books/${book:-0}" > "$T/code"
    check "read it back (GET /books/{id}): 200 with its title" test "$(cat "$T/code")" = 200 -a "$(json .title)" = "$title"
    local served; served=$(for _ in $(seq 20); do curl -s -o /dev/null -D - --max-time 5 "$BASE/healthz" | grep -i '^x-served-by:' | tr -d ' \r' | cut -d: -f2; done | sort -u | grep -c .)
    check "requests spread over the replicas (X-Served-By: $served different)" test "$served" -ge 2
}

https_checks() {
    certificate > "$T/cert.pem" 2> /dev/null
    check "HTTPS: the certificate (a Swarm secret) is Pustaka's generated one" bash -c "openssl x509 -in '$T/cert.pem' -noout -subject 2> /dev/null | grep -q 'O = Pustaka'"
    if [ -n "$CHOSEN_PW" ]; then
        check "HTTPS: the certificate is valid for PUSTAKA_TLS_NAMES (perpus.test, 192.0.2.10) too" \
            bash -c "openssl x509 -in '$T/cert.pem' -noout -ext subjectAltName 2> /dev/null | grep -q 'DNS:perpus.test.*IP Address:192.0.2.10'"
    fi
    check "HTTPS: the balancer answers on :$HTTPS_PORT with it (curl --cacert)" \
        test "$(curl -sS --max-time 10 --cacert "$T/cert.pem" --resolve "localhost:$HTTPS_PORT:127.0.0.1" -o /dev/null -w '%{http_code}' "https://localhost:$HTTPS_PORT/healthz" 2> /dev/null)" = 200
}

start_load() {
    : > "$T/records.jsonl"; rm -f "$T/ready"
    echo warmup > "$T/phase"
    FAULTS_ADMIN_PASSWORD=$ADMIN_PW "$LOADGEN" faults run --base "$BASE" --run-id "$RUN_ID" \
        --phase-file "$T/phase" --out "$T/records.jsonl" --ready-file "$T/ready" --max-seconds 400 > "$T/load.log" 2>&1 &
    LOAD_PID=$!
    local deadline=$((SECONDS + 40))
    until [ -f "$T/ready" ] || [ $SECONDS -ge $deadline ] || ! kill -0 "$LOAD_PID" 2> /dev/null; do sleep 0.5; done
    [ -f "$T/ready" ] || { tail -n 5 "$T/load.log" >&2; return 1; }
    sleep 3
}

# update_state: the web service's update state (updating, completed, rollback_completed, ...)
# and when that update started
update_state() { docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}} {{.UpdateStatus.StartedAt}}{{end}}' "$(svc web)" 2> /dev/null; }
# wait_update SECONDS BEFORE STATE: until an update that started after BEFORE (update_state
# before it) ends; its final state on stdout, success if it is STATE
wait_update() {
    local deadline=$((SECONDS + $1)) before=$2 want=$3 st=''
    while [ $SECONDS -lt $deadline ]; do
        st=$(update_state)
        if [ "${st#* }" != "${before#* }" ]; then
            case ${st%% *} in
                "$want") echo "$want"; return 0 ;;
                paused | rollback_paused | completed | rollback_completed) echo "${st%% *}"; return 1 ;;
            esac
        fi
        sleep 0.5
    done
    echo "${st%% *} (timed out)"; return 1
}
web_tasks() { docker service ps -q --filter desired-state=running "$(svc web)" | sort; }

# update_under_load PHASE WHAT COMMAND...: COMMAND starts an update of web, recorded as PHASE by
# the load; waits (bounded) until it completed and the balancer sees every replica again
update_under_load() {
    local phase=$1 what=$2 before after t0 st prev secs; shift 2
    before=$(web_tasks) prev=$(update_state)
    echo "$phase" > "$T/phase"
    log "$(date +%T) $what, under load"
    sleep 2
    t0=$(now)
    "$@" > "$T/$phase.log" 2>&1 || { fail "$what: $(tail -n 3 "$T/$phase.log")"; return; }
    st=$(wait_update 400 "$prev" completed)
    secs=$(elapsed "$t0" "$(now)")
    printf -v "${phase^^}_UPDATE_S" '%s' "$secs"
    check "$what: $st in $secs s" test "$st" = completed
    after=$(web_tasks)
    check "every replica replaced ($(grep -c . <<< "$after") running, none of them from before)" \
        test -z "$(comm -12 <(echo "$before") <(echo "$after"))" -a "$(grep -c . <<< "$after")" -eq "$REPLICAS"
    # requests still under way after the last replica was replaced count for this phase too
    local deadline=$((SECONDS + 60))
    until [ "$(up_servers)" -ge "$REPLICAS" ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    sleep 3
    echo between > "$T/phase"
}

# new_image: the web image under a new tag, deployed the way a new version is (swarm deploy)
new_image() {
    NEXT_TAG=${STANDIN_WEB_IMAGE%%:*}:next-$$
    docker tag "$STANDIN_WEB_IMAGE" "$NEXT_TAG" && ( export STANDIN_WEB_IMAGE=$NEXT_TAG; set -e; deploy_ )
}

# phase_figures PHASE: "failed requests" and "requests" of a phase in the load report
phase_failed() { jq ".phases.$1 | .failed_reads + .failed_writes" "$T/report.json"; }
phase_requests() { jq ".phases.$1 | .reads + .writes" "$T/report.json"; }

reckon() {
    echo end > "$T/phase"
    sleep 1
    stop_load
    db_sql "SELECT title FROM books WHERE title LIKE '$RUN_ID-%'" > "$T/db-titles" || { fail "read this run's titles from the database"; return; }
    "$LOADGEN" faults report --records "$T/records.jsonl" --db-titles "$T/db-titles" > "$T/report.json" || { fail "the load report"; return; }
    local ph
    for ph in s1 s2; do
        jq -e ".phases.$ph" "$T/report.json" > /dev/null || continue
        printf -v "${ph^^}_FAILED" '%s' "$(phase_failed "$ph")"
        printf -v "${ph^^}_REQUESTS" '%s' "$(phase_requests "$ph")"
        jq -c ".phases.$ph | {phase: \"$ph\", reads, failed_reads, writes, acked_writes, failed_writes, max_latency_s, statuses}" "$T/report.json" | sed 's/^/      /'
        check "$ph: $(phase_failed "$ph") of $(phase_requests "$ph") requests failed during the update" \
            test "$(phase_failed "$ph")" = 0 -a "$(phase_requests "$ph")" -gt 100
    done
    S1_LOST=$(jq '[.phases[] | .lost_writes] | add' "$T/report.json")
    S1_DUP=$(jq '[.phases[] | .duplicate_writes] | add' "$T/report.json")
    check "every acknowledged write in the database exactly once (lost $S1_LOST, twice $S1_DUP)" test "$S1_LOST" = 0 -a "$S1_DUP" = 0
}

# An update whose new replicas never become healthy (a database that does not exist): Swarm
# rolls it back (failure_action: rollback) and the old replicas keep serving.
rollback() {
    local t0 st prev
    prev=$(update_state)
    t0=$(now)
    docker service update --detach --env-add PUSTAKA_DATABASE_URL=mysql://pustaka@db:3306/no_such_database "$(svc web)" > /dev/null
    st=$(wait_update 300 "$prev" rollback_completed)
    ROLLBACK_S=$(elapsed "$t0" "$(now)")
    check "an update that fails its health check is rolled back by Swarm ($st in $ROLLBACK_S s)" test "$st" = rollback_completed
    check "after the rollback: $REPLICAS replicas up in the balancer, the API answers" serving_again 60
}
serving_again() {   # serving_again SECONDS
    local deadline=$((SECONDS + $1))
    until [ "$(up_servers)" -ge "$REPLICAS" ] || [ $SECONDS -ge $deadline ]; do sleep 1; done
    [ "$(up_servers)" -ge "$REPLICAS" ] && [ "$(http GET /readyz)" = 200 ]
}

scale() {
    docker service scale --detach "$(svc web)=4" > /dev/null 2>&1
    local deadline=$((SECONDS + 120))
    until [ "$(up_servers)" -ge 4 ] || [ $SECONDS -ge $deadline ]; do sleep 1; done
    check "docker service scale web=4: the balancer finds the 4th replica in tasks.web" test "$(up_servers)" -ge 4
    docker service scale --detach "$(svc web)=$REPLICAS" > /dev/null 2>&1
    deadline=$((SECONDS + 60))
    until [ "$(docker service ps -q --filter desired-state=running "$(svc web)" | grep -c .)" -eq "$REPLICAS" ] &&
        [ "$(up_servers)" -eq "$REPLICAS" ] || [ $SECONDS -ge $deadline ]; do sleep 1; done
}

clean_after() {
    [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] &&
        ! docker volume ls -q | grep -q "^${STACK}_" &&
        [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" = inactive ] &&
        { [ "$GWBRIDGE_BEFORE" = yes ] || ! docker network inspect docker_gwbridge > /dev/null 2>&1; }
}

# ---- --galera ------------------------------------------------------------------------------
node_service() { if [ "$1" = galera1 ]; then echo db; else echo "$1"; fi; }
# node_state NODE: "galera2 ready=ON state=4(Synced) cluster=Primary size=3 seqno=123" (node.sh state)
node_state() {
    local id; id=$(container_of "$(node_service "$1")")
    [ -n "$id" ] || { echo "$1 down"; return; }
    docker exec "$id" bash /opt/galera/node.sh state 2> /dev/null || echo "$1 no-answer"
}
synced3() { [[ $(node_state "$1") == *"ready=ON state=4("*"cluster=Primary size=3 "* ]]; }
three_synced() { synced3 galera1 && synced3 galera2 && synced3 galera3; }
wait_three_synced() {   # SECONDS
    local deadline=$((SECONDS + $1))
    until three_synced || [ $SECONDS -ge $deadline ]; do sleep 1; done
    three_synced || { for n in galera1 galera2 galera3; do echo "      $(node_state $n)"; done; return 1; }
}
# proxy_csv: "server,status,current sessions" of the Galera backend, from inside the proxy
proxy_csv() {
    local id; id=$(container_of dbproxy)
    [ -n "$id" ] || return 1
    # shellcheck disable=SC2016  # run by the container's bash
    docker exec "$id" timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8405 && printf "GET /;csv HTTP/1.0\r\n\r\n" >&3 && cat <&3' 2> /dev/null |
        awk -F, '$1 == "galera" && $2 ~ /^galera[0-9]$/ { print $2 "," $18 "," $5 }'
}
writer() { proxy_csv | sort -t, -k3,3nr | awk -F, '$3 > 0 { print $1; exit }'; }
three_up() { [ "$(proxy_csv | grep -c ',UP,')" -eq 3 ]; }
# proxy_sees_three SECONDS: the proxy's view converges (a Swarm task's name is in Swarm's DNS only
# once the task is healthy, so a node can read MAINT (resolution) for a while after it is Synced):
# wait for all three UP within the bound instead of sampling once
proxy_sees_three() {
    local deadline=$((SECONDS + $1))
    until three_up || [ $SECONDS -ge $deadline ]; do sleep 1; done
    three_up || { echo "      $(proxy_csv | tr '\n' ' ')"; return 1; }
}
# sql_on NODE SQL: as the application user, from galera1's container, on NODE over the network
sql_on() {
    # shellcheck disable=SC2016  # expanded inside the container
    docker exec -i "$(container_of db)" bash -c 'exec mariadb --defaults-extra-file=<(printf "[client]\nuser=pustaka\npassword=%s\n" "$(cat /run/secrets/db_password)") --connect-timeout=3 -h "$0" -N -B pustaka' "$1" <<< "$2"
}
# book_on_every_node: read with wsrep_sync_wait = 1, since a node applies the others' write sets
# a moment after they commit (a plain read may not see a book written a moment ago yet)
book_on_every_node() {
    local n got
    for n in galera1 galera2 galera3; do
        got=$(sql_on "$n" "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM books WHERE title = '$BOOK_TITLE'")
        [ "$got" = 1 ] || { echo "      $n: '$got'"; return 1; }
    done
}
# nodes_equal: every node at the same last write set, and the same rows (CHECKSUM TABLE of all)
nodes_equal() {
    local deadline=$((SECONDS + 30)) seqnos tables n sums=()
    until seqnos=$(for n in galera1 galera2 galera3; do node_state "$n" | sed 's/.*seqno=//'; done | sort -u); [ "$(grep -c . <<< "$seqnos")" = 1 ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    tables=$(sql_on galera1 "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\`') ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'pustaka' AND table_type = 'BASE TABLE'")
    for n in galera1 galera2 galera3; do sums+=("$(sql_on "$n" "CHECKSUM TABLE $tables" | sha256sum | cut -c1-16)"); done
    if [ "${sums[0]}" != "${sums[1]}" ] || [ "${sums[1]}" != "${sums[2]}" ]; then echo "      checksums ${sums[*]}"; return 1; fi
}

galera_checks() {
    check "Galera: three nodes Synced in one Primary component of 3" wait_three_synced 120
    check "Galera: the proxy sees all three nodes UP (within 60 s)" proxy_sees_three 60
    log "writer: $(writer)"
    check "Galera: galera2 and galera3 placed on the nodes labelled for them" test \
        "$(docker service inspect -f '{{json .Spec.TaskTemplate.Placement.Constraints}}' "$(svc galera2)" "$(svc galera3)" | tr -d '\n')" = \
        '["node.labels.pustaka.galera2 == true"]["node.labels.pustaka.galera3 == true"]'
    check "Galera: the book created through the balancer is on every node" book_on_every_node
}

# kill_writer: under the load (phase g1), docker kill of the writer node's container; Swarm starts
# a new task, which rejoins (g2: from its container's start until Synced)
kill_writer() {
    local victim deadline id new t_start
    echo g1 > "$T/phase"
    sleep 3
    deadline=$((SECONDS + 10))
    until victim=$(writer); [ -n "$victim" ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    [ -n "$victim" ] || { fail "g1: no node holds the replicas' connections: $(proxy_csv | tr '\n' ' ')"; return; }
    G1_VICTIM=$victim
    id=$(container_of "$(node_service "$victim")")
    log "$(date +%T) docker kill $victim (the writer), under load"
    T_KILL=$(now)
    docker kill "$id" > /dev/null
    sleep 8
    log "writer now: $(writer); $(proxy_csv | tr '\n' ' ')"
    deadline=$((SECONDS + 300))
    until new=$(container_of "$(node_service "$victim")"); [ -n "$new" ] && [ "$new" != "$id" ] || [ $SECONDS -ge $deadline ]; do sleep 1; done
    if [ -z "$new" ] || [ "$new" = "$id" ]; then fail "g2: Swarm did not start $victim again"; echo between > "$T/phase"; return; fi
    t_start=$(date -d "$(docker inspect -f '{{.State.StartedAt}}' "$new")" +%s.%N)
    until synced3 "$victim" || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    if synced3 "$victim"; then
        G2_REJOIN=$(elapsed "$t_start" "$(now)")
        docker logs "$new" > "$T/rejoin.log" 2>&1
        G2_TRANSFER=\"$(transfer_of "$T/rejoin.log")\"
        pass "g2: Swarm started $victim again; Synced $G2_REJOIN s after its start (${G2_TRANSFER//\"/})"
    else
        fail "g2: $victim not Synced 300 s after the kill: $(node_state "$victim")"
    fi
    sleep 3
    echo between > "$T/phase"
}

within_5() { [ "$1" != null ] && awk -v r="$1" 'BEGIN { exit !(r <= 5) }'; }
galera_reckon() {
    [ -n "$G1_VICTIM" ] || return 0
    G1_FAILED=$(jq '.phases.g1 | .failed_reads + .failed_writes' "$T/report.json")
    G1_RECOVERY=$(g1_recovery)
    jq -c '.phases.g1 | {phase: "g1", reads, failed_reads, writes, acked_writes, failed_writes, max_latency_s, statuses}' "$T/report.json" | sed 's/^/      /'
    check "g1: writes acknowledged again $G1_RECOVERY s after the kill (at most 5), $G1_FAILED requests failed" \
        within_5 "$G1_RECOVERY"
    check "g1: no answer 500 during the run" test "$(jq '[.phases[] | .statuses | to_entries[] | select(.key | test(" 500$")) | .value] | add // 0' "$T/report.json")" = 0
    if wait_three_synced 120 && nodes_equal; then NODES_EQUAL=true; else NODES_EQUAL=false; fi
    check "at the end: three nodes Synced at the same write set with the same rows (CHECKSUM TABLE)" test "$NODES_EQUAL" = true
}

run_swarm_test() {
    local arg
    for arg in "$@"; do
        case $arg in
            --quick) QUICK=yes ;;
            --galera) export PUSTAKA_GALERA=1 ;;
            *) echo "swarm test: unknown argument $arg (--quick, --galera)" >&2; return 2 ;;
        esac
    done
    set +e +o pipefail
    trap swarm_cleanup EXIT
    trap 'exit 130' INT TERM
    local start=$SECONDS
    # its own ports and stack name, so that it may run beside `deploy/stack test`
    export PUSTAKA_STACK=${PUSTAKA_STACK_TEST:-pustaka_swarmtest}
    STACK=$PUSTAKA_STACK
    export PUSTAKA_HTTP_PORT=${PUSTAKA_HTTP_PORT:-18480} PUSTAKA_HTTPS_PORT=${PUSTAKA_HTTPS_PORT:-18443}
    REPLICAS=3; [ "$QUICK" = yes ] && REPLICAS=2
    export PUSTAKA_WEB_REPLICAS=$REPLICAS PUSTAKA_RESOLVE_IMAGE=never
    HTTPS_PORT=$PUSTAKA_HTTPS_PORT BASE=http://127.0.0.1:$PUSTAKA_HTTP_PORT
    unset PUSTAKA_ADMIN_PASSWORD_FILE PUSTAKA_TLS_PEM_FILE PUSTAKA_TLS_NAMES
    if [ "$QUICK" = no ]; then
        # the full run chooses the admin password (a file of root's, 0600) and the certificate's
        # names; --quick (CI) has them generated
        CHOSEN_PW=$(head -c 18 /dev/urandom | base64 | tr '/+' '_-')
        (umask 077; printf '%s\n' "$CHOSEN_PW" > "$T/admin-password")
        export PUSTAKA_ADMIN_PASSWORD_FILE=$T/admin-password PUSTAKA_TLS_NAMES=perpus.test,192.0.2.10
    fi
    build_loadgen || { fail "the load generator (bench/loadgen) did not build"; return 1; }
    log "stand-in images (deploy/stack images)"
    swarm_images || { fail "stand-in images"; return 1; }
    check "docker swarm init (single node, 127.0.0.1)" make_swarm || return 1
    local t0=$SECONDS
    check "swarm deploy: stack $STACK with $REPLICAS web replicas, all running and up in the balancer" in_subshell deploy_ > "$T/deploy.log" 2>&1 ||
        { tail -n 20 "$T/deploy.log"; }
    log "deployed in $((SECONDS - t0)) s"
    check "migrate one-shot finished (Complete, not restarting)" migrate_done 120
    check "migrations applied once each, with migrate and the replicas starting together" migrations_once
    check "hardening: read-only root, cap_drop ALL, non-root, memory limit, bounded logs (every container)" hardened
    check "db$(galera && echo ' (galera1)') placed on the node labelled pustaka.db=true" test "$(docker service inspect -f '{{json .Spec.TaskTemplate.Placement.Constraints}}' "$(svc db)")" = '["node.labels.pustaka.db == true"]'
    check "web: update_config start-first, rollback on failure" test "$(docker service inspect -f '{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}} {{.Spec.RollbackConfig.Order}}' "$(svc web)")" = "start-first rollback start-first"
    flow
    if galera; then galera_checks; fi
    https_checks
    check "secrets: the TLS key for the balancer's user only (0400 haproxy), the database's for mysql only (0400)" secret_modes
    check "secrets: no password in any service's spec (docker service inspect)" no_secret_in_specs "$ADMIN_PW"
    check "secrets: 4 Swarm secrets, made by swarm deploy" test "$(docker secret ls -q --filter "name=${STACK}_" | grep -c .)" -eq 4
    check "the database publishes no port, and the balancer cannot reach it" db_unreachable
    check "backend network: overlay, internal, encrypted ($(network_opts backend))" test "$(network_opts backend)" = "overlay internal=true encrypted=true"
    check "frontend network: overlay, encrypted ($(network_opts frontend))" test "$(network_opts frontend)" = "overlay internal=false encrypted=true"
    check "swarm backup: a dump with the book, file 0600" backup_works
    check "swarm restore: the dump loads back, the book is found through the balancer" restore_works
    if start_load; then
        update_under_load s1 "rolling update of web (docker service update --force)" docker service update --force --detach "$(svc web)"
        if [ "$QUICK" = no ]; then
            update_under_load s2 "new version (a new image tag, swarm deploy)" new_image
        fi
        if galera; then kill_writer; fi
        reckon
        galera_reckon
    else
        fail "the load generator did not start"
    fi
    if [ "$QUICK" = no ]; then
        scale
        rollback
    fi
    rm_ --purge > /dev/null 2>&1
    docker swarm leave --force > /dev/null 2>&1
    [ "$GWBRIDGE_BEFORE" = yes ] || docker network rm docker_gwbridge > /dev/null 2>&1
    SWARM_MADE=no
    check "stack, volumes, secrets removed and the swarm left" clean_after
    flock -u 8
    log "swarm test took $((SECONDS - start)) s"
    echo "$PASSED passed, $FAILED failed"
    local json
    json=$(jq -nc --argjson a "$S1_FAILED" --argjson b "$S1_REQUESTS" --argjson c "$S1_UPDATE_S" --argjson d "$S1_LOST" \
        --argjson e "$S1_DUP" --argjson f "$ROLLBACK_S" --argjson n "$REPLICAS" --argjson p "$PASSED" --argjson q "$FAILED" \
        --argjson g "$S2_FAILED" --argjson h "$S2_REQUESTS" --argjson i "$S2_UPDATE_S" \
        '{s1_rolling_failed: $a, s1_requests: $b, s1_update_s: $c, s1_lost_writes: $d, s1_duplicate_writes: $e, s1_replicas: $n,
          s2_new_image_failed: $g, s2_requests: $h, s2_update_s: $i, rollback_s: $f, checks_passed: $p, checks_failed: $q}')
    if galera; then
        # the Swarm's own g1/g2 (the writer killed under load), beside deploy/cluster faults' compose ones
        json=$(jq -c --arg v "$G1_VICTIM" --argjson f "$G1_FAILED" --argjson r "$G1_RECOVERY" --argjson j "$G2_REJOIN" \
            --argjson t "$G2_TRANSFER" --argjson eq "$NODES_EQUAL" \
            '{galera: true} + . + {swarm_g1_victim: $v, swarm_g1_failed_requests: $f, swarm_g1_recovery_s: $r, swarm_g2_rejoin_s: $j,
              swarm_g2_transfer: $t, swarm_nodes_equal: $eq}' <<< "$json")
    fi
    echo "$json"
    [ "$FAILED" -eq 0 ]
}
