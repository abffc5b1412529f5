"""P6: checkout + return pairs per second, and the exactly-once check behind them."""

import contextlib
import sqlite3
import statistics
from typing import Any

from .common import log
from .context import Bench
from .data import desk_pairs
from .desk_db import capture_pair, ceiling, ceiling_desks, per_pair
from .loadgen import lat, load


def p6(
    b: Bench,
    backend: str,
    url: str,
    binary: str | None = None,
    tag: str | None = None,
    which: str = "",
    db: dict[str, Any] | None = None,
    one_title: bool = False,
) -> tuple[float, list[str]]:
    """Checkout + return pairs per second, each desk with its own copy and member (made for this
    run, marked `tag`), served by `binary` (by default PUSTAKA). With `db` (on MariaDB): the
    statements of one pair (`db["pair"]`) and the pairs per second of the same statements driven
    alone against the database with as many desks (`db["ceiling"]`), after the load. With
    `one_title`, every desk's copy is a copy of one book (a class set: the copies' common rows,
    the book's, must not make the desks wait for each other)."""
    tag = tag or backend
    log(f"P6: checkout + return pairs per second, {backend}{which}{', one title' if one_title else ''}")
    port, proc = b.db.replica(f"desk-{tag}", url, binary=binary)
    token = b.db.login(port)
    connections = b.clients * 2
    pairs = desk_pairs(b, port, token, connections, tag, one_title=one_title)
    if db is not None:
        desks = ceiling_desks(b, port, token, connections, tag)
    r = load(b, port, "circulation", connections, pairs=pairs, token=token)
    b.out.check_errors(r, "checkout/return", allowed=())
    if db is not None:
        db["statements"] = capture_pair(b, port, token, tag)
    b.db.stop(proc)
    if db is not None:
        db["ceiling"] = ceiling(b, db["statements"], desks, tag)
        db["pair"] = per_pair(db["statements"])
        b.out.row(
            f"  the same statements alone on MariaDB, {connections} desks",
            f"{db['ceiling']:,.0f} pairs/s",
            f"{db['pair']['statements']} statements and {db['pair']['commits']} commits a pair; "
            f"Pustaka at {r['pairs_per_s'] / db['ceiling']:.2f} of it",
        )
    broken = exactly_once(b, backend, r, tag)
    b.out.row(
        f"checkout + return pairs, {backend}{which}, {connections} desks{', copies of one title' if one_title else ''}",
        f"{r['pairs_per_s']:,.0f} pairs/s",
        f"{lat(r)}; exactly once: {'yes' if not broken else 'NO: ' + '; '.join(broken)}",
    )
    return r["pairs_per_s"], broken


def p6_side_by_side(b: Bench, baseline: str | None) -> bool:
    """P6 on MariaDB and SQLite, and the class set (every desk's copy of one title) on MariaDB,
    for this binary and, with `baseline`, another one on the same databases: three rounds,
    alternating binaries within each, the median of each."""
    binaries = [("", None)] + ([(" (baseline binary)", baseline)] if baseline else [])
    runs = {(backend, which): [] for backend in ("mariadb", "sqlite", "one-title") for which, _ in binaries}
    ceilings: dict[str, list[float]] = {which: [] for which, _ in binaries}
    pair: dict[str, dict[str, int]] = {}
    statements: dict[str, list[tuple[str, str]]] = {}
    broken = []
    for n in range(1 if b.quick else 3):
        for backend, url in [("mariadb", b.db.mariadb_url()), ("sqlite", f"sqlite://{b.sqlite_file}")]:
            for which, binary in binaries[:: 1 if n % 2 == 0 else -1]:
                tag = f"{backend}-{n}-{'b' if binary else 'n'}"
                db: dict[str, Any] | None = {} if backend == "mariadb" else None
                rate, bad = p6(b, backend, url, binary=binary, tag=tag, which=which, db=db)
                runs[(backend, which)].append(rate)
                broken += bad
                if db is not None:
                    ceilings[which].append(db["ceiling"])
                    pair[which], statements[which] = db["pair"], db["statements"]
                    rate, bad = p6(b, backend, url, binary=binary, tag=f"{tag}-t", which=which, one_title=True)
                    runs[("one-title", which)].append(rate)
                    broken += bad
    keys = {
        "mariadb": "p6_checkouts_per_s",
        "sqlite": "p6_sqlite_checkouts_per_s",
        "one-title": "p6_one_title_checkouts_per_s",
    }
    for (backend, which), rates in runs.items():
        key = keys[backend]
        if which:
            key = key.replace("p6_", "p6_baseline_", 1)
        b.out.figures[key] = round(statistics.median(rates))
        b.out.row(
            f"checkout + return pairs, {backend}{which}, median of {len(rates)}",
            f"{statistics.median(rates):,.0f} pairs/s",
            ", ".join(f"{r:,.0f}" for r in rates),
        )
    for which, _ in binaries:
        prefix = "p6_baseline_" if which else "p6_"
        rate, top = statistics.median(runs[("mariadb", which)]), statistics.median(ceilings[which])
        b.out.figures[f"{prefix}db_pairs_per_s"] = round(top)
        b.out.figures[f"{prefix}vs_db"] = round(rate / top, 3)
        b.out.figures[f"{prefix}statements_per_pair"] = pair[which]["statements"]
        b.out.figures[f"{prefix}commits_per_pair"] = pair[which]["commits"]
        b.out.figures[f"{prefix}one_title_vs_own"] = round(statistics.median(runs[("one-title", which)]) / rate, 3)
        b.out.row(
            f"MariaDB alone, the pair's statements{which}, median of {len(ceilings[which])}",
            f"{top:,.0f} pairs/s",
            f"{pair[which]['statements']} statements, {pair[which]['commits']} commits a pair; "
            f"Pustaka at {rate / top:.2f} of it",
        )
        log(f"The pair's statements{which}:\n" + "".join(f"  {part}: {s[:160]}\n" for part, s in statements[which]))
    b.out.figures["p6_exactly_once"] = not broken
    return not broken


def exactly_once(b: Bench, backend: str, r: dict[str, Any], tag: str) -> list[str]:
    """Every 201 made one loan and every 200 closed one (of the copies marked `tag`); no copy
    lent twice; status agrees."""
    mine = f"BENCH-{tag}-%"
    checks = {
        "loans": f"SELECT COUNT(*) FROM loans l JOIN copies c ON c.id = l.copy_id WHERE c.barcode LIKE '{mine}'",
        "returned": "SELECT COUNT(*) FROM loans l JOIN copies c ON c.id = l.copy_id "
        f"WHERE c.barcode LIKE '{mine}' AND l.returned_at IS NOT NULL",
        "double": "SELECT COUNT(*) FROM (SELECT copy_id FROM loans WHERE returned_at IS NULL "
        "GROUP BY copy_id HAVING COUNT(*) > 1) d",
        "status": f"SELECT COUNT(*) FROM copies c WHERE c.barcode LIKE '{mine}' AND "
        "(c.status = 'on_loan') <> EXISTS (SELECT 1 FROM loans l WHERE l.copy_id = c.id "
        "AND l.returned_at IS NULL)",
        "fines": "SELECT COUNT(*) FROM fines",
    }
    got = {}
    for name, q in checks.items():
        if backend == "mariadb":
            got[name] = int(b.db.sql(q, db="pt_bench").strip())
        else:
            with contextlib.closing(sqlite3.connect(b.sqlite_file)) as db:
                got[name] = db.execute(q).fetchone()[0]
    want = {"loans": r["checkouts_total"], "returned": r["returns_total"], "double": 0, "status": 0, "fines": 0}
    return [f"{k} {got[k]} != {v}" for k, v in want.items() if got[k] != v]
