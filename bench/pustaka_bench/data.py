"""Data a measurement needs: the generated catalogue, copies, desks (copy and member pairs)."""

import contextlib
import sqlite3
import sys
from pathlib import Path

from .common import ROOT, Api, log, run
from .context import Bench


def load_catalogue(b: Bench, binary: str | None = None, sqlite: bool = True) -> None:
    """The generated catalogue in MariaDB and (unless not `sqlite`) SQLite, migrated by `binary`
    (by default PUSTAKA)."""
    log(f"generating {b.books:,} books into MariaDB{' and SQLite' if sqlite else ''}")
    b.db.pustaka(["migrate"], b.db.mariadb_url(), binary)
    tsv = b.work / "books.tsv"
    run([sys.executable, str(ROOT / "bench/catalogue.py"), "--books", str(b.books), "--tsv", str(tsv)])
    b.db.sql(
        f"LOAD DATA LOCAL INFILE '{tsv}' INTO TABLE books CHARACTER SET utf8mb4 (id, isbn, title, authors, "
        "subjects, publisher, year, language, created_at, updated_at); ANALYZE TABLE books;",
        db="pt_bench",
        local_infile=True,
    )
    # Books loaded with SQL are indexed for search the way an operator would after an import.
    b.db.pustaka(["reindex"], b.db.mariadb_url(), binary)
    b.db.sql("ANALYZE TABLE book_words;", db="pt_bench")
    if not sqlite:
        tsv.unlink()
        return
    b.sqlite_file = b.work / "bench.db"
    b.db.pustaka(["migrate"], f"sqlite://{b.sqlite_file}?mode=rwc", binary)
    run([sys.executable, str(ROOT / "bench/catalogue.py"), "--books", str(b.books), "--sqlite", str(b.sqlite_file)])
    tsv.unlink()


def add_copies(b: Bench, sqlite: bool = True) -> None:
    """Copies for the generated books (in MariaDB, and SQLite unless not `sqlite`), as a library
    has them: one per book, a second for every third book, every fifth copy on loan (the status
    only; no loans)."""
    log("adding copies: one per book, a second for every third, every fifth on loan")
    statements = [
        "INSERT INTO copies (book_id, barcode, status, created_at, updated_at) SELECT id, 'C' || id, "
        "CASE WHEN id % 5 = 0 THEN 'on_loan' ELSE 'available' END, created_at, created_at FROM books",
        "INSERT INTO copies (book_id, barcode, status, created_at, updated_at) SELECT id, 'D' || id, "
        "'available', created_at, created_at FROM books WHERE id % 3 = 0",
    ]
    b.db.sql(
        "SET sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT'); " + "; ".join(statements) + "; ANALYZE TABLE copies;",
        db="pt_bench",
    )
    if not sqlite:
        return
    with contextlib.closing(sqlite3.connect(b.sqlite_file)) as db:
        for q in statements:
            db.execute(q)
        db.execute("ANALYZE")
        db.commit()


def desk_pairs(b: Bench, port: int, token: str, count: int, tag: str, one_title: bool = False) -> Path:
    """`count` copies and members made through the API, written as loadgen's --pairs file; each
    copy of another book, or with `one_title` all of one book (a class set lent at 32 desks)."""
    api = Api(port, token)
    lines = []
    for i in range(count):
        book = 2 if one_title else 1 + (i * 7919) % b.books
        barcode = f"BENCH-{tag}-{i:05d}"
        api.call("POST", f"/books/{book}/copies", {"barcode": barcode})
        member = api.call("POST", "/members", {"name": f"Anggota Uji {i}", "category": "staff"})
        lines.append(f"{barcode} {member['card_number']}")
    path = b.work / f"pairs-{tag}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def shelf_copies(b: Bench, copies: int, if_missing: bool = False) -> None:
    """A copy of each of the first `copies` books, barcodes ST-0000001... on shelves "Rak 0" to "Rak 39"
    (the stock take's and the labels'); with `if_missing`, those already there stay as they are."""
    b.db.sql(
        f"INSERT {'IGNORE ' if if_missing else ''}INTO copies (book_id, barcode, location, status, created_at, "
        "updated_at) SELECT id, CONCAT('ST-', LPAD(id, 7, '0')), CONCAT('Rak ', id % 40), 'available', NOW(), "
        f"NOW() FROM books WHERE id <= {copies}",
        db="pt_bench",
    )


def shelf_barcodes(copies: int) -> list[str]:
    """The barcodes of `shelf_copies`."""
    return [f"ST-{i:07d}" for i in range(1, copies + 1)]
