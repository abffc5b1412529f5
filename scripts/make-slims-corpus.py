#!/usr/bin/env python3
"""Write a school's SLiMS database of ten years as an SQL file (issue #28): what `pustaka import
slims` meets when a school moves in, mess included.

    scripts/make-slims-corpus.py [FILE]      # default: tests/fixtures/slims-sekolah.sql

Load it into a MariaDB database and import it with no edits:

    mariadb slims < tests/fixtures/slims-sekolah.sql
    pustaka import slims --from mysql://USER:PASS@HOST:3306/slims --dry-run

What it holds (the same every run: the random numbers are seeded):
- 400 records (biblio) with authors, topics, publishers, places, GMDs and collection types; some
  ISBN-10 with dashes, two records of one book (the same ISBN), ISSNs and junk in `isbn_issn`,
  titles broken by mojibake or a line break, a record with no title, years like `c1998`;
- about 700 items, with SLiMS's statuses (Missing, Repair, No Loan) and the library's own, items
  of a record that is gone, one without a code, prices that are zero or negative;
- 260 members of four types (Siswa, Guru, SLiMS's own Standard, the library's Alumni) with the
  rules SLiMS keeps on a type, bad emails, zero dates;
- ten years of loans: about 3,000 returned (some without a return date, some of items or members
  that are gone) and the ones still out;
- the fines ledger: charges and payments, some paid in part, one paid twice over;
- the visitor log: members and guests, some with no name or a zero time.

The contract test `slims::a_school_slims_of_ten_years_imports_and_reconciles` loads the file
committed at tests/fixtures/slims-sekolah.sql; run this script again after changing it, and commit
both. Standard library only.
"""

import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

SCHEMA = """
CREATE TABLE biblio (biblio_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, title text NOT NULL,
  edition varchar(50) DEFAULT NULL, isbn_issn varchar(32) DEFAULT NULL, publisher_id int(11) DEFAULT NULL,
  publish_year varchar(20) DEFAULT NULL, collation varchar(50) DEFAULT NULL, series_title varchar(200) DEFAULT NULL,
  call_number varchar(50) DEFAULT NULL, language_id char(5) DEFAULT 'en', publish_place_id int(11) DEFAULT NULL,
  classification varchar(40) DEFAULT NULL, notes text, gmd_id int(11) DEFAULT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_gmd (gmd_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, gmd_code varchar(3) DEFAULT NULL,
  gmd_name varchar(30) NOT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_coll_type (coll_type_id int(3) NOT NULL AUTO_INCREMENT PRIMARY KEY, coll_type_name varchar(30) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE biblio_author (biblio_id int(11) NOT NULL DEFAULT 0, author_id int(11) NOT NULL DEFAULT 0,
  level int(1) NOT NULL DEFAULT 1, PRIMARY KEY (biblio_id, author_id)) ENGINE=MyISAM DEFAULT CHARSET=utf8;
CREATE TABLE mst_author (author_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, author_name varchar(100) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE biblio_topic (biblio_id int(11) NOT NULL DEFAULT 0, topic_id int(11) NOT NULL DEFAULT 0,
  level int(1) NOT NULL DEFAULT 1, PRIMARY KEY (biblio_id, topic_id)) ENGINE=MyISAM DEFAULT CHARSET=utf8;
CREATE TABLE mst_topic (topic_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, topic varchar(50) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_publisher (publisher_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, publisher_name varchar(100) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_place (place_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, place_name varchar(30) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_language (language_id char(5) NOT NULL PRIMARY KEY, language_name varchar(20) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE item (item_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, biblio_id int(11) DEFAULT NULL,
  item_code varchar(20) DEFAULT NULL, location_id varchar(3) DEFAULT NULL, item_status_id char(3) DEFAULT NULL,
  price int(11) DEFAULT NULL, coll_type_id int(3) DEFAULT NULL, UNIQUE KEY item_code (item_code))
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_location (location_id varchar(3) NOT NULL PRIMARY KEY, location_name varchar(100) DEFAULT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_item_status (item_status_id char(3) NOT NULL PRIMARY KEY, item_status_name varchar(30) NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE member (member_id varchar(20) NOT NULL PRIMARY KEY, member_name varchar(100) NOT NULL,
  member_type_id int(6) DEFAULT NULL, member_email varchar(100) DEFAULT NULL, member_phone varchar(50) DEFAULT NULL,
  expire_date date NOT NULL, birth_date date DEFAULT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE mst_member_type (member_type_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_type_name varchar(50) NOT NULL, loan_limit int(11) NOT NULL, loan_periode int(11) NOT NULL,
  enable_reserve int(1) NOT NULL DEFAULT 0, reserve_limit int(11) NOT NULL DEFAULT 0, member_periode int(11) NOT NULL,
  reborrow_limit int(11) NOT NULL, fine_each_day int(11) NOT NULL, grace_periode int(2) DEFAULT 0,
  UNIQUE KEY member_type_name (member_type_name)) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE loan (loan_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, item_code varchar(20) DEFAULT NULL,
  member_id varchar(20) DEFAULT NULL, loan_date date NOT NULL, due_date date NOT NULL, renewed int(11) NOT NULL DEFAULT 0,
  is_lent int(11) NOT NULL DEFAULT 0, is_return int(11) NOT NULL DEFAULT 0, return_date date DEFAULT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE fines (fines_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, fines_date date NOT NULL,
  member_id varchar(20) NOT NULL, debet int(11) DEFAULT 0, credit int(11) DEFAULT 0, description varchar(255) DEFAULT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
CREATE TABLE visitor_count (visitor_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, member_id varchar(20) DEFAULT NULL,
  member_name varchar(255) NOT NULL, institution varchar(100) DEFAULT NULL, checkin_date datetime NOT NULL)
  ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
"""

TODAY = date(2026, 12, 1)
FIRST = date(2016, 7, 18)  # the school year the library started using SLiMS

WORDS = (
    "Bumi Laut Langit Rumah Sekolah Pelangi Hujan Matahari Bulan Kota Desa Sungai Gunung Cerita Anak "
    "Negeri Jalan Pulang Hati Mimpi Sahabat Guru Ibu Ayah Pagi Senja Bintang Angin Api Air Tanah"
).split()
SUBJECTS = ["Matematika", "Bahasa Indonesia", "IPA", "IPS", "PPKn", "Bahasa Inggris", "Seni Budaya", "PJOK"]
FIRST_NAMES = "Siti Budi Dewi Rudi Ani Bayu Citra Dian Eko Fajar Gita Hadi Indah Joko Kartika Lestari Made Nur Putri Rizki".split()
LAST_NAMES = "Rahayu Santoso Lestari Hartono Wijaya Pratama Saputra Nugroho Kusuma Hidayat Permata Utami".split()


def q(v) -> str:
    """An SQL literal."""
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "''") + "'"


def insert(table: str, columns: list[str], rows: list[tuple], chunk: int = 200) -> list[str]:
    out = []
    for i in range(0, len(rows), chunk):
        values = ",\n  ".join("(" + ", ".join(q(v) for v in r) + ")" for r in rows[i : i + chunk])
        out.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n  {values};")
    return out


def isbn10(rnd: random.Random) -> str:
    digits = [rnd.randint(0, 9) for _ in range(9)]
    check = sum((10 - i) * d for i, d in enumerate(digits)) % 11
    check = (11 - check) % 11
    body = "".join(map(str, digits)) + ("X" if check == 10 else str(check))
    return f"{body[0]}-{body[1:4]}-{body[4:9]}-{body[9]}" if rnd.random() < 0.5 else body


def isbn13(rnd: random.Random) -> str:
    digits = [9, 7, 8, 6, 0, 2] + [rnd.randint(0, 9) for _ in range(6)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def day(d: date) -> str:
    return d.isoformat()


def build() -> list[str]:
    rnd = random.Random(2026)
    out = ["SET SESSION sql_mode = '';"]
    out += [s.strip() + ";" for s in SCHEMA.strip().split(";\n") if s.strip()]
    out = [s[:-2] + ";" if s.endswith(";;") else s for s in out]

    publishers = ["Gramedia Pustaka Utama", "Erlangga", "Balai Pustaka", "Bentang Pustaka", "Mizan", "PenerbitÃ© Lama"]
    places = ["Jakarta", "Bandung", "Yogyakarta", "Surabaya"]
    out += insert("mst_publisher", ["publisher_id", "publisher_name"], [(i + 1, p) for i, p in enumerate(publishers)])
    out += insert("mst_place", ["place_id", "place_name"], [(i + 1, p) for i, p in enumerate(places)])
    out += insert(
        "mst_language", ["language_id", "language_name"], [("id", "Indonesia"), ("en", "English"), ("jw", "Jawa")]
    )
    out += insert("mst_gmd", ["gmd_id", "gmd_code", "gmd_name"], [(1, "TE", "Text"), (2, "VR", "Video Recording")])
    coll_types = ["Fiksi", "Nonfiksi", "Referensi", "Buku Paket", "Muatan Lokal"]
    out += insert("mst_coll_type", ["coll_type_id", "coll_type_name"], [(i + 1, c) for i, c in enumerate(coll_types)])
    out += insert("mst_topic", ["topic_id", "topic"], [(i + 1, s) for i, s in enumerate(SUBJECTS)])
    authors = sorted({f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}" for _ in range(120)})
    out += insert("mst_author", ["author_id", "author_name"], [(i + 1, a) for i, a in enumerate(authors)])
    out += insert(
        "mst_location",
        ["location_id", "location_name"],
        [("RA", "Rak A"), ("RB", "Rak B"), ("REF", "Referensi"), ("PKT", "Buku Paket")],
    )
    out += insert(
        "mst_item_status",
        ["item_status_id", "item_status_name"],
        [("R", "Repair"), ("NL", "No Loan"), ("MIS", "Missing"), ("PMR", "Pameran")],
    )

    # Records.
    biblios, biblio_authors, biblio_topics = [], [], []
    seen_isbn = []
    for b in range(1, 401):
        title = " ".join(rnd.sample(WORDS, rnd.randint(1, 4)))
        if b % 97 == 0:
            title = title.replace("a", "Ã©", 1)  # mojibake from an old export
        if b % 89 == 0:
            title = title.replace(" ", "\r\n", 1)
        if b == 250:
            title = ""  # no title: refused
        isbn = None
        roll = rnd.random()
        if roll < 0.35:
            isbn = isbn13(rnd)
        elif roll < 0.55:
            isbn = isbn10(rnd)
        elif roll < 0.58:
            isbn = "0216-3195"
        elif roll < 0.60:
            isbn = "ISBN: belum ada"
        if b in (120, 310) and seen_isbn:
            isbn = seen_isbn[b % len(seen_isbn)]  # the same book catalogued twice
        if isbn and isbn[0].isdigit() and len(isbn) == 13:
            seen_isbn.append(isbn)
        year = rnd.choice([str(rnd.randint(1975, 2025)), f"c{rnd.randint(1980, 2020)}", "[2010]", "tanpa tahun"])
        klass = rnd.choice(["899.221", "510", "370", "599", "297", "320", None])
        biblios.append(
            (
                b,
                title,
                None,
                isbn,
                rnd.randint(1, len(publishers)),
                year,
                None,
                None,
                f"{klass} {title[:3].upper()}" if klass and title else None,
                rnd.choice(["id", "id", "id", "en", "jw"]),
                rnd.randint(1, len(places)),
                klass,
                None,
                2 if b % 50 == 0 else 1,
            )
        )
        for level, a in enumerate(rnd.sample(range(1, len(authors) + 1), rnd.randint(1, 2)), start=1):
            biblio_authors.append((b, a, level))
        biblio_topics.append((b, rnd.randint(1, len(SUBJECTS)), 1))
    out += insert(
        "biblio",
        [
            "biblio_id",
            "title",
            "edition",
            "isbn_issn",
            "publisher_id",
            "publish_year",
            "collation",
            "series_title",
            "call_number",
            "language_id",
            "publish_place_id",
            "classification",
            "notes",
            "gmd_id",
        ],
        biblios,
    )
    out += insert("biblio_author", ["biblio_id", "author_id", "level"], biblio_authors)
    out += insert("biblio_topic", ["biblio_id", "topic_id", "level"], biblio_topics)

    # Items.
    items = []
    n = 0
    for b in range(1, 401):
        for _ in range(rnd.choice([1, 1, 1, 2, 2, 3])):
            n += 1
            status = rnd.choices([None, "MIS", "R", "NL", "PMR", "0"], [80, 4, 3, 6, 2, 5])[0]
            price = rnd.choice([None, 0, 45000, 60000, 85000, -5])
            items.append((n, b, f"B{n:05d}", rnd.choice(["RA", "RB", "REF", "PKT"]), status, price, rnd.randint(1, 5)))
    items.append((n + 1, 999, "B99999", "RA", None, None, 1))  # its record is gone
    items.append((n + 2, 3, None, "RA", None, None, 1))  # no item code
    out += insert(
        "item", ["item_id", "biblio_id", "item_code", "location_id", "item_status_id", "price", "coll_type_id"], items
    )
    codes = [i[2] for i in items if i[2] and i[1] != 999 and biblios[i[1] - 1][1]]

    # Members and their types.
    out += insert(
        "mst_member_type",
        [
            "member_type_id",
            "member_type_name",
            "loan_limit",
            "loan_periode",
            "member_periode",
            "reborrow_limit",
            "fine_each_day",
            "grace_periode",
        ],
        [
            (1, "Siswa", 3, 7, 365, 1, 500, 0),
            (2, "Guru", 10, 14, 1095, 2, 0, 0),
            (3, "Standard", 2, 10, 365, 1, 500, 2),
            (4, "Alumni", 1, 7, 365, 0, 1000, 0),
        ],
    )
    members = []
    for m in range(1, 261):
        name = f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"
        mtype = rnd.choices([1, 2, 3, 4], [80, 8, 7, 5])[0]
        email = rnd.choice([None, "", f"siswa{m}@sekolah.sch.id", "bukan email"])
        expire = rnd.choice([day(TODAY + timedelta(days=rnd.randint(-400, 700))), "0000-00-00"])
        born = rnd.choice([day(date(2008, 1, 1) + timedelta(days=rnd.randint(0, 1500))), "0000-00-00", None])
        members.append((f"M{m:04d}", name, mtype, email, None, expire, born))
    out += insert(
        "member",
        ["member_id", "member_name", "member_type_id", "member_email", "member_phone", "expire_date", "birth_date"],
        members,
    )
    member_ids = [m[0] for m in members]

    # Ten years of loans: returned ones, and the ones still out (each item out once at most).
    loans = []
    lid = 0
    span = (TODAY - FIRST).days
    for _ in range(3000):
        lid += 1
        lent = FIRST + timedelta(days=rnd.randint(0, span - 30))
        due = lent + timedelta(days=7)
        back = lent + timedelta(days=rnd.randint(1, 20))
        code = rnd.choice(codes) if rnd.random() > 0.01 else "B77777"  # an item deleted since
        member = rnd.choice(member_ids) if rnd.random() > 0.01 else "M9999"  # a member deleted since
        returned = None if rnd.random() < 0.02 else day(back)  # no return date written
        loans.append((lid, code, member, day(lent), day(due), rnd.choice([0, 0, 0, 1]), 1, 1, returned))
    for code in rnd.sample(codes, 25):
        lid += 1
        lent = TODAY - timedelta(days=rnd.randint(1, 20))
        loans.append((lid, code, rnd.choice(member_ids), day(lent), day(lent + timedelta(days=7)), 0, 1, 0, None))
    out += insert(
        "loan",
        [
            "loan_id",
            "item_code",
            "member_id",
            "loan_date",
            "due_date",
            "renewed",
            "is_lent",
            "is_return",
            "return_date",
        ],
        loans,
    )

    # The fines ledger: a charge for a late return, paid later in full, in part, or not yet.
    fines = []
    for _, code, member, _, due, _, _, _, returned in loans[:3000]:
        if not returned or returned <= due or member == "M9999" or rnd.random() < 0.85:
            continue
        late = (date.fromisoformat(returned) - date.fromisoformat(due)).days
        fines.append((returned, member, late * 500, 0, f"Denda keterlambatan {code}"))
        pay = rnd.random()
        paid_on = day(date.fromisoformat(returned) + timedelta(days=rnd.randint(0, 30)))
        if pay < 0.6:
            fines.append((paid_on, member, 0, late * 500, "Bayar"))
        elif pay < 0.8:
            fines.append((paid_on, member, 0, (late * 500) // 2, "Bayar sebagian"))
    fines.append((day(TODAY - timedelta(days=40)), member_ids[0], 0, 1000, "Bayar dua kali"))
    fines.sort()
    out += insert("fines", ["fines_date", "member_id", "debet", "credit", "description"], fines)

    # The visitor log: students most days, some guests, a blank name, a zero time.
    visits = []
    for v in range(1, 1801):
        at = datetime.combine(FIRST, datetime.min.time()) + timedelta(
            days=rnd.randint(0, span), hours=rnd.randint(7, 14), minutes=rnd.randint(0, 59)
        )
        if rnd.random() < 0.85:
            m = rnd.choice(members)
            visits.append((v, m[0], m[1], None, at.strftime("%Y-%m-%d %H:%M:%S")))
        else:
            visits.append(
                (
                    v,
                    None,
                    f"Tamu {v}",
                    rnd.choice([None, "Dinas Pendidikan", "SD Negeri 1"]),
                    at.strftime("%Y-%m-%d %H:%M:%S"),
                )
            )
    visits.append((1801, None, "", None, "2020-01-06 08:00:00"))
    visits.append((1802, "M0001", "Siti", None, "0000-00-00 00:00:00"))
    out += insert("visitor_count", ["visitor_id", "member_id", "member_name", "institution", "checkin_date"], visits)
    return out


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/slims-sekolah.sql")
    path.parent.mkdir(parents=True, exist_ok=True)
    statements = build()
    header = "-- A school's SLiMS of ten years, made by scripts/make-slims-corpus.py: do not edit by hand.\n"
    path.write_text(header + "\n".join(statements) + "\n", encoding="utf-8")
    print(f"{path}: {len(statements)} statements, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
