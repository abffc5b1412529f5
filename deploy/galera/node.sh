#!/bin/bash
# One MariaDB Galera node of Pustaka's Galera option (deploy/galera/compose.yaml): the entrypoint
# of the `db` (galera1), `galera2` and `galera3` services, in the official mariadb:11.4 image or
# the Debian stand-in (both have Galera 4, mariabackup and socat). Runs as the mysql user.
#
#   node.sh mariadbd [ARGS]   start the node (the compose command): decide whether it bootstraps
#                             the cluster, start the health responder on :9200, then the server
#   node.sh health            exit 0 when this node serves: wsrep_ready ON and wsrep_local_state
#                             4 (Synced) or 2 (a mariabackup donor, which keeps serving). The
#                             container's health check, and what :9200 answers
#   node.sh http              one HTTP exchange on stdin/stdout (run by socat for each check)
#   node.sh state             one line: node, wsrep_ready, local state, cluster status and size,
#                             last committed seqno (empty fields when the server does not answer)
#   node.sh recover           (server stopped) one line: node, uuid, seqno from grastate.dat and
#                             from `mariadbd --wsrep-recover`, safe_to_bootstrap
#   node.sh allow-bootstrap   (server stopped) set safe_to_bootstrap: 1 in grastate.dat
#
# Bootstrap rule: a node starts a new cluster (--wsrep-new-cluster) only when no other node
# answers on Galera's port 4567 and either (a) it is the first node (GALERA_FIRST) with no
# grastate.dat yet: a new cluster, or a single server's data becoming the cluster's, or (b) its
# grastate.dat says safe_to_bootstrap: 1 (it was the last node to stop cleanly, or `deploy/cluster
# recover` chose it as the most advanced). Every other start joins the running cluster: IST
# when the donor's gcache still holds what it missed, otherwise SST by mariabackup.
set -euo pipefail

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
GRASTATE=$DATADIR/grastate.dat
PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
NODE=${GALERA_NODE:?GALERA_NODE names this node (galera1, galera2, galera3)}
NODES=${GALERA_NODES:-galera1,galera2,galera3}
FIRST=${GALERA_FIRST:-${NODES%%,*}}

# What every start of the server needs, serving or only reading its position (--wsrep-recover).
WSREP_ARGS=(
    --wsrep_on=ON --wsrep_provider="$PROVIDER"
    --wsrep_cluster_name=pustaka --wsrep_cluster_address="gcomm://$NODES"
    # mariabackup: the donor keeps serving during a full copy (rsync would block it)
    --wsrep_sst_method=mariabackup --wsrep_sst_auth=mysql:
    --binlog_format=ROW --default_storage_engine=InnoDB --innodb_autoinc_lock_mode=2
)

log() { printf '%s [Note] [galera %s]: %s\n' "$(date --rfc-3339=seconds)" "$NODE" "$*" >&2; }

# The local server, as the OS user mysql through the socket (unix_socket: no password). That
# account is also the SST user; it can do nothing that the mysql OS user cannot already do with
# the data files.
local_sql() {
    mariadb --no-defaults --protocol=socket --socket="$SOCKET" -umysql --connect-timeout=2 -N -B -e "$1" 2>/dev/null
}

status_of() {   # status_of VAR...: "name<TAB>value" lines of these global status variables
    local names
    names=$(printf "'%s'," "$@")
    local_sql "SHOW GLOBAL STATUS WHERE Variable_name IN (${names%,})"
}

# Serving: wsrep_ready ON and wsrep_local_state 4 (Synced), or 2 (Donor/Desynced): a donor by
# mariabackup keeps serving while it copies its state to a joining node (what clustercheck calls
# AVAILABLE_WHEN_DONOR); counting it out would take the only synced node out of service while it
# sends the second and third nodes their first copy, cutting the migrations' connection.
# A node whose wsrep_reject_queries is set (an operator draining it) does not serve either.
health() {
    local out
    out=$(status_of wsrep_ready wsrep_local_state) || return 1
    grep -qx $'wsrep_ready\tON' <<< "$out" && grep -qxE $'wsrep_local_state\t(4|2)' <<< "$out" &&
        [ "$(local_sql 'SELECT @@global.wsrep_reject_queries')" = NONE ]
}

http() {
    # Read the request (at most 20 lines, 2 s), then answer and close.
    local line n=0
    while [ $n -lt 20 ] && IFS= read -r -t 2 line; do
        n=$((n + 1))
        [ -n "${line%$'\r'}" ] || break
    done
    local code=503 text="not synced"
    if health; then code=200 text="synced"; fi
    printf 'HTTP/1.1 %s %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' \
        "$code" "$([ $code = 200 ] && echo OK || echo 'Service Unavailable')" $((${#text} + 1)) "$text"
}

state() {
    local out
    out=$(status_of wsrep_ready wsrep_local_state wsrep_local_state_comment wsrep_cluster_status \
        wsrep_cluster_size wsrep_last_committed) || out=''
    val() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' <<< "$out"; }
    printf '%s ready=%s state=%s(%s) cluster=%s size=%s seqno=%s\n' "$NODE" "$(val wsrep_ready)" \
        "$(val wsrep_local_state)" "$(val wsrep_local_state_comment)" "$(val wsrep_cluster_status)" \
        "$(val wsrep_cluster_size)" "$(val wsrep_last_committed)"
}

grastate() {    # grastate KEY: its value in grastate.dat (empty when there is none)
    [ -f "$GRASTATE" ] || return 0
    awk -F': *' -v k="$1" '$1 == k { print $2 }' "$GRASTATE"
}

# peer_alive: another node of the cluster accepts a TCP connection on 4567 within a second
peer_alive() {
    local peer
    for peer in ${NODES//,/ }; do
        [ "$peer" = "$NODE" ] && continue
        if timeout 1 bash -c "exec 3<>/dev/tcp/$peer/4567" 2>/dev/null; then
            log "$peer answers on 4567: joining it"
            return 0
        fi
    done
    return 1
}

# peer_serving: another node's health responder (:9200) says it serves (Synced, or a donor)
peer_serving() {
    local peer status
    for peer in ${NODES//,/ }; do
        [ "$peer" = "$NODE" ] && continue
        # shellcheck disable=SC2016  # $0 is the peer, in the inner shell
        status=$(timeout 2 bash -c 'exec 3<>/dev/tcp/$0/9200 && printf "GET /health HTTP/1.0\r\n\r\n" >&3 && head -n 1 <&3' "$peer" 2>/dev/null) || continue
        [[ $status == *" 200 "* ]] && { log "$peer serves: joining the cluster"; return 0; }
    done
    return 1
}

# wait_for_cluster: a node about to join waits (GALERA_JOIN_WAIT seconds, 120 by default) until
# another node serves. Where nothing orders the starts (a Swarm has no depends_on), a joiner
# started first would otherwise listen on 4567 while it looks for a cluster, and the first node,
# seeing it, would join it instead of bootstrapping: neither would ever be Primary. After the
# wait it starts anyway (it fails and is started again when still no cluster is up).
wait_for_cluster() {
    local deadline=$((SECONDS + ${GALERA_JOIN_WAIT:-120}))
    # the container's first process: a stop (SIGTERM) would be ignored without a trap, and the
    # engine would wait its grace period (60 s) to kill it (deploy/swarm/swarm recover scales
    # waiting nodes to 0)
    trap 'log "stopped while waiting for a cluster"; exit 143' TERM INT
    until peer_serving; do
        if [ $SECONDS -ge $deadline ]; then log "no node serves after ${GALERA_JOIN_WAIT:-120} s: starting anyway"; break; fi
        sleep 2
    done
    trap - TERM INT
}

# This node's address on the network the nodes share: its own name is an alias there only
# (compose). On a Swarm (GALERA_OWN_ADDRESS=hostname) a task's name is in the DNS only once it is
# healthy, which a node is only once it serves: there the node is on that one network only, and
# its address is the one of its own host name.
own_address() {
    local ip=''
    if [ "${GALERA_OWN_ADDRESS:-dns}" = hostname ]; then
        ip=$(hostname -i | awk '{ print $1 }')
    fi
    for _ in $(seq 20); do
        [ -n "$ip" ] && break
        ip=$(timeout 2 getent hosts "$NODE" | awk '{ print $1; exit }') && [ -n "$ip" ] && break
        sleep 0.5
    done
    [ -n "$ip" ] || { log "cannot resolve my own name $NODE"; exit 1; }
    echo "$ip"
}

# recovered_position: uuid:seqno of the last transaction InnoDB committed, read by starting the
# server once with --wsrep-recover (it stops by itself); empty when none is found
recovered_position() {
    local pos
    rm -f /tmp/recover.log
    # (with the settings it serves with: without them it refuses to start)
    mariadbd "${WSREP_ARGS[@]}" --wsrep-recover --log-error=/tmp/recover.log \
        --socket=/tmp/recover.sock --skip-networking > /dev/null 2> /tmp/recover.err || log "--wsrep-recover failed: $(tail -n 3 /tmp/recover.err /tmp/recover.log 2>/dev/null | tr '\n' ' ')"
    pos=$(grep -o 'Recovered position: .*' /tmp/recover.log 2>/dev/null | tail -n 1) || true
    pos=${pos#Recovered position: }
    [[ $pos =~ ^[0-9a-f-]{36}:-?[0-9]+$ ]] && [ "${pos##*:}" != -1 ] && echo "$pos"
    return 0
}

recover() {
    local pos
    pos=$(recovered_position)
    printf '%s grastate_uuid=%s grastate_seqno=%s recovered=%s safe_to_bootstrap=%s\n' "$NODE" \
        "$(grastate uuid)" "$(grastate seqno)" "${pos:-none}" "$(grastate safe_to_bootstrap)"
}

allow_bootstrap() {
    [ -f "$GRASTATE" ] || { log "no grastate.dat: nothing to allow"; exit 1; }
    sed -i 's/^safe_to_bootstrap: *0/safe_to_bootstrap: 1/' "$GRASTATE"
    log "safe_to_bootstrap: $(grastate safe_to_bootstrap)"
}

start() {
    local ip bootstrap=no
    ip=$(own_address)
    if [ -d "$DATADIR/mysql" ]; then
        if [ "$(grastate safe_to_bootstrap)" = 1 ] && ! peer_alive; then
            bootstrap=yes; log "safe_to_bootstrap: 1 and no other node up: bootstrapping the cluster"
        elif [ ! -f "$GRASTATE" ] && [ "$NODE" = "$FIRST" ] && ! peer_alive; then
            bootstrap=yes; log "data but never in a cluster: bootstrapping the cluster with it"
        fi
    elif [ "$NODE" = "$FIRST" ] && ! peer_alive; then
        bootstrap=yes; log "no data and no other node up: a new cluster"
    fi
    local args=(
        "${WSREP_ARGS[@]}" --wsrep_node_name="$NODE" --wsrep_node_address="$ip"
        # gcache: 128 MB of recent write sets (GALERA_GCACHE_SIZE), what a node that was away
        # catches up from (IST) without a full copy: days of a library's writes. Until a dead node
        # is evicted, the others cannot commit: it is suspected after 2 s of silence (Galera's
        # default is 5 s, made for links between sites) and evicted after 5 s at most (default 15 s).
        # 1.5 s was measured too short on this busy 2-core host: during the first copies all
        # three nodes once suspected each other and no primary component was left.
        "--wsrep_provider_options=gcache.size=${GALERA_GCACHE_SIZE:-128M};evs.suspect_timeout=PT2S;evs.inactive_timeout=PT5S;evs.inactive_check_period=PT0.5S;evs.keepalive_period=PT0.5S"
    )
    if [ "$bootstrap" = yes ]; then args+=(--wsrep-new-cluster); else wait_for_cluster; fi
    # After a crash grastate.dat says seqno -1: the position is in InnoDB. Started directly (no
    # mysqld_safe, which would do this), the server would not know it and ask for a full copy
    # (SST) where the write sets it missed (IST) would do.
    if [ -d "$DATADIR/mysql" ] && [ "$(grastate seqno)" = -1 ]; then
        local pos
        pos=$(recovered_position)
        if [ -n "$pos" ]; then log "after a crash: recovered position $pos"; args+=(--wsrep_start_position="$pos"); fi
    fi
    # The health responder: HAProxy (deploy/galera/haproxy.cfg) checks :9200 every second.
    socat -T 5 TCP-LISTEN:9200,reuseaddr,fork,backlog=32 SYSTEM:"bash /opt/galera/node.sh http" &
    if [ -d "$DATADIR/mysql" ] || [ "$bootstrap" = yes ]; then
        # the image's entrypoint: initialises an empty data directory (users, database) first
        exec docker-entrypoint.sh "$@" "${args[@]}"
    fi
    # A joiner with no data: no users of its own; the state transfer brings the cluster's.
    log "no data: joining the cluster, which sends its state"
    exec "$@" "${args[@]}"
}

case ${1:-} in
    health) health ;;
    http) http ;;
    state) state ;;
    recover) recover ;;
    allow-bootstrap) allow_bootstrap ;;
    mariadbd|mysqld) start "$@" ;;
    *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
