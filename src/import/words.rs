//! An import report's row reasons in the library's language. The reasons are written in English
//! where they arise (the domain's field rules, the import's own checks, the store); for a report
//! in Indonesian (the default, as the page is) [`localise`] puts each into Indonesian by the
//! patterns below. A reason no pattern knows stays as it was rather than being lost; the unit
//! test below holds every reason the spreadsheet imports give to a pattern.

use crate::{
    domain::notices::Language,
    store::import::{Report, RowError},
};

/// English reason patterns (`{}` stands for any text) and their Indonesian, `{0}`, `{1}`, …
/// standing for what the `{}`s matched. The first pattern that matches wins: the specific before
/// the general.
const REASONS: &[(&str, &str)] = &[
    // The sheet as a whole.
    ("the file has no title column (judul or title)", "berkas tidak punya kolom judul (judul atau title)"),
    ("the file has no name column (nama or name)", "berkas tidak punya kolom nama (nama atau name)"),
    // Books and copies.
    ("{} is not a price in whole rupiah", "{0} bukan harga dalam rupiah bulat"),
    ("barcode {} is already on line {}", "barcode {0} sudah ada di baris {1}"),
    ("barcode {} is twice on this line", "barcode {0} tertulis dua kali di baris ini"),
    ("barcode {} is already on another book (id {})", "barcode {0} sudah dipakai buku lain (id {1})"),
    (
        "the number of copies must be a whole number from 0 to {}",
        "jumlah eksemplar harus bilangan bulat dari 0 sampai {0} (misalnya 2 atau 2 eks)",
    ),
    ("{} is not a year", "{0} bukan tahun"),
    ("another copy already has this barcode", "barcode ini sudah dipakai eksemplar lain"),
    ("another book already has this ISBN", "ISBN ini sudah dipakai buku lain"),
    // Members.
    ("{} is not a date (use YYYY-MM-DD or DD/MM/YYYY)", "{0} bukan tanggal (tulis TTTT-BB-HH atau HH/BB/TTTT)"),
    ("the member number is longer than 180 characters", "nomor anggota lebih dari 180 karakter"),
    ("this member is already on line {}", "anggota ini sudah ada di baris {0}"),
    ("{} is already a number of another member (card {})", "{0} sudah menjadi nomor anggota lain (kartu {1})"),
    ("{} is already a number of another member", "{0} sudah menjadi nomor anggota lain"),
    ("{} is already on line {}", "{0} sudah ada di baris {1}"),
    (
        "the row has no category; give one, or a default with --default-category",
        "baris ini tanpa kategori; isi kategorinya, atau pilih kategori bawaan (--default-category)",
    ),
    (
        "unknown category {}; map it to a category's code (a sheet: --category \"{}=CODE\"; SLiMS: a line `{} = CODE` in the --category-map file)",
        "kategori {0} tidak dikenal; petakan ke kode kategori (lembar: --category \"{1}=KODE\"; SLiMS: baris `{2} = KODE` di berkas --category-map)",
    ),
    ("no free card number could be issued; run the import again", "tidak ada nomor kartu bebas; jalankan impor lagi"),
    // A MARC record that cannot be read (`pustaka_formats::marc`, ISO 2709): the record's own row.
    ("more than {} fields in one record", "lebih dari {0} field dalam satu rekaman"),
    ("more than {} copies (952) in one record", "lebih dari {0} eksemplar (952) dalam satu rekaman"),
    ("two directory entries point at the same bytes", "dua entri direktori menunjuk ke byte yang sama"),
    ("shorter than a leader", "lebih pendek dari leader (24 byte pertama rekaman)"),
    ("the leader has no base address", "leader tidak punya alamat awal data (base address)"),
    ("base address {} is outside the record", "alamat awal data {0} ada di luar rekaman"),
    ("the directory is not a list of 12-byte entries", "direktori bukan daftar entri 12 byte"),
    ("the directory is not ASCII", "direktori berisi karakter selain ASCII"),
    ("field {}: bad length", "field {0}: panjangnya tidak valid"),
    ("field {}: bad start", "field {0}: posisi awalnya tidak valid"),
    ("field {} is outside the record", "field {0} ada di luar rekaman"),
    // The domain's field rules.
    ("{} is required.", "{0} wajib diisi."),
    ("At least one author is required.", "Paling sedikit satu pengarang wajib diisi."),
    ("{} must be at least {} characters long.", "{0} paling sedikit {1} karakter."),
    ("{} must be at most {} characters long.", "{0} paling banyak {1} karakter."),
    ("{} must be between {} and {}.", "{0} harus antara {1} dan {2}."),
    ("Each {} entry must be at most {} characters long.", "Setiap isian {0} paling banyak {1} karakter."),
    ("At most {} {} entries are allowed.", "Paling banyak {0} isian {1}."),
    ("{} must not contain control characters{}", "{0} tidak boleh berisi karakter kendali (NUL, escape, ganti baris)."),
    ("{} must not contain invisible characters{}", "{0} tidak boleh berisi karakter tak terlihat."),
    ("Email must look like name@example.org.", "Email harus seperti nama@contoh.org."),
    (
        "Barcode must contain only letters, digits, '-', '.' and '_'.",
        "Barcode hanya boleh berisi huruf, angka, '-', '.' dan '_'.",
    ),
    ("Number must be letters, digits and . - / _ : only.", "Nomor hanya boleh berisi huruf, angka dan . - / _ :."),
    ("The ISBN {}.", "ISBN tidak valid ({0})."),
    ("{} must {}.", "{0} tidak valid ({1})."),
];

/// Field names as the domain's messages write them, in Indonesian.
const LABELS: &[(&str, &str)] = &[
    ("Title", "Judul"),
    ("Name", "Nama"),
    ("Publisher", "Penerbit"),
    ("Edition", "Edisi"),
    ("Call number", "Nomor panggil"),
    ("Classification", "Klasifikasi"),
    ("Collation", "Kolasi"),
    ("Series", "Seri"),
    ("Source id", "ID sumber"),
    ("Location", "Lokasi"),
    ("Notes", "Catatan"),
    ("Year", "Tahun"),
    ("Language", "Bahasa"),
    ("Email", "Email"),
    ("Phone", "Telepon"),
    ("Class", "Kelas"),
    ("Grade", "Kelas"),
    ("Number", "Nomor"),
    ("Barcode", "Barcode"),
    ("author", "pengarang"),
    ("subject", "subjek"),
    ("identifier", "pengenal"),
];

/// `text` matched against `pattern`: what each `{}` stood for, or `None`.
fn matches<'t>(pattern: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(pieces[0])?;
    let mut caught = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last {
            rest.len().checked_sub(piece.len()).filter(|&at| rest.is_char_boundary(at) && rest[at..] == **piece)?
        } else if piece.is_empty() {
            return None;
        } else {
            rest.find(piece)?
        };
        caught.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    rest.is_empty().then_some(caught)
}

/// A field label in Indonesian (as it was when unknown).
fn label(s: &str) -> &str {
    LABELS.iter().find(|(en, _)| *en == s).map_or(s, |(_, id)| id)
}

/// One reason in `lang` (English reasons are as they were).
pub fn reason_in(lang: Language, reason: &str) -> String {
    if lang == Language::En {
        return reason.to_owned();
    }
    for (en, id) in REASONS {
        if let Some(caught) = matches(en, reason) {
            let mut out = (*id).to_owned();
            for (i, c) in caught.iter().enumerate() {
                out = out.replace(&format!("{{{i}}}"), label(c));
            }
            return out;
        }
    }
    reason.to_owned()
}

/// The report with its row reasons (errors and warnings) in `lang`.
pub fn localise(mut report: Report, lang: Language) -> Report {
    let put = |e: &mut RowError| e.reason = reason_in(lang, &e.reason);
    report.errors.iter_mut().for_each(put);
    report.warnings.iter_mut().for_each(put);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_catch_what_they_stand_for() {
        assert_eq!(
            matches("barcode {} is already on line {}", "barcode B1 is already on line 4"),
            Some(vec!["B1", "4"])
        );
        assert_eq!(matches("{} is required.", "Title is required."), Some(vec!["Title"]));
        assert_eq!(matches("{} is required.", "Title is required. Really"), None);
        assert_eq!(matches("exact", "exact"), Some(vec![]));
        assert_eq!(matches("exact", "exactly"), None);
    }

    #[test]
    fn every_reason_of_a_sheet_import_has_its_indonesian() {
        let reasons = [
            "the file has no title column (judul or title)",
            "\"abad\" is not a year",
            "\"2 rak\" is not a price in whole rupiah",
            "barcode B2 is already on line 3",
            "barcode B2 is twice on this line",
            "barcode B2 is already on another book (id 4)",
            "the number of copies must be a whole number from 0 to 500",
            "\"31/02/2010\" is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
            "this member is already on line 7",
            "0051234567 is already on line 7",
            "0051234567 is already a number of another member",
            "unknown category \"Alumni\"; map it to a category's code (a sheet: --category \"Alumni=CODE\"; SLiMS: a line `Alumni = CODE` in the --category-map file)",
            "the row has no category; give one, or a default with --default-category",
            "Title is required.",
            "Publisher must be at most 200 characters long.",
            "Email must look like name@example.org.",
            "The ISBN has a wrong check digit.",
            "Phone must be 6 to 20 digits.",
        ];
        for r in reasons {
            let id = reason_in(Language::Id, r);
            assert_ne!(id, r, "no Indonesian for {r:?}");
            assert_eq!(reason_in(Language::En, r), r);
        }
        assert_eq!(reason_in(Language::Id, "Title is required."), "Judul wajib diisi.");
        assert_eq!(
            reason_in(Language::Id, "more than 1000 copies (952) in one record"),
            "lebih dari 1000 eksemplar (952) dalam satu rekaman"
        );
        assert_eq!(reason_in(Language::Id, "barcode B2 is already on line 3"), "barcode B2 sudah ada di baris 3");
        assert_eq!(
            reason_in(Language::Id, "Publisher must be at most 200 characters long."),
            "Penerbit paling banyak 200 karakter."
        );
    }

    /// An ISO 2709 record of `entries` (tag, length, start) over `data`.
    fn iso2709(entries: &[(&str, usize, usize)], data: &[u8]) -> Vec<u8> {
        let mut dir: Vec<u8> = entries.iter().flat_map(|(t, l, s)| format!("{t}{l:04}{s:05}").into_bytes()).collect();
        dir.push(0x1E);
        let base = 24 + dir.len();
        let mut out = format!("{:05}nam a22{base:05} i 4500", base + data.len() + 1).into_bytes();
        out.extend(dir);
        out.extend_from_slice(data);
        out.push(0x1D);
        out
    }

    /// Every reason a MARC record is refused for on its own row (the rest of the file imported) is
    /// put into Indonesian: each made by a record that has it.
    #[test]
    fn every_reason_a_marc_record_is_refused_has_its_indonesian() {
        use crate::marc::{read_iso2709, Record, MAX_COPIES, MAX_FIELDS};
        let data = b"B1\x1e10\x1faJudul\x1e";
        let good = iso2709(&[("001", 3, 0), ("245", 10, 3)], data);
        let set = |at: usize, with: &[u8]| {
            let mut r = good.clone();
            r[at..at + with.len()].copy_from_slice(with);
            r
        };
        let many = |tag: &str, n: usize| {
            let mut r = Record::book();
            for i in 0..n {
                r.data(tag, [' ', ' '], vec![('a', format!("n{i}"))]);
            }
            r.to_iso2709()
        };
        let broken = [
            many("500", MAX_FIELDS + 1),
            many("952", MAX_COPIES + 1),
            b"00012nam".to_vec(),
            set(12, b"abcde"),
            set(12, b"99999"),
            set(12, b"00050"),
            set(26, "é".as_bytes()),
            set(27, b"ab"),
            set(32, b"x"),
            set(39, b"9999"),
            iso2709(&[("001", 3, 0), ("245", 10, 3), ("500", 10, 3)], data),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for bytes in broken {
            let reason = match read_iso2709(&bytes).next() {
                Some(Err(e)) => e.reason,
                other => panic!("not refused: {:?}", other.map(|r| r.map(|r| r.fields.len()))),
            };
            let id = reason_in(Language::Id, &reason);
            assert_ne!(id, reason, "no Indonesian for {reason:?}");
            assert!(!id.contains('{'), "{id}");
            seen.insert(reason);
        }
        assert_eq!(seen.len(), 11, "each a reason of its own: {seen:#?}");
        assert!(seen.contains(&format!("more than {MAX_FIELDS} fields in one record")), "{seen:#?}");
        assert!(seen.contains(&format!("more than {MAX_COPIES} copies (952) in one record")), "{seen:#?}");
    }
}
