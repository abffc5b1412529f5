"""P1/P2: point reads, sysbench against one replica against the balancer, and /healthz."""

import re

from .common import log, run
from .context import Bench
from .loadgen import lat, load


def sysbench(b: Bench, threads: int) -> tuple[float, float]:
    base = [
        "sysbench",
        "oltp_point_select",
        "--db-driver=mysql",
        "--mysql-host=127.0.0.1",
        f"--mysql-port={b.db.db_port}",
        f"--mysql-user={b.db.db_user}",
        f"--mysql-password={b.db.db_password}",
        "--mysql-db=pt_sbtest",
        "--tables=1",
        f"--table-size={min(b.books, 100_000)}",
    ]
    if not b.sysbench_ready:
        run([*base, "prepare"])
        b.sysbench_ready = True
    out = run([*base, f"--threads={threads}", f"--time={int(b.seconds)}", "--percentile=99", "run"]).stdout
    qps = float(re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", out).group(1))
    p99 = float(re.search(r"99th percentile:\s+([\d.]+)", out).group(1))
    return qps, p99


def p1_p2(b: Bench, direct: int, lb: int) -> None:
    """P1 and P2, and P1's ceiling on this machine: `GET /healthz` on the same replica (no
    database work: the HTTP stack, loopback TCP and the load generator on the same two cores),
    which `GET /books/{id}` cannot beat however cheap reading the book becomes."""
    log("P1/P2: point reads — sysbench vs one replica vs the balancer, and /healthz (alternating, best of 2)")
    t = b.clients
    db, api, via_lb, health = [], [], [], []
    for _ in range(1 if b.quick else 2):
        db.append(sysbench(b, t))
        api.append(load(b, direct, "get", t))
        via_lb.append(load(b, lb, "get", t))
        health.append(load(b, direct, "health", t))
    for r in api + via_lb:
        b.out.check_errors(r, "GET /books/{id}")
    for r in health:
        b.out.check_errors(r, "GET /healthz")
    best_db = max(db)
    best_api = max(api, key=lambda r: r["rps"])
    best_lb = max(via_lb, key=lambda r: r["rps"])
    best_health = max(health, key=lambda r: r["rps"])
    b.out.row(f"sysbench oltp_point_select, {t} threads", f"{best_db[0]:,.0f} q/s", f"p99 {best_db[1]:.2f} ms")
    b.out.row(f"GET /books/{{id}} to one replica, {t} connections", f"{best_api['rps']:,.0f} req/s", lat(best_api))
    b.out.row("  the same through HAProxy", f"{best_lb['rps']:,.0f} req/s", lat(best_lb))
    b.out.row(
        "  GET /healthz to the same replica (no database: p1's ceiling here)",
        f"{best_health['rps']:,.0f} req/s",
        lat(best_health),
    )
    b.out.figures["p1_api_vs_db"] = round(best_api["rps"] / best_db[0], 3)
    # The most p1 can be on this machine: a request with no database work at all, ÷ sysbench.
    b.out.figures["p1_ceiling_vs_db"] = round(best_health["rps"] / best_db[0], 3)
    b.out.figures["p2_lb_vs_direct"] = round(best_lb["rps"] / best_api["rps"], 3)
