"""P1/P2: point reads, sysbench against one replica against the balancer, and /healthz."""

import re

from .common import Api, log, run
from .context import Bench
from .desk_db import sysbench_script
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


def book_statements(b: Bench, port: int) -> list[str]:
    """The statements one `GET /books/{id}` sends to MariaDB, from its general log (a first read
    warms the replica's connections and their prepared statements; the second is logged)."""
    api = Api(port)
    for logged in (False, True):
        if logged:
            b.db.sql("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1;")
        api.call("GET", "/books/1")
    b.db.sql("SET GLOBAL general_log = 0;")
    rows = b.db.sql("SELECT command_type, HEX(argument) FROM mysql.general_log")
    logged = [(c, bytes.fromhex(x).decode()) for c, x in (line.split("\t") for line in rows.splitlines())]
    return [" ".join(s.split()) for c, s in logged if c in ("Query", "Execute") and "general_log" not in s]


# sysbench driving the book's statement alone: prepared, as Pustaka sends it, a random book each time.
BOOK_LUA = """-- Made by bench/pustaka_bench/point_reads.py: the statement of GET /books/{id}, alone.
local statement = %(statement)s
function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  stmt = con:prepare(statement)
  id = stmt:bind_create(sysbench.sql.type.INT)
  stmt:bind_param(id)
end
function thread_done()
  stmt:close()
  con:disconnect()
end
function event()
  id:set(math.random(1, %(books)d))
  stmt:execute()
end
"""


def book_statement(b: Bench, statement: str, threads: int) -> float:
    """Queries per second of the book's statement driven alone by sysbench against the same MariaDB."""
    if statement.count("?") != 1:
        raise SystemExit(f"bench: the book's statement has not one `?`: {statement}")
    lua = statement.replace('"', '\\"')
    path = b.work / "book-statement.lua"
    path.write_text(BOOK_LUA % {"statement": f'"{lua}"', "books": b.books})
    out = sysbench_script(b, path, threads)
    return float(re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", out).group(1))


def p1_p2(b: Bench, direct: int, lb: int) -> None:
    """P1 and P2, and P1's ceiling on this machine: `GET /healthz` on the same replica (no
    database work: the HTTP stack, loopback TCP and the load generator on the same two cores),
    which `GET /books/{id}` cannot beat however cheap reading the book becomes."""
    log("P1/P2: point reads — sysbench vs one replica vs the balancer, and /healthz (alternating, best of 2)")
    t = b.clients
    statements = book_statements(b, direct)
    book = next((s for s in statements if "FROM books b WHERE b.id = ?" in s), None)
    if book is None:
        raise SystemExit(f"bench: no statement reading the book among GET /books/{{id}}'s: {statements}")
    db, api, via_lb, health, alone = [], [], [], [], []
    for _ in range(1 if b.quick else 2):
        db.append(sysbench(b, t))
        api.append(load(b, direct, "get", t))
        via_lb.append(load(b, lb, "get", t))
        health.append(load(b, direct, "health", t))
        alone.append(book_statement(b, book, t))
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
    b.out.row(
        f"  the book's statement alone (sysbench, {t} threads, prepared, random books)",
        f"{max(alone):,.0f} q/s",
        f"{len(statements)} statement(s) per GET /books/{{id}}",
    )
    b.out.figures["p1_api_vs_db"] = round(best_api["rps"] / best_db[0], 3)
    # The most p1 can be on this machine: a request with no database work at all, ÷ sysbench.
    b.out.figures["p1_ceiling_vs_db"] = round(best_health["rps"] / best_db[0], 3)
    # The most p1 can be with the book's statement as it is: MariaDB running it alone, ÷ sysbench.
    b.out.figures["p1_statement_vs_db"] = round(max(alone) / best_db[0], 3)
    b.out.figures["p1_statements_per_read"] = len(statements)
    b.out.figures["p2_lb_vs_direct"] = round(best_lb["rps"] / best_api["rps"], 3)
