#!/bin/sh
# rootfs.sh DIR: complete DIR (which holds usr/local/bin/pustaka) into a minimal root file
# system: the shared libraries the binary loads (with their Debian copyright files), a non-root
# user (65532, like distroless' "nonroot"), /tmp, the CA certificates, the third-party notices. Run in a Debian
# bookworm stage of the target architecture; the result is copied into an empty (scratch) image.
set -eu
root=$1
bin=$root/usr/local/bin/pustaka
# ldd prints "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the loader's path.
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
# The loader is also reached through /lib64 or /lib symlinks on some architectures.
mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot" "$root/srv/pustaka/web"
chmod 1777 "$root/tmp"
chown 65532:65532 "$root/home/nonroot"
# The backups folder (compose mounts its `backups` volume here): the volume takes this owner
# when Docker first fills it from the image, so the non-root server can write its daily backups.
mkdir -p "$root/var/lib/pustaka/backups"
chown -R 65532:65532 "$root/var/lib/pustaka"
echo 'root:x:0:0:root:/root:/sbin/nologin' > "$root/etc/passwd"
echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
# The CA certificates (Debian's ca-certificates), for email notices over TLS: lettre's rustls
# verifies the SMTP server against the system's store, and a scratch image has none.
mkdir -p "$root/etc/ssl/certs" "$root/usr/share/doc/ca-certificates"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp /usr/share/doc/ca-certificates/copyright "$root/usr/share/doc/ca-certificates/copyright"
"$bin" --help > /dev/null    # the binary starts: every library it needs is there
# The notices: the program's own (embedded; also at /licenses) as a file, and Debian's copyright
# files of the libraries copied above, which the program's notices name.
mkdir -p "$root/usr/share/doc/pustaka"
"$bin" licenses > "$root/usr/share/doc/pustaka/THIRD-PARTY-NOTICES.txt"
for pkg in libc6 libgcc-s1; do
    mkdir -p "$root/usr/share/doc/$pkg"
    cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
done
