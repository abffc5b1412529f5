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

/// The librarian's own choice of columns, from the page's mapping step or the command line's
/// `--columns` file: a header of the file (as written there) → the field it holds, or `None` to
/// leave the column out. Headers it does not name are matched by their names as usual.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap(pub Vec<(String, Option<&'static str>)>);

impl ColumnMap {
    /// Reads `{"Header": "field", "Other": null}` (an empty string leaves a column out too),
    /// checking every field is one of `kind`'s; the error names what is wrong.
    pub fn parse(json: &str, kind: &Kind) -> Result<Self, String> {
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| format!("not a JSON object of header: field pairs ({e})"))?;
        let mut out = Vec::with_capacity(raw.len());
        for (header, field) in raw {
            let field = match field {
                serde_json::Value::Null => None,
                serde_json::Value::String(f) if f.trim().is_empty() => None,
                serde_json::Value::String(f) => Some(
                    kind.fields
                        .iter()
                        .map(|(name, _)| *name)
                        .find(|name| *name == f.trim())
                        .ok_or_else(|| format!("“{header}”: there is no field “{f}”"))?,
                ),
                other => return Err(format!("“{header}”: a field name or null, not {other}")),
            };
            out.push((header.trim().to_owned(), field));
        }
        Ok(ColumnMap(out))
    }

    fn get(&self, header: &str) -> Option<Option<&'static str>> {
        self.0.iter().find(|(h, _)| h == header.trim()).map(|(_, f)| *f)
    }
}

/// The sheet with its header located ([`locate`]) and its columns as `map` says: a column mapped
/// to a field gets that field's own name, a column left out a name no field has (so it is not
/// read, and is listed as left out),
/// and a column the map does not name that would hold a field the map gave another column is
/// left out too (the librarian's choice wins).
pub fn remap(sheet: Sheet, kind: &Kind, map: &ColumnMap) -> Sheet {
    if map.0.is_empty() {
        return locate(sheet, kind);
    }
    // The header is the top row holding the most of the headers the map names (the librarian
    // saw them there), else where it would be found without a map.
    let named = |cells: &[&str]| cells.iter().filter(|c| map.get(c).is_some()).count();
    let best = sheet
        .top(HEADER_SEARCH_ROWS)
        .map(|(_, cells)| named(&cells))
        .enumerate()
        .fold((0, 0), |(at, most), (i, n)| if n > most { (i, n) } else { (at, most) });
    let mut sheet = match best {
        (_, 0) => locate(sheet, kind),
        (0, _) => sheet,
        (n, _) => sheet.rehead(n - 1),
    };
    let chosen: Vec<&'static str> = map.0.iter().filter_map(|(_, f)| *f).collect();
    for h in &mut sheet.headers {
        *h = match map.get(h) {
            Some(Some(field)) => canonical(kind, field).to_owned(),
            Some(None) => left_out(h),
            None if field_of(h, kind.fields).is_some_and(|f| chosen.contains(&f)) => left_out(h),
            None => continue,
        };
    }
    sheet
}

/// A column the librarian left out: named so that no field matches it, and listed in the report
/// among the columns left out.
fn left_out(header: &str) -> String {
    format!("{} (diabaikan)", header.trim())
}

/// The name a field is always known by (the first of its names).
fn canonical(kind: &Kind, field: &str) -> &'static str {
    kind.fields.iter().find(|(f, _)| *f == field).and_then(|(_, names)| names.first().copied()).unwrap_or("")
}

/// One column of a file as the mapping step shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ColumnGuess {
    /// The header as written in the file.
    pub header: String,
    /// The field Pustaka matched it to by its name, if any.
    pub field: Option<&'static str>,
    /// The column's first few values (up to 3), to recognise it by.
    pub samples: Vec<String>,
}

/// What the mapping step shows of a file: where its header is, each column with the field it
/// matched and a few values, and every field the import takes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ColumnsOfFile {
    /// The line (CSV) or row (XLSX) of the header found.
    pub header_line: usize,
    pub columns: Vec<ColumnGuess>,
    /// The fields a column may be mapped to.
    pub fields: Vec<&'static str>,
}

/// The mapping step's view of `sheet` (see [`ColumnsOfFile`]).
pub fn describe(sheet: Sheet, kind: &Kind) -> ColumnsOfFile {
    // Where the header would be found; failing that (fewer than two names Pustaka knows: the
    // very file that needs the mapping step), the widest of the top rows, as title rows above a
    // header hold one cell or two.
    let known = |cells: &[&str]| cells.iter().filter(|c| !c.trim().is_empty() && kind.known(c)).count();
    let found = sheet.top(HEADER_SEARCH_ROWS).any(|(_, cells)| known(&cells) >= HEADER_MIN_KNOWN);
    let sheet = if found {
        locate(sheet, kind)
    } else {
        let filled = |cells: &[&str]| cells.iter().filter(|c| !c.trim().is_empty()).count();
        let widest = sheet
            .top(HEADER_SEARCH_ROWS)
            .map(|(_, cells)| filled(&cells))
            .enumerate()
            .fold((0, 0), |(at, most), (i, n)| if n > most { (i, n) } else { (at, most) });
        match widest.0 {
            0 => sheet,
            n => sheet.rehead(n - 1),
        }
    };
    let columns = sheet
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.trim().is_empty())
        .map(|(i, h)| ColumnGuess {
            header: h.trim().to_owned(),
            field: field_of(h, kind.fields),
            samples: sheet
                .rows
                .iter()
                .filter_map(|(_, r)| Sheet::cell(r, Some(i)))
                .take(3)
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    ColumnsOfFile { header_line: sheet.header_line, columns, fields: kind.fields.iter().map(|(f, _)| *f).collect() }
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
    fn a_map_names_columns_leaves_some_out_and_wins_over_names() {
        let map = ColumnMap::parse(r#"{"Nama Koleksi": "title", "Judul": null, "Warna": ""}"#, &SMALL).unwrap();
        let s = remap(sheet("Judul;Nama Koleksi;Pengarang;Warna\nX;Laskar;Andrea;merah\n"), &SMALL, &map);
        let (cols, _) = columns(&s.headers, SMALL.fields);
        assert_eq!(cols.get("title"), Some(&1), "the chosen column, not the one named Judul");
        assert_eq!(cols.get("authors"), Some(&2), "unnamed in the map: matched by its name");
        assert_eq!(cols.len(), 2);
        // A column the map does not name that would hold a field the map gave another is left out.
        let map = ColumnMap::parse(r#"{"Nama Koleksi": "title"}"#, &SMALL).unwrap();
        let s = remap(sheet("Judul;Nama Koleksi;Pengarang\nX;Laskar;Andrea\n"), &SMALL, &map);
        assert_eq!(columns(&s.headers, SMALL.fields).0.get("title"), Some(&1));
    }

    #[test]
    fn a_map_with_an_unknown_field_or_bad_json_is_refused_in_words() {
        assert!(ColumnMap::parse(r#"{"Judul": "judulnya"}"#, &SMALL).unwrap_err().contains("no field “judulnya”"));
        assert!(ColumnMap::parse("[1, 2]", &SMALL).is_err());
        assert!(ColumnMap::parse(r#"{"Judul": 3}"#, &SMALL).is_err());
    }

    #[test]
    fn describe_finds_the_header_and_shows_samples() {
        let d = describe(sheet("Daftar Buku SMP\n\nJudul;Pengarang;Warna\nA;B;merah\nC;;biru\n"), &SMALL);
        assert_eq!(d.header_line, 3);
        let shown: Vec<_> = d.columns.iter().map(|c| (c.header.as_str(), c.field, c.samples.len())).collect();
        assert_eq!(shown, [("Judul", Some("title"), 2), ("Pengarang", Some("authors"), 1), ("Warna", None, 2)]);
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
