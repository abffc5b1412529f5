"""`deploy/swarm/swarm test [--quick] [--galera]`: the stack on a single-node Docker Swarm.

On an engine that is in no swarm: a single-node swarm of the test's own (`swarm` fixture: docker
swarm init, left again at teardown whatever happens), the stand-in images (made by the tool,
with the page baked into the web image: a Swarm node has no checkout), the stack deployed with
`swarm deploy`, checked through the balancer, then the web service updated (docker service update
--force: every replica replaced, one at a time, start-first) while bench/loadgen's fault load
runs for the whole update; the failed requests counted, and every acknowledged write in the
database exactly once.
Full run: 3 replicas, the admin password and the certificate's names chosen, a second update
under load (a new image tag deployed with `swarm deploy`), scaling to 4, and an update that fails
its health check and is rolled back by Swarm. --quick (CI): 2 replicas, generated secrets, the one
update under load.
While its swarm exists it holds deploy/stack test's network lock: a swarm adds firewall rules of
the engine's own, which that test's firewall checks compare.
--galera (PUSTAKA_GALERA=1): the stack with the Galera option: the same checks, and the three
nodes Synced in one cluster, the proxy seeing them, a book on every node; after the rolling update
the writer node's container is killed under the same load (g1: failed requests, the time until
writes are acknowledged again; g2: Swarm starts the node again and it catches up).
The figures are the run's results (one JSON line at the end). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
from types import SimpleNamespace

import pytest

from deploylib import (
    NETWORK_LOCK,
    REPO,
    Api,
    bash_connects,
    docker,
    docker_time,
    flock,
    g1_recovery,
    g1_write_gap,
    inspect,
    log,
    ok,
    out,
    random_password,
    request,
    run,
    transfer_of,
    wait_until,
)
from galera import (
    PROXIES,
    PROXY_STATS,
    all_up,
    galera_rows,
    merged_rows,
    rows_equal_at_one_seqno,
    writer_of,
    writers_of,
)
from through_balancer import book_found, librarian_flow

RUN_ID_PREFIX = "swarm"
SWARM = str(REPO / "deploy" / "swarm" / "swarm")
STACK = os.environ.get("PUSTAKA_STACK", "pustaka_swarmtest")
GALERA = os.environ.get("PUSTAKA_GALERA") == "1"
NODES = ("galera1", "galera2", "galera3")


def svc(name: str) -> str:
    return f"{STACK}_{name}"


def swarm_cmd(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return run([SWARM, *args], timeout=timeout)


def container_of(service: str) -> str:
    """The container of a service's running task on this node (the first one)."""
    ids = out(
        [
            "docker",
            "ps",
            "-q",
            "--filter",
            f"label=com.docker.swarm.service.name={svc(service)}",
            "--filter",
            "status=running",
        ]
    ).split()
    return ids[0] if ids else ""


def lb_stats() -> str:
    """HAProxy's stats as CSV, read inside the balancer's container (Swarm publishes no 127.0.0.1 port)."""
    lb = container_of("lb")
    script = 'exec 3<>/dev/tcp/127.0.0.1/8404 && printf "GET /;csv HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3'
    return docker("exec", lb, "timeout", "3", "bash", "-c", script).stdout if lb else ""


def up_servers() -> int:
    return sum(
        1
        for f in (line.split(",") for line in lb_stats().splitlines())
        if len(f) > 17 and f[:1] == ["web"] and f[17] == "UP"
    )


@pytest.fixture(scope="module")
def sw(request, results, tally, workdir, load):
    """The run's shared state, its swarm (made by the first test, left at teardown whatever
    happened) and its figures (null until measured)."""
    quick = request.config.getoption("--quick")
    s = SimpleNamespace(
        quick=quick,
        replicas=2 if quick else 3,
        base=f"http://127.0.0.1:{os.environ.get('PUSTAKA_HTTP_PORT', '18480')}",
        https_port=os.environ.get("PUSTAKA_HTTPS_PORT", "18443"),
        t=workdir,
        made=False,
        ready=False,
        gwbridge_before=True,
        next_tag="",
        chosen_pw="",
        admin_pw="",
        book_title="none",
        load_started=False,
        g1_victim="",
        t_kill=0.0,
        t_proxy_kill=0.0,
        locks=contextlib.ExitStack(),
    )
    for key in ("s1_rolling_failed", "s1_requests", "s1_update_s", "s1_lost_writes", "s1_duplicate_writes"):
        results[key] = None
    results["s1_replicas"] = s.replicas
    for key in ("s2_new_image_failed", "s2_requests", "s2_update_s", "rollback_s"):
        results[key] = None
    start = time.monotonic()
    try:
        yield s
    finally:
        load.stop()
        leave(s)
        if s.next_tag:
            docker("rmi", s.next_tag)
        s.locks.close()
        log(f"swarm test took {time.monotonic() - start:.0f} s")
        results["checks_passed"], results["checks_failed"] = tally["passed"], tally["failed"]
        if GALERA:
            # the Swarm's own g1/g2 (the writer killed under load), beside deploy/cluster faults' compose ones
            figures = dict(results)
            results.clear()
            results["galera"] = True
            results.update(figures)
            results.update(
                swarm_g1_victim=s.g1_victim,
                swarm_g1_failed_requests=getattr(s, "g1_failed", None),
                swarm_g1_recovery_s=getattr(s, "g1_recovery", None),
                swarm_g2_rejoin_s=getattr(s, "g2_rejoin", None),
                swarm_g2_transfer=getattr(s, "g2_transfer", None),
                swarm_g4_failed_requests=getattr(s, "g4_failed", None),
                swarm_g4_lost_writes=getattr(s, "g4_lost", None),
                swarm_g4_write_gap_s=getattr(s, "g4_gap", None),
                swarm_g4_replaced_s=getattr(s, "g4_replaced", None),
                swarm_nodes_equal=getattr(s, "nodes_equal", None),
                swarm_recover_s=getattr(s, "recover_s", None),
            )


def leave(s) -> None:
    """The stack removed (with its secrets, configs and volumes) and the swarm left."""
    if not s.made:
        return
    swarm_cmd("rm", "--purge")
    docker("swarm", "leave", "--force")
    # a volume still in use while the stack was removed (rm waits 90 s for its containers) is free now
    left = [v for v in out(["docker", "volume", "ls", "-q"]).split() if v.startswith(f"{STACK}_")]
    if left:
        docker("volume", "rm", *left)
    # swarm init made this bridge; leaving the swarm keeps it
    if not s.gwbridge_before:
        docker("network", "rm", "docker_gwbridge")
    s.made = False


def test_swarm_init(sw, check):
    state = out(["docker", "info", "-f", "{{.Swarm.LocalNodeState}}"])
    assert state == "inactive", (
        f"this engine is already in a swarm ({state}): the test makes and leaves its own, so it will not run here"
    )
    # A swarm adds the engine's own firewall rules (docker_gwbridge, ingress): `deploy/stack test`
    # compares the rules before and after its firewall checks, so the two take turns on its lock.
    sw.locks.enter_context(flock(NETWORK_LOCK, 600))
    sw.gwbridge_before = ok(["docker", "network", "inspect", "docker_gwbridge"])
    # the data of an earlier run of this test's own stack that stopped before its teardown: its
    # database would keep that run's passwords while the secrets are made anew
    stale = [v for v in out(["docker", "volume", "ls", "-q"]).split() if v.startswith(f"{STACK}_")]
    if stale:
        log(f"removing an earlier run's volumes of {STACK}: {' '.join(stale)}")
        docker("volume", "rm", *stale)
    sw.made = True  # from here on the teardown leaves it, also if init fails half-way
    sw.ready = check(
        "docker swarm init (single node, 127.0.0.1)",
        ok(["docker", "swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377"]),
    )


def made(sw) -> None:
    if not sw.ready:
        pytest.fail("no swarm of the test's own")


def db_sql(sql: str) -> str | None:
    # Galera applies other nodes' write sets a moment after they commit: read after them all
    if GALERA:
        sql = "SET SESSION wsrep_sync_wait = 1; " + sql
    client = (
        'exec mariadb --defaults-extra-file=<(printf "[client]\\nuser=pustaka\\npassword=%s\\n" '
        '"$(cat /run/secrets/db_password)") -N -B pustaka'
    )
    r = docker("exec", "-i", container_of("db"), "bash", "-c", client, input=sql)
    return r.stdout if r.returncode == 0 else None


def test_deploy(sw, check):
    made(sw)
    if not sw.quick:
        # the full run chooses the admin password (a file of root's, 0600) and the certificate's
        # names; --quick (CI) has them generated
        sw.chosen_pw = random_password()
        pw_file = sw.t / "admin-password"
        pw_file.touch(0o600)
        pw_file.write_text(sw.chosen_pw + "\n")
        os.environ["PUSTAKA_ADMIN_PASSWORD_FILE"] = str(pw_file)
        os.environ["PUSTAKA_TLS_NAMES"] = "perpus.test,192.0.2.10"
    t0 = time.monotonic()
    r = swarm_cmd("deploy")
    if not check(
        f"swarm deploy: stack {STACK} with {sw.replicas} web replicas, all running and up in the balancer",
        r.returncode == 0,
    ):
        print("\n".join((r.stdout + r.stderr).splitlines()[-20:]))
    log(f"deployed in {time.monotonic() - t0:.0f} s")

    def migrate_done() -> bool:  # its task completed (it may still wait for the lock)
        def states() -> str:
            return out(["docker", "service", "ps", "--format", "{{.CurrentState}}", svc("migrate")])

        if wait_until(lambda: re.search(r"^Complete", states(), re.M), 120, 1):
            return True
        print(
            "\n".join(
                f"      {line}"
                for line in out(["docker", "service", "ps", "--no-trunc", svc("migrate")]).splitlines()[-3:]
            )
        )
        return False

    check("migrate one-shot finished (Complete, not restarting)", migrate_done)

    def migrations_once() -> bool:
        want = len(list((REPO / "migrations" / "mariadb").rglob("*.sql")))
        got = (
            db_sql("SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT version), ' ', SUM(success)) FROM _sqlx_migrations")
            or ""
        ).strip()
        if got != f"{want} {want} {want}":
            print(f"      rows, versions, successes: {got} (want {want} each)")
            return False
        return True

    check("migrations applied once each, with migrate and the replicas starting together", migrations_once)

    def hardened() -> bool:
        ids = out(["docker", "ps", "-q", "--filter", f"label=com.docker.stack.namespace={STACK}"]).split()
        fmt = (
            '{{index .Config.Labels "com.docker.swarm.service.name"}} ro={{.HostConfig.ReadonlyRootfs}} '
            "caps={{.HostConfig.CapDrop}} user={{.Config.User}} mem={{.HostConfig.Memory}} "
            'pids={{.HostConfig.PidsLimit}} log={{index .HostConfig.LogConfig.Config "max-size"}}'
        )
        good = True
        for i in ids:
            o = inspect(fmt, i)
            if not (
                "ro=true" in o
                and re.search(r"caps=\S*ALL", o)
                and "mem=0" not in o
                and "log= " not in o
                and not o.endswith("log=")
                and not re.search(r"user=(root|0)? ", o)
            ):
                print(f"      {o}")
                good = False
        return good

    check("hardening: read-only root, cap_drop ALL, non-root, memory limit, bounded logs (every container)", hardened)
    check(
        f"db{' (galera1)' if GALERA else ''} placed on the node labelled pustaka.db=true",
        inspect("{{json .Spec.TaskTemplate.Placement.Constraints}}", svc("db")) == '["node.labels.pustaka.db == true"]',
    )
    check(
        "web: update_config start-first, rollback on failure",
        out(
            [
                "docker",
                "service",
                "inspect",
                "-f",
                "{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}} {{.Spec.RollbackConfig.Order}}",
                svc("web"),
            ]
        )
        == "start-first rollback start-first",
    )


def admin_password() -> str:
    return swarm_cmd("admin-password", timeout=120).stdout.strip()


def test_flow(sw, check):
    made(sw)
    pw = admin_password()
    sw.admin_pw = pw
    if sw.chosen_pw:
        check(
            "admin password read back from the Swarm secret is the one chosen in PUSTAKA_ADMIN_PASSWORD_FILE",
            pw == sw.chosen_pw,
        )
    else:
        check(
            "admin password read back from the Swarm secret (swarm admin-password): generated, 48 characters",
            len(pw) == 48,
        )
    sw.book_title = librarian_flow(sw.base, check, pw, title="Laskar Pelangi", replicas=sw.replicas)


# ---- --galera ------------------------------------------------------------------------------------


def node_service(node: str) -> str:
    return "db" if node == "galera1" else node


def node_state(node: str) -> str:
    """ "galera2 ready=ON state=4(Synced) cluster=Primary size=3 seqno=123" (node.sh state)"""
    cid = container_of(node_service(node))
    if not cid:
        return f"{node} down"
    r = docker("exec", cid, "bash", "/opt/galera/node.sh", "state")
    return r.stdout.strip() if r.returncode == 0 else f"{node} no-answer"


def synced3(node: str) -> bool:
    return re.search(r"ready=ON state=4\(.*cluster=Primary size=3 ", node_state(node)) is not None


def three_synced() -> bool:
    return all(synced3(n) for n in NODES)


def wait_three_synced(seconds: float) -> bool:
    if wait_until(three_synced, seconds, 1):
        return True
    for n in NODES:
        print(f"      {node_state(n)}")
    return False


def proxy_csv(proxy: str = "") -> list[str]:
    """ "server,status,current sessions" of the Galera backend, from inside a proxy (dbproxy or
    dbproxy2); without PROXY, both proxies' rows added up (galera.merged_rows)."""
    if not proxy:
        return merged_rows([proxy_csv(p) for p in PROXIES])
    cid = container_of(proxy)
    if not cid:
        return []
    return galera_rows(docker("exec", cid, "timeout", "3", "bash", "-c", PROXY_STATS).stdout)


def writer() -> str:
    """The writer as the Swarm's proxies see it (their sessions added up)."""
    return writer_of(proxy_csv())


def sql_on(node: str, sql: str) -> str:
    """As the application user, from galera1's container, on NODE over the network."""
    client = (
        'exec mariadb --defaults-extra-file=<(printf "[client]\\nuser=pustaka\\npassword=%s\\n" '
        '"$(cat /run/secrets/db_password)") --connect-timeout=3 -h "$0" -N -B pustaka'
    )
    return docker("exec", "-i", container_of("db"), "bash", "-c", client, node, input=sql).stdout.strip()


def nodes_equal() -> bool:
    """Every node at the same last write set, and the same rows (CHECKSUM TABLE of all)."""
    tables = sql_on(
        "galera1",
        "SELECT GROUP_CONCAT(CONCAT('`', table_name, '`') ORDER BY table_name) FROM information_schema.tables "
        "WHERE table_schema = 'pustaka' AND table_type = 'BASE TABLE'",
    )
    return rows_equal_at_one_seqno(sql_on, tables, lambda line: print(f"      {line}"))


@pytest.mark.skipif(not GALERA, reason="--galera only")
def test_galera(sw, check):
    made(sw)
    check("Galera: three nodes Synced in one Primary component of 3", wait_three_synced, 120)

    def proxy_sees_three() -> bool:
        # a Swarm task's name is in Swarm's DNS only once the task is healthy, so a node can read
        # MAINT (resolution) for a while after it is Synced: wait for all three UP within the bound
        def three_up() -> bool:
            rows = proxy_csv()
            return all_up(rows) and len(writers_of(rows)) <= 1

        if wait_until(three_up, 60, 1):
            return True
        print(f"      {' '.join(proxy_csv())}")
        return False

    check("Galera: both proxies see all three nodes UP, one writer (within 60 s)", proxy_sees_three)
    log(f"writer: {writer()}")
    constraints = "".join(
        inspect("{{json .Spec.TaskTemplate.Placement.Constraints}}", svc(n)) for n in ("galera2", "galera3")
    ).replace("\n", "")
    check(
        "Galera: galera2 and galera3 placed on the nodes labelled for them",
        constraints == '["node.labels.pustaka.galera2 == true"]["node.labels.pustaka.galera3 == true"]',
    )

    def book_on_every_node() -> bool:
        good = True
        for n in NODES:
            got = sql_on(
                n, f"SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM books WHERE title = '{sw.book_title}'"
            )
            if got != "1":
                print(f"      {n}: '{got}'")
                good = False
        return good

    check("Galera: the book created through the balancer is on every node", book_on_every_node)


def test_https_and_secrets(sw, check):
    made(sw)
    cert = sw.t / "cert.pem"
    cert.write_text(swarm_cmd("certificate", timeout=60).stdout)
    subject = run(["openssl", "x509", "-in", str(cert), "-noout", "-subject"]).stdout
    check("HTTPS: the certificate (a Swarm secret) is Pustaka's generated one", "O = Pustaka" in subject)
    if sw.chosen_pw:
        san = run(["openssl", "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"]).stdout
        check(
            "HTTPS: the certificate is valid for PUSTAKA_TLS_NAMES (perpus.test, 192.0.2.10) too",
            re.search(r"DNS:perpus.test.*IP Address:192.0.2.10", san, re.S),
        )
    check(
        f"HTTPS: the balancer answers on :{sw.https_port} with it (curl --cacert)",
        request(f"https://localhost:{sw.https_port}", "GET", "/healthz", cafile=cert).status == 200,
    )

    def secret_modes() -> bool:  # the files each service gets, and who may read them
        lb = out(["docker", "exec", container_of("lb"), "stat", "-c", "%a %U", "/etc/pustaka/tls/pustaka.pem"])
        db = out(
            [
                "docker",
                "exec",
                container_of("db"),
                "stat",
                "-c",
                "%a %U",
                "/run/secrets/db_password",
                "/run/secrets/db_root_password",
            ]
        ).replace("\n", " ")
        if lb != "400 haproxy" or db != "400 mysql 400 mysql":
            print(f"      lb: {lb}; db: {db}")
            return False
        return True

    check(
        "secrets: the TLS key for the balancer's user only (0400 haproxy), the database's for mysql only (0400)",
        secret_modes,
    )

    def no_secret_in_specs() -> bool:  # no password in any service's spec (environment, labels, arguments)
        ids = out(["docker", "service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={STACK}"]).split()
        r = docker("service", "inspect", *ids)
        return r.returncode == 0 and bool(sw.admin_pw) and sw.admin_pw not in r.stdout

    check("secrets: no password in any service's spec (docker service inspect)", no_secret_in_specs)
    n_secrets = len(out(["docker", "secret", "ls", "-q", "--filter", f"name={STACK}_"]).split())
    check("secrets: 4 Swarm secrets, made by swarm deploy", n_secrets == 4)

    def db_unreachable() -> bool:
        lb = container_of("lb")
        published = inspect("{{json .Endpoint.Ports}}", svc("db"))
        # published nowhere, and the balancer (frontend network only) can reach the replicas, not it
        if published not in ("null", "[]"):
            print(f"      db publishes {published}")
            return False
        if not bash_connects(["docker", "exec", lb], "tasks.web", 8080):
            print("      the balancer cannot reach the replicas (probe broken)")
            return False
        return not bash_connects(["docker", "exec", lb], "db", 3306)

    check("the database publishes no port, and the balancer cannot reach it", db_unreachable)

    def network_opts(name: str) -> str:  # NETWORK: internal?, encrypted?
        fmt = '{{.Driver}} internal={{.Internal}} encrypted={{index .Options "encrypted"}}'
        return out(["docker", "network", "inspect", "-f", fmt, f"{STACK}_{name}"])

    backend, frontend = network_opts("backend"), network_opts("frontend")
    check(
        f"backend network: overlay, internal, encrypted ({backend})", backend == "overlay internal=true encrypted=true"
    )
    check(f"frontend network: overlay, encrypted ({frontend})", frontend == "overlay internal=false encrypted=true")
    dump = sw.t / "backup.sql"

    def backup_works() -> bool:
        r = run(["bash", "-c", 'umask 022; exec "$0" backup "$1"', SWARM, str(dump)])
        return r.returncode == 0 and out(["stat", "-c", "%a", str(dump)]) == "600" and sw.book_title in dump.read_text()

    check("swarm backup: a dump with the book, file 0600", backup_works)

    def restore_works() -> bool:  # the dump loads back into the running database; the book is read again
        if swarm_cmd("restore", str(dump)).returncode != 0:
            return False
        return book_found(sw.base, sw.book_title)

    check("swarm restore: the dump loads back, the book is found through the balancer", restore_works)


# ---- updates under load -------------------------------------------------------------------------


def update_state() -> str:
    """The web service's update state (updating, completed, rollback_completed, ...) and when it started."""
    return out(
        [
            "docker",
            "service",
            "inspect",
            "-f",
            "{{if .UpdateStatus}}{{.UpdateStatus.State}} {{.UpdateStatus.StartedAt}}{{end}}",
            svc("web"),
        ]
    )


def wait_update(seconds: float, before: str, want: str) -> tuple[bool, str]:
    """Until an update that started after BEFORE (update_state before it) ends: (its final state is
    WANT, that state)."""
    final = {"paused", "rollback_paused", "completed", "rollback_completed"}
    last = [""]

    def ended() -> bool:
        st = update_state()
        last[0] = st
        if st.partition(" ")[2] == before.partition(" ")[2]:
            return False
        return st.split(" ")[0] in final | {want}

    if wait_until(ended, seconds):
        state = last[0].split(" ")[0]
        return state == want, state
    return False, f"{last[0].split(' ')[0]} (timed out)"


def web_tasks() -> set[str]:
    return set(out(["docker", "service", "ps", "-q", "--filter", "desired-state=running", svc("web")]).split())


def update_under_load(sw, load, check, results, phase: str, what: str, command) -> None:
    """COMMAND starts an update of web, recorded as PHASE by the load; waits (bounded) until it
    completed and the balancer sees every replica again."""
    before, prev = web_tasks(), update_state()
    load.phase(phase)
    log(f"{time.strftime('%T')} {what}, under load")
    time.sleep(2)
    t0 = time.time()
    r = command()
    if r.returncode != 0:
        check(f"{what}: {' '.join((r.stdout + r.stderr).splitlines()[-3:])}", False)
        return
    done, state = wait_update(400, prev, "completed")
    secs = round(time.time() - t0, 1)
    results[f"{phase}_update_s"] = secs
    check(f"{what}: {state} in {secs} s", done)
    after = web_tasks()
    check(
        f"every replica replaced ({len(after)} running, none of them from before)",
        not (before & after) and len(after) == sw.replicas,
    )
    # requests still under way after the last replica was replaced count for this phase too
    wait_until(lambda: up_servers() >= sw.replicas, 60)
    time.sleep(3)
    load.phase("between")


def test_updates_under_load(sw, load, check, results):
    made(sw)
    try:
        load.start(sw.base, sw.admin_pw)
    except RuntimeError as e:
        check(f"the load generator did not start: {e}", False)
        return
    sw.load_started = True
    update_under_load(
        sw,
        load,
        check,
        results,
        "s1",
        "rolling update of web (docker service update --force)",
        lambda: docker("service", "update", "--force", "--detach", svc("web"), timeout=120),
    )
    if not sw.quick:

        def new_image():  # the web image under a new tag, deployed the way a new version is (swarm deploy)
            image = os.environ["STANDIN_WEB_IMAGE"]
            sw.next_tag = f"{image.split(':')[0]}:next-{os.getpid()}"
            tagged = docker("tag", image, sw.next_tag)
            if tagged.returncode != 0:
                return tagged
            return run([SWARM, "deploy"], env_add={"STANDIN_WEB_IMAGE": sw.next_tag}, timeout=600)

        update_under_load(sw, load, check, results, "s2", "new version (a new image tag, swarm deploy)", new_image)
    if GALERA:
        kill_writer(sw, load, check)
        kill_proxy(sw, load, check)


def kill_writer(sw, load, check) -> None:
    """Under the load (phase g1), docker kill of the writer node's container; Swarm starts a new
    task, which rejoins (g2: from its container's start until Synced)."""
    load.phase("g1")
    time.sleep(3)
    victim = wait_until(writer, 10)
    if not victim:
        check(f"g1: no node holds the replicas' connections: {' '.join(proxy_csv())}", False)
        return
    sw.g1_victim = victim
    old = container_of(node_service(victim))
    log(f"{time.strftime('%T')} docker kill {victim} (the writer), under load")
    sw.t_kill = time.time()
    docker("kill", old)
    time.sleep(8)
    log(f"writer now: {writer()}; {' '.join(proxy_csv())}")
    deadline = time.monotonic() + 300
    new = wait_until(lambda: (c := container_of(node_service(victim))) and c != old and c, 300, 1)
    if not new:
        check(f"g2: Swarm did not start {victim} again", False)
        load.phase("between")
        return
    started = docker_time(inspect("{{.State.StartedAt}}", new))
    if wait_until(lambda: synced3(victim), max(0.0, deadline - time.monotonic())):
        sw.g2_rejoin = round(time.time() - started, 1)
        logs = docker("logs", new)
        sw.g2_transfer = transfer_of(logs.stdout + logs.stderr)
        check(f"g2: Swarm started {victim} again; Synced {sw.g2_rejoin} s after its start ({sw.g2_transfer})", True)
    else:
        check(f"g2: {victim} not Synced 300 s after the kill: {node_state(victim)}", False)
    time.sleep(3)
    load.phase("between")


def kill_proxy(sw, load, check) -> None:
    """Under the load (phase g4), docker kill of one of the two database proxies' containers: the
    replicas go on through the other; Swarm starts a new task (g4_replaced: until it is healthy)."""
    load.phase("g4")
    time.sleep(3)
    old = container_of("dbproxy")
    if not old:
        check("g4: no dbproxy task on this node", False)
        return
    log(f"{time.strftime('%T')} docker kill dbproxy (one of the two proxies), under load; {' '.join(proxy_csv())}")
    sw.t_proxy_kill = time.time()
    docker("kill", old)
    new = wait_until(lambda: (c := container_of("dbproxy")) and c != old and c, 120, 1)
    healthy = bool(new) and wait_until(lambda: inspect("{{.State.Health.Status}}", new) == "healthy", 120, 1)
    if healthy:
        sw.g4_replaced = round(time.time() - sw.t_proxy_kill, 1)
    check(
        f"g4: Swarm replaced the killed proxy, healthy {sw.g4_replaced if healthy else '-'} s after the kill", healthy
    )
    time.sleep(5)  # the load through both proxies again
    log(f"writers after g4: {' '.join(writers_of(proxy_csv()))}; {' '.join(proxy_csv())}")
    load.phase("between")


def test_reckon(sw, load, check, results):
    made(sw)
    if not sw.load_started:
        pytest.fail("the load did not run")
    load.end()
    titles = db_sql(load.titles_sql)
    if not check("read this run's titles from the database", titles is not None):
        return
    try:
        load.reckon(titles or "")
    except RuntimeError:
        check("the load report", False)
        return
    for ph in ("s1", "s2"):
        p = load.phases().get(ph)
        if p is None:
            continue
        failed, requests = p["failed_reads"] + p["failed_writes"], p["reads"] + p["writes"]
        results["s1_rolling_failed" if ph == "s1" else "s2_new_image_failed"] = failed
        results[f"{ph}_requests"] = requests
        keys = ("reads", "failed_reads", "writes", "acked_writes", "failed_writes", "max_latency_s", "statuses")
        print("      " + json.dumps({"phase": ph, **{k: p[k] for k in keys}}, separators=(",", ":")))
        check(f"{ph}: {failed} of {requests} requests failed during the update", failed == 0 and requests > 100)
    lost, dup = load.total("lost_writes"), load.total("duplicate_writes")
    results["s1_lost_writes"], results["s1_duplicate_writes"] = lost, dup
    check(f"every acknowledged write in the database exactly once (lost {lost}, twice {dup})", lost == 0 and dup == 0)
    if GALERA and sw.g1_victim:
        g1 = load.phases().get("g1") or {}
        sw.g1_failed = g1.get("failed_reads", 0) + g1.get("failed_writes", 0)
        sw.g1_recovery = g1_recovery(load.rows(), sw.t_kill)
        keys = ("reads", "failed_reads", "writes", "acked_writes", "failed_writes", "max_latency_s", "statuses")
        print("      " + json.dumps({"phase": "g1", **{k: g1.get(k) for k in keys}}, separators=(",", ":")))
        check(
            f"g1: writes acknowledged again {sw.g1_recovery} s after the kill (at most 5), {sw.g1_failed} requests failed",
            sw.g1_recovery is not None and sw.g1_recovery <= 5 and sw.g1_failed == 0,
        )
        g4 = load.phases().get("g4") or {}
        sw.g4_failed = g4.get("failed_reads", 0) + g4.get("failed_writes", 0)
        sw.g4_lost = g4.get("lost_writes", 0)
        sw.g4_gap = g1_write_gap(load.rows(), sw.t_proxy_kill, "g4")
        print("      " + json.dumps({"phase": "g4", **{k: g4.get(k) for k in keys}}, separators=(",", ":")))
        check(
            f"g4: a proxy killed: {sw.g4_failed} requests failed, {sw.g4_lost} writes lost "
            f"(the longest wait between acknowledged writes {sw.g4_gap} s)",
            bool(g4) and sw.g4_failed == 0 and sw.g4_lost == 0,
        )
        check("g1: no answer 500 during the run", load.statuses(r" 500$") == 0)
        sw.nodes_equal = wait_three_synced(120) and nodes_equal()
        check(
            "at the end: three nodes Synced at the same write set with the same rows (CHECKSUM TABLE)", sw.nodes_equal
        )


@pytest.mark.skipif(not GALERA, reason="--galera only")
def test_galera_recover(sw, check):
    """Every node killed at once (a power cut on every host): Swarm starts them again, and they wait
    for a cluster that is not there; `deploy/swarm/swarm --galera recover` brings it back."""
    made(sw)
    nodes = [container_of(node_service(n)) for n in NODES]
    if not check("Galera recover: the three nodes' containers found", all(nodes)):
        return
    before = sql_on("galera1", "SELECT COUNT(*) FROM books")
    log(f"{time.strftime('%T')} docker kill of all three nodes ({before} books)")
    docker("kill", *nodes)
    t0 = time.time()
    r = swarm_cmd("recover", timeout=1800)
    sw.recover_s = round(time.time() - t0, 1)
    if r.returncode != 0:
        print("\n".join((r.stdout + r.stderr).splitlines()[-20:]))
    check(
        f"every node killed: deploy/swarm/swarm --galera recover brought the cluster back ({sw.recover_s} s)",
        r.returncode == 0,
    )
    check("after the recovery: three nodes Synced in one Primary component of 3", wait_three_synced, 120)
    check("after the recovery: the books are all there", sql_on("galera1", "SELECT COUNT(*) FROM books") == before)
    api = Api(sw.base)
    title = f"Setelah pemulihan {os.getpid()}"
    if not check("after the recovery: log in through the balancer", lambda: api.login(sw.admin_pw)):
        return
    status = api("POST", "/api/v1/books", {"title": title, "authors": ["Uji Pemulihan"]})
    if not check(f"after the recovery: a book added through the balancer ({status})", status == 201):
        return

    def on_every_node() -> bool:
        counts = {
            n: sql_on(n, f"SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM books WHERE title = '{title}'")
            for n in NODES
        }
        if set(counts.values()) == {"1"}:
            return True
        print(f"      {counts}")
        return False

    check("after the recovery: that book is on every node", on_every_node)


def test_scale_and_rollback(sw, check, results):
    if sw.quick:
        pytest.skip("the full run only")
    made(sw)
    docker("service", "scale", "--detach", f"{svc('web')}=4")
    wait_until(lambda: up_servers() >= 4, 120, 1)
    check("docker service scale web=4: the balancer finds the 4th replica in tasks.web", up_servers() >= 4)
    docker("service", "scale", "--detach", f"{svc('web')}={sw.replicas}")
    wait_until(lambda: len(web_tasks()) == sw.replicas and up_servers() == sw.replicas, 60, 1)
    # An update whose new replicas never become healthy (a database that does not exist): Swarm
    # rolls it back (failure_action: rollback) and the old replicas keep serving.
    prev = update_state()
    t0 = time.time()
    docker(
        "service",
        "update",
        "--detach",
        "--env-add",
        "PUSTAKA_DATABASE_URL=mysql://pustaka@db:3306/no_such_database",
        svc("web"),
    )
    done, state = wait_update(300, prev, "rollback_completed")
    results["rollback_s"] = round(time.time() - t0, 1)
    check(f"an update that fails its health check is rolled back by Swarm ({state} in {results['rollback_s']} s)", done)

    def serving_again() -> bool:
        wait_until(lambda: up_servers() >= sw.replicas, 60, 1)
        return up_servers() >= sw.replicas and request(sw.base, "GET", "/readyz").status == 200

    check(f"after the rollback: {sw.replicas} replicas up in the balancer, the API answers", serving_again)


def test_cleanup(sw, check):
    if not sw.ready:
        pytest.skip("no swarm of the test's own (its teardown leaves what was made)")
    leave(sw)

    def clean_after() -> bool:
        return (
            not out(["docker", "ps", "-aq", "--filter", f"label=com.docker.stack.namespace={STACK}"])
            and not any(v.startswith(f"{STACK}_") for v in out(["docker", "volume", "ls", "-q"]).split())
            and out(["docker", "info", "-f", "{{.Swarm.LocalNodeState}}"]) == "inactive"
            and (sw.gwbridge_before or not ok(["docker", "network", "inspect", "docker_gwbridge"]))
        )

    check("stack, volumes, secrets removed and the swarm left", clean_after)
    sw.locks.close()
