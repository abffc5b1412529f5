//! Which column of a school's sheet is which field, and which row is the header.
//!
//! Sheets come as schools keep them: a school's name, a date and a blank row above the header
//! (the administration system's student export has five title rows), their own column names
//! (`Jumlah Eks.`, `No. Klasifikasi`, `Rombel Saat Ini`), a totals row (`JUMLAH … 1882`) and a
//! signature below the list. The header is the first row in which at least two cells are known
//! column names ([`locate`]); names are compared after [`normal`] and, failing that, without a
//! leading `No.`/`Nomor` ([`names_of`]). Rows that are not records ([`not_a_record`]) are left
//! out and counted.

use std::collections::HashMap;

use crate::sheet::{Sheet, Text};

/// How far down a header is looked for (the header read first and this many rows after it).
const HEADER_SEARCH_ROWS: usize = 30;

/// How many known column names make a row the header.
const HEADER_MIN_KNOWN: usize = 2;

/// Lower-cased letters and digits only: `Nomor Panggil` and `nomor_panggil` are one name.
pub fn normal(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The names a header answers to: [`normal`] of it, and of it without a leading `No.`, `No`
/// or `Nomor` (`No. Klasifikasi` is the classification, `No. Induk` the student number).
fn names_of(header: &str) -> (String, Option<String>) {
    let lower = header.trim().to_lowercase();
    let rest = ["no.", "no ", "nomor ", "nomer ", "no:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .map(normal)
        .filter(|r| !r.is_empty());
    (normal(header), rest)
}

/// The field a header names among `fields`, if any.
fn field_of(header: &str, fields: &[(&'static str, &[&str])]) -> Option<&'static str> {
    let (full, rest) = names_of(header);
    let find = |n: &str| fields.iter().find(|(_, names)| names.contains(&n)).map(|(f, _)| *f);
    find(&full).or_else(|| rest.as_deref().and_then(find))
}

/// A kind of sheet: its fields with their names, and the names of columns it knows but does
/// not store (they count towards finding the header, and are listed as left out).
pub struct Kind {
    pub fields: &'static [(&'static str, &'static [&'static str])],
    pub known_unused: &'static [&'static str],
    /// The field a record cannot be without (the title, the name).
    pub main: &'static str,
}

impl Kind {
    fn known(&self, header: &str) -> bool {
        field_of(header, self.fields).is_some() || {
            let (full, rest) = names_of(header);
            self.known_unused.contains(&full.as_str()) || rest.is_some_and(|r| self.known_unused.contains(&r.as_str()))
        }
    }
}

/// The columns of a sheet of books, by the names schools, SLiMS and Pustaka's own exports give
/// them (after [`normal`]).
pub const BOOKS: Kind = Kind {
    fields: &[
        ("title", &["judul", "title", "judulbuku", "booktitle", "namabuku", "judulpustaka"]),
        ("authors", &["pengarang", "penulis", "pengarangpenulis", "author", "authors", "creator", "namapengarang"]),
        ("isbn", &["isbn", "isbnissn", "isbn13", "isbn10"]),
        ("publisher", &["penerbit", "publisher", "namapenerbit"]),
        ("year", &["tahun", "tahunterbit", "thterbit", "thnterbit", "year", "publishyear", "yearpublished"]),
        ("language", &["bahasa", "language", "lang"]),
        ("subjects", &["subjek", "topik", "subject", "subjects", "topic", "topics"]),
        ("place", &["tempatterbit", "kotaterbit", "place", "publishplace"]),
        ("edition", &["edisi", "cetakan", "edition"]),
        ("call_number", &["nomorpanggil", "nopanggil", "callnumber", "callno"]),
        ("classification", &["klasifikasi", "klas", "kelasddc", "ddc", "classification", "class"]),
        ("collation", &["kolasi", "deskripsifisik", "collation"]),
        ("series", &["seri", "judulseri", "series", "seriestitle"]),
        ("notes", &["catatan", "keterangan", "ket", "notes", "note"]),
        ("identifiers", &["identifier", "identifiers", "issn", "pengenal"]),
        ("source_id", &["sourceid", "idsumber", "source"]),
        // Where the book came from (BOS, a gift): a note, not an identifier.
        ("acquired_from", &["sumber", "sumberbuku", "asalbuku", "asal", "sumberdana"]),
        ("received_on", &["tanggalmasuk", "tglmasuk", "tanggalterima", "tanggalpengadaan"]),
        // `Eksemplar` holds barcodes or a number of copies: the column's cells tell (see `book_rows`).
        ("barcode", &["barcode", "eksemplar", "kodeeksemplar", "kodebarcode", "itemcode", "barcodes"]),
        (
            "copies",
            &["jumlah", "jumlaheks", "jumlaheksemplar", "jumlahbuku", "jml", "jmleks", "eks", "copies", "copycount"],
        ),
        ("location", &["lokasi", "lokasirak", "rak", "norak", "location", "shelf"]),
        ("price", &["harga", "hargabuku", "hargasatuan", "price"]),
        // Fiksi, Referensi, Buku Paket, ... (a type not there by name is created).
        (
            "collection_type",
            &[
                "jeniskoleksi",
                "koleksi",
                "jenis",
                "jenisbuku",
                "tipekoleksi",
                "kategoribuku",
                "collectiontype",
                "colltype",
                "itemtype",
                "gmd",
            ],
        ),
    ],
    known_unused: &["induk", "noinduk", "nomorinduk", "kondisi", "bidangstudi", "mapel", "kelasbuku"],
    main: "title",
};

/// The columns of a sheet of members: a library's own list, or the student export of the
/// school's administration system (`NIPD`, `NISN`, `Rombel Saat Ini`, `Tanggal Lahir`).
pub const MEMBERS: Kind = Kind {
    fields: &[
        (
            "name",
            &["nama", "namaanggota", "namalengkap", "namasiswa", "namapesertadidik", "name", "fullname", "membername"],
        ),
        (
            "number",
            &[
                "nomoranggota",
                "noanggota",
                "idanggota",
                "nomorkartu",
                "nokartu",
                "kartu",
                "kartulama",
                "nim",
                "nip",
                "cardnumber",
                "card",
                "memberid",
                "membernumber",
            ],
        ),
        // The school's own student number (NIS; the export calls it NIPD, `No. Induk` elsewhere).
        ("nis", &["nis", "nipd", "induk", "noinduk", "nomorinduk", "nomorindukpesertadidik", "nomorinduksiswa"]),
        ("nisn", &["nisn", "nomorindukpesertadidiknasional", "nomorinduksiswanasional"]),
        ("category", &["kategori", "jenisanggota", "tipeanggota", "tipe", "category", "type", "membertype"]),
        ("grade", &["kelas", "rombel", "rombelsaatini", "rombonganbelajar", "class", "grade"]),
        ("birth_date", &["tanggallahir", "tgllahir", "tgllhr", "birthdate", "dateofbirth", "dob"]),
        ("email", &["email", "surel", "suratelektronik"]),
        ("phone", &["telepon", "telp", "hp", "nohp", "nomorhp", "handphone", "phone", "mobile"]),
        (
            "expires_on",
            &["berlakuhingga", "berlakusampai", "kedaluwarsa", "kadaluarsa", "expires", "expireson", "expirydate"],
        ),
    ],
    known_unused: &[
        "jk",
        "jeniskelamin",
        "lp",
        "tempatlahir",
        "nik",
        "agama",
        "alamat",
        "rt",
        "rw",
        "dusun",
        "kelurahan",
        "kecamatan",
        "kodepos",
        "namaayah",
        "namaibu",
        "tingkatkelas",
        "sekolahasal",
    ],
    main: "name",
};

/// Finds each field's column by its Indonesian or English names; unknown headers are returned.
pub fn columns(headers: &[String], fields: &[(&'static str, &[&str])]) -> (HashMap<&'static str, usize>, Vec<String>) {
    let mut found = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match field_of(h, fields) {
            Some(field) => {
                found.entry(field).or_insert(i);
            }
            None if normal(h).is_empty() || is_row_number_column(h) => {}
            None => ignored.push(h.trim().to_owned()),
        }
    }
    (found, ignored)
}

/// The `No` column that numbers the rows of nearly every school sheet: not a field, and not
/// worth listing as left out.
fn is_row_number_column(header: &str) -> bool {
    matches!(normal(header).as_str(), "no" | "nourut" | "nomor" | "nomorurut" | "urut")
}

/// The sheet with its header where it really is: the first of the top rows with at least two
/// known column names. A sheet without such a row is left as it is (its first row is the
/// header, and the import says which column it misses).
pub fn locate(sheet: Sheet, kind: &Kind) -> Sheet {
    let at = sheet.top(HEADER_SEARCH_ROWS).position(|(_, cells)| {
        cells.iter().filter(|c| !c.trim().is_empty() && kind.known(c)).count() >= HEADER_MIN_KNOWN
    });
    match at {
        // 0 is the header read first; n is data row n - 1.
        Some(n) if n > 0 => sheet.rehead(n - 1),
        _ => sheet,
    }
}

/// What the first cell of a totals row says.
const TOTALS: &[&str] = &[
    "jumlah",
    "total",
    "subtotal",
    "grandtotal",
    "jumlahtotal",
    "jumlahseluruhnya",
    "jumlahkeseluruhan",
    "totalkeseluruhan",
    "jumlahbuku",
    "jumlahsiswa",
];

/// Why a row of the sheet is not a record, if it is not: a totals row (its first cell that holds
/// something says `JUMLAH`, `Total`, …), or a note (a signature, "Mengetahui,", a date below the
/// list, a row number alone): nothing in a column the import reads, or one cell alone that is not
/// the record's main field (a book's title, a member's name). A row with only its title is a book.
pub fn not_a_record(row: &[Text], cols: &HashMap<&'static str, usize>, main: &str) -> bool {
    let filled: Vec<usize> = (0..row.len()).filter(|&i| Sheet::cell(row, Some(i)).is_some()).collect();
    let Some(&first) = filled.first() else { return true };
    if TOTALS.contains(&normal(&row[first]).as_str()) {
        return true;
    }
    let read: Vec<usize> = filled.iter().copied().filter(|i| cols.values().any(|c| c == i)).collect();
    read.is_empty() || (filled.len() == 1 && cols.get(main) != Some(&filled[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Kind = Kind {
        fields: &[("title", &["judul", "judulbuku"]), ("authors", &["pengarang"]), ("copies", &["jumlaheks"])],
        known_unused: &["tanggalmasuk"],
        main: "title",
    };

    fn sheet(text: &str) -> Sheet {
        crate::sheet::read(text.as_bytes()).unwrap()
    }

    #[test]
    fn header_names_lose_case_punctuation_and_a_leading_no() {
        let fields: &[(&str, &[&str])] = &[("classification", &["klasifikasi"]), ("copies", &["jumlaheks"])];
        assert_eq!(field_of("No. Klasifikasi", fields), Some("classification"));
        assert_eq!(field_of("NOMOR KLASIFIKASI", fields), Some("classification"));
        assert_eq!(field_of("Jumlah Eks.", fields), Some("copies"));
        assert_eq!(field_of("jumlah_eks", fields), Some("copies"));
        assert_eq!(field_of("No.", fields), None);
        let (cols, ignored) = columns(&["No".into(), "No. Klasifikasi".into(), "Warna".into()], fields);
        assert_eq!(cols.get("classification"), Some(&1));
        assert_eq!(ignored, ["Warna"], "the row-number column is not listed as left out");
    }

    #[test]
    fn the_header_is_the_first_row_with_two_known_names() {
        let s = locate(
            sheet(
                "PERPUSTAKAAN SMP NEGERI 1 CONTOH;;\nper 1 Juli 2026;;\n;;\n\
                 No;Judul Buku;Pengarang;Jumlah Eks.\n1;Laskar Pelangi;Andrea Hirata;2 eks\n",
            ),
            &SMALL,
        );
        assert_eq!(s.header_line, 4);
        assert_eq!(s.headers, ["No", "Judul Buku", "Pengarang", "Jumlah Eks."]);
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.rows[0].0, 5);
        // A name the sheet does not store still counts as a known column.
        let s = locate(sheet("Daftar\nJudul;Tanggal Masuk\nA;2026-01-02\n"), &SMALL);
        assert_eq!((s.header_line, s.rows.len()), (2, 1));
        // Already at the top: as it is. No row with two known names: as it is too.
        assert_eq!(locate(sheet("judul;pengarang\nA;B\n"), &SMALL).header_line, 1);
        let s = locate(sheet("Daftar Buku\njudul\nA\n"), &SMALL);
        assert_eq!((s.header_line, s.headers.as_slice()), (1, ["Daftar Buku".to_owned()].as_slice()));
    }

    #[test]
    fn totals_rows_and_notes_are_not_records() {
        let cols: HashMap<&str, usize> = [("title", 1), ("authors", 2), ("copies", 3)].into_iter().collect();
        let row = |cells: &[&str]| cells.iter().map(|c| Text::from(*c)).collect::<Vec<_>>();
        assert!(not_a_record(&row(&["JUMLAH", "", "", "1882"]), &cols, "title"));
        assert!(not_a_record(&row(&["", "Jumlah", "", "12"]), &cols, "title"));
        assert!(not_a_record(&row(&["Total:", "", "", "12"]), &cols, "title"));
        assert!(not_a_record(&row(&["", "", "", ""]), &cols, "title"));
        assert!(not_a_record(&row(&["Mengetahui,"]), &cols, "title"));
        assert!(not_a_record(&row(&["", "", "Kepala Sekolah"]), &cols, "title"));
        assert!(not_a_record(&row(&["21"]), &cols, "title"), "a numbered empty row");
        assert!(not_a_record(&row(&["", "", "", "", "", "NIP. 19650101 199003 1 001"]), &cols, "title"));
        // Records: a title alone, a title that starts with a totals word, a full row.
        assert!(!not_a_record(&row(&["", "Laskar Pelangi"]), &cols, "title"));
        assert!(!not_a_record(&row(&["3", "Total Quality Management", "Deming"]), &cols, "title"));
        assert!(!not_a_record(&row(&["1", "", "Andrea Hirata", "2"]), &cols, "title"), "no title: refused, not hidden");
    }
}
