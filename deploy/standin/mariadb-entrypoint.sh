#!/bin/bash
# Stand-in for the official MariaDB image's entrypoint, used only by deploy/stack on engines
# that cannot pull images. It honours the part of the official contract that compose.yaml
# uses: MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD[_FILE], MARIADB_ROOT_PASSWORD[_FILE],
# MARIADB_ROOT_HOST, MARIADB_MYSQL_LOCALHOST_USER and MARIADB_MYSQL_LOCALHOST_GRANTS (the Galera
# option's SST user, deploy/galera); initialises an empty datadir; runs as the (non-root) mysql user.
set -eo pipefail
log() { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
die() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

file_env() {   # file_env VAR: VAR from VAR or from the file named by VAR_FILE
    local var=$1 file_var="${1}_FILE"
    if [ -n "${!file_var:-}" ]; then export "$var"="$(< "${!file_var}")"; fi
    unset "$file_var"
}
sql_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }

if [ "${1#-}" != "$1" ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ]; then exec "$@"; fi
[ "$(id -u)" != 0 ] || die "the stand-in runs as the mysql user only (compose: user: mysql)"

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
for v in MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MARIADB_DATABASE MARIADB_USER MARIADB_ROOT_HOST; do
    file_env "$v"
done
: "${MARIADB_ROOT_HOST:=%}"

if [ ! -d "$DATADIR/mysql" ]; then
    [ -n "$MARIADB_ROOT_PASSWORD" ] || die "database is uninitialised and MARIADB_ROOT_PASSWORD is not set"
    log "Initializing database files"
    mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve > /dev/null
    log "Starting temporary server"
    "$@" --skip-networking --socket="$SOCKET" --wsrep_on=OFF &
    pid=$!
    for _ in $(seq 60); do
        mariadb --protocol=socket --socket="$SOCKET" -uroot -e 'SELECT 1' > /dev/null 2>&1 && break
        sleep 0.5
    done
    root_pw=$(sql_escape "$MARIADB_ROOT_PASSWORD")
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DELETE FROM mysql.global_priv WHERE user NOT IN ('mariadb.sys', 'root') OR host NOT IN ('localhost');"
        echo "DELETE FROM mysql.proxies_priv WHERE host NOT IN ('localhost');"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
        if [ "$MARIADB_ROOT_HOST" != localhost ]; then
            echo "CREATE USER 'root'@'$MARIADB_ROOT_HOST' IDENTIFIED BY '$root_pw';"
            echo "GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
        fi
        if [ -n "$MARIADB_DATABASE" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
        fi
        if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
            echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$(sql_escape "$MARIADB_PASSWORD")';"
            if [ -n "$MARIADB_DATABASE" ]; then
                echo "GRANT ALL ON \`${MARIADB_DATABASE//_/\\_}\`.* TO '$MARIADB_USER'@'%';"
            fi
        fi
        if [ -n "${MARIADB_MYSQL_LOCALHOST_USER:-}" ]; then
            # as the official image: the OS user mysql, by its socket only, no password
            echo "CREATE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;"
            echo "GRANT ${MARIADB_MYSQL_LOCALHOST_GRANTS:-USAGE} ON *.* TO 'mysql'@'localhost';"
        fi
        echo "FLUSH PRIVILEGES;"
    } | mariadb --protocol=socket --socket="$SOCKET" -uroot
    kill "$pid"; wait "$pid"
    log "MariaDB init process done. Ready for start up."
fi
exec "$@"
