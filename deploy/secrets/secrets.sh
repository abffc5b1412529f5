#!/bin/bash
# One-shot secrets generator, run by the `secrets` service of compose.yaml (in the database
# image, as root with only CAP_CHOWN, no network). Files live in the `secrets` volume and are
# generated once; every later `up` keeps them.
#   generate              (default) create missing secrets
#   show-admin-password   print the first admin password
set -euo pipefail
dir=/run/secrets
web_uid=${PUSTAKA_WEB_UID:-65532}
db_uid=$(id -u mysql)
db_gid=$(id -g mysql)

random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# put NAME OWNER:GROUP MODE VALUE: write the file unless it already exists
put() {
    local f="$dir/$1"
    if [ -s "$f" ]; then echo "secrets: keeping $1"; return; fi
    umask 077
    printf '%s' "$4" > "$f.tmp"
    chmod "$3" "$f.tmp"        # before chown: without CAP_FOWNER root may only chmod its own files
    chown "$2" "$f.tmp"
    mv "$f.tmp" "$f"
    echo "secrets: created $1"
}

case "${1:-generate}" in
generate)
    # root password: the database server only.  app password: database server (group) and
    # web (owner).  admin password: web (owner) and this service (group root), to show it.
    put db_root_password "$db_uid:$db_gid" 0400 "$(random)"
    put db_password "$web_uid:$db_gid" 0440 "$(random)"
    if [ -n "${PUSTAKA_ADMIN_PASSWORD:-}" ] && [ -s "$dir/admin_password" ] &&
        [ "$(cat "$dir/admin_password")" != "$PUSTAKA_ADMIN_PASSWORD" ]; then
        echo "secrets: PUSTAKA_ADMIN_PASSWORD ignored: the admin password was set on the first start" >&2
    fi
    put admin_password "$web_uid:0" 0440 "${PUSTAKA_ADMIN_PASSWORD:-$(random)}"
    ;;
show-admin-password)
    cat "$dir/admin_password"; echo
    ;;
*)
    echo "usage: secrets.sh [generate|show-admin-password]" >&2; exit 2
    ;;
esac
