"""Moving in and out (#13): import of a spreadsheet and of a SLiMS database, export as CSV and XLSX."""

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from .common import PUSTAKA, ROOT, log, run
from .context import Bench

SLIMS_SCHEMA = [
    "CREATE TABLE biblio (biblio_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, title text NOT NULL, "
    "edition varchar(50) DEFAULT NULL, isbn_issn varchar(32) DEFAULT NULL, publisher_id int(11) DEFAULT NULL, "
    "publish_year varchar(20) DEFAULT NULL, collation varchar(50) DEFAULT NULL, series_title varchar(200) DEFAULT NULL, "
    "call_number varchar(50) DEFAULT NULL, language_id char(5) DEFAULT 'en', publish_place_id int(11) DEFAULT NULL, "
    "classification varchar(40) DEFAULT NULL, notes text) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE biblio_author (biblio_id int(11) NOT NULL DEFAULT 0, author_id int(11) NOT NULL DEFAULT 0, "
    "level int(1) NOT NULL DEFAULT 1, PRIMARY KEY (biblio_id, author_id)) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_author (author_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, author_name varchar(100) NOT NULL) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE biblio_topic (biblio_id int(11) NOT NULL DEFAULT 0, topic_id int(11) NOT NULL DEFAULT 0, "
    "level int(1) NOT NULL DEFAULT 1, PRIMARY KEY (biblio_id, topic_id)) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_topic (topic_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, topic varchar(50) NOT NULL) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_publisher (publisher_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "publisher_name varchar(100) NOT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_place (place_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, place_name varchar(30) NOT NULL) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_language (language_id char(5) NOT NULL PRIMARY KEY, language_name varchar(20) NOT NULL) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE item (item_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, biblio_id int(11) DEFAULT NULL, "
    "item_code varchar(20) DEFAULT NULL, location_id varchar(3) DEFAULT NULL, item_status_id char(3) DEFAULT NULL, "
    "price int(11) DEFAULT NULL, UNIQUE KEY item_code (item_code)) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_location (location_id varchar(3) NOT NULL PRIMARY KEY, location_name varchar(100) DEFAULT NULL) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_item_status (item_status_id char(3) NOT NULL PRIMARY KEY, item_status_name varchar(30) NOT NULL) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE member (member_id varchar(20) NOT NULL PRIMARY KEY, member_name varchar(100) NOT NULL, "
    "member_type_id int(6) DEFAULT NULL, member_email varchar(100) DEFAULT NULL, member_phone varchar(50) DEFAULT NULL, "
    "expire_date date NOT NULL, birth_date date DEFAULT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_member_type (member_type_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "member_type_name varchar(50) NOT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE loan (loan_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, item_code varchar(20) DEFAULT NULL, "
    "member_id varchar(20) DEFAULT NULL, loan_date date NOT NULL, due_date date NOT NULL, "
    "renewed int(11) NOT NULL DEFAULT 0, is_lent int(11) NOT NULL DEFAULT 0, is_return int(11) NOT NULL DEFAULT 0) "
    "ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE fines (fines_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, fines_date date NOT NULL, "
    "member_id varchar(20) NOT NULL, debet int(11) DEFAULT 0, credit int(11) DEFAULT 0, "
    "description varchar(255) DEFAULT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8",
]


def imports(b: Bench, books: int | None = None) -> None:
    """Moving in and out (#13): `pustaka import books` of a generated spreadsheet and `pustaka
    import slims` of a generated SLiMS database (each into a fresh Pustaka database on
    MariaDB), then `pustaka export books` as CSV and XLSX; wall time of the release binary,
    and the export's peak RSS."""
    n = books or (5_000 if b.quick else 100_000)
    gen = b.work / "import"
    log(f"import/export: generating a {n:,}-row spreadsheet and a SLiMS database of {n:,} records")
    csv_file = gen / "books.csv"
    gen.mkdir(exist_ok=True)
    gen.chmod(0o755)
    run([sys.executable, str(ROOT / "bench/catalogue.py"), "--books", str(n), "--csv", str(csv_file)])
    run([sys.executable, str(ROOT / "bench/catalogue.py"), "--books", str(n), "--slims", str(gen / "slims")])
    b.db.sql("CREATE DATABASE pt_slims; CREATE DATABASE pt_import_csv; CREATE DATABASE pt_import_slims;")
    b.db.sql(";".join(SLIMS_SCHEMA), db="pt_slims")
    b.db.sql(
        "INSERT INTO mst_language VALUES ('id', 'Indonesia'), ('en', 'English');"
        "INSERT INTO mst_place VALUES (1, 'Jakarta'), (2, 'Bandung'), (3, 'Yogyakarta');"
        "INSERT INTO mst_location VALUES ('SL', 'Rak Umum');"
        "INSERT INTO mst_item_status VALUES ('R', 'Repair'), ('NL', 'No Loan'), ('MIS', 'Missing');"
        "INSERT INTO mst_member_type VALUES (1, 'Siswa'), (2, 'Guru');",
        db="pt_slims",
    )
    loads = [
        f"LOAD DATA LOCAL INFILE '{f}' IGNORE INTO TABLE {f.stem} CHARACTER SET utf8mb4"
        for f in sorted((gen / "slims").glob("*.tsv"))
    ]
    b.db.sql(";".join(loads), db="pt_slims", local_infile=True)
    items = int(b.db.sql("SELECT COUNT(*) FROM item", db="pt_slims").strip())

    # With --baseline-bin: that binary's imports too, each into its own fresh database, just
    # before this binary's (the export reads this binary's).
    baseline = b.args.baseline_bin
    sides: list[tuple[str, str | None]] = [("", None)]
    if baseline:
        sides = [("_baseline", baseline), ("", None)]

    def timed(args: list[str], db: str, binary: str | None = None) -> tuple[float, bytes, subprocess.Popen[bytes]]:
        env = dict(os.environ, PUSTAKA_DATABASE_URL=f"{b.db.db_url}/{db}", RUST_LOG="warn")
        t0 = time.monotonic()
        p = subprocess.Popen([str(binary or PUSTAKA), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate()
        elapsed = time.monotonic() - t0
        if p.returncode not in (0, 2):  # 2: some rows were not imported (said in the report)
            sys.exit(f"bench: pustaka {' '.join(args)} failed ({p.returncode}): {err.decode()[-2000:]}")
        return elapsed, out, p

    for suffix, binary in sides:
        for db in ["pt_import_csv", "pt_import_slims"]:
            if suffix:
                b.db.sql(f"CREATE DATABASE {db}{suffix}")
            b.db.pustaka(["migrate"], f"{b.db.db_url}/{db}{suffix}", binary=binary)
    log(f"import: pustaka import books ({n:,} rows), then pustaka import slims ({n:,} records, {items:,} items)")

    def measured(args: list[str], db: str, measure: str, key: str, made: Callable[[dict[str, Any]], str]) -> None:
        """An import's books per second: a row (what it `made`, its time, the rows it refused) and `key`
        (and `key`_baseline for the baseline binary, measured first)."""
        for suffix, binary in sides:
            t, out, _ = timed(args, db + suffix, binary)
            r = json.loads(out)
            rate = r["books_created"] / t
            name = f"{measure} (baseline)" if suffix else measure
            b.out.row(name, f"{rate:,.0f} books/s", f"{made(r)} in {t:.1f} s; {len(r['errors'])} rows not imported")
            b.out.figures[key + suffix] = round(rate)

    measured(
        ["import", "books", str(csv_file), "--json"],
        "pt_import_csv",
        f"pustaka import books, {n:,}-row CSV, mariadb",
        "import_csv_books_per_s",
        lambda r: f"{r['books_created']:,} books and {r['copies_created']:,} copies",
    )
    measured(
        ["import", "slims", "--from", f"{b.db.db_url}/pt_slims", "--json"],
        "pt_import_slims",
        f"pustaka import slims, {n:,} records, mariadb",
        "import_slims_books_per_s",
        lambda r: (
            f"{r['books_created']:,} books, {r['copies_created']:,} copies, {r['members_created']:,} members, "
            f"{r['loans_created']:,} loans, {r['fines_created']:,} fines"
        ),
    )

    for fmt in ["csv", "xlsx"]:
        log(f"export: pustaka export books --format {fmt} ({n:,} books)")
        target = gen / f"export.{fmt}"
        env = dict(os.environ, PUSTAKA_DATABASE_URL=f"{b.db.db_url}/pt_import_csv", RUST_LOG="warn")
        t0 = time.monotonic()
        errors = gen / "export.err"
        with open(errors, "w") as err:
            p = subprocess.Popen(
                [str(PUSTAKA), "export", "books", "--format", fmt, "--output", str(target)], env=env, stderr=err
            )
            # wait4 for the child's own peak RSS (ru_maxrss, KiB), which Popen.wait does not give.
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit(f"bench: pustaka export books --format {fmt} failed: {errors.read_text()[-2000:]}")
        rate = n / elapsed
        peak = usage.ru_maxrss / 1024
        b.out.row(
            f"pustaka export books --format {fmt}, {n:,} books, mariadb",
            f"{rate:,.0f} rows/s",
            f"{elapsed:.1f} s, {target.stat().st_size / 1e6:.1f} MB written, peak RSS {peak:.1f} MB",
        )
        b.out.figures[f"export_{fmt}_rows_per_s"] = round(rate)
        if fmt == "xlsx":
            b.out.figures["export_xlsx_rss_mb"] = round(peak, 1)
        target.unlink()
    b.db.sql("DROP DATABASE pt_slims; DROP DATABASE pt_import_csv; DROP DATABASE pt_import_slims;")
    if baseline:
        b.db.sql("DROP DATABASE pt_import_csv_baseline; DROP DATABASE pt_import_slims_baseline;")
    shutil.rmtree(gen, ignore_errors=True)
