"""The command line, and the order of a run."""

import argparse
import os
import shutil
import signal
import sys
from typing import Any

from .backups import backup_restore
from .checkouts import p6, p6_side_by_side
from .class_sets import class_sets
from .common import ROOT, log, run
from .container import p7_image
from .context import Bench
from .copycat import copycat
from .data import add_copies, desk_pairs, load_catalogue
from .front_page import p8_list
from .imports import imports
from .labels import labels
from .memory import p5_rss, p5_side_by_side
from .mixed import mixed
from .point_reads import p1_p2
from .replay import replay
from .reports import p9_reports
from .search import p3
from .small_box import BOOKS, small_box
from .stocktake import stocktake


def prerequisites(args: argparse.Namespace) -> None:
    needed = [("mariadbd", "mariadb-server"), ("sysbench", "sysbench"), ("haproxy", "haproxy")]
    if args.only in (
        "stocktake",
        "reports",
        "import",
        "list",
        "labels",
        "copycat",
        "replay",
        "class_sets",
        "memory",
        "small_box",
        "backup",
    ):
        needed = needed[:1]
    missing = [pkg for cmd, pkg in needed if not shutil.which(cmd)]
    if missing:
        log(f"apt-get install {' '.join(missing)}")
        run(["apt-get", "update", "-q"])
        run(["apt-get", "install", "-y", "-q", *missing], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if args.no_build:
        return
    log("cargo build --release (pustaka and bench/loadgen)")
    run(["cargo", "build", "--release", "--locked"], cwd=ROOT, capture_output=False, stdout=sys.stderr)
    run(
        ["cargo", "build", "--release", "--locked"], cwd=ROOT / "bench/loadgen", capture_output=False, stdout=sys.stderr
    )


def run_bench(b: Bench) -> int:
    prerequisites(b.args)
    if b.args.only == "small_box":
        # The compose stack alone, with its own database (Docker; the mariadb client on the host).
        small_box(b)
        b.books = BOOKS
        b.report()
        return 0
    b.db.start_mariadb()
    if b.args.only == "stocktake":
        # The stock take alone: a small catalogue, no other measurement.
        b.books = b.args.copies or 20_000
        b.db.pustaka(["migrate"], b.db.mariadb_url())
        b.db.sql(
            "INSERT INTO books (title, authors, subjects, created_at, updated_at) "
            f"SELECT CONCAT('Buku ', seq), '[]', '[]', NOW(), NOW() FROM seq_1_to_{b.books}",
            db="pt_bench",
        )
        once = stocktake(b, b.db.mariadb_url(), copies=b.args.copies)
        b.report()
        return 0 if once else 1
    if b.args.only == "reports":
        # The reports alone: 1M books (--books) added over the ten years the history spans.
        span = 10 * 365 * 86400
        b.db.pustaka(["migrate"], b.db.mariadb_url())
        b.db.sql(
            f"INSERT INTO books (title, authors, subjects, created_at, updated_at) "
            f"SELECT CONCAT('Buku ', seq), '[]', '[]', "
            f"TIMESTAMP('2016-11-01') + INTERVAL (seq * {span // b.books}) SECOND, NOW() "
            f"FROM seq_1_to_{b.books}",
            db="pt_bench",
        )
        port, _ = b.db.replica("a", b.db.mariadb_url())
        p9_reports(b, port)
        b.report()
        return 0
    if b.args.only == "labels":
        b.books = 1000
        b.db.pustaka(["migrate"], b.db.mariadb_url())
        b.db.sql(
            "INSERT INTO books (title, authors, subjects, call_number, created_at, updated_at) "
            "SELECT CONCAT('Buku ', seq), '[\"Penulis\"]', '[]', CONCAT('899.221 PEN b'), NOW(), NOW() "
            "FROM seq_1_to_1000",
            db="pt_bench",
        )
        labels(b, b.db.mariadb_url())
        b.report()
        return 0
    if b.args.only == "class_sets":
        b.db.pustaka(["migrate"], b.db.mariadb_url())
        class_sets(b, b.db.mariadb_url())
        b.report()
        return 0
    if b.args.only == "copycat":
        b.db.pustaka(["migrate"], b.db.mariadb_url())
        copycat(b, b.db.mariadb_url())
        b.report()
        return 0
    if b.args.only == "list":
        # With --baseline-bin: the baseline binary migrates and serves first; then this
        # binary (which may add migrations of its own) on the same data.
        baseline = b.args.baseline_bin
        load_catalogue(b, binary=baseline)
        add_copies(b)
        for backend, url in [("mariadb", b.db.mariadb_url()), ("sqlite", f"sqlite://{b.sqlite_file}")]:
            if baseline:
                port, proc = b.db.replica(f"{backend}-baseline", url, binary=baseline)
                p8_list(b, {}, {backend: port})
                b.db.stop(proc)
            port, proc = b.db.replica(backend, url)
            p8_list(b, {backend: port})
            b.db.stop(proc)
        b.report()
        return 0
    if b.args.only == "replay":
        # The offline desk's queue alone, on both backends (no catalogue).
        b.db.pustaka(["migrate"], b.db.mariadb_url())
        b.sqlite_file = b.work / "bench.db"
        once = all(
            replay(b, backend, url)
            for backend, url in [("mariadb", b.db.mariadb_url()), ("sqlite", f"sqlite://{b.sqlite_file}?mode=rwc")]
        )
        b.report()
        return 0 if once else 1
    if b.args.only == "memory":
        # The catalogue in MariaDB alone (the replica reads books by id). With --baseline-bin,
        # that binary migrates it; this binary, which may have migrations the baseline lacks
        # (and then the baseline would refuse the database), serves its own copy of the books.
        baseline = b.args.baseline_bin
        load_catalogue(b, binary=baseline, sqlite=False)
        url = b.db.mariadb_url()
        if baseline:
            b.db.sql("CREATE DATABASE pt_bench_new")
            url = url.rsplit("/", 1)[0] + "/pt_bench_new"
            b.db.pustaka(["migrate"], url)
            cols = "id, isbn, title, authors, subjects, publisher, year, language, created_at, updated_at"
            b.db.sql(f"INSERT INTO pt_bench_new.books ({cols}) SELECT {cols} FROM pt_bench.books")
        p5_side_by_side(b, url, b.db.mariadb_url(), baseline)
        b.report()
        return 0
    if b.args.only == "desk":
        # With --baseline-bin: the baseline binary migrates first; both then serve the same data.
        load_catalogue(b, binary=b.args.baseline_bin)
        once = p6_side_by_side(b, b.args.baseline_bin)
        b.report()
        return 0 if once else 1
    if b.args.only == "backup":
        # The generated catalogue with its copies (MariaDB), backed up and restored.
        load_catalogue(b, sqlite=False)
        add_copies(b, sqlite=False)
        same = backup_restore(b, b.db.mariadb_url())
        b.report()
        return 0 if same else 1
    if b.args.only == "import":
        # The import's own sizes; no catalogue is generated.
        b.books = b.args.import_books or (5_000 if b.quick else 100_000)
        imports(b, b.books)
        b.report()
        return 0
    load_catalogue(b)
    url = b.db.mariadb_url()
    sqlite_url = f"sqlite://{b.sqlite_file}"

    a, _ = b.db.replica("a", url)
    lb1, lb1_proc = b.db.haproxy([a])
    p1_p2(b, a, lb1)
    b.db.stop(lb1_proc)

    s, s_proc = b.db.replica("sqlite", sqlite_url)
    p3(b, {"mariadb": a, "sqlite": s})
    p8_list(b, {"mariadb": a, "sqlite": s})
    b.db.stop(s_proc)

    p5_rss(b, url)

    ceiling: dict[str, Any] = {}
    maria, broken_m = p6(b, "mariadb", url, db=ceiling)
    lite, broken_s = p6(b, "sqlite", sqlite_url)
    one_title, broken_t = p6(b, "mariadb", url, tag="one-title", one_title=True)
    b.out.figures["p6_checkouts_per_s"] = round(maria)
    b.out.figures["p6_sqlite_checkouts_per_s"] = round(lite)
    b.out.figures["p6_db_pairs_per_s"] = round(ceiling["ceiling"])
    b.out.figures["p6_vs_db"] = round(maria / ceiling["ceiling"], 3)
    b.out.figures["p6_statements_per_pair"] = ceiling["pair"]["statements"]
    b.out.figures["p6_commits_per_pair"] = ceiling["pair"]["commits"]
    b.out.figures["p6_one_title_checkouts_per_s"] = round(one_title)
    b.out.figures["p6_one_title_vs_own"] = round(one_title / maria, 3)
    b.out.figures["p6_exactly_once"] = not (broken_m or broken_s or broken_t)

    stocktake_once = stocktake(b, url)
    replay_once = replay(b, "mariadb", url) and replay(b, "sqlite", sqlite_url)
    labels(b, url)
    copycat(b, url)
    class_sets(b, url)

    a2, _ = b.db.replica("b", url)  # a second replica for the balancer
    lb2, _ = b.db.haproxy([a, a2])
    token = b.db.login(lb2)
    pairs = desk_pairs(b, lb2, token, 64, "mixed")
    mixed(b, lb2, token, pairs)
    p9_reports(b, a)
    restored = backup_restore(b, url)
    imports(b, b.args.import_books)

    if b.args.no_docker:
        b.out.row("runtime image, container start", "skipped", "--no-docker")
        b.out.row("a school on one small box (compose, 1 CPU, 1 GiB)", "skipped", "--no-docker")
    else:
        p7_image(b)
        if not b.quick:  # 85 s even with 15 s of load (--quick --only small_box): too long for the smoke run
            small_box(b)
    b.report()
    return 0 if b.out.figures.get("p6_exactly_once") and stocktake_once and replay_once and restored else 1


def main(doc: str) -> int:
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a smoke run of the harness (20k books, 2 s each)")
    p.add_argument("--books", type=int, help="generated books (default 1,000,000; --quick 20,000)")
    p.add_argument("--seconds", type=float, help="seconds per measurement (default 10; --quick 2)")
    p.add_argument("--clients", type=int, default=16, help="client threads for P1/P2 (default 16)")
    p.add_argument("--no-docker", action="store_true", help="skip the image size and container start")
    p.add_argument("--no-write", action="store_true", help="do not write docs/perf/RESULTS.md")
    p.add_argument(
        "--only",
        choices=[
            "stocktake",
            "reports",
            "import",
            "list",
            "labels",
            "desk",
            "copycat",
            "replay",
            "class_sets",
            "memory",
            "small_box",
            "backup",
        ],
        help="run one measurement alone (with --no-write: a quick check)",
    )
    p.add_argument(
        "--import-books",
        type=int,
        help="rows of the import spreadsheet and records of the SLiMS database (default 100,000; --quick 5,000)",
    )
    p.add_argument("--copies", type=int, help="copies for the stock-take measurement (default 20,000; --quick 2,000)")
    p.add_argument(
        "--baseline-bin",
        help="with --only list, desk, memory or import: also measure this pustaka binary on the same databases (before/after)",
    )
    p.add_argument("--no-build", action="store_true", help="use the binaries as they are (PUSTAKA_BIN names pustaka)")
    args = p.parse_args()
    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run_bench(bench)
    finally:
        bench.db.cleanup()
