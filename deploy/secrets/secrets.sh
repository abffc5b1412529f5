#!/bin/bash
# One-shot secrets generator, run by the `secrets` service of compose.yaml (in the database
# image, as root with only CAP_CHOWN, no network). Files live in the `secrets` and `tls`
# volumes and are generated once; every later `up` keeps them.
#   generate              (default) create missing secrets and the HTTPS certificate
#   show-admin-password   print the first admin password
#   show-certificate      print the HTTPS certificate (not its key), e.g. for curl --cacert
#   install-certificate   read your own certificate and its key (PEM, one stream) on stdin
#                         and use them instead (then: docker compose restart lb)
#   new-certificate       replace the certificate with a newly generated one (e.g. after
#                         setting PUSTAKA_TLS_NAMES; then: docker compose restart lb)
# The admin password may be chosen for the first start in a file on the host
# (PUSTAKA_ADMIN_PASSWORD_FILE, mounted as a compose secret at $admin_input): a file and not
# an environment variable, which `docker inspect` would show as long as the container exists.
set -euo pipefail
dir=/run/secrets
tls_dir=/run/pustaka-tls
pem=$tls_dir/pustaka.pem
admin_input=/run/pustaka-input/admin_password
web_uid=${PUSTAKA_WEB_UID:-65532}
tls_gid=${PUSTAKA_TLS_GID:-65530}
db_uid=$(id -u mysql)
db_gid=$(id -g mysql)

random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
die() { echo "secrets: $*" >&2; exit 1; }

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

# The admin password chosen in PUSTAKA_ADMIN_PASSWORD_FILE, or nothing (an empty file, or none
# given: the compose file mounts /dev/null then). Trailing line ends are dropped, as the service
# does with its own *_FILE settings.
chosen_admin_password() {
    [ -e "$admin_input" ] || return 0
    # root here has no CAP_DAC_OVERRIDE: it reads only files that root or everybody may read
    [ -r "$admin_input" ] || die "cannot read PUSTAKA_ADMIN_PASSWORD_FILE (owner uid $(stat -c %u "$admin_input"), mode $(stat -c %a "$admin_input")): make root its owner (sudo chown root FILE), then start again"
    local v
    v=$(cat "$admin_input")
    printf '%s' "${v%$'\r'}"
}

# The names the generated certificate is valid for: localhost and the loopback addresses, and
# each of PUSTAKA_TLS_NAMES (host names or IP addresses, separated by commas or spaces).
subject_alt_names() {
    local san="DNS:localhost,IP:127.0.0.1,IP:::1" name
    for name in ${PUSTAKA_TLS_NAMES//,/ }; do
        if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san+=",IP:$name"
        elif [[ $name =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then san+=",DNS:$name"
        else die "PUSTAKA_TLS_NAMES: '$name' is neither a host name nor an IP address"
        fi
    done
    echo "$san"
}

# put_pem FILE: install FILE (certificate chain and key) as the balancer's certificate, readable
# by the balancer's group only
put_pem() {
    chmod 0440 "$1"
    chown "0:$tls_gid" "$1"
    mv "$1" "$pem"
}

# generate_certificate: a self-signed certificate (ECDSA P-256, ten years) for HTTPS on the
# balancer, made here with openssl (both the official database image and the stand-in have it)
generate_certificate() {
    command -v openssl > /dev/null || die "openssl is missing in this image: cannot make the HTTPS certificate"
    local san first
    san=$(subject_alt_names)
    first=${PUSTAKA_TLS_NAMES//,/ }; first=${first%% *}
    umask 077
    # no /tmp in this read-only container: the work files live next to the result
    rm -f "$tls_dir"/*.tmp
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
        -keyout "$tls_dir/key.tmp" -out "$tls_dir/cert.tmp" -config <(printf '%s\n' \
            '[req]' 'distinguished_name = dn' 'x509_extensions = ext' 'prompt = no' \
            '[dn]' 'O = Pustaka' "CN = ${first:-localhost}" \
            '[ext]' 'basicConstraints = critical,CA:FALSE' 'keyUsage = critical,digitalSignature' \
            'extendedKeyUsage = serverAuth' 'subjectKeyIdentifier = hash' "subjectAltName = $san") 2> "$tls_dir/err.tmp" ||
        die "openssl failed: $(cat "$tls_dir/err.tmp")"
    cat "$tls_dir/cert.tmp" "$tls_dir/key.tmp" > "$tls_dir/pem.tmp"
    rm -f "$tls_dir/key.tmp" "$tls_dir/cert.tmp" "$tls_dir/err.tmp"
    put_pem "$tls_dir/pem.tmp"
    echo "secrets: created the HTTPS certificate ($san)"
}

case "${1:-generate}" in
generate)
    # root password: the database server only.  app password: database server (group) and
    # web (owner).  admin password: web (owner) and this service (group root), to show it.
    put db_root_password "$db_uid:$db_gid" 0400 "$(random)"
    put db_password "$web_uid:$db_gid" 0440 "$(random)"
    chosen=$(chosen_admin_password)
    if [ -n "$chosen" ] && [ -s "$dir/admin_password" ] && [ "$(cat "$dir/admin_password")" != "$chosen" ]; then
        echo "secrets: PUSTAKA_ADMIN_PASSWORD_FILE ignored: the admin password was set on the first start" >&2
    fi
    put admin_password "$web_uid:0" 0440 "${chosen:-$(random)}"
    if [ -s "$pem" ]; then echo "secrets: keeping the HTTPS certificate"; else generate_certificate; fi
    ;;
show-admin-password)
    cat "$dir/admin_password"; echo
    ;;
show-certificate)
    [ -s "$pem" ] || die "no certificate yet: start the stack once (docker compose up -d)"
    # the certificates only, never the key
    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$pem"
    ;;
install-certificate)
    umask 077
    rm -f "$tls_dir"/*.tmp
    head -c 1048576 > "$tls_dir/new.tmp"
    # a certificate (the server's first, then any intermediates) and the private key of the first
    openssl x509 -in "$tls_dir/new.tmp" -noout 2> /dev/null || { rm -f "$tls_dir/new.tmp"; die "no PEM certificate on stdin"; }
    cert_key=$(openssl x509 -in "$tls_dir/new.tmp" -noout -pubkey)
    key=$(openssl pkey -in "$tls_dir/new.tmp" -pubout 2> /dev/null) || { rm -f "$tls_dir/new.tmp"; die "no unencrypted PEM private key on stdin (send the certificates and their key together)"; }
    [ "$cert_key" = "$key" ] || { rm -f "$tls_dir/new.tmp"; die "the private key does not belong to the (first) certificate"; }
    put_pem "$tls_dir/new.tmp"
    echo "secrets: installed $(openssl x509 -in "$pem" -noout -subject); now: docker compose restart lb"
    ;;
new-certificate)
    generate_certificate
    echo "secrets: now: docker compose restart lb"
    ;;
*)
    echo "usage: secrets.sh [generate|show-admin-password|show-certificate|install-certificate|new-certificate]" >&2; exit 2
    ;;
esac
