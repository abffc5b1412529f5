"""`deploy/cluster faults [--quick] [--no-swarm]`: the Galera option under faults, on this machine.

The option up with 2 web replicas, bench/loadgen's fault load through the balancer (readers and
writers, every request recorded with its phase, writes never retried; the `load` fixture), the
librarian's flow through the balancer as on compose and the Swarm (through_balancer.py), then
  g0  the writer node refuses every statement for 3 s (SET GLOBAL wsrep_reject_queries = ALL: the
      1047 of a node that is not ready): requests answer 503 (or 200 elsewhere), never 500
  g1  docker kill of the writer node: the time until writes are acknowledged again for good (the
      first 201 after the last failed request, from the kill), the failed requests
  g2  the killed node started again: the time until it is Synced, and how it caught up (IST/SST)
  g3  one node that is not the writer disconnected from the network (docker network disconnect):
      it turns non-Primary with wsrep_ready OFF and its health answers 503, while the other two stay
      Primary and the load goes on without a failed request; reconnected (stopped, connected,
      started: Docker gives it a new address, which a node announces when it starts), it rejoins
  g4  docker kill of one of the two database proxies (dbproxy): the replicas' connections through
      it are cut and go through the other (dbproxy2, the same name); the failed requests, the
      longest wait between acknowledged writes; the killed proxy started again and healthy
and at the end: no acknowledged write lost or stored twice (all phases), and the three nodes hold
the same rows (counts and CHECKSUM TABLE of every table, once the load stopped). Then (unless
--no-swarm) the same option on a single-node Swarm (`deploy/swarm/swarm --galera test`), whose
figures join this run's. One JSON line at the end; --quick shortens the waits between faults (CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from types import SimpleNamespace

import pytest

from deploylib import (
    REPO,
    admin_password,
    dc,
    dc_ids,
    docker,
    docker_time,
    down,
    g1_recovery,
    g1_write_gap,
    inspect,
    log,
    replicas_ready,
    transfer_of,
    wait_healthy,
    wait_until,
)
from galera import (
    NODES,
    Engine,
    cluster_sql,
    container_of,
    db_sql,
    health_answer,
    node_state,
    proxy_csv,
    root_sql_galera1,
    rows_equal_at_one_seqno,
    status,
    synced,
    up_reason,
    wait_synced,
    writer,
    writers_of,
)
from through_balancer import librarian_flow

RUN_ID_PREFIX = "faults"
FIGURES = (
    "g0_500s",
    "g0_503s",
    "g1_victim",
    "g1_failed_requests",
    "g1_lost_writes",
    "g1_doubled_writes",
    "g1_recovery_s",
    "g1_write_gap_s",
    "g2_rejoin_s",
    "g2_transfer",
    "g3_victim",
    "g3_partitioned_serving",
    "g3_others_serving",
    "g3_failed_requests",
    "g3_rejoin_s",
    "g4_failed_requests",
    "g4_lost_writes",
    "g4_write_gap_s",
    "g4_restarted_s",
    "g4_writers",
    "lost_writes",
    "doubled_writes",
    "nodes_equal",
)


@pytest.fixture(scope="module")
def gc(request, compose, load, results, workdir, loadgen):
    """The run's shared state and the engine's watch; every figure null until measured."""
    for key in FIGURES:
        results[key] = None
    results["g1_victim"] = results["g3_victim"] = ""
    s = SimpleNamespace(
        settle=6 if request.config.getoption("--quick") else 10,
        quick=request.config.getoption("--quick"),
        no_swarm=request.config.getoption("--no-swarm"),
        started=False,
        reckoned=False,
        t_kill=0.0,
        t_proxy_kill=0.0,
        g3_others_primary=None,
        engine=Engine(workdir / "events"),
        loadgen=loadgen,
    )
    start = time.monotonic()
    try:
        yield s
    finally:
        load.stop()
        s.engine.stop()
        log(f"cluster faults run took {time.monotonic() - start:.0f} s")


def going(gc) -> None:
    if not gc.started:
        pytest.fail("the cluster or the load did not start")
    if gc.engine.swarm_events():
        pytest.fail("void run: a Docker Swarm joined or left this engine (see test_engine_undisturbed)")


def test_cluster_and_load_start(gc, load, ports):
    log(f"compose up: 3 Galera nodes, 2 web replicas (port {ports.http})")
    why = up_reason("--scale", "web=2")
    if why is None and not wait_healthy(420):
        why = "not every container healthy within 420 s"
    if why is None and not wait_synced(120, *NODES, engine=gc.engine):
        why = "the three nodes not Synced within 120 s: " + "; ".join(node_state(n) for n in NODES)
    if why is None and not replicas_ready(2, 60, ports.stats):
        why = "two replicas not up in the balancer within 60 s"
    if why:
        print(dc("ps").stdout)
        print("\n".join(dc("logs", "--tail=20").stdout.splitlines()[-80:]))
    assert why is None, f"the cluster did not come up: {why}"
    load.start(ports.base, admin_password())
    gc.started = True


def test_librarian_flow(gc, check, ports):
    """The checks every deployment passes through its balancer (through_balancer.py), under the load."""
    going(gc)
    librarian_flow(ports.base, check, admin_password(), title="Bumi Manusia", replicas=2)


def test_g0_reject_queries(gc, load):
    going(gc)
    load.phase("g0")
    time.sleep(2)
    w = wait_until(writer, 10)
    assert w == "galera1", f"g0: the writer is '{w}', not galera1: {' '.join(proxy_csv())}"
    log("galera1 refuses every statement for 3 s (wsrep_reject_queries = ALL)")
    rejected = root_sql_galera1("SET GLOBAL wsrep_reject_queries = ALL")
    time.sleep(3)
    reset = root_sql_galera1("SET GLOBAL wsrep_reject_queries = NONE")
    back = wait_synced(30, "galera1", engine=gc.engine)
    time.sleep(gc.settle)
    assert rejected is not None, "g0: cannot set wsrep_reject_queries"
    assert reset is not None, "g0: cannot reset wsrep_reject_queries"
    assert back, "g0: galera1 not Synced again"


def test_g1_kill_writer(gc, load, results):
    going(gc)
    load.phase("g1")
    time.sleep(3)
    victim = wait_until(writer, 10)
    assert victim, f"g1: no node holds the replicas' connections: {' '.join(proxy_csv())}"
    results["g1_victim"] = victim
    log(f"docker kill {victim} (the writer)")
    gc.t_kill = time.time()
    docker("kill", container_of(victim))
    time.sleep(gc.settle)
    log(f"writer now: {writer()}; {' '.join(proxy_csv())}")


def test_g2_rejoin(gc, load, results):
    going(gc)
    victim = results["g1_victim"]
    assert victim, "g1 killed no node"
    load.phase("g2")
    cid = container_of(victim)
    # unless-stopped: the engine may have started it again already
    if inspect("{{.State.Running}}", cid) == "true":
        t_start = docker_time(inspect("{{.State.StartedAt}}", cid))
        log(f"{victim} was started again by the engine")
    else:
        log(f"docker start {victim}")
        t_start = time.time()
        docker("start", cid)
    if wait_synced(300, victim, engine=gc.engine):
        results["g2_rejoin_s"] = round(time.time() - t_start, 2)
        # The joiner prepares to receive write sets from a position: from seqno 0 of an empty
        # history after a full copy (SST), from its own last seqno when it catches up (IST).
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t_start)))
        logs = docker("logs", "--since", since + "Z", cid)
        results["g2_transfer"] = transfer_of(logs.stdout + logs.stderr)
        log(
            f"{victim} Synced {results['g2_rejoin_s']} s after its start ({results['g2_transfer']}); writer: {writer()}"
        )
    time.sleep(gc.settle)
    assert results["g2_rejoin_s"] is not None, f"g2: {victim} not Synced 300 s after its start: {node_state(victim)}"


def test_g3_partition(gc, load, results):
    going(gc)
    net = f"{os.environ.get('COMPOSE_PROJECT_NAME', 'pustaka')}_backend"
    load.phase("g3")
    time.sleep(2)
    w = writer()
    # galera1 is also on the db-host network: cut one of the others, not the writer
    victim = "galera2" if w == "galera3" else "galera3"
    others = [n for n in NODES if n != victim]
    results["g3_victim"] = victim
    cid = container_of(victim)
    log(f"docker network disconnect {victim} (the writer is {w})")
    docker("network", "disconnect", net, cid)

    def cut_off() -> str:
        st = node_state(victim)
        return st if "ready=OFF" in st and "cluster=Primary" not in st else ""

    st = wait_until(cut_off, 30) or node_state(victim)
    log(f"cut off: {st}")
    problems = []
    if cut_off() and " 200 " not in health_answer(victim):
        results["g3_partitioned_serving"] = False
    else:
        results["g3_partitioned_serving"] = True
        problems.append(f"g3: {victim} still serves while cut off: {st}, health: {health_answer(victim)}")

    def others_primary() -> bool:
        return all(
            "ready=ON state=4(" in (s := node_state(n))
            and "cluster=Primary size=2 " in s.split("ready=ON state=4(", 1)[1]
            for n in others
        )

    gc.g3_others_primary = bool(wait_until(others_primary, 30))
    log(f"the others: {';'.join(node_state(n) for n in others)}")
    time.sleep(gc.settle)  # the load goes on through the other two
    # Connected again, Docker gives the container a new address, while the node still announces the
    # one it started with (a real cut cable keeps the address): the node is stopped while cut off,
    # connected, and started, so that it announces its new address; it catches up by IST.
    log(f"docker stop {victim}, docker network connect, docker start")
    docker("stop", cid)
    docker("network", "connect", "--alias", victim, net, cid)
    t_back = time.time()
    docker("start", cid)
    if not wait_synced(240, victim, engine=gc.engine):
        problems.append(f"g3: {victim} did not rejoin within 240 s")
    if synced(victim):
        results["g3_rejoin_s"] = round(time.time() - t_back, 2)
    time.sleep(2)
    assert not problems, problems


def test_g4_kill_proxy(gc, load, results):
    going(gc)
    load.phase("g4")
    time.sleep(3)
    cid = (dc_ids("dbproxy") or [""])[0]
    assert cid, "g4: no dbproxy container"
    log(f"docker kill dbproxy (one of the two proxies; the writer: {' '.join(proxy_csv())})")
    gc.t_proxy_kill = time.time()
    docker("kill", cid)
    time.sleep(gc.settle)
    log(f"through dbproxy2 alone: {' '.join(proxy_csv('dbproxy2'))}")
    # unless-stopped: the engine may have started it again already
    if inspect("{{.State.Running}}", cid) != "true":
        log("docker start dbproxy")
        docker("start", cid)
    t_start = docker_time(inspect("{{.State.StartedAt}}", cid))
    healthy = wait_until(lambda: inspect("{{.State.Health.Status}}", cid) == "healthy", 60)
    if healthy:
        results["g4_restarted_s"] = round(time.time() - t_start, 2)
    time.sleep(gc.settle)  # the load through both proxies again
    results["g4_writers"] = " ".join(writers_of(proxy_csv()))
    log(f"dbproxy healthy again {results['g4_restarted_s']} s after its start; writers: {results['g4_writers']}")
    assert healthy, f"g4: dbproxy not healthy 60 s after its start: {' '.join(proxy_csv())}"


def test_reckon(gc, load, results):
    """No answer 500 in the whole run; during g3 the other two nodes went on serving."""
    going(gc)
    load.end()
    titles = db_sql(load.titles_sql)
    assert titles is not None, "cannot read this run's titles from the cluster"
    load.reckon(titles)
    gc.reckoned = True
    results["g0_500s"] = load.statuses(r" 500$", "g0")
    results["g0_503s"] = load.statuses(r" 503$", "g0")
    results["g1_failed_requests"] = load.figure("g1", "failed_reads", "failed_writes")
    results["g1_lost_writes"] = load.figure("g1", "lost_writes")
    results["g1_doubled_writes"] = load.figure("g1", "duplicate_writes")
    rows = load.rows()
    results["g1_recovery_s"] = g1_recovery(rows, gc.t_kill)
    results["g1_write_gap_s"] = g1_write_gap(rows, gc.t_kill)
    results["g3_failed_requests"] = load.figure("g3", "failed_reads", "failed_writes")
    results["g4_failed_requests"] = load.figure("g4", "failed_reads", "failed_writes")
    results["g4_lost_writes"] = load.figure("g4", "lost_writes")
    # nothing fails when a proxy dies: the figure is the longest wait between acknowledged writes
    results["g4_write_gap_s"] = g1_write_gap(rows, gc.t_proxy_kill, "g4")
    # g1 and g4 as they happened: the failed requests, and the longest wait for an acknowledged write
    for phase, t in (("g1", gc.t_kill), ("g4", gc.t_proxy_kill)):
        failed = [
            f"{r['kind']} {round(r['t0'] - t, 2)}..{round(r['t1'] - t, 2)} {r['status']}"
            for r in rows
            if r.get("phase") == phase and r["t1"] >= t and r.get("status") not in (200, 201)
        ]
        print(f"{phase} failed requests (start..end s after the kill, status): {', '.join(failed)}")
        acks = sorted(
            r["t1"] - t
            for r in rows
            if r.get("phase") == phase and r.get("kind") == "write" and r.get("status") == 201 and r["t1"] >= t
        )
        waits = [f"{a:.2f}..{b:.2f}" for a, b in zip([0.0, *acks], acks, strict=False) if b - a > 0.5]
        print(f"{phase} waits over 0.5 s between acknowledged writes (s after the kill): {', '.join(waits)}")
    print(f"g1 longest gap between acknowledged writes after the kill: {results['g1_write_gap_s'] or 0} s")
    results["lost_writes"] = load.total("lost_writes")
    results["doubled_writes"] = load.total("duplicate_writes")
    for name, p in load.phases().items():
        keys = ("reads", "failed_reads", "writes", "acked_writes", "failed_writes", "statuses", "max_latency_s")
        print(json.dumps({"phase": name, **{k: p.get(k) for k in keys}}, separators=(",", ":")))
    all500 = load.statuses(r" 500$")
    acked3 = load.figure("g3", "acked_writes") or 0
    results["g3_others_serving"] = bool(gc.g3_others_primary and results["g3_failed_requests"] == 0 and acked3 > 0)
    assert all500 == 0, f"{all500} answers 500 during the run"
    assert results["g3_others_serving"], (
        f"g3: the other two nodes did not go on serving (Primary: {gc.g3_others_primary}, "
        f"failed requests: {results['g3_failed_requests']}, acknowledged writes: {acked3})"
    )


def test_nodes_equal(gc, load, results):
    """Once every node has committed the same last write set, the same rows on each."""
    going(gc)
    assert wait_synced(120, *NODES, engine=gc.engine), f"not every node Synced at the end: {status()}"
    tables = (
        db_sql(
            "SELECT GROUP_CONCAT(CONCAT('`', table_name, '`') ORDER BY table_name) FROM information_schema.tables "
            "WHERE table_schema = 'pustaka' AND table_type = 'BASE TABLE'"
        )
        or ""
    ).strip()
    results["nodes_equal"] = rows_equal_at_one_seqno(cluster_sql, tables, log)
    assert results["nodes_equal"], "the nodes hold different rows at the same seqno"


def test_engine_undisturbed(gc):
    gc.engine.stop()
    events = gc.engine.swarm_events()
    assert not events, (
        f"a Docker Swarm joined or left this engine during the run ({'; '.join(events)}), which disconnects "
        "every container from its networks: the figures are void; run it again"
    )


def test_figures_in_bounds(gc, results):
    r = results
    assert r["g0_500s"] == 0, r["g0_500s"]
    # Nothing fails when the writer dies (the replicas wait the failover out): the bound is on how
    # long any write waited. g1_recovery_s (when writes flowed again for good) is printed; it is the
    # end of Galera's view change that evicts the dead node (5 s at most after its last message,
    # evs.inactive_timeout), which ran longer on this host loaded by three Rust builds (5.85, 9.34 s).
    assert r["g1_write_gap_s"] is not None and r["g1_write_gap_s"] <= 5, r["g1_write_gap_s"]
    assert r["g1_lost_writes"] == 0 and r["g1_doubled_writes"] == 0
    assert r["g1_failed_requests"] == 0, f"g1: {r['g1_failed_requests']} requests failed"
    assert r["g4_failed_requests"] == 0, f"g4: {r['g4_failed_requests']} requests failed"
    assert r["g4_lost_writes"] == 0 and r["g4_restarted_s"] is not None
    assert r["g2_rejoin_s"] is not None
    assert r["g3_partitioned_serving"] is False and r["g3_others_serving"] is True and r["g3_rejoin_s"] is not None
    assert r["lost_writes"] == 0 and r["doubled_writes"] == 0 and r["nodes_equal"] is True


def test_swarm(gc, results, workdir):
    """The same option on a Swarm (after `down`: joining and leaving a swarm disconnects every
    container of the engine); its figures join this run's."""
    if gc.no_swarm:
        pytest.skip("--no-swarm")
    down()
    args = ["--galera", "test", *(["--quick"] if gc.quick else [])]
    log(f"the Galera option on a single-node Swarm: deploy/swarm/swarm {' '.join(args)}")
    env = {**os.environ, "PUSTAKA_LOADGEN": str(gc.loadgen)}
    lines = []
    with subprocess.Popen(
        [str(REPO / "deploy" / "swarm" / "swarm"), *args], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    ) as p:
        assert p.stdout is not None
        for line in p.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    try:
        sw = json.loads(lines[-1]) if lines else None
    except ValueError:
        sw = None
    if isinstance(sw, dict):
        for key in ("checks_passed", "checks_failed", "galera"):
            sw.pop(key, None)
        results.update({k: v for k, v in sw.items() if v is not None})
    assert isinstance(sw, dict), "the Swarm test printed no JSON line"
    assert p.returncode == 0, "the Swarm test failed"
