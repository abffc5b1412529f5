# shellcheck shell=bash
# Sourced by `deploy/stack test`: brings the stack up with 3 replicas and checks it from the
# host. Prints PASS/FAIL per check and "N passed, M failed"; returns non-zero on a failure.
# Network checks use a namespace and veth pair of the test's own (a free /30 in
# 10.213.77.0/24 and a /126 in fd7a:7a3b:5e0e::/48), and the firewall is applied to that
# veth only; everything the test changes is undone by the EXIT trap. The network and
# firewall checks hold a lock, so that two test runs on one machine take turns. Every wait
# is bounded.

PASSED=0 FAILED=0
T=$(mktemp -d)
NS=pustaka-t$$ VH=pk$$h VN=pk$$n
H4='' N4='' H6='' N6=''    # picked by test_network
FW=deploy/firewall/pustaka-firewall
FW_APPLIED=no LISTENER_PIDS=() FW_CONTAINER=pustaka-fwtest-$$
BASE=http://127.0.0.1:$PORT
HTTPS_BASE=https://localhost:$HTTPS_PORT
CHOSEN_PW=''               # the admin password chosen in a file for the first `up`

pass() { echo "PASS  $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL  $*"; FAILED=$((FAILED + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
not() { ! "$@"; }
quiet() { "$@" > /dev/null 2>&1; }

# http METHOD PATH [JSON]: status code on stdout; body in $T/body, headers in $T/hdr
http() {
    local args=(-sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 10 -X "$1" "$BASE$2")
    [ -n "${TOKEN:-}" ] && args+=(-H "Authorization: Bearer $TOKEN")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
    curl "${args[@]}" 2>/dev/null || true
}
header() { grep -i "^$1:" "$T/hdr" | head -1 | cut -d: -f2- | tr -d ' \r'; }
json() { jq -r "$1" "$T/body" 2>/dev/null; }
served_by() { curl -sS -o /dev/null -D - --max-time 5 "$BASE/healthz" 2>/dev/null | grep -i '^x-served-by:' | cut -d: -f2- | tr -d ' \r'; }

# answers_from_ns ADDR PORT: a TCP connection from the test namespace succeeds in 3 s
answers_from_ns() {
    local addr=$1; [[ $addr == *:* ]] && addr="[$addr]"
    ip netns exec "$NS" timeout 3 bash -c "exec 3<>/dev/tcp/${addr//[\[\]]/}/$2" 2>/dev/null
}
answers_local() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
silent_from_ns() { ! answers_from_ns "$@"; }

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
# The host's firewall rules, counters and comments removed. Also removed: the rules Docker
# writes for its bridges and containers (br-*, container addresses), which change whenever
# a container or network comes or goes on this engine (other stacks may be running); the
# firewall script never writes those.
rules() {
    { iptables-save; ip6tables-save; nft list ruleset; } 2>/dev/null |
        sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//g' -e 's/counter packets [0-9]* bytes [0-9]*/counter/g' |
        grep -vE 'br-[0-9a-f]{12}|172\.(1[6-9]|2[0-9]|3[01])\.|192\.168\.'
}
same_rules() {   # same_rules FILE1 FILE2, showing the difference if any
    cmp -s "$1" "$2" && return 0
    diff "$1" "$2" | head -n 12 | sed 's/^/      /'
    return 1
}
web_ids() { dc ps -q web | xargs -r docker inspect -f '{{if .State.Running}}{{.Id}}{{end}}' | grep . || true; }
up_servers() { curl -s --max-time 3 "http://127.0.0.1:$STATS_PORT/;csv" | awk -F, '$1 == "web" && $18 == "UP"' | wc -l; }

cleanup() {
    [ "$FW_APPLIED" = yes ] && "$FW" remove > /dev/null 2>&1
    for p in "${LISTENER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    docker rm -f "$FW_CONTAINER" > /dev/null 2>&1
    ip netns del "$NS" 2>/dev/null
    ip link del "$VH" 2>/dev/null
    [ "${KEEP:-}" = 1 ] || down > /dev/null 2>&1
    rm -rf "$T"
}

stack_up() {
    dc up -d --no-build --scale web=3 > "$T/up.log" 2>&1 && wait_healthy 240 > "$T/wait.log" 2>&1 && return 0
    tail -n 5 "$T/up.log" "$T/wait.log"; dc logs --tail=20 2>&1 | tail -n 60
    return 1
}

test_hardening() {
    local id out rc=0
    for id in $(dc ps -q db web lb); do
        out=$(docker inspect -f '{{.Name}} ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} sec={{.HostConfig.SecurityOpt}} user={{.Config.User}} health={{if .Config.Healthcheck}}yes{{end}} restart={{.HostConfig.RestartPolicy.Name}} log={{index .HostConfig.LogConfig.Config "max-size"}} mem={{.HostConfig.Memory}}' "$id")
        if ! [[ $out == *ro=true* && $out == *caps=*ALL* && $out == *no-new-privileges* && $out == *health=yes* &&
            $out == *restart=unless-stopped* && $out != *log=\ * && $out != *mem=0 && ! $out =~ user=(root|0)?\  ]]; then
            echo "      $out"; rc=1
        fi
    done
    return $rc
}

# sql_from USER SQL: run SQL over the backend network as USER (root / pustaka), from a
# throw-away container like any other client on that network
sql_from() {
    local file=db_password; [ "$1" = root ] && file=db_root_password
    docker run --rm --network "${COMPOSE_PROJECT_NAME}_backend" \
        -v "${COMPOSE_PROJECT_NAME}_secrets:/run/secrets:ro" --entrypoint bash "$STANDIN_DB_IMAGE" \
        -c "mariadb -h db -u $1 -p\"\$(cat /run/secrets/$file)\" -N -e \"$2\" pustaka" > /dev/null 2>&1
}
root_inside_db() {
    # shellcheck disable=SC2016  # expanded inside the container
    dc exec -T db bash -c 'mariadb -uroot -p"$(cat /run/secrets/db_root_password)" -e "SELECT 1"' > /dev/null 2>&1
}
test_database_users() {
    check "database: root can log in inside its container" root_inside_db
    check "database: root cannot log in from another container" not sql_from root "SELECT 1"
    check "database: the app user uses its own database" sql_from pustaka "SELECT COUNT(*) FROM books"
    check "database: the app user cannot read mysql.user" not sql_from pustaka "SELECT * FROM mysql.user"
    check "database: the app user cannot create another database" not sql_from pustaka "CREATE DATABASE stack_test_other"
}

test_flow() {
    local pw book member tag=$RANDOM$RANDOM
    pw=$(admin_password)
    check "admin password readable (secrets show-admin-password)" test -n "$pw"
    check "page: GET / is 200 HTML" bash -c "[ \"\$(curl -s -o '$T/page' -w '%{http_code}' --max-time 10 '$BASE/')\" = 200 ] && grep -qi '<html' '$T/page'"
    check "licences: GET /licenses is 200 text/plain and lists the crates and Swagger UI" bash -c "[ \"\$(curl -s -o '$T/licenses' -w '%{content_type} %{http_code}' --max-time 10 '$BASE/licenses')\" = 'text/plain; charset=utf-8 200' ] && grep -q '^axum ' '$T/licenses' && grep -q '^Swagger UI ' '$T/licenses'"
    TOKEN=
    [ "$(http POST /api/v1/auth/login "$(jq -nc --arg p "$pw" '{username: "admin", password: $p}')")" = 200 ] &&
        TOKEN=$(json .token)
    check "librarian flow: log in as admin" test -n "$TOKEN" -a "$TOKEN" != null
    BOOK_TITLE="Cantik Itu Luka $tag"
    [ "$(http POST /api/v1/books "$(jq -nc --arg t "$BOOK_TITLE" '{title: $t, authors: ["Eka Kurniawan"], isbn: "9786020332956"}')")" = 201 ] &&
        book=$(json .id)
    check "librarian flow: add a book (201)" test -n "${book:-}" -a "${book:-null}" != null
    check "librarian flow: add a copy (201)" test "$(http POST "/api/v1/books/${book:-0}/copies" "{\"barcode\":\"B$tag\"}")" = 201
    [ "$(http POST /api/v1/members '{"name":"Budi Santoso","category":"student"}')" = 201 ] && member=$(json .card_number)
    check "librarian flow: register a member (201)" test -n "${member:-}" -a "${member:-null}" != null
    check "librarian flow: lend the copy (201)" test "$(http POST /api/v1/loans "{\"barcode\":\"B$tag\",\"card_number\":\"${member:-x}\"}")" = 201
    check "librarian flow: take it back (200)" test "$(http POST /api/v1/returns "{\"barcode\":\"B$tag\"}")" = 200
    check "librarian flow: search finds the book" book_found
    check "X-Request-Id passed through and echoed" test "$(curl -s -D - -o /dev/null -H 'X-Request-Id: stack-test-42' "$BASE/healthz" | grep -i '^x-request-id:' | tr -d ' \r' | cut -d: -f2)" = stack-test-42
    check "X-Request-Id made by the balancer when absent" test -n "$(curl -s -D - -o /dev/null "$BASE/healthz" | grep -i '^x-request-id:')"
}
# Issue 18, metrics: each replica's /metrics (:9100) and HAProxy's exporter (:8405) answer inside
# the Docker network, are published nowhere, and the public port has no /metrics.
# inside GET_HOST PORT: GET /metrics over the frontend network, from a throw-away container on it
inside() {
    # shellcheck disable=SC2016  # expanded inside the container
    docker run --rm --network "${COMPOSE_PROJECT_NAME}_frontend" --entrypoint bash "$STANDIN_LB_IMAGE" -c \
        'for h in "$@"; do echo "== $h"; timeout 5 bash -c "exec 3<>/dev/tcp/\${1%:*}/\${1#*:} && printf \"GET /metrics HTTP/1.0\r\nHost: scraper\r\n\r\n\" >&3 && cat <&3" _ "$h"; done' _ "$@" 2> /dev/null
}
replicas_metrics_inside() {   # every replica: requests by route template, the MariaDB pool
    local ids=() hosts=() id n=0
    mapfile -t ids < <(web_ids)
    for id in "${ids[@]}"; do
        hosts+=("$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{if eq $k "'"$COMPOSE_PROJECT_NAME"'_frontend"}}{{$v.IPAddress}}{{end}}{{end}}' "$id"):9100")
    done
    inside "${hosts[@]}" > "$T/metrics"
    n=$(awk '/^== /{ok=0} /^pustaka_http_requests_total\{route="\/readyz",method="GET",status="200"\} [1-9]/{ok++} /^pustaka_db_pool_max_connections\{pool="mariadb"\}/{if (ok) print}' "$T/metrics" | wc -l)
    if [ "${#ids[@]}" -lt 3 ] || [ "$n" -ne "${#ids[@]}" ]; then
        echo "      $n of ${#ids[@]} replicas answered ($(grep -c '' "$T/metrics") lines)"
        return 1
    fi
}
haproxy_metrics_inside() {
    inside lb:8405 | grep -q '^haproxy_frontend_http_requests_total{proxy="public"}'
}
not_published() {   # neither metrics port is published by any container of the stack
    local id
    for id in $(dc ps -q web lb); do
        docker port "$id" | grep -qE '^(9100|8405)/' && return 1
    done
    return 0
}
test_metrics() {
    check "metrics: each replica's /metrics (:9100) answers inside the Docker network (requests by route, pool)" replicas_metrics_inside
    check "metrics: HAProxy's Prometheus exporter (lb:8405/metrics) answers inside the Docker network" haproxy_metrics_inside
    check "metrics: neither :9100 nor :8405 is published to the host" not_published
    check "metrics: the public port has no /metrics (404)" test "$(TOKEN='' http GET /metrics)" = 404
}

# Issue 12, item 13: the admin password chosen for the first start comes in a file (a compose
# secret), never in the environment of a container, where `docker inspect` shows it.
test_admin_password_file() {
    check "admin password chosen in PUSTAKA_ADMIN_PASSWORD_FILE is the admin's" test -n "$CHOSEN_PW" -a "$(admin_password)" = "$CHOSEN_PW"
    check "docker inspect of the secrets container shows no admin password" secrets_inspect_clean
}
secrets_inspect_clean() {
    local ids
    ids=$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=secrets)
    [ -n "$ids" ] || { echo "      no secrets container"; return 1; }
    # shellcheck disable=SC2086  # one argument per container id
    docker inspect $ids > "$T/secrets.inspect" || return 1
    ! grep -qF "$CHOSEN_PW" "$T/secrets.inspect" && ! grep -q 'PUSTAKA_ADMIN_PASSWORD=' "$T/secrets.inspect"
}

# Issue 12, item 5: HTTPS on its own port with the certificate generated on the first start, the
# session cookie Secure over HTTPS only, cookie requests from other origins refused through the
# balancer too, and the opt-in redirect.
# hcurl ARGS...: curl to the HTTPS port trusting only the generated certificate ($T/cert.pem)
hcurl() { curl -sS --max-time 10 --cacert "$T/cert.pem" --resolve "localhost:$HTTPS_PORT:127.0.0.1" "$@" 2>/dev/null; }
tls_file_mode() {
    docker run --rm -v "${COMPOSE_PROJECT_NAME}_tls:/t:ro" --network none --entrypoint stat "$STANDIN_DB_IMAGE" -c '%a %u %g' /t/pustaka.pem 2>/dev/null
}
served_certificate_is_generated() {   # the balancer presents exactly the certificate in the volume
    local served
    served=$(openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername localhost < /dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null)
    [ -n "$served" ] && [ "$served" = "$(openssl x509 -in "$T/cert.pem" -noout -fingerprint -sha256)" ]
}
# login_over BASE: log in as admin, headers in $T/login.hdr, cookies in $T/jar
login_over() {
    local pw; pw=$(admin_password)
    rm -f "$T/jar"
    [ "$(hcurl -o /dev/null -D "$T/login.hdr" -c "$T/jar" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data "$(jq -nc --arg p "$pw" '{username: "admin", password: $p}')" "$1/api/v1/auth/login")" = 200 ]
}
cookie_secure() { grep -i '^set-cookie: pustaka_session=' "$T/login.hdr" | grep -qi '; *secure'; }
# logout_from ORIGIN: POST /auth/logout over HTTPS with the session cookie and this Origin
logout_from() {
    hcurl -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST -H "Origin: $1" "$HTTPS_BASE/api/v1/auth/logout"
}
redirect_to_https() {
    local hdr
    hdr=$(curl -sS -o /dev/null -D - --max-time 5 "$BASE/api/v1/books?q=x" 2>/dev/null)
    grep -q '^HTTP/[0-9.]* 307' <<< "$hdr" &&
        grep -qi "^location: https://127.0.0.1:$HTTPS_PORT/api/v1/books?q=x" <<< "$hdr"
}
plain_http_served() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/")" = 200 ]; }
lb_with() {   # lb_with REDIRECT: recreate the balancer with PUSTAKA_HTTPS_REDIRECT=REDIRECT
    PUSTAKA_HTTPS_REDIRECT=$1 dc up -d --no-build --no-deps lb > "$T/lb.log" 2>&1 && wait_healthy 60 > "$T/wait.log" 2>&1
}

http_cookie_not_secure() { login_over "$BASE" && ! cookie_secure; }
page_over_https() { [ "$(hcurl -o "$T/page" -w '%{http_code}' "$HTTPS_BASE/")" = 200 ] && grep -qi '<html' "$T/page"; }
generated_certificate() {   # made by the secrets service, valid for ten years
    openssl x509 -in "$T/cert.pem" -noout -subject 2>/dev/null | grep -q 'O = Pustaka' &&
        openssl x509 -in "$T/cert.pem" -noout -checkend $((9 * 365 * 86400)) > /dev/null
}
foreign_logout_refused() { [ "$(logout_from https://localhost:9999)" = 403 ] && [ "$(json .code)" = cross_site_request ]; }
redirect_off_again() { lb_with 0 && plain_http_served; }

test_https() {
    dc run --rm -T secrets show-certificate > "$T/cert.pem" 2>/dev/null
    check "HTTPS: a certificate was generated on the first start ($(openssl x509 -in "$T/cert.pem" -noout -subject 2>/dev/null))" generated_certificate
    check "HTTPS: it is readable by the balancer's group only (0440 root:65530)" test "$(tls_file_mode)" = "440 0 65530"
    check "HTTPS: the balancer answers on :$HTTPS_PORT with that certificate (curl --cacert)" \
        test "$(hcurl -o /dev/null -w '%{http_code}' "$HTTPS_BASE/healthz")" = 200
    check "HTTPS: the certificate served is the one in the tls volume" served_certificate_is_generated
    check "HTTPS: the page is served" page_over_https
    check "HTTP: the session cookie is not Secure over plain HTTP" http_cookie_not_secure
    login_over "$HTTPS_BASE"
    check "HTTPS: the session cookie is Secure over HTTPS" cookie_secure
    check "HTTPS: logout with the cookie from another origin (https://localhost:9999) is refused (403 cross_site_request)" foreign_logout_refused
    check "HTTPS: the same logout from the page's own origin is accepted (204)" test "$(logout_from "$HTTPS_BASE")" = 204
    check "HTTP: no redirect to HTTPS unless asked for" plain_http_served
    check "PUSTAKA_HTTPS_REDIRECT=1: the balancer restarts with it" lb_with 1
    check "PUSTAKA_HTTPS_REDIRECT=1: plain HTTP answers 307 to the same URL on :$HTTPS_PORT" redirect_to_https
    check "PUSTAKA_HTTPS_REDIRECT=1: HTTPS is served" test "$(hcurl -o /dev/null -w '%{http_code}' "$HTTPS_BASE/healthz")" = 200
    check "PUSTAKA_HTTPS_REDIRECT back to 0: plain HTTP served again" redirect_off_again
}

random_admin_password() {   # random_admin_password PW: not the chosen one, and the admin's
    [ -n "$1" ] && [ "$1" != "$CHOSEN_PW" ] && [ ${#1} -ge 32 ] &&
        [ "$(TOKEN='' http POST /api/v1/auth/login "$(jq -nc --arg p "$1" '{username: "admin", password: $p}')")" = 200 ]
}
book_found() {
    local q; q=$(jq -rn --arg t "$BOOK_TITLE" '$t | @uri')
    [ "$(TOKEN='' http GET "/api/v1/books?q=$q")" = 200 ] && [ "$(json '.total')" -ge 1 ] 2>/dev/null &&
        [ "$(json '.items[0].title')" = "$BOOK_TITLE" ]
}

test_balancing() {
    local deadline=$((SECONDS + 60))
    until [ "$(up_servers)" -ge 3 ] || [ $SECONDS -ge $deadline ]; do sleep 1; done
    check "balancer sees 3 replicas up (stats page)" test "$(up_servers)" -ge 3
    for _ in $(seq 30); do served_by; done | sort -u > "$T/served"
    check "requests spread over all 3 replicas (X-Served-By: $(paste -sd, "$T/served"))" test "$(grep -c . "$T/served")" -eq 3
    # kill a replica during a bounded loop of GETs: no request may fail
    local victim; victim=$(web_ids | head -1)
    ( end=$((SECONDS + 10)); while [ $SECONDS -lt $end ]; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 8 "$BASE/api/v1/books?q=luka"; done > "$T/codes" ) &
    local loop=$!
    sleep 2; docker kill "$victim" > /dev/null
    wait "$loop"
    local total bad; total=$(grep -c . "$T/codes"); bad=$(grep -vc '^200$' "$T/codes" || true)
    check "replica killed during $total GETs: $bad failed" test "$total" -ge 10 -a "$bad" -eq 0
}

# The balancer's own limits: oversized bodies and login guessing stop before any replica.
test_limits() {
    local big code codes
    big=$(head -c 70000 /dev/zero | tr '\0' 'a')
    code=$(TOKEN='' http POST /api/v1/books "{\"title\":\"$big\"}")
    check "a 70 kB body is refused with 413" test "$code" = 413
    codes=$(for _ in $(seq 25); do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 -H 'Content-Type: application/json' \
            --data '{"username":"nobody-at-all","password":"wrong-password"}' "$BASE/api/v1/auth/login"
    done)
    check "25 quick logins from one address: the balancer answers 429 after 20 ($(echo "$codes" | sort | uniq -c | tr -s ' \n' ' '))" \
        test "$(grep -c '^429$' <<< "$codes")" -ge 4 -a "$(grep -c '^401$' <<< "$codes")" -le 21
}

test_persistence() {
    local pw1 pw2 fp1 fp2 file
    pw1=$(admin_password)
    dc down > "$T/down.log" 2>&1
    check "down, then up again" stack_up
    pw2=$(admin_password)
    check "secrets reused by the second up" test -n "$pw1" -a "$pw1" = "$pw2"
    check "data kept across down/up" book_found
    fp1=$(fingerprint) || fp1=""
    # issue 12, item 12: dumps hold password hashes and members' contacts. A folder left open by
    # an older deploy/backup, and a permissive umask: the folder is closed, the file private.
    [ -d backups ] || mkdir -m 0755 backups
    file=$(umask 022; deploy/backup 2> "$T/backup.err") || file=""
    check "backup written to ./backups/ (${file:-none})" test -s "${file:-/nonexistent}"
    check "backup: folder 0700, dump 0600 (under umask 022)" test "$(stat -c %a backups "${file:-/nonexistent}" 2>/dev/null | paste -sd' ')" = "700 600"
    dc down -v > "$T/down.log" 2>&1
    # zero configuration again: no admin password chosen, so a random one
    unset PUSTAKA_ADMIN_PASSWORD_FILE
    check "down -v, then up on fresh volumes" stack_up
    check "fresh volumes start without the book" not book_found
    local pw3; pw3=$(admin_password)
    check "no PUSTAKA_ADMIN_PASSWORD_FILE: a random admin password, and it logs in" random_admin_password "$pw3"
    check "restore from ./backups/" quiet deploy/restore "${file:-/nonexistent}"
    fp2=$(fingerprint) || fp2=""
    check "restored data equals the backup (checksums of all tables)" test -n "$fp1" -a "$fp1" = "$fp2"
    check "restored book found through the balancer" book_found
    rm -f "$file"
}

test_network() {
    local i used
    used=$(ip -o addr show)
    for i in $(seq 0 63); do
        if ! grep -qF " 10.213.77.$((i * 4 + 1))/" <<< "$used"; then
            H4=10.213.77.$((i * 4 + 1)) N4=10.213.77.$((i * 4 + 2))
            H6=fd7a:7a3b:5e0e:$i::1 N6=fd7a:7a3b:5e0e:$i::2
            break
        fi
    done
    [ -n "$H4" ] || { fail "no free test addresses in 10.213.77.0/24"; return; }
    ip netns add "$NS"
    ip link add "$VH" type veth peer name "$VN" netns "$NS"
    ip addr add "$H4/30" dev "$VH"; ip -6 addr add "$H6/126" dev "$VH" nodad
    ip link set "$VH" up
    ip -n "$NS" addr add "$N4/30" dev "$VN"; ip -n "$NS" -6 addr add "$N6/126" dev "$VN" nodad
    ip -n "$NS" link set "$VN" up; ip -n "$NS" link set lo up
    check "from the host: database answers on 127.0.0.1:$DB_PORT" answers_local "$DB_PORT"
    check "from the host: stats page answers on 127.0.0.1:$STATS_PORT" answers_local "$STATS_PORT"
    check "from another namespace: balancer answers on :$PORT" answers_from_ns "$H4" "$PORT"
    check "from another namespace: balancer answers HTTPS on :$HTTPS_PORT" answers_from_ns "$H4" "$HTTPS_PORT"
    check "from another namespace: database port $DB_PORT does not answer" silent_from_ns "$H4" "$DB_PORT"
    check "from another namespace: stats port $STATS_PORT does not answer" silent_from_ns "$H4" "$STATS_PORT"
    check "from another namespace: the replicas' metrics port 9100 does not answer" silent_from_ns "$H4" 9100
    check "from another namespace: HAProxy's exporter port 8405 does not answer" silent_from_ns "$H4" 8405
    check "from another namespace (IPv6): database port does not answer" silent_from_ns "$H6" "$DB_PORT"
    local lb db_ip; lb=$(dc ps -q lb); db_ip=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{if eq $k "'"$COMPOSE_PROJECT_NAME"'_backend"}}{{$v.IPAddress}}{{end}}{{end}}' "$(dc ps -q db)")
    check "load balancer cannot resolve or reach the database ($db_ip)" lb_cannot_reach_db "$lb" "$db_ip"
}
lb_cannot_reach_db() {    # but it does reach the web replicas: the probe works
    [ -n "$1" ] && [ -n "$2" ] && docker exec "$1" bash -c 'exec 3<>/dev/tcp/web/8080' &&
        ! docker exec "$1" bash -c 'exec 3<>/dev/tcp/db/3306' 2>/dev/null &&
        ! docker exec "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/3306" 2>/dev/null
}
fw_precondition() { answers_from_ns "$H4" 18097 && answers_from_ns "$H4" 18098 && answers_from_ns "$H6" 18097; }

FW_PORTS=(--port "$PORT" --port "$HTTPS_PORT")
test_firewall() {
    ip netns list | grep -q "^$NS" || { fail "firewall: no test namespace"; return; }
    # a host service (INPUT path), one on the SSH port given to the script, and a published
    # container port other than the balancer's (FORWARD path, DOCKER-USER)
    python3 -m http.server 18097 --bind :: > /dev/null 2>&1 & LISTENER_PIDS+=($!)
    python3 -m http.server 18022 --bind :: > /dev/null 2>&1 & LISTENER_PIDS+=($!)
    docker run -d --name "$FW_CONTAINER" -p 18098:9000 --entrypoint bash "$STANDIN_LB_IMAGE" -c \
        'printf "defaults\n mode http\n timeout client 5s\n timeout connect 5s\n timeout server 5s\nfrontend f\n bind :9000\n http-request return status 200\n" > /tmp/h.cfg && exec haproxy -f /tmp/h.cfg' > /dev/null
    local deadline=$((SECONDS + 20))
    until answers_from_ns "$H4" 18098 && answers_from_ns "$H4" 18097 || [ $SECONDS -ge $deadline ]; do sleep 1; done
    check "firewall off: other host port and other published port answer (precondition)" fw_precondition
    rules > "$T/rules.before"
    FW_APPLIED=yes
    check "firewall apply --iface $VH" quiet "$FW" apply --iface "$VH" "${FW_PORTS[@]}" --ssh-port 18022
    check "firewall check: rules in place" quiet "$FW" check --iface "$VH" "${FW_PORTS[@]}" --ssh-port 18022
    check "firewall on: balancer port $PORT answers" answers_from_ns "$H4" "$PORT"
    check "firewall on: balancer port $PORT answers over IPv6" answers_from_ns "$H6" "$PORT"
    check "firewall on: balancer HTTPS port $HTTPS_PORT answers" answers_from_ns "$H4" "$HTTPS_PORT"
    check "firewall on: balancer HTTPS port $HTTPS_PORT answers over IPv6" answers_from_ns "$H6" "$HTTPS_PORT"
    check "firewall on: SSH port answers" answers_from_ns "$H4" 18022
    check "firewall on: other published container port is blocked" silent_from_ns "$H4" 18098
    check "firewall on: other host port is blocked" silent_from_ns "$H4" 18097
    check "firewall on: other host port is blocked over IPv6" silent_from_ns "$H6" 18097
    check "firewall on: database port still silent" silent_from_ns "$H4" "$DB_PORT"
    check "firewall on: the host's own loopback is untouched" answers_local "$STATS_PORT"
    rules > "$T/rules.once"
    "$FW" apply --iface "$VH" "${FW_PORTS[@]}" --ssh-port 18022 > /dev/null
    rules > "$T/rules.twice"
    check "firewall apply is idempotent" same_rules "$T/rules.once" "$T/rules.twice"
    check "firewall remove" quiet "$FW" remove
    FW_APPLIED=no
    rules > "$T/rules.after"
    check "firewall remove restores the previous rules exactly" same_rules "$T/rules.before" "$T/rules.after"
    check "firewall check fails once removed" not quiet "$FW" check --iface "$VH" "${FW_PORTS[@]}" --ssh-port 18022
    check "firewall off again: other published port answers" answers_from_ns "$H4" 18098
    # the other methods, as on hosts without nftables or without Docker's DOCKER-USER
    local how
    for how in "--input iptables" "--forward nft"; do
        FW_APPLIED=yes
        # shellcheck disable=SC2086  # two words on purpose
        quiet "$FW" apply --iface "$VH" "${FW_PORTS[@]}" --ssh-port 18022 $how
        check "firewall ($how): balancer answers, others blocked" fw_filters
        quiet "$FW" remove; FW_APPLIED=no
        rules > "$T/rules.after"
        check "firewall ($how): remove restores the previous rules" same_rules "$T/rules.before" "$T/rules.after"
    done
}
fw_filters() {
    answers_from_ns "$H4" "$PORT" && answers_from_ns "$H6" "$PORT" && answers_from_ns "$H4" 18022 &&
        answers_from_ns "$H4" "$HTTPS_PORT" &&
        silent_from_ns "$H4" 18098 && silent_from_ns "$H4" 18097 && silent_from_ns "$H6" 18097
}

down_is_clean() {   # nothing of this project is left, and no anonymous volume either
    [ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ] &&
        [ -z "$(docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ] &&
        ! docker volume ls -q | grep -qE "^${COMPOSE_PROJECT_NAME}_" &&
        [ -z "$(comm -13 <(echo "$VOLUMES_BEFORE") <(docker volume ls -q | grep -E '^[0-9a-f]{64}$' | sort))" ]
}

run_tests() {
    set +e +o pipefail
    trap cleanup EXIT
    images
    down > /dev/null 2>&1
    VOLUMES_BEFORE=$(docker volume ls -q | grep -E '^[0-9a-f]{64}$' | sort)
    # the first start with the admin password chosen in a file (root's, mode 0600)
    CHOSEN_PW=$(head -c 18 /dev/urandom | base64 | tr '/+' '_-')
    (umask 077; printf '%s\n' "$CHOSEN_PW" > "$T/admin-password")
    export PUSTAKA_ADMIN_PASSWORD_FILE=$T/admin-password
    check "stack up with 3 replicas, all healthy" stack_up
    check "3 web replicas running" test "$(web_ids | grep -c .)" -eq 3
    check "hardening: read-only, cap_drop ALL, no-new-privileges, non-root, health, restart, logs, limits" test_hardening
    # Email notices over smtps:// or STARTTLS verify the server against the system's CA store.
    check "image: the CA certificates are in the web image (for notices over TLS)" \
        bash -c "docker cp '$(web_ids | head -1)':/etc/ssl/certs/ca-certificates.crt - | tar -xO | grep -q 'BEGIN CERTIFICATE'"
    test_admin_password_file
    test_flow
    test_metrics
    test_https
    test_database_users
    test_balancing
    test_limits
    exec 9> /run/lock/pustaka-stack-test.lock
    if flock -w 600 9; then
        test_network
        test_firewall
        flock -u 9
    else
        fail "another stack test held the network lock for 10 minutes"
    fi
    test_persistence
    down > /dev/null 2>&1
    check "down removes the containers, networks and volumes" down_is_clean
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
