#!/usr/bin/env python3
"""Write the files a school moving in really has (issue #28), to try `pustaka import` on them.

    scripts/make-moving-in-files.py [FOLDER]        # default: ./moving-in-files

- `daftar-buku.xlsx`: the library's book list kept in Excel: the school's name, the list's title
  and a date above the header, Indonesian column names (`Judul Buku`, `Jumlah Eks.`,
  `No. Klasifikasi`, `Lokasi Rak`, `Sumber`, ...), quantities written `2 eks`, `3 buah`,
  `2 (dua)`, a `JUMLAH` row and a signature below the list.
- `daftar-peserta-didik.xlsx`: the student list as the school's administration system exports
  it: five title rows, then `NIPD`, `NISN`, `Tanggal Lahir` (as dates), `Rombel Saat Ini` and
  columns the library does not keep (`JK`, `NIK`, `Agama`, `Alamat`).

Both import with no edits:

    pustaka import books moving-in-files/daftar-buku.xlsx
    pustaka import members moving-in-files/daftar-peserta-didik.xlsx --default-category student

The rows are the ones the contract test `moving_in::generated_school_files_import_with_no_edits`
makes in Rust (so that `cargo test` needs no Python): change them in both places. Standard
library only: the workbooks are written as the few XML parts an XLSX file needs.
"""

import sys
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

# title | author | publisher | city | year | class | copies as written | shelf | source
BOOKS = [
    tuple(line.split("|"))
    for line in """
Laskar Pelangi|Andrea Hirata|Bentang Pustaka|Yogyakarta|2005|899.221|2 eks|Rak A1|BOS
Bumi Manusia|Pramoedya Ananta Toer|Hasta Mitra|Jakarta|1980|899.221|3 buah|Rak A1|Hadiah
Matematika SMP/MTs Kelas VII|Tim Kemendikbud|Kemendikbud|Jakarta|2017|510|30|Rak Paket|BOS
Ensiklopedia Sains untuk Pelajar|Tim Penyusun|Lentera Abadi|Jakarta|2010|503|1 eks|Referensi|Hadiah
Ronggeng Dukuh Paruk|Ahmad Tohari|Gramedia Pustaka Utama|Jakarta|c1982|899.221|2 (dua)|Rak A2|BOS
Negeri 5 Menara|Ahmad Fuadi|Gramedia Pustaka Utama|Jakarta|2009|899.221|2 eks|Rak A2|BOS
Kamus Besar Bahasa Indonesia|Tim Penyusun KBBI|Balai Pustaka|Jakarta|2008|499.221 03|1 eks|Referensi|BOS
Atlas Indonesia dan Dunia||Karya Pembina Swadaya|Jakarta|2015|912|1|Referensi|Hadiah
Si Kancil dan Buaya||Balai Pustaka|Jakarta|1995|398.2|4 eks|Rak B1|Hadiah
IPA Terpadu SMP Kelas VIII|Tim Kemendikbud|Kemendikbud|Jakarta|2017|507|25 buah|Rak Paket|BOS
""".strip().splitlines()
]

# (name, NIPD, sex, NISN, place of birth, date of birth, class)
STUDENTS = [
    ("Adi Nugroho", "2526001", "L", "0121234501", "Sleman", date(2013, 1, 5), "7A"),
    ("Bela Putri Anggraini", "2526002", "P", "0121234502", "Yogyakarta", date(2012, 11, 23), "7A"),
    ("Citra Dewi", "2526003", "P", "0121234503", "Bantul", date(2013, 3, 14), "7A"),
    ("Dimas Saputra", "2526004", "L", "0121234504", "Sleman", date(2012, 8, 30), "7B"),
    ("Eka Rahmawati", "2526005", "P", "0121234505", "Klaten", date(2013, 6, 2), "7B"),
    ("Fajar Hidayat", "2526006", "L", "0121234506", "Sleman", date(2012, 12, 17), "7B"),
    ("Gita Maharani", "2526007", "P", "", "Magelang", date(2013, 2, 9), "7C"),
    ("Hendra Wijaya", "2526008", "L", "0121234508", "Sleman", date(2012, 10, 1), "7C"),
]

# Cell styles of styles.xml: 0 plain, 1 bold, 2 a date (yyyy-mm-dd).
PLAIN, BOLD, DATE = 0, 1, 2

STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
</styleSheet>"""

PARTS = {
    "[Content_Types].xml": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>""",
    "_rels/.rels": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""",
    "xl/workbook.xml": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>
</workbook>""",
    "xl/_rels/workbook.xml.rels": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>""",
    "xl/styles.xml": STYLES,
}


def column(c: int) -> str:
    """The letters of column `c` (0 is A)."""
    name = ""
    c += 1
    while c:
        c, rest = divmod(c - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


class Sheet:
    """The cells of one worksheet: rows and columns counted from 0, as rust_xlsxwriter does."""

    def __init__(self) -> None:
        self.cells: dict[int, dict[int, str]] = {}
        self.merged: list[str] = []

    def put(self, row: int, col: int, xml: str) -> None:
        self.cells.setdefault(row, {})[col] = xml

    def text(self, row: int, col: int, value: str, style: int = PLAIN) -> None:
        if value:
            ref = f"{column(col)}{row + 1}"
            self.put(row, col, f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')

    def number(self, row: int, col: int, value: float, style: int = PLAIN) -> None:
        self.put(row, col, f'<c r="{column(col)}{row + 1}" s="{style}"><v>{value:g}</v></c>')

    def date(self, row: int, col: int, value: date) -> None:
        self.number(row, col, (value - date(1899, 12, 30)).days, DATE)

    def merge(self, row: int, first: int, last: int, value: str, style: int = PLAIN) -> None:
        self.text(row, first, value, style)
        self.merged.append(f"{column(first)}{row + 1}:{column(last)}{row + 1}")

    def save(self, path: Path) -> None:
        rows = []
        for r in sorted(self.cells):
            cells = "".join(self.cells[r][c] for c in sorted(self.cells[r]))
            rows.append(f'<row r="{r + 1}">{cells}</row>')
        merged = ""
        if self.merged:
            refs = "".join(f'<mergeCell ref="{m}"/>' for m in self.merged)
            merged = f'<mergeCells count="{len(self.merged)}">{refs}</mergeCells>'
        sheet = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{''.join(rows)}</sheetData>{merged}</worksheet>"
        )
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, xml in PARTS.items():
                z.writestr(name, xml)
            z.writestr("xl/worksheets/sheet1.xml", sheet)


def book_list(path: Path) -> None:
    s = Sheet()
    s.merge(0, 0, 10, "PERPUSTAKAAN SMP NEGERI 1 CONTOH", BOLD)
    s.merge(1, 0, 10, "DAFTAR INVENTARIS BUKU", BOLD)
    s.merge(2, 0, 10, "Per 14 Juli 2026")
    header = [
        "No.",
        "Judul Buku",
        "Pengarang",
        "Penerbit",
        "Kota Terbit",
        "Tahun Terbit",
        "No. Klasifikasi",
        "Jumlah Eks.",
        "Lokasi Rak",
        "Sumber",
        "Keterangan",
    ]
    for c, h in enumerate(header):
        s.text(4, c, h, BOLD)
    total = 0
    for i, (title, author, publisher, city, year, klass, copies, shelf, source) in enumerate(BOOKS):
        r = 5 + i
        s.number(r, 0, i + 1)
        for c, v in [(1, title), (2, author), (3, publisher), (4, city), (6, klass), (8, shelf), (9, source)]:
            s.text(r, c, v)
        (s.number if year.isdigit() else s.text)(r, 5, int(year) if year.isdigit() else year)
        (s.number if copies.isdigit() else s.text)(r, 7, int(copies) if copies.isdigit() else copies)
        total += int(copies.split(" ")[0])
    last = 5 + len(BOOKS)
    s.merge(last, 0, 6, "JUMLAH", BOLD)
    s.number(last, 7, total, BOLD)
    s.text(last + 2, 8, "Contoh, 14 Juli 2026")
    s.text(last + 3, 8, "Kepala Perpustakaan")
    s.text(last + 6, 8, "Sri Wahyuni, S.Pd.")
    s.text(last + 7, 8, "NIP. 19800101 200501 2 001")
    s.save(path)


def student_export(path: Path) -> None:
    s = Sheet()
    s.text(0, 0, "Daftar Peserta Didik", BOLD)
    s.text(1, 0, "SMP NEGERI 1 CONTOH")
    s.text(2, 0, "Kecamatan Depok, Kabupaten Sleman, Provinsi D.I. Yogyakarta")
    s.text(3, 0, "Tanggal Unduh: 2026-07-14 08:01:22")
    s.text(4, 0, "Pengunduh: operator@smpn1contoh.sch.id")
    header = [
        "No",
        "Nama",
        "NIPD",
        "JK",
        "NISN",
        "Tempat Lahir",
        "Tanggal Lahir",
        "NIK",
        "Agama",
        "Alamat",
        "Rombel Saat Ini",
    ]
    for c, h in enumerate(header):
        s.text(5, c, h, BOLD)
    for i, (name, nipd, sex, nisn, place, born, klass) in enumerate(STUDENTS):
        r = 6 + i
        s.number(r, 0, i + 1)
        for c, v in [(1, name), (2, nipd), (3, sex), (4, nisn), (5, place), (10, klass)]:
            s.text(r, c, v)
        s.date(r, 6, born)
        s.text(r, 7, f"34040{i + 1:011d}")
        s.text(r, 8, "Islam")
        s.text(r, 9, "Jl. Kaliurang Km 5")
    s.save(path)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "moving-in-files")
    folder.mkdir(parents=True, exist_ok=True)
    book_list(folder / "daftar-buku.xlsx")
    student_export(folder / "daftar-peserta-didik.xlsx")
    copies = sum(int(b[6].split(" ")[0]) for b in BOOKS)
    print(f"{folder}/daftar-buku.xlsx: {len(BOOKS)} books, {copies} copies")
    print(f"{folder}/daftar-peserta-didik.xlsx: {len(STUDENTS)} students")


if __name__ == "__main__":
    main()
