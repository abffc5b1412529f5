#!/usr/bin/env python3
"""A generated catalogue for the benchmarks: N books with Indonesian-looking titles, authors
and subjects, and three search terms of known frequency.

    catalogue.py --books N --tsv FILE       rows for MariaDB's LOAD DATA (\\N for NULL)
    catalogue.py --books N --sqlite FILE    rows inserted into a migrated Pustaka SQLite file
    catalogue.py --books N --csv FILE       a spreadsheet for `pustaka import books` (a row per book,
                                            one barcode each, 9 in 10 with an ISBN)
    catalogue.py --books N --slims DIR      SLiMS tables as TSV files for LOAD DATA (biblio with its
                                            authors, topics, publishers and places; an item per
                                            record and a second for every third; members, open
                                            loans, unpaid fines), named after their tables

The same seed gives the same catalogue on both backends. The terms:
    rare     "nusantara"  in 10 books, whatever N
    medium   "kimia"      in 1% of the books
    common   "sejarah"    in a third of the books
and the rest of the words come from a few thousand made-up words drawn with a Zipf-like skew,
so the full-text indexes hold a realistic vocabulary rather than three words.
"""

import argparse
import datetime as dt
import itertools
import json
import random
import sqlite3
import sys

RARE, MEDIUM, COMMON = "nusantara", "kimia", "sejarah"
SYLLABLES = "ba be bi bu da di du ga gi gu ka ki ku la li lu ma mi mu na ni nu pa pi pu ra ri ru sa si su ta ti tu wa ya".split()
FIRST = "Budi Siti Agus Dewi Rudi Sri Andi Rina Joko Ayu Hendra Wati Bambang Lestari Eko Putri Dian Yusuf Ratna Taufik".split()
LAST = "Santoso Wijaya Saputra Hidayat Kusuma Pratama Nugroho Setiawan Siregar Harahap Nasution Lubis Simanjuntak Wibowo".split()
SUBJECTS = (
    "Matematika Fisika Biologi Geografi Ekonomi Sastra Agama Seni Bahasa Teknologi Hukum Pendidikan Kesehatan".split()
)
PUBLISHERS = ["Gramedia", "Erlangga", "Balai Pustaka", "Mizan", "Pustaka Jaya", None]
START = dt.datetime(2015, 1, 1)


def vocabulary(rng):
    words = set()
    while len(words) < 5000:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in (RARE, MEDIUM, COMMON) and not word.startswith(COMMON[:4]):
            words.add(word)
    return sorted(words)


def books(n, seed=20261127):
    rng = random.Random(seed)
    words = vocabulary(rng)
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(words))))
    rare_every = max(n // 10, 1)
    step = (dt.datetime(2026, 11, 1) - START) / max(n, 1)
    for i in range(1, n + 1):
        title = rng.choices(words, cum_weights=cumulative, k=rng.randint(2, 5))
        subjects = rng.sample(SUBJECTS, rng.randint(1, 2))
        if i % 3 == 0:
            subjects.append(COMMON.capitalize())
        if i % 100 == 50:
            title.insert(1, MEDIUM)
        if i % rare_every == rare_every // 2:
            title.append(RARE)
        authors = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 2))]
        at = START + step * i
        yield (
            i,
            " ".join(title).capitalize(),
            json.dumps(authors),
            json.dumps(subjects),
            rng.choice(PUBLISHERS),
            rng.randint(1980, 2026),
            "ind",
            at,
        )


def write_tsv(n, path):
    def field(v):
        return "\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ")

    with open(path, "w", encoding="utf-8") as out:
        for i, title, authors, subjects, publisher, year, lang, at in books(n):
            stamp = at.strftime("%Y-%m-%d %H:%M:%S")
            row = (i, None, title, authors, subjects, publisher, year, lang, stamp, stamp)
            out.write("\t".join(map(field, row)) + "\n")


def load_sqlite(n, path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    rows = (
        (i, title, authors, subjects, publisher, year, lang, stamp, stamp)
        for i, title, authors, subjects, publisher, year, lang, at in books(n)
        for stamp in [at.strftime("%Y-%m-%dT%H:%M:%S+00:00")]
    )
    with db:
        db.executemany(
            "INSERT INTO books (id, title, authors, subjects, publisher, year, language, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.execute("INSERT INTO books_fts (books_fts) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.commit()
    db.close()


def isbn13(i):
    """A valid ISBN-13 for book i (978 + 9 digits + check digit)."""
    digits = f"978{600_000_000 + i:09d}"
    check = (10 - sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def write_import_csv(n, path):
    import csv

    with open(path, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["Judul", "Pengarang", "ISBN", "Penerbit", "Tahun", "Nomor Panggil", "Barcode", "Lokasi"])
        for i, title, authors, _subjects, publisher, year, _lang, _at in books(n):
            w.writerow(
                [
                    title,
                    "; ".join(dict.fromkeys(json.loads(authors))),
                    isbn13(i) if i % 10 else "",
                    publisher or "",
                    year,
                    f"{i % 1000:03d} {title[:3].upper()}",
                    f"B{i:07d}",
                    f"Rak {i % 40}",
                ]
            )


def write_slims(n, folder):
    """SLiMS's tables (the columns tests/contract/slims.rs builds), one TSV file each."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        t: open(folder / f"{t}.tsv", "w", encoding="utf-8")
        for t in [
            "biblio",
            "biblio_author",
            "mst_author",
            "biblio_topic",
            "mst_topic",
            "mst_publisher",
            "item",
            "member",
            "loan",
            "fines",
        ]
    }

    def put(table, *row):
        files[table].write("\t".join("\\N" if v is None else str(v).replace("\t", " ") for v in row) + "\n")

    ids = {"mst_author": {}, "mst_topic": {}, "mst_publisher": {}}

    def ref(table, name):
        known = ids[table]
        if name not in known:
            known[name] = len(known) + 1
            put(table, known[name], name)
        return known[name]

    for i, title, authors, subjects, publisher, year, _lang, _at in books(n):
        pub = ref("mst_publisher", publisher) if publisher else None
        put(
            "biblio",
            i,
            title,
            None,
            isbn13(i) if i % 10 else None,
            pub,
            year,
            "200 hlm. ; 21 cm",
            None,
            f"{i % 1000:03d} {title[:3].upper()}",
            "id",
            1 + i % 3,
            f"{i % 1000:03d}",
            None,
        )
        for level, a in enumerate(dict.fromkeys(json.loads(authors)), 1):
            put("biblio_author", i, ref("mst_author", a), level)
        for s in json.loads(subjects):
            put("biblio_topic", i, ref("mst_topic", s), 1)
        put("item", i, i, f"B{i:07d}", "SL", None, 50_000 + i % 50 * 1000)
        if i % 3 == 0:
            put("item", n + i, i, f"B{i:07d}-2", "SL", "NL" if i % 30 == 0 else None, None)
    members = max(n // 50, 10)
    for m in range(1, members + 1):
        put("member", f"M{m:06d}", f"Anggota {m}", 1 + m % 2, None, None, "2027-12-31")
    for k in range(1, members // 2 + 1):
        put("loan", k, f"B{k:07d}", f"M{k:06d}", "2026-11-20", "2026-11-27", 0, 1, 0)
    for k in range(1, members // 10 + 1):
        put("fines", k, "2026-11-01", f"M{k:06d}", 1500, 0, "Denda keterlambatan")
    for f in files.values():
        f.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--books", type=int, required=True)
    p.add_argument("--tsv")
    p.add_argument("--sqlite")
    p.add_argument("--csv")
    p.add_argument("--slims")
    a = p.parse_args()
    given = [
        (f, v)
        for f, v in [(write_tsv, a.tsv), (load_sqlite, a.sqlite), (write_import_csv, a.csv), (write_slims, a.slims)]
        if v
    ]
    if len(given) != 1:
        p.error("give exactly one of --tsv, --sqlite, --csv and --slims")
    if a.books < 10:
        p.error("--books must be at least 10")
    given[0][0](a.books, given[0][1])


if __name__ == "__main__":
    sys.exit(main())
