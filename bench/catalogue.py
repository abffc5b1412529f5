#!/usr/bin/env python3
"""A generated catalogue for the benchmarks: N books with Indonesian-looking titles, authors
and subjects, and three search terms of known frequency.

    catalogue.py --books N --tsv FILE       rows for MariaDB's LOAD DATA (\\N for NULL)
    catalogue.py --books N --sqlite FILE    rows inserted into a migrated Pustaka SQLite file

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
SUBJECTS = "Matematika Fisika Biologi Geografi Ekonomi Sastra Agama Seni Bahasa Teknologi Hukum Pendidikan Kesehatan".split()
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--books", type=int, required=True)
    p.add_argument("--tsv")
    p.add_argument("--sqlite")
    a = p.parse_args()
    if bool(a.tsv) == bool(a.sqlite):
        p.error("give exactly one of --tsv and --sqlite")
    if a.books < 10:
        p.error("--books must be at least 10")
    (write_tsv if a.tsv else load_sqlite)(a.books, a.tsv or a.sqlite)


if __name__ == "__main__":
    sys.exit(main())
