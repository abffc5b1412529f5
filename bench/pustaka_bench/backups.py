"""Backup and restore of the whole library (#36; the page's and `pustaka backup` / `restore`'s
file, #31): the bench's database written to a backup file, then that file restored into an empty
MariaDB database and an empty SQLite file (moving to the compose stack, or back to a laptop).

Each is the command line a librarian or an operator runs, timed whole (restore: the file checked,
every table replaced in one transaction, the search index rebuilt), with its peak RSS: the file
is streamed both ways, so memory should not grow with the library. Checked: the restored
databases hold as many books, copies and loans as the one backed up.
"""

import os
import sqlite3
import subprocess
import tempfile
import time

from .common import PUSTAKA, log
from .context import Bench


def timed(args: list[str], url: str) -> tuple[float, float]:
    """Runs `pustaka ARGS` on `url`: (seconds, peak RSS in MB of that process alone)."""
    env = dict(os.environ, PUSTAKA_DATABASE_URL=url, RUST_LOG="warn")
    with tempfile.TemporaryFile() as logf:
        started = time.perf_counter()
        p = subprocess.Popen([str(PUSTAKA), *args], env=env, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        # Reaped here, not by Popen, for the child's own resource usage.
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - started
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            logf.seek(0)
            raise SystemExit(
                f"bench: pustaka {' '.join(args)} failed ({p.returncode}):\n{logf.read().decode()[-3000:]}"
            )
    return seconds, usage.ru_maxrss / 1024


def counts(b: Bench, url: str) -> tuple[int, int, int]:
    """Books, copies and loans in the database at `url` (MariaDB by name, SQLite by file)."""
    q = "SELECT (SELECT COUNT(*) FROM books), (SELECT COUNT(*) FROM copies), (SELECT COUNT(*) FROM loans)"
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://").split("?")[0]) as db:
            return tuple(db.execute(q).fetchone())  # type: ignore[return-value]
    line = b.db.sql(q, db=url.rsplit("/", 1)[1]).split()
    return int(line[0]), int(line[1]), int(line[2])


def backup_restore(b: Bench, url: str) -> bool:
    """The backup of the database at `url`, restored into a new MariaDB database and a new SQLite
    file: books per second each way, peak RSS, the file's size. True when both restores hold
    what was backed up."""
    log("backup of the whole library, restored into MariaDB and into SQLite")
    file = b.work / "library.pustaka-backup.gz"
    before = counts(b, url)
    backup_s, backup_rss = timed(["backup", "--out", str(file)], url)
    size_mb = file.stat().st_size / 2**20
    b.out.row(
        f"backup, {before[0]:,} books ({before[1]:,} copies, {before[2]:,} loans)",
        f"{backup_s:.1f} s",
        f"{before[0] / backup_s:,.0f} books/s; file {size_mb:.1f} MB; peak RSS {backup_rss:.1f} MB",
    )
    b.out.figures["backup_books_per_s"] = round(before[0] / backup_s)
    b.out.figures["backup_rss_mb"] = round(backup_rss, 1)

    b.db.sql("DROP DATABASE IF EXISTS pt_restore; CREATE DATABASE pt_restore;")
    targets = [
        ("mariadb", url.rsplit("/", 1)[0] + "/pt_restore"),
        ("sqlite", f"sqlite://{b.work / 'restored.db'}?mode=rwc"),
    ]
    same = True
    for backend, target in targets:
        # An empty database of this version's schema, as the page's restore finds it.
        b.db.pustaka(["migrate"], target)
        seconds, rss = timed(["restore", str(file), "--yes"], target)
        after = counts(b, target)
        same = same and after == before
        b.out.row(
            f"restore of that backup into {'an empty MariaDB' if backend == 'mariadb' else 'a new SQLite file'}",
            f"{seconds:.1f} s",
            f"{before[0] / seconds:,.0f} books/s; peak RSS {rss:.1f} MB; "
            + ("same counts" if after == before else f"COUNTS DIFFER: {after} against {before}"),
        )
        key = "restore_books_per_s" if backend == "mariadb" else "restore_sqlite_books_per_s"
        b.out.figures[key] = round(before[0] / seconds)
        b.out.figures[key.replace("books_per_s", "rss_mb")] = round(rss, 1)
    b.out.figures["backup_restore_same"] = same
    b.db.sql("DROP DATABASE pt_restore;")
    (b.work / "restored.db").unlink(missing_ok=True)
    file.unlink()
    return same
