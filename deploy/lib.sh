# deploy/lib.sh: what the operator tools run on the host share (deploy/stack, deploy/cluster,
# deploy/swarm/swarm, deploy/firewall/pustaka-firewall, deploy/backup, deploy/restore); their test
# suites are pytest (deploy/tests/). Not for the scripts that run inside a container
# (deploy/secrets/secrets.sh, deploy/galera/node.sh, deploy/standin/*.sh): this file is not there.
# Sourced, never run: `. "$(dirname "$0")/../lib.sh"` or, from the repository's root, `. deploy/lib.sh`.
# shellcheck shell=bash

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
# die MESSAGE: "TOOL: MESSAGE" on stderr (TOOL: the name the script was run by), exit 1
die() { echo "${0##*/}: $*" >&2; exit 1; }

# ---- Compose (deploy/stack, deploy/cluster, deploy/backup, deploy/restore) ----------------------

# dc ARGS: `docker compose`, else docker-compose (1.x). docker-compose 1.29 warns on every call that
# the admin password's secret file /dev/null is "undefined" (compose.yaml: no file chosen); it is
# meant to be empty, and the warning is left out.
if docker compose version > /dev/null 2>&1; then dc() { docker compose "$@"; }; else
    dc() { docker-compose "$@" 2> >(grep -v 'uses an undefined secret file "/dev/null"' >&2); }
fi
have_image() { docker image inspect "$1" > /dev/null 2>&1; }

# debian_base VAR NAME PACKAGES: a Debian bookworm root file system (mmdebstrap, with PACKAGES,
# comma-separated) imported as the image NAME:HASH, unless that tag exists (HASH: of the options and
# this host's Debian sources); NAME:HASH goes into the variable VAR. Installs mmdebstrap if missing.
debian_base() {
    local sources=/etc/apt/sources.list.d/debian.sources tmp image
    local mm=(--variant=apt "--include=$3" bookworm)
    [ -f "$sources" ] || sources=""
    image="$2:$(printf '%s\n' "${mm[*]}" | cat - $sources | sha256sum | cut -c1-16)"
    if ! have_image "$image"; then
        command -v mmdebstrap > /dev/null || { apt-get update -q && apt-get install -y -q mmdebstrap; } > /dev/null
        log "building $image with mmdebstrap (about a minute)"
        tmp=$(mktemp -d)
        # shellcheck disable=SC2086  # no sources file: no argument
        mmdebstrap -q "${mm[@]}" "$tmp/rootfs.tar" $sources
        docker import "$tmp/rootfs.tar" "$image" > /dev/null
        rm -rf "$tmp"
    fi
    printf -v "$1" '%s' "$image"
}

# wait_healthy SECONDS: until every running container of the project is healthy
wait_healthy() {
    local deadline=$((SECONDS + $1)) ids states=''
    while [ $SECONDS -lt "$deadline" ]; do
        ids=$(dc ps -q)
        # shellcheck disable=SC2086  # one argument per container id
        states=$(docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' $ids 2>/dev/null | grep -v '^exited/' | sort | uniq -c | tr '\n' ' ')
        if [ -n "$ids" ] && ! grep -qE 'starting|unhealthy|restarting|created' <<< "$states" &&
            [ "$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q lb)" 2>/dev/null)" = healthy ]; then
            return 0
        fi
        sleep 2
    done
    echo "not healthy after $1 s: $states" >&2
    dc ps >&2
    return 1
}

# admin_password: the first admin password, from the `secrets` service (deploy/swarm/swarm has its
# own: a Swarm secret is read by a one-off task)
admin_password() { dc run --rm -T secrets show-admin-password 2>/dev/null | tr -d '\r\n'; }

down() { dc down -v --remove-orphans 2>/dev/null || true; }

# ---- Galera (deploy/cluster, deploy/swarm/swarm) --------------------------------------------------

# most_advanced: reads `node.sh recover` lines (one per node, stdin) and prints the node that must
# start the cluster after every node stopped: the one whose grastate.dat says safe_to_bootstrap: 1
# (it stopped last and cleanly), else the one with the highest position (the recovered uuid:seqno
# after a crash, grastate's seqno after a clean stop); nothing when no node has a position. What it
# chose and why goes to stderr.
most_advanced() {
    local line node best='' best_seqno=-2 seqno safe=''
    while IFS= read -r line; do
        [[ $line == *grastate_uuid=* ]] || continue
        node=${line%% *}
        [[ $line == *safe_to_bootstrap=1* ]] && safe=$node
        seqno=$(sed -n 's/.* recovered=[^ ]*:\(-\{0,1\}[0-9]\{1,\}\) .*/\1/p' <<< "$line")
        [ -n "$seqno" ] || seqno=$(sed -n 's/.* grastate_seqno=\(-\{0,1\}[0-9]\{1,\}\) .*/\1/p' <<< "$line")
        if [ -n "$seqno" ] && [ "$seqno" -gt "$best_seqno" ]; then best=$node best_seqno=$seqno; fi
    done
    if [ -n "$safe" ]; then
        log "$safe stopped last and cleanly (safe_to_bootstrap: 1): it starts the cluster"
        best=$safe
    elif [ -n "$best" ]; then
        log "the most advanced node: $best (seqno $best_seqno)"
    fi
    [ -n "$best" ] && echo "$best"
}
