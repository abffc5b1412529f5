"""`deploy/cluster test`: the Galera option up (3 nodes, the two proxies, 2 web replicas) and checked
from the host: the nodes Synced in one component, the proxies' view and name, the librarian's flow through the
balancer (through_balancer.py, as on compose and the Swarm), each node's health responder, the
containers' hardening, the SST account, primary keys, a book on every node, a clean stop and start
(the cluster bootstraps itself again), and every node killed (`deploy/cluster recover`)."""

from __future__ import annotations

import re

import pytest

from deploylib import (
    REPO,
    Api,
    admin_password,
    dc,
    dc_ids,
    down,
    inspect,
    log,
    replicas_ready,
    run,
    wait_healthy,
    wait_until,
)
from galera import (
    NODES,
    Engine,
    all_up,
    cluster_sql,
    container_of,
    db_sql,
    dc_up,
    health_answer,
    node_state,
    proxy_csv,
    resolve,
    root_sql_galera1,
    status,
    wait_synced,
    writer,
    writers_of,
)
from through_balancer import librarian_flow


@pytest.fixture(scope="module")
def engine(compose, workdir):
    e = Engine(workdir / "events")
    try:
        yield e
    finally:
        e.stop()


def cluster_of_three() -> bool:
    return all("ready=ON state=4(Synced) cluster=Primary size=3 " in node_state(n) for n in NODES)


def book_on_every_node(base: str) -> bool:
    """A book added through the balancer is on each node."""
    api = Api(base)
    if not api.login(admin_password()):
        return False
    title = "Galera cluster test"
    if api("POST", "/api/v1/books", {"title": title, "authors": ["Uji"]}) != 201:
        return False
    book = api.field("id")
    # wsrep_sync_wait: a node applies the others' write sets a moment after they commit
    return all(
        (cluster_sql(n, f"SET SESSION wsrep_sync_wait = 1; SELECT title FROM books WHERE id = {book}") or "").strip()
        == title
        for n in NODES
    )


def test_cluster(engine, check, ports):
    def cluster_up() -> bool:
        if not dc_up("--scale", "web=2"):
            return False
        return wait_healthy(420) and wait_synced(120, *NODES, engine=engine) and replicas_ready(2, 60, ports.stats)

    check("up: 3 Galera nodes, the proxy, 2 web replicas, all healthy", cluster_up)
    check("three nodes Synced in one Primary component of 3", cluster_of_three)

    def proxy_view_now() -> bool:  # all three UP in both proxies, and one writer: the connections all on one node
        rows = proxy_csv()
        return all_up(rows) and len(writers_of(rows)) == 1

    def proxy_view() -> bool:  # the proxies' view converges (checks every second): wait for it
        if wait_until(proxy_view_now, 60, 1):
            return True
        print(f"      {' '.join(proxy_csv())}")
        return False

    check("both proxies: all three nodes UP, one writer for both (within 60 s)", proxy_view)
    check("the name dbproxy is both proxies", lambda: len(resolve("dbproxy")) == 2)
    log(f"writer: {writer()}")
    librarian_flow(ports.base, check, admin_password(), title="Bumi Manusia", replicas=2)
    for n in NODES:
        check(f"{n}'s health responder answers 200", " 200 " in health_answer(n) + " ")
    for s in ("db", "galera2", "galera3", "dbproxy", "dbproxy2"):
        check(f"{s}: read-only, no capabilities, not root, limits", hardened, s)
    check(
        "the SST account authenticates by its socket only",
        root_sql_galera1(
            "SELECT JSON_VALUE(priv, '$.plugin') FROM mysql.global_priv WHERE user = 'mysql' AND host = 'localhost'"
        )
        == "unix_socket",
    )
    check(
        "every table has a primary key",
        (
            db_sql(
                "SELECT COUNT(*) FROM information_schema.tables t WHERE t.table_schema = 'pustaka' AND "
                "t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c "
                "WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND "
                "c.constraint_type = 'PRIMARY KEY')"
            )
            or ""
        ).strip()
        == "0",
    )
    check("a book added through the balancer is on every node", book_on_every_node, ports.base)

    def clean_stop_then_start() -> bool:  # docker compose stop, then up: the last node to stop bootstraps again
        if (
            dc("stop").returncode == 0
            and dc_up("--scale", "web=2")
            and wait_healthy(420)
            and wait_synced(120, *NODES, engine=engine)
            and book_on_every_node(ports.base)
        ):
            return True
        print("\n".join(f"      {line}" for line in status().splitlines()))
        return False

    check("stopped cleanly, then up: the cluster bootstraps itself again", clean_stop_then_start)

    def crash_then_recover() -> (
        bool
    ):  # every node killed: nobody is safe to bootstrap; `recover` finds the most advanced
        for n in NODES:
            run(["docker", "kill", container_of(n)])
        dc("stop")
        r = run([str(REPO / "deploy" / "cluster"), "recover"], timeout=1800)
        if r.returncode != 0:
            print("\n".join((r.stdout + r.stderr).splitlines()[-20:]))
            return False
        return cluster_of_three() and book_on_every_node(ports.base)

    check("every node killed: deploy/cluster recover brings the cluster back", crash_then_recover)
    engine.stop()
    check("the engine did not disconnect the containers during the test", not engine.swarm_events())
    down()


def hardened(service: str) -> bool:
    """Read-only, no capabilities, no new privileges, not root, limits."""
    fmt = (
        "ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} sec={{.HostConfig.SecurityOpt}} "
        "user={{.Config.User}} health={{if .Config.Healthcheck}}yes{{end}} "
        "restart={{.HostConfig.RestartPolicy.Name}} mem={{.HostConfig.Memory}}"
    )
    o = inspect(fmt, *dc_ids(service)[:1])
    good = (
        "ro=true" in o
        and re.search(r"caps=\S*ALL", o) is not None
        and "no-new-privileges" in o
        and "health=yes" in o
        and "restart=unless-stopped" in o
        and not o.endswith("mem=0")
        and re.search(r"user=(root|0)? ", o) is None
    )
    if not good:
        print(f"      {service}: {o}")
    return good
