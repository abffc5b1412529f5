//! Bringing a library in: spreadsheets of books and of members (CSV or XLSX).
//!
//! Reading is pure: a file's bytes become a [`Sheet`], whose rows become validated records
//! ([`book_rows`], [`member_rows`]) or a reason per row. The store then applies the records in
//! batches of transactions ([`crate::store::import`]); the same run with `dry_run` rolls every
//! batch back and reports what it would have done.
//!
//! Identity, so that a second run changes nothing: a book is the one with the same source id
//! (`source_id` column, e.g. `slims:42`), else the same ISBN; a row with neither gets the source
//! id `sheet:` + a digest of its title, authors, edition and year. A copy is its barcode. A member
//! whose number in the sheet is a valid Pustaka card number keeps it as their card; any other
//! number becomes the member's `source_id` (`sheet:NUMBER`) and they are issued a new Pustaka card
//! (the report lists old number → new card); a row without a number is known by `sheet:` + a
//! digest of its name, e-mail and phone.

pub mod columns;
pub mod slims;
pub mod words;

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::{
    sheet::{Sheet, SheetError},
    store::import::{resolve_category, BookIn, CopyIn, MemberIn, NumberIn, Report, RowError, MAX_COPIES_PER_ROW},
};

use crate::{
    domain::{
        text, Authors, Barcode, CardNumber, Email, Grade, Identifiers, Isbn, LanguageCode, MemberNumber, Notes,
        NumberKind, PersonName, Phone, ShortText, Subjects, Title, ValidationError, Year,
    },
    sheet,
    store::{
        catalogue::{BookExtra, NewBook},
        error::StoreError,
        Actor, Store,
    },
};

/// The errors of a sheet's rows as they are checked: the first `keep` kept, the rest only
/// counted. A sheet of 200,000 rows with a bad value in each of ten columns is two million errors,
/// some hundreds of MB as `RowError`s; a job stores the first 1,000 of them only.
#[derive(Debug)]
pub struct RowErrors {
    kept: Vec<RowError>,
    omitted: usize,
    keep: usize,
}

impl RowErrors {
    /// Keeps the first `keep` errors.
    pub fn keeping(keep: usize) -> Self {
        Self { kept: Vec::new(), omitted: 0, keep }
    }

    pub fn push(&mut self, e: RowError) {
        if self.kept.len() < self.keep {
            self.kept.push(e);
        } else {
            self.omitted += 1;
        }
    }

    /// Errors seen, kept or not.
    pub fn len(&self) -> usize {
        self.kept.len() + self.omitted
    }

    /// Whether no error was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The errors kept, and how many more there were.
    pub fn into_parts(self) -> (Vec<RowError>, usize) {
        (self.kept, self.omitted)
    }
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The system imported from could not be read (a SLiMS database).
    #[error("{0}")]
    Source(String),
}

/// A file read for an import, before its rows are checked: what the page reads while the
/// request is still open, so that a file that cannot be read at all is refused at once.
#[derive(Debug)]
pub enum Input {
    /// A spreadsheet (books or members).
    Sheet(Sheet),
    /// A MARC file as rows of a sheet, and the records that could not be read.
    Marc(Sheet, Vec<crate::marc::MarcError>),
}

impl Input {
    /// Reads a spreadsheet, or a MARC file when `marc`.
    pub fn read(bytes: &[u8], marc: bool) -> Result<Self, ImportError> {
        if marc {
            let (sheet, broken) = crate::marc::read_sheet(bytes).map_err(marc_refused)?;
            Ok(Input::Marc(sheet, broken))
        } else {
            Ok(Input::Sheet(sheet::read(bytes)?))
        }
    }
}

/// A MARC file refused whole: past a budget, as a sheet past one is (so the refusal names the
/// budget); otherwise why it cannot be read.
fn marc_refused(e: crate::marc::MarcError) -> ImportError {
    match e.budget {
        Some(budget) => ImportError::Sheet(SheetError::TooBig(budget)),
        None => ImportError::Source(e.to_string()),
    }
}

/// Imports the books (and copies) of a spreadsheet; `progress` hears (books done, books in all).
pub async fn books(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ImportError> {
    books_of(store, actor, sheet::read(bytes)?, dry_run, None, usize::MAX, progress).await
}

/// [`books`] of a sheet already read; a run that writes records itself as import run `run`
/// (the page's job), or as a new one when `None`. Of the rows' errors the first `keep` are kept
/// and the rest counted in the report's `errors_omitted` (the page's job keeps what its report
/// stores: a sheet of bad rows is not held as an error per row while the job runs).
pub async fn books_of(
    store: &Store,
    actor: &Actor,
    sheet: Sheet,
    dry_run: bool,
    run: Option<i64>,
    keep: usize,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ImportError> {
    use chrono::Datelike;
    let sheet = columns::locate(sheet, &columns::BOOKS);
    let (books, errors, ignored, skipped) = book_rows_keeping(&sheet, store.today(store.now()).year(), keep);
    let (header_line, rows) = (sheet.header_line, sheet.rows.len() - skipped);
    // The records are made: the sheet's text is not needed while they are written.
    drop(sheet);
    let (errors, errors_omitted) = errors.into_parts();
    let mut report = Report {
        dry_run,
        header_line,
        rows,
        rows_skipped: skipped,
        ignored_columns: ignored,
        errors,
        errors_omitted,
        import_id: run.filter(|_| !dry_run),
        ..Report::default()
    };
    store.import_books(actor, &books, &mut report, progress).await?;
    report.errors.sort_by_key(|e| e.line);
    store.audit_import(actor, "import.books", &report).await?;
    Ok(report)
}

/// Imports the books (and copies, from 952 $p) of a MARC file, ISO 2709 or MARCXML, through the
/// same checks and identity rules as a spreadsheet of books ([`crate::marc::to_rows`]).
pub async fn marc(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ImportError> {
    let (sheet, broken) = crate::marc::read_sheet(bytes).map_err(marc_refused)?;
    marc_of(store, actor, sheet, broken, dry_run, None, usize::MAX, progress).await
}

/// [`marc`] of a file already read (see [`books_of`] for `run` and `keep`).
#[allow(clippy::too_many_arguments)]
pub async fn marc_of(
    store: &Store,
    actor: &Actor,
    sheet: Sheet,
    broken: Vec<crate::marc::MarcError>,
    dry_run: bool,
    run: Option<i64>,
    keep: usize,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ImportError> {
    use chrono::Datelike;
    let (books, mut errors, _, _) = book_rows_keeping(&sheet, store.today(store.now()).year(), keep);
    for e in broken {
        errors.push(RowError::new(e.index, "record", e.reason));
    }
    let records = sheet.rows.iter().map(|(i, _)| *i).max().unwrap_or(0);
    drop(sheet);
    let (errors, errors_omitted) = errors.into_parts();
    let mut books = books;
    let warnings = marc_types(&store.collection_types().await?, &mut books);
    let mut report = Report {
        dry_run,
        rows: records,
        errors,
        errors_omitted,
        warnings,
        import_id: run.filter(|_| !dry_run),
        ..Report::default()
    };
    store.import_books(actor, &books, &mut report, progress).await?;
    report.errors.sort_by_key(|e| e.line);
    store.audit_import(actor, "import.marc", &report).await?;
    Ok(report)
}

/// The collection types of a MARC file's books (942 $c) and copies (952 $y) as the library's codes:
/// a code, or a name in any case, of a type the library has. Another (a Koha item type such as
/// `BK`) is left out with a warning on its record, never made into a type as a spreadsheet's
/// column would be: a code is not a name to show.
fn marc_types(types: &[crate::store::collections::CollectionType], books: &mut [BookIn]) -> Vec<RowError> {
    let known = |t: &str| {
        let t = t.trim();
        types.iter().find(|k| k.code == t || k.name.eq_ignore_ascii_case(t)).map(|k| k.code.clone())
    };
    let mut warnings = Vec::new();
    let mut check = |line: usize, t: &mut Option<String>| {
        if let Some(code) = t.as_deref() {
            match known(code) {
                Some(k) => *t = Some(k),
                None => {
                    if !warnings.iter().any(|w: &RowError| w.line == line && w.reason.contains(&format!("{code:?}"))) {
                        warnings.push(RowError::new(
                            line,
                            "collection_type",
                            format!("collection type {code:?} is not one of the library's: left out"),
                        ));
                    }
                    *t = None;
                }
            }
        }
    };
    for b in books.iter_mut() {
        check(b.line, &mut b.collection_type);
        for c in &mut b.copies {
            check(c.line, &mut c.collection_type);
        }
    }
    warnings
}

/// How a members import maps categories.
#[derive(Debug, Default, Clone)]
pub struct MemberOptions {
    /// The sheet's category (lower-cased) → a category code.
    pub categories: HashMap<String, String>,
    /// The category of rows that name none.
    pub default_category: Option<String>,
}

/// Imports the members of a spreadsheet; `progress` hears (members done, members in all).
pub async fn members(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    options: &MemberOptions,
    dry_run: bool,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ImportError> {
    members_of(store, actor, sheet::read(bytes)?, options, dry_run, usize::MAX, progress).await
}

/// [`members`] of a sheet already read (see [`books_of`] for `keep`).
pub async fn members_of(
    store: &Store,
    actor: &Actor,
    sheet: Sheet,
    options: &MemberOptions,
    dry_run: bool,
    keep: usize,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ImportError> {
    let sheet = columns::locate(sheet, &columns::MEMBERS);
    let (members, errors, ignored, skipped) = member_rows_keeping(&sheet, keep);
    let (header_line, rows) = (sheet.header_line, sheet.rows.len() - skipped);
    drop(sheet);
    let (errors, errors_omitted) = errors.into_parts();
    let mut report = Report {
        dry_run,
        header_line,
        rows,
        rows_skipped: skipped,
        ignored_columns: ignored,
        errors,
        errors_omitted,
        ..Report::default()
    };
    store
        .import_members(
            actor,
            &members,
            &options.categories,
            options.default_category.as_deref(),
            &mut report,
            progress,
        )
        .await?;
    report.errors.sort_by_key(|e| e.line);
    store.audit_import(actor, "import.members", &report).await?;
    Ok(report)
}

/// The sheet's books: rows grouped into books (one row per copy, or a copies column), every
/// row that cannot be used with its reason, the columns left out and how many rows are not
/// records (totals, notes; see [`columns::not_a_record`]). Copies of one book may be spread over
/// rows anywhere in the file.
pub fn book_rows(sheet: &Sheet, current_year: i32) -> (Vec<BookIn>, Vec<RowError>, Vec<String>, usize) {
    let (books, errors, ignored, skipped) = book_rows_keeping(sheet, current_year, usize::MAX);
    (books, errors.into_parts().0, ignored, skipped)
}

/// [`book_rows`], keeping the first `keep` errors and counting the rest.
fn book_rows_keeping(sheet: &Sheet, current_year: i32, keep: usize) -> (Vec<BookIn>, RowErrors, Vec<String>, usize) {
    let (mut cols, ignored) = columns::columns(&sheet.headers, columns::BOOKS.fields);
    let mut errors = RowErrors::keeping(keep);
    if !cols.contains_key("title") {
        errors.push(RowError::new(sheet.header_line.max(1), "title", "the file has no title column (judul or title)"));
        return (Vec::new(), errors, ignored, 0);
    }
    // `Eksemplar` is a column of barcodes in some sheets and of numbers of copies in others:
    // numbers of copies when every cell of it is one.
    if let Some(&at) = cols.get("barcode") {
        let quantities = sheet
            .rows
            .iter()
            .filter_map(|(_, row)| Sheet::cell(row, Some(at)))
            .all(|v| text::quantity(v).is_some_and(|n| n <= MAX_COPIES_PER_ROW));
        if quantities && columns::normal(&sheet.headers[at]) == "eksemplar" && !cols.contains_key("copies") {
            cols.remove("barcode");
            cols.insert("copies", at);
        }
    }
    let col = |name: &str| cols.get(name).copied();
    let mut books: Vec<BookIn> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut barcodes: HashMap<String, usize> = HashMap::new();
    let mut skipped = 0;
    for (line, row) in &sheet.rows {
        let line = *line;
        if columns::not_a_record(row, &cols, columns::BOOKS.main) {
            skipped += 1;
            continue;
        }
        let cell = |name: &str| Sheet::cell(row, col(name));
        let Some(parsed) = parse_book(line, row, &col, current_year, &mut errors) else { continue };
        let (book, key) = parsed;
        let location = match cell("location").and_then(text::one_line) {
            Some(l) => match ShortText::parse_field("Location", &l) {
                Ok(l) => Some(l),
                Err(e) => {
                    errors.push(RowError::from_validation(line, "location", e));
                    continue;
                }
            },
            None => None,
        };
        let collection_type = match cell("collection_type").and_then(text::one_line) {
            Some(t) => match ShortText::parse_field("Collection type", &t) {
                Ok(t) => Some(t.into_inner()),
                Err(e) => {
                    errors.push(RowError::from_validation(line, "collection_type", e));
                    continue;
                }
            },
            None => None,
        };
        let price = match cell("price").map(|p| p.replace(['.', ','], "").trim_start_matches("Rp").trim().to_owned()) {
            None => None,
            Some(p) => match p.parse::<i64>() {
                Ok(n) if crate::domain::circulation::check_price(n).is_ok() => Some(n),
                _ => {
                    errors.push(RowError::new(line, "price", format!("{p:?} is not a price in whole rupiah")));
                    continue;
                }
            },
        };
        let mut copies = Vec::new();
        let mut bad = false;
        for code in cell("barcode").map(text::list).unwrap_or_default() {
            match Barcode::parse(&code) {
                Ok(b) => match barcodes.get(b.as_str()) {
                    Some(first) => {
                        errors.push(RowError::new(line, "barcode", format!("barcode {b} is already on line {first}")));
                        bad = true;
                    }
                    None if copies.iter().any(|c: &CopyIn| c.barcode == b) => {
                        errors.push(RowError::new(line, "barcode", format!("barcode {b} is twice on this line")));
                        bad = true;
                    }
                    None => copies.push(CopyIn {
                        line,
                        record: None,
                        barcode: b,
                        location: location.clone(),
                        status: None,
                        price,
                        collection_type: collection_type.clone(),
                        not_for_loan: false,
                    }),
                },
                Err(e) => {
                    errors.push(RowError::from_validation(line, "barcode", e));
                    bad = true;
                }
            }
        }
        let count = match cell("copies") {
            None => 0,
            Some(n) => match text::quantity(n) {
                Some(n) if n <= MAX_COPIES_PER_ROW => n,
                _ => {
                    errors.push(RowError::new(
                        line,
                        "copies",
                        format!("the number of copies must be a whole number from 0 to {MAX_COPIES_PER_ROW}"),
                    ));
                    continue;
                }
            },
        };
        if bad {
            continue;
        }
        for c in &copies {
            barcodes.insert(c.barcode.as_str().to_owned(), line);
        }
        match by_key.get(&key) {
            Some(&i) => {
                let b = &mut books[i];
                b.copies.extend(copies);
                b.at_least = b.at_least.saturating_add(count).min(MAX_COPIES_PER_ROW);
                if b.location.is_none() {
                    b.location = location;
                }
                if b.collection_type.is_none() {
                    b.collection_type = collection_type;
                }
            }
            None => {
                by_key.insert(key, books.len());
                books.push(BookIn { line, record: None, book, copies, at_least: count, location, collection_type });
            }
        }
    }
    (books, errors, ignored, skipped)
}

/// A row's book and the key rows of the same book share; `None` (with errors pushed) when the
/// row cannot be a book.
fn parse_book(
    line: usize,
    row: &[crate::sheet::Text],
    col: &dyn Fn(&str) -> Option<usize>,
    current_year: i32,
    errors: &mut RowErrors,
) -> Option<(NewBook, String)> {
    let cell = |name: &str| Sheet::cell(row, col(name));
    let before = errors.len();
    let title =
        checked(errors, line, "title", Title::parse(&cell("title").and_then(text::one_line).unwrap_or_default()));
    let authors = cell("authors").map(text::list).unwrap_or_default();
    // A book without a known author is catalogued under "Anonim" rather than refused.
    let authors = checked(
        errors,
        line,
        "authors",
        Authors::parse(if authors.is_empty() { vec!["Anonim".to_owned()] } else { authors }),
    );
    let subjects =
        checked(errors, line, "subjects", Subjects::parse(cell("subjects").map(text::list).unwrap_or_default()));
    let mut identifiers = cell("identifiers").map(text::list).unwrap_or_default();
    let mut isbn = None;
    for raw in cell("isbn").map(text::list).unwrap_or_default() {
        // The first valid ISBN is the book's; anything else is kept as an identifier.
        match Isbn::parse(&raw) {
            Ok(i) if isbn.is_none() => isbn = Some(i),
            _ => identifiers.push(raw),
        }
    }
    let identifiers = checked(errors, line, "identifiers", Identifiers::parse(identifiers));
    macro_rules! short {
        ($field:expr, $label:expr) => {
            match cell($field).and_then(text::one_line) {
                Some(v) => checked(errors, line, $field, ShortText::parse_field($label, &v)),
                None => None,
            }
        };
    }
    let publisher = short!("publisher", "Publisher");
    let edition = short!("edition", "Edition");
    let call_number = short!("call_number", "Call number");
    let classification = short!("classification", "Classification");
    let collation = short!("collation", "Collation");
    let series = short!("series", "Series");
    let source_id = short!("source_id", "Source id");
    let place = cell("place").and_then(text::one_line);
    let acquired_from = cell("acquired_from").and_then(text::one_line);
    let received_on = cell("received_on").and_then(text::one_line);
    let notes = cell("notes").map(text::fix_mojibake).and_then(|n| checked(errors, line, "notes", Notes::parse(&n)));
    let year = match cell("year") {
        None => None,
        Some(y) => match text::year(y) {
            Some(v) => checked(errors, line, "year", Year::parse(v, current_year)),
            None => {
                errors.push(RowError::new(line, "year", format!("{y:?} is not a year")));
                None
            }
        },
    };
    let language = cell("language")
        .and_then(text::one_line)
        .and_then(|l| checked(errors, line, "language", LanguageCode::parse(&l)));
    if errors.len() > before {
        return None;
    }
    let (title, authors) = (title?, authors?);
    let mut notes = notes;
    // Pustaka has no field for the place of publication, where the book came from or when it
    // came: they go into the notes.
    for (label, value) in [("Tempat terbit", place), ("Sumber", acquired_from), ("Tanggal masuk", received_on)] {
        let Some(value) = value else { continue };
        let joined = match &notes {
            Some(n) => format!("{n}\n{label}: {value}"),
            None => format!("{label}: {value}"),
        };
        notes = Notes::parse(&joined).ok().or(notes);
    }
    let key = match (&source_id, &isbn) {
        (Some(s), _) => format!("source:{s}"),
        (None, Some(i)) => format!("isbn:{i}"),
        (None, None) => String::new(),
    };
    let source_id = match (source_id, &isbn) {
        (Some(s), _) => Some(s),
        (None, Some(_)) => None,
        (None, None) => {
            let digest = digest(&[
                &title.as_str().to_lowercase(),
                &authors.as_slice().join(";").to_lowercase(),
                &edition.as_ref().map(|e| e.as_str().to_lowercase()).unwrap_or_default(),
                &year.map(|y| y.to_string()).unwrap_or_default(),
            ]);
            ShortText::parse(&format!("sheet:{digest}")).ok()
        }
    };
    let key = if key.is_empty() { format!("source:{}", source_id.as_ref().map_or("", |s| s.as_str())) } else { key };
    let book = NewBook {
        isbn,
        title,
        authors,
        subjects: subjects?,
        publisher,
        year,
        language,
        extra: BookExtra {
            edition,
            call_number,
            classification,
            collation,
            series,
            notes,
            identifiers: identifiers?,
            source_id,
            collection_type: None,
        },
    }
    .with_suggested_call_number();
    Some((book, key))
}

/// 16 hex digits of the SHA-256 of the parts, separated by a unit separator.
fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..8])
}

/// `r`'s value, or `None` after noting its error for `field` on `line`.
fn checked<T>(errors: &mut RowErrors, line: usize, field: &str, r: Result<T, ValidationError>) -> Option<T> {
    r.map_err(|e| errors.push(RowError::from_validation(line, field, e))).ok()
}

/// The sheet's members, every row that cannot be used with its reason, the columns left out
/// and how many rows are not records.
pub fn member_rows(sheet: &Sheet) -> (Vec<MemberIn>, Vec<RowError>, Vec<String>, usize) {
    let (members, errors, ignored, skipped) = member_rows_keeping(sheet, usize::MAX);
    (members, errors.into_parts().0, ignored, skipped)
}

/// [`member_rows`], keeping the first `keep` errors and counting the rest.
fn member_rows_keeping(sheet: &Sheet, keep: usize) -> (Vec<MemberIn>, RowErrors, Vec<String>, usize) {
    let (cols, ignored) = columns::columns(&sheet.headers, columns::MEMBERS.fields);
    let mut errors = RowErrors::keeping(keep);
    if !cols.contains_key("name") {
        errors.push(RowError::new(sheet.header_line.max(1), "name", "the file has no name column (nama or name)"));
        return (Vec::new(), errors, ignored, 0);
    }
    let mut members = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut skipped = 0;
    for (line, row) in &sheet.rows {
        let line = *line;
        if columns::not_a_record(row, &cols, columns::MEMBERS.main) {
            skipped += 1;
            continue;
        }
        let cell = |name: &str| Sheet::cell(row, cols.get(name).copied());
        let before = errors.len();
        let name = checked(
            &mut errors,
            line,
            "name",
            PersonName::parse(&cell("name").and_then(text::one_line).unwrap_or_default()),
        );
        let email =
            cell("email").and_then(text::one_line).and_then(|e| checked(&mut errors, line, "email", Email::parse(&e)));
        let phone =
            cell("phone").and_then(text::one_line).and_then(|p| checked(&mut errors, line, "phone", Phone::parse(&p)));
        let grade =
            cell("grade").and_then(text::one_line).and_then(|g| checked(&mut errors, line, "grade", Grade::parse(&g)));
        let expires_on = match cell("expires_on") {
            Some(d) if d.starts_with("0000") => None,
            Some(d) => match text::date(d) {
                Some(d) => Some(d),
                None => {
                    errors.push(RowError::new(
                        line,
                        "expires_on",
                        format!("{d:?} is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
                    ));
                    None
                }
            },
            None => None,
        };
        let birth_date = match cell("birth_date") {
            Some(d) if d.starts_with("0000") => None,
            Some(d) => match text::date(d) {
                Some(d) => Some(d),
                None => {
                    errors.push(RowError::new(
                        line,
                        "birth_date",
                        format!("{d:?} is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
                    ));
                    None
                }
            },
            None => None,
        };
        let mut numbers = Vec::new();
        for (field, kind) in [("nis", NumberKind::Nis), ("nisn", NumberKind::Nisn)] {
            // `0051 2345 67` as some lists space it out is one number.
            if let Some(n) = cell(field).map(|n| n.split_whitespace().collect::<String>()) {
                if let Some(number) = checked(&mut errors, line, field, MemberNumber::parse(&n)) {
                    numbers.push(NumberIn { kind, number, field });
                }
            }
        }
        let number = cell("number").and_then(text::one_line);
        if let Some(n) = &number {
            if n.chars().count() > 180 {
                errors.push(RowError::new(line, "card_number", "the member number is longer than 180 characters"));
            }
        }
        if errors.len() > before {
            continue;
        }
        let Some(name) = name else { continue };
        let card = number.as_deref().and_then(|n| CardNumber::parse(n).ok());
        // A member number that is not a Pustaka card is an old card: it keeps working.
        if let (None, Some(n)) = (&card, &number) {
            if let Ok(number) = MemberNumber::parse(n) {
                numbers.push(NumberIn { kind: NumberKind::OldCard, number, field: "card_number" });
            }
        }
        // Without a member number, the NIS is the one (as it was before NIS had a column of its own).
        let nis = cell("nis").and_then(text::one_line).filter(|_| numbers.iter().any(|n| n.kind == NumberKind::Nis));
        let source_id = match (&card, number.as_ref().or(nis.as_ref())) {
            (Some(_), _) => None,
            (None, Some(n)) => Some(format!("sheet:{n}")),
            (None, None) => Some(format!(
                "sheet:{}",
                digest(&[
                    &name.as_str().to_lowercase(),
                    email.as_ref().map_or("", |e| e.as_str()),
                    phone.as_ref().map_or("", |p| p.as_str()),
                ])
            )),
        };
        let key = card.as_ref().map_or_else(|| source_id.clone().unwrap_or_default(), |c| c.as_str().to_owned());
        if let Some(first) = seen.get(&key) {
            errors.push(RowError::new(line, "card_number", format!("this member is already on line {first}")));
            continue;
        }
        if let Some((n, first)) = numbers.iter().find_map(|n| Some((n, *seen.get(&format!("number:{}", n.number))?))) {
            errors.push(RowError::new(line, n.field, format!("{} is already on line {first}", n.number)));
            continue;
        }
        seen.insert(key, line);
        for n in &numbers {
            seen.insert(format!("number:{}", n.number), line);
        }
        members.push(MemberIn {
            line,
            record: None,
            card,
            source_id,
            number,
            name,
            category: cell("category").and_then(text::one_line),
            grade,
            birth_date,
            numbers,
            email,
            phone,
            expires_on,
        });
    }
    (members, errors, ignored, skipped)
}

/// Parses `OLD=code` pairs (the `--category` flag) into a lower-cased map.
pub fn category_map(pairs: &[String]) -> Result<HashMap<String, String>, String> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((old, code)) if !old.trim().is_empty() && !code.trim().is_empty() => {
                Ok((old.trim().to_lowercase(), code.trim().to_owned()))
            }
            _ => Err(format!("{p:?} is not OLD=CODE")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn sheet(text: &str) -> Sheet {
        sheet::read(text.as_bytes()).unwrap()
    }

    #[test]
    fn rows_of_one_book_are_grouped_and_bad_rows_explained() {
        let s = sheet(
            "Judul;Pengarang;ISBN;Tahun;Nomor Panggil;Barcode;Warna\n\
             Bumi Manusia;Pramoedya Ananta Toer;979-97312-3-2;c1980;899.221 TOE b;B1;merah\n\
             Bumi Manusia;Pramoedya Ananta Toer;9789799731234;1980;;B2\n\
             ;Tanpa Judul;;;;B3\n\
             Ronggeng;Ahmad Tohari;0216-3195;abad;;B4\n\
             Ronggeng Dukuh Paruk;Ahmad Tohari;1234567890;1982;;B5\n\
             Cantik Itu Luka;Eka Kurniawan;;2002;;B2 ; B6\n",
        );
        let (books, errors, ignored, _) = book_rows(&s, 2026);
        assert_eq!(ignored, ["Warna"]);
        assert_eq!(books.len(), 2, "{books:#?}");
        assert_eq!(books[0].book.isbn.as_ref().unwrap().as_str(), "9789799731234");
        assert_eq!(books[0].copies.iter().map(|c| c.barcode.as_str()).collect::<Vec<_>>(), ["B1", "B2"]);
        assert_eq!(books[0].book.year.unwrap().value(), 1980);
        // The invalid "ISBN" is kept as an identifier; the book gets a digest source id.
        assert_eq!(books[1].book.extra.identifiers.as_slice(), ["1234567890"]);
        assert!(books[1].book.extra.source_id.as_ref().unwrap().as_str().starts_with("sheet:"));
        assert_eq!(
            errors.iter().map(|e| (e.line, e.field.as_str())).collect::<Vec<_>>(),
            [(4, "title"), (5, "year"), (7, "barcode")]
        );
    }

    #[test]
    fn a_file_without_titles_is_one_clear_error() {
        let (books, errors, _, _) = book_rows(&sheet("isbn,barcode\n1,2\n"), 2026);
        assert!(books.is_empty());
        assert_eq!(errors, [RowError::new(1, "title", "the file has no title column (judul or title)")]);
    }

    #[test]
    fn member_numbers_become_cards_or_source_ids() {
        let s = sheet(
            "Nama,Nomor Anggota,Kategori,Email,Berlaku Hingga\n\
             Siti,P12345674,Siswa,siti@example.org,31/12/2027\n\
             Budi,2024-0117,Guru,,0000-00-00\n\
             Ani,,Umum,not-an-email,\n\
             Siti Lagi,p12345674,Siswa,,\n",
        );
        let (members, errors, _, _) = member_rows(&s);
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].card.as_ref().unwrap().as_str(), "P12345674");
        assert_eq!(members[0].expires_on, NaiveDate::from_ymd_opt(2027, 12, 31));
        assert_eq!(members[1].card, None);
        assert_eq!(members[1].source_id.as_deref(), Some("sheet:2024-0117"));
        assert_eq!(members[1].expires_on, None);
        assert_eq!(
            errors.iter().map(|e| (e.line, e.field.as_str())).collect::<Vec<_>>(),
            [(4, "email"), (5, "card_number")]
        );
    }

    #[test]
    fn categories_by_map_code_or_name_part() {
        let cats = vec![
            ("student".to_owned(), "Siswa / Mahasiswa".to_owned()),
            ("staff".to_owned(), "Guru / Staf".to_owned()),
        ];
        let map = category_map(&["Dosen=staff".to_owned()]).unwrap();
        assert_eq!(resolve_category(Some("siswa"), &map, &cats, None).unwrap(), "student");
        assert_eq!(resolve_category(Some("DOSEN"), &map, &cats, None).unwrap(), "staff");
        assert_eq!(resolve_category(Some("staff"), &map, &cats, None).unwrap(), "staff");
        assert!(resolve_category(Some("Alumni"), &map, &cats, None).unwrap_err().contains("--category"));
        assert_eq!(resolve_category(None, &map, &cats, Some("student")).unwrap(), "student");
        assert!(resolve_category(None, &map, &cats, None).is_err());
        assert!(category_map(&["nope".to_owned()]).is_err());
    }
}
