"""`deploy/stack test`: the real compose.yaml with 3 replicas, checked from the host.

The tests run in this order and share the stack (one compose project for the module): up with
the admin password chosen in a file, hardening, the librarian flow through the balancer, metrics,
HTTPS, the database's users, balancing and a replica killed under GETs, the balancer's limits,
the network seen from a namespace of the test's own and the firewall on its veth only, then
persistence (down/up, backup, down -v, restore) and a clean `down`. Each check prints PASS or FAIL
with its name; a failed check fails its test without stopping the others. Every wait is bounded.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from deploylib import (
    REPO,
    Api,
    admin_password,
    anonymous_volumes,
    answers_local,
    background,
    bash_connects,
    dc,
    dc_ids,
    docker,
    down,
    fingerprint,
    inspect,
    ok,
    out,
    random_password,
    request,
    run,
    stack_up,
    up_servers,
    wait_healthy,
    wait_until,
    web_ids,
)
from through_balancer import book_found, librarian_flow

FW = str(REPO / "deploy" / "firewall" / "pustaka-firewall")


@pytest.fixture(scope="module")
def st(compose, ports, project, workdir):
    """What the tests of this module share: the chosen admin password, the book."""
    return SimpleNamespace(
        chosen_pw="",
        book_title="",
        volumes_before=compose,
        project=project,
        cert=workdir / "cert.pem",
        jar="",
        t=workdir,
    )


def test_up(st, check):
    # the first start with the admin password chosen in a file (root's, mode 0600)
    st.chosen_pw = random_password()
    pw_file = st.t / "admin-password"
    pw_file.touch(0o600)
    pw_file.write_text(st.chosen_pw + "\n")
    os.environ["PUSTAKA_ADMIN_PASSWORD_FILE"] = str(pw_file)
    check("stack up with 3 replicas, all healthy", stack_up, 3)
    check("3 web replicas running", len(web_ids()) == 3)
    check(
        "hardening: read-only, cap_drop ALL, no-new-privileges, non-root, health, restart, logs, limits",
        hardened,
        dc_ids("db", "web", "lb"),
    )
    # Email notices over smtps:// or STARTTLS verify the server against the system's CA store.
    check("image: the CA certificates are in the web image (for notices over TLS)", ca_certificates_in_web)


def hardened(ids: list[str]) -> bool:
    fmt = (
        "{{.Name}} ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} sec={{.HostConfig.SecurityOpt}} "
        "user={{.Config.User}} health={{if .Config.Healthcheck}}yes{{end}} restart={{.HostConfig.RestartPolicy.Name}} "
        'log={{index .HostConfig.LogConfig.Config "max-size"}} mem={{.HostConfig.Memory}}'
    )
    good = bool(ids)
    for i in ids:
        o = inspect(fmt, i)
        if not (
            "ro=true" in o
            and re.search(r"caps=\S*ALL", o)
            and "no-new-privileges" in o
            and "health=yes" in o
            and "restart=unless-stopped" in o
            and "log= " not in o
            and not o.endswith("mem=0")
            and not re.search(r"user=(root|0)? ", o)
        ):
            print(f"      {o}")
            good = False
    return good


def ca_certificates_in_web() -> bool:
    ids = web_ids()
    if not ids:
        return False
    p = subprocess.run(
        f"docker cp '{ids[0]}':/etc/ssl/certs/ca-certificates.crt - | tar -xO",
        shell=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return b"BEGIN CERTIFICATE" in p.stdout


# Issue 12, item 13: the admin password chosen for the first start comes in a file (a compose
# secret), never in the environment of a container, where `docker inspect` shows it.
def test_admin_password_file(st, check, project):
    check(
        "admin password chosen in PUSTAKA_ADMIN_PASSWORD_FILE is the admin's",
        bool(st.chosen_pw) and admin_password() == st.chosen_pw,
    )

    def secrets_inspect_clean() -> bool:
        ids = out(
            [
                "docker",
                "ps",
                "-aq",
                "--filter",
                f"label=com.docker.compose.project={project}",
                "--filter",
                "label=com.docker.compose.service=secrets",
            ]
        ).split()
        if not ids:
            print("      no secrets container")
            return False
        r = docker("inspect", *ids)
        return r.returncode == 0 and st.chosen_pw not in r.stdout and "PUSTAKA_ADMIN_PASSWORD=" not in r.stdout

    check("docker inspect of the secrets container shows no admin password", secrets_inspect_clean)


def test_flow(st, check, ports):
    pw = admin_password()
    check("admin password readable (secrets show-admin-password)", bool(pw))
    st.book_title = librarian_flow(ports.base, check, pw, title="Cantik Itu Luka", replicas=3)


# Issue 18, metrics: each replica's /metrics (:9100) and HAProxy's exporter (:8405) answer inside
# the Docker network, are published nowhere, and the public port has no /metrics.
INSIDE = (
    'for h in "$@"; do echo "== $h"; timeout 5 bash -c "exec 3<>/dev/tcp/\\${1%:*}/\\${1#*:} && '
    'printf \\"GET /metrics HTTP/1.0\\r\\nHost: scraper\\r\\n\\r\\n\\" >&3 && cat <&3" _ "$h"; done'
)


def inside(project: str, *hosts: str) -> str:
    """GET /metrics of HOST:PORT over the frontend network, from a throw-away container on it."""
    r = docker(
        "run",
        "--rm",
        "--network",
        f"{project}_frontend",
        "--entrypoint",
        "bash",
        os.environ["STANDIN_LB_IMAGE"],
        "-c",
        INSIDE,
        "_",
        *hosts,
    )
    return r.stdout


def ip_on(container: str, network: str) -> str:
    return inspect(
        '{{range $k, $v := .NetworkSettings.Networks}}{{if eq $k "' + network + '"}}{{$v.IPAddress}}{{end}}{{end}}',
        container,
    )


def replicas_metrics_inside(project: str) -> bool:
    """Every replica: requests by route template, the MariaDB pool."""
    ids = web_ids()
    text = inside(project, *(f"{ip_on(i, f'{project}_frontend')}:9100" for i in ids))
    n, seen_route = 0, False
    for line in text.splitlines():
        if line.startswith("== "):
            seen_route = False
        elif re.match(r'pustaka_http_requests_total\{route="/readyz",method="GET",status="200"\} [1-9]', line):
            seen_route = True
        elif line.startswith('pustaka_db_pool_max_connections{pool="mariadb"}') and seen_route:
            n += 1
    if len(ids) < 3 or n != len(ids):
        print(f"      {n} of {len(ids)} replicas answered ({len(text.splitlines())} lines)")
        return False
    return True


def test_metrics(check, project, ports):
    check(
        "metrics: each replica's /metrics (:9100) answers inside the Docker network (requests by route, pool)",
        replicas_metrics_inside,
        project,
    )
    check(
        "metrics: HAProxy's Prometheus exporter (lb:8405/metrics) answers inside the Docker network",
        re.search(r'^haproxy_frontend_http_requests_total\{proxy="public"\}', inside(project, "lb:8405"), re.M),
    )

    def not_published() -> bool:  # neither metrics port is published by any container of the stack
        return not any(re.search(r"^(9100|8405)/", docker("port", i).stdout, re.M) for i in dc_ids("web", "lb"))

    check("metrics: neither :9100 nor :8405 is published to the host", not_published)
    check("metrics: the public port has no /metrics (404)", request(ports.base, "GET", "/metrics").status == 404)


# Issue 12, item 5: HTTPS on its own port with the certificate generated on the first start, the
# session cookie Secure over HTTPS only, cookie requests from other origins refused through the
# balancer too, and the opt-in redirect.
def openssl_x509(cert: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["openssl", "x509", "-in", str(cert), "-noout", *args])


def generated_certificate(cert: Path) -> bool:
    """Made by the secrets service, valid for ten years."""
    return (
        "O = Pustaka" in openssl_x509(cert, "-subject").stdout
        and openssl_x509(cert, "-checkend", str(9 * 365 * 86400)).returncode == 0
    )


def served_certificate_is_generated(cert: Path, port: str) -> bool:
    """The balancer presents exactly the certificate in the volume."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", int(port)), 10) as s,
        ctx.wrap_socket(s, server_hostname="localhost") as t,
    ):
        served = t.getpeercert(binary_form=True) or b""
    wanted = ssl.PEM_cert_to_DER_cert(cert.read_text())
    return bool(served) and hashlib.sha256(served).digest() == hashlib.sha256(wanted).digest()


def login_over(st, base: str) -> tuple[bool, str]:
    """Logs in as admin at BASE: (200?, the Set-Cookie of the session); the cookie kept in st.jar."""
    st.jar = ""
    r = request(base, "POST", "/api/v1/auth/login", {"username": "admin", "password": admin_password()}, cafile=st.cert)
    cookies = (r.headers.get_all("Set-Cookie") or []) if r.headers else []
    session = next((c for c in cookies if c.lower().startswith("pustaka_session=")), "")
    st.jar = session.split(";", 1)[0]
    return r.status == 200, session


def cookie_secure(set_cookie: str) -> bool:
    return re.search(r"; *secure", set_cookie, re.I) is not None


def logout_from(st, ports, origin: str):
    """POST /auth/logout over HTTPS with the session cookie and this Origin."""
    return request(
        ports.https_base,
        "POST",
        "/api/v1/auth/logout",
        headers={"Origin": origin, "Cookie": st.jar},
        cafile=st.cert,
    )


def lb_with(redirect: str) -> bool:
    """Recreates the balancer with PUSTAKA_HTTPS_REDIRECT=REDIRECT."""
    r = dc("up", "-d", "--no-build", "--no-deps", "lb", env_add={"PUSTAKA_HTTPS_REDIRECT": redirect})
    return r.returncode == 0 and wait_healthy(60)


def plain_http_served(ports) -> bool:
    return request(ports.base, "GET", "/", timeout=5).status == 200


def test_https(st, check, ports, project):
    st.cert.write_text(dc("run", "--rm", "-T", "secrets", "show-certificate").stdout)
    subject = openssl_x509(st.cert, "-subject").stdout.strip()
    check(f"HTTPS: a certificate was generated on the first start ({subject})", generated_certificate, st.cert)
    mode = out(
        [
            "docker",
            "run",
            "--rm",
            "-v",
            f"{project}_tls:/t:ro",
            "--network",
            "none",
            "--entrypoint",
            "stat",
            os.environ["STANDIN_DB_IMAGE"],
            "-c",
            "%a %u %g",
            "/t/pustaka.pem",
        ]
    )
    check("HTTPS: it is readable by the balancer's group only (0440 root:65530)", mode == "440 0 65530")

    def https_get(path: str):
        return request(ports.https_base, "GET", path, cafile=st.cert)

    check(
        f"HTTPS: the balancer answers on :{ports.https} with that certificate (curl --cacert)",
        https_get("/healthz").status == 200,
    )
    check(
        "HTTPS: the certificate served is the one in the tls volume",
        served_certificate_is_generated,
        st.cert,
        ports.https,
    )
    page = https_get("/")
    check("HTTPS: the page is served", page.status == 200 and "<html" in page.text.lower())

    def http_cookie_not_secure() -> bool:
        logged, cookie = login_over(st, ports.base)
        return logged and not cookie_secure(cookie)

    check("HTTP: the session cookie is not Secure over plain HTTP", http_cookie_not_secure)
    _, cookie = login_over(st, ports.https_base)
    check("HTTPS: the session cookie is Secure over HTTPS", cookie_secure(cookie))
    foreign = logout_from(st, ports, "https://localhost:9999")
    check(
        "HTTPS: logout with the cookie from another origin (https://localhost:9999) is refused (403 cross_site_request)",
        foreign.status == 403
        and isinstance(foreign.json(), dict)
        and foreign.json().get("code") == "cross_site_request",
    )
    check(
        "HTTPS: the same logout from the page's own origin is accepted (204)",
        logout_from(st, ports, ports.https_base).status == 204,
    )
    check("HTTP: no redirect to HTTPS unless asked for", plain_http_served, ports)
    check("PUSTAKA_HTTPS_REDIRECT=1: the balancer restarts with it", lb_with, "1")

    def redirect_to_https() -> bool:
        r = request(ports.base, "GET", "/api/v1/books?q=x", timeout=5)
        return r.status == 307 and r.header("Location").lower().startswith(
            f"https://127.0.0.1:{ports.https}/api/v1/books?q=x"
        )

    check(f"PUSTAKA_HTTPS_REDIRECT=1: plain HTTP answers 307 to the same URL on :{ports.https}", redirect_to_https)
    check("PUSTAKA_HTTPS_REDIRECT=1: HTTPS is served", https_get("/healthz").status == 200)
    check(
        "PUSTAKA_HTTPS_REDIRECT back to 0: plain HTTP served again",
        lambda: lb_with("0") and plain_http_served(ports),
    )


# sql_from USER SQL: run SQL over the backend network as USER (root / pustaka), from a throw-away
# container like any other client on that network
def sql_from(project: str, user: str, sql: str) -> bool:
    file = "db_root_password" if user == "root" else "db_password"
    return ok(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            f"{project}_backend",
            "-v",
            f"{project}_secrets:/run/secrets:ro",
            "--entrypoint",
            "bash",
            os.environ["STANDIN_DB_IMAGE"],
            "-c",
            f'mariadb -h db -u {user} -p"$(cat /run/secrets/{file})" -N -e "{sql}" pustaka',
        ]
    )


def test_database_users(check, project):
    root_inside = dc(
        "exec", "-T", "db", "bash", "-c", 'mariadb -uroot -p"$(cat /run/secrets/db_root_password)" -e "SELECT 1"'
    )
    check("database: root can log in inside its container", root_inside.returncode == 0)
    check("database: root cannot log in from another container", not sql_from(project, "root", "SELECT 1"))
    check("database: the app user uses its own database", sql_from, project, "pustaka", "SELECT COUNT(*) FROM books")
    check("database: the app user cannot read mysql.user", not sql_from(project, "pustaka", "SELECT * FROM mysql.user"))
    check(
        "database: the app user cannot create another database",
        not sql_from(project, "pustaka", "CREATE DATABASE stack_test_other"),
    )


def served_by(ports) -> str:
    return request(ports.base, "GET", "/healthz", timeout=5).header("X-Served-By").replace(" ", "")


def test_balancing(check, ports):
    wait_until(lambda: up_servers(ports.stats) >= 3, 60, 1)
    check("balancer sees 3 replicas up (stats page)", up_servers(ports.stats) >= 3)
    served = sorted({s for s in (served_by(ports) for _ in range(30)) if s})
    check(f"requests spread over all 3 replicas (X-Served-By: {','.join(served)})", len(served) == 3)
    # kill a replica during a bounded loop of GETs: no request may fail
    victim = (web_ids() or [""])[0]
    codes: list[int] = []

    def loop() -> None:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            codes.append(request(ports.base, "GET", "/api/v1/books?q=luka", timeout=8).status)

    t = threading.Thread(target=loop)
    t.start()
    time.sleep(2)
    docker("kill", victim)
    t.join()
    bad = sum(1 for c in codes if c != 200)
    check(f"replica killed during {len(codes)} GETs: {bad} failed", len(codes) >= 10 and bad == 0)


# The balancer's own limits: oversized bodies and login guessing stop before any replica.
def test_limits(check, ports):
    big = "a" * 70000
    code = request(ports.base, "POST", "/api/v1/books", f'{{"title":"{big}"}}').status
    check("a 70 kB body is refused with 413", code == 413)
    codes = [
        request(
            ports.base,
            "POST",
            "/api/v1/auth/login",
            {"username": "nobody-at-all", "password": "wrong-password"},
            timeout=5,
        ).status
        for _ in range(25)
    ]
    counts = " ".join(f"{codes.count(c)} {c:03d}" for c in sorted(set(codes)))
    check(
        f"25 quick logins from one address: the balancer answers 429 after 20 ({counts})",
        codes.count(429) >= 4 and codes.count(401) <= 21,
    )


# ---- the network from a namespace of the test's own, and the firewall on its veth only ------------


def rules() -> str:
    """The host's firewall rules, counters and comments removed. Also removed: the rules Docker
    writes for its bridges and containers (br-*, container addresses), which change whenever a
    container or network comes or goes on this engine (other stacks may be running); the firewall
    script never writes those."""
    text = "".join(run([*cmd]).stdout for cmd in (["iptables-save"], ["ip6tables-save"], ["nft", "list", "ruleset"]))
    kept = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        line = re.sub(r"\[[0-9]*:[0-9]*\]", "", line)
        line = re.sub(r"counter packets [0-9]* bytes [0-9]*", "counter", line)
        if re.search(r"br-[0-9a-f]{12}|172\.(1[6-9]|2[0-9]|3[01])\.|192\.168\.", line):
            continue
        kept.append(line)
    return "\n".join(kept)


def same_rules(before: str, after: str) -> bool:
    """Equal, else the first lines of the difference shown."""
    if before == after:
        return True
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))[2:14]
    print("\n".join(f"      {d}" for d in diff))
    return False


class TestNetwork:
    """The network and firewall checks, holding the network lock (the `netns` fixture of the class)."""

    def test_network(self, netns, check, ports, project):
        n = netns
        check(f"from the host: database answers on 127.0.0.1:{ports.db}", answers_local(ports.db))
        check(f"from the host: stats page answers on 127.0.0.1:{ports.stats}", answers_local(ports.stats))
        check(f"from another namespace: balancer answers on :{ports.http}", n.answers(n.h4, ports.http))
        check(f"from another namespace: balancer answers HTTPS on :{ports.https}", n.answers(n.h4, ports.https))
        check(f"from another namespace: database port {ports.db} does not answer", n.silent(n.h4, ports.db))
        check(f"from another namespace: stats port {ports.stats} does not answer", n.silent(n.h4, ports.stats))
        check("from another namespace: the replicas' metrics port 9100 does not answer", n.silent(n.h4, 9100))
        check("from another namespace: HAProxy's exporter port 8405 does not answer", n.silent(n.h4, 8405))
        check("from another namespace (IPv6): database port does not answer", n.silent(n.h6, ports.db))
        lb = (dc_ids("lb") or [""])[0]
        db_ip = ip_on((dc_ids("db") or [""])[0], f"{project}_backend")

        def lb_cannot_reach_db() -> bool:  # but it does reach the web replicas: the probe works
            return (
                bool(lb and db_ip)
                and ok(["docker", "exec", lb, "bash", "-c", "exec 3<>/dev/tcp/web/8080"])
                and not ok(["docker", "exec", lb, "bash", "-c", "exec 3<>/dev/tcp/db/3306"])
                and not bash_connects(["docker", "exec", lb], db_ip, 3306)
            )

        check(f"load balancer cannot resolve or reach the database ({db_ip})", lb_cannot_reach_db)

    @pytest.fixture
    def firewall(self, netns):
        """A host service (INPUT path), one on the SSH port given to the script, and a published
        container port other than the balancer's (FORWARD path, DOCKER-USER); the firewall removed,
        the listeners stopped and the container removed at teardown."""
        fw = SimpleNamespace(applied=False)
        name = f"pustaka-fwtest-{os.getpid()}"
        haproxy_cfg = (
            'printf "defaults\\n mode http\\n timeout client 5s\\n timeout connect 5s\\n timeout server 5s\\n'
            'frontend f\\n bind :9000\\n http-request return status 200\\n" > /tmp/h.cfg && exec haproxy -f /tmp/h.cfg'
        )
        with (
            background(["python3", "-m", "http.server", "18097", "--bind", "::"]),
            background(["python3", "-m", "http.server", "18022", "--bind", "::"]),
            # a Swarm node's manager and gossip ports (no swarm on this engine meanwhile: the
            # Swarm test holds the network lock too)
            background(["python3", "-m", "http.server", "2377", "--bind", "::"]),
            background(["python3", "-m", "http.server", "7946", "--bind", "::"]),
        ):
            try:
                docker(
                    "run",
                    "-d",
                    "--name",
                    name,
                    "-p",
                    "18098:9000",
                    "--entrypoint",
                    "bash",
                    os.environ["STANDIN_LB_IMAGE"],
                    "-c",
                    haproxy_cfg,
                )
                yield fw
            finally:
                if fw.applied:
                    run([FW, "remove"])
                docker("rm", "-f", name)

    def test_firewall(self, netns, firewall, check, ports):
        n, fw = netns, firewall
        opts = ["--iface", n.vh, "--port", ports.http, "--port", ports.https, "--ssh-port", "18022"]
        wait_until(lambda: n.answers(n.h4, 18098) and n.answers(n.h4, 18097), 20, 1)
        check(
            "firewall off: other host port and other published port answer (precondition)",
            lambda: n.answers(n.h4, 18097) and n.answers(n.h4, 18098) and n.answers(n.h6, 18097),
        )
        before = rules()
        fw.applied = True
        check(f"firewall apply --iface {n.vh}", ok([FW, "apply", *opts]))
        check("firewall check: rules in place", ok([FW, "check", *opts]))
        check(f"firewall on: balancer port {ports.http} answers", n.answers(n.h4, ports.http))
        check(f"firewall on: balancer port {ports.http} answers over IPv6", n.answers(n.h6, ports.http))
        check(f"firewall on: balancer HTTPS port {ports.https} answers", n.answers(n.h4, ports.https))
        check(f"firewall on: balancer HTTPS port {ports.https} answers over IPv6", n.answers(n.h6, ports.https))
        check("firewall on: SSH port answers", n.answers(n.h4, 18022))
        check("firewall on: other published container port is blocked", n.silent(n.h4, 18098))
        check("firewall on: other host port is blocked", n.silent(n.h4, 18097))
        check("firewall on: other host port is blocked over IPv6", n.silent(n.h6, 18097))
        check("firewall on: database port still silent", n.silent(n.h4, ports.db))
        check("firewall on: the host's own loopback is untouched", answers_local(ports.stats))
        once = rules()
        run([FW, "apply", *opts])
        check("firewall apply is idempotent", same_rules, once, rules())
        check("firewall remove", ok([FW, "remove"]))
        fw.applied = False
        check("firewall remove restores the previous rules exactly", same_rules, before, rules())
        check("firewall check fails once removed", not ok([FW, "check", *opts]))
        check("firewall off again: other published port answers", n.answers(n.h4, 18098))
        # A Swarm node: the other nodes (here the namespace's addresses) reach the swarm's ports,
        # nobody else does; both input methods.
        for how in ("", "--input iptables"):
            peers = ["--swarm-peer", n.n4, "--swarm-peer", n.n6]
            fw.applied = True
            run([FW, "apply", *opts, *peers, *how.split()])
            check(f"firewall --swarm-peer {how}: check passes", ok([FW, "check", *opts, *peers, *how.split()]))
            check(
                f"firewall --swarm-peer {how}: the peer reaches 2377 and 7946 (IPv4, IPv6), other ports stay blocked",
                lambda: (
                    n.answers(n.h4, 2377)
                    and n.answers(n.h4, 7946)
                    and n.answers(n.h6, 7946)
                    and n.answers(n.h4, ports.http)
                    and n.silent(n.h4, 18097)
                ),
            )
            others = ["--swarm-peer", "10.213.78.1", "--swarm-peer", "fd7a:7a3b:5e0f::1"]
            run([FW, "apply", *opts, *others, *how.split()])
            check(
                f"firewall --swarm-peer {how}: an address that is not a peer does not reach 2377 or 7946",
                lambda: n.silent(n.h4, 2377) and n.silent(n.h4, 7946) and n.silent(n.h6, 7946),
            )
            run([FW, "remove"])
            fw.applied = False
            check(f"firewall --swarm-peer {how}: remove restores the previous rules", same_rules, before, rules())
        # the other methods, as on hosts without nftables or without Docker's DOCKER-USER
        for how in ("--input iptables", "--forward nft"):
            fw.applied = True
            run([FW, "apply", *opts, *how.split()])
            check(
                f"firewall ({how}): balancer answers, others blocked",
                lambda: (
                    n.answers(n.h4, ports.http)
                    and n.answers(n.h6, ports.http)
                    and n.answers(n.h4, 18022)
                    and n.answers(n.h4, ports.https)
                    and n.silent(n.h4, 18098)
                    and n.silent(n.h4, 18097)
                    and n.silent(n.h6, 18097)
                ),
            )
            run([FW, "remove"])
            fw.applied = False
            check(f"firewall ({how}): remove restores the previous rules", same_rules, before, rules())


def test_persistence(st, check, ports):
    pw1 = admin_password()
    dc("down")
    check("down, then up again", stack_up, 3)
    pw2 = admin_password()
    check("secrets reused by the second up", bool(pw1) and pw1 == pw2)
    check("data kept across down/up", book_found, ports.base, st.book_title)
    fp1 = fingerprint()
    # issue 12, item 12: dumps hold password hashes and members' contacts. A folder left open by
    # an older deploy/backup, and a permissive umask: the folder is closed, the file private.
    backups = REPO / "backups"
    if not backups.is_dir():
        backups.mkdir()
        backups.chmod(0o755)
    file = out(["bash", "-c", "umask 022; exec deploy/backup"])
    path = REPO / file if file else Path("/nonexistent")
    check(f"backup written to ./backups/ ({file or 'none'})", path.is_file() and path.stat().st_size > 0)
    modes = out(["stat", "-c", "%a", "backups", str(path)]).replace("\n", " ")
    check("backup: folder 0700, dump 0600 (under umask 022)", modes == "700 600")
    dc("down", "-v")
    # zero configuration again: no admin password chosen, so a random one
    os.environ.pop("PUSTAKA_ADMIN_PASSWORD_FILE", None)
    check("down -v, then up on fresh volumes", stack_up, 3)
    check("fresh volumes start without the book", not book_found(ports.base, st.book_title))
    pw3 = admin_password()
    check(
        "no PUSTAKA_ADMIN_PASSWORD_FILE: a random admin password, and it logs in",
        bool(pw3) and pw3 != st.chosen_pw and len(pw3) >= 32 and Api(ports.base).login(pw3),
    )
    check("restore from ./backups/", ok(["deploy/restore", str(path)]))
    fp2 = fingerprint()
    check("restored data equals the backup (checksums of all tables)", fp1 is not None and fp1 == fp2)
    check("restored book found through the balancer", book_found, ports.base, st.book_title)
    path.unlink(missing_ok=True)


def test_down_is_clean(st, check, project):
    down()

    def clean() -> bool:  # nothing of this project is left, and no anonymous volume either
        label = f"label=com.docker.compose.project={project}"
        return (
            not out(["docker", "ps", "-aq", "--filter", label])
            and not out(["docker", "network", "ls", "-q", "--filter", label])
            and not any(v.startswith(f"{project}_") for v in docker("volume", "ls", "-q").stdout.split())
            and not (set(anonymous_volumes()) - st.volumes_before)
        )

    check("down removes the containers, networks and volumes", clean)
