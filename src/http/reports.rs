//! `/api/v1/reports`: the head librarian's statistics over a date range, as JSON for the page's
//! charts and as CSV or XLSX for the school (staff).

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Auth, Json, Path, Query},
    table::{Table, TableFormat},
    AppState,
};
use crate::{
    domain::notices::Language,
    http::error::{ApiError, Fields, Result},
    model::Cell,
    print::{self, tr},
    store::reports::{Accreditation, AccreditationLine, ReportData, ReportKind, ReportRange},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports))
        .routes(routes!(summary))
        .routes(routes!(accreditation))
        .routes(routes!(report))
}

/// A report the service can make.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportInfo {
    /// The name in `/reports/{name}`.
    #[schema(example = "loans-per-month")]
    name: &'static str,
    /// The keys of its rows, in order.
    columns: &'static [&'static str],
    /// False when the report shows how things stand now, whatever the range.
    uses_range: bool,
}

/// The reports there are.
#[utoipa::path(get, path = "/reports", tag = "reports",
    responses((status = 200, body = Vec<ReportInfo>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_reports(_: Auth) -> Json<Vec<ReportInfo>> {
    Json(
        ReportKind::ALL
            .into_iter()
            .map(|k| ReportInfo { name: k.name(), columns: k.columns(), uses_range: k.uses_range() })
            .collect(),
    )
}

/// A report's range and format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The first day (`YYYY-MM-DD`); default: the first day of the month five months before `to`
    /// (a semester).
    from: Option<String>,
    /// The last day (`YYYY-MM-DD`); default: today.
    to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(value_type = Option<String>)]
    format: Option<TableFormat>,
    /// The language of a download's column headers and file name: `id` (default) or `en`.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
}

/// One report: an array of rows keyed by the columns `GET /reports` lists, or a CSV or XLSX
/// download with headers in `lang`.
#[utoipa::path(get, path = "/reports/{name}", tag = "reports",
    params(("name" = String, Path, description = "e.g. `loans-per-month`; `GET /reports` lists them"), ReportQuery),
    responses(
        (status = 200, description = "rows as JSON objects, or a CSV or XLSX file", content((Vec<serde_json::Value> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "a bad date or range", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn report(
    State(s): State<AppState>,
    _: Auth,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response> {
    let kind = ReportKind::parse(&name).ok_or(ApiError::NotFound("report"))?;
    let mut fields = Fields::new();
    let (from, to) = (date(&mut fields, "from", &q.from), date(&mut fields, "to", &q.to));
    fields.finish()?;
    let range = range(&s, from, to, kind)?;
    let data = s.store.report(kind, range).await?;

    let format = q.format.unwrap_or_default();
    let lang = q.lang.unwrap_or(Language::Id);
    let columns: Vec<&str> = if format == TableFormat::Json {
        kind.columns().to_vec()
    } else {
        kind.columns().iter().map(|c| header(c, lang)).collect()
    };
    let stem = tr(lang, "laporan", "report");
    let mut table = Table::new(format!("{stem}-{}-{}-{}", kind.name(), range.from, range.to), &columns);
    for row in data.rows {
        table.push(row);
    }
    table.respond(format)
}

/// The semester summary's range, format and language.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The first day (`YYYY-MM-DD`); default: a semester before `to`, as for the reports.
    from: Option<String>,
    /// The last day (`YYYY-MM-DD`); default: today.
    to: Option<String>,
    /// `pdf` (default): one A4 page with the library's name, address and logo; `json`: the figures.
    format: Option<String>,
    /// The language of the page: `id` (default) or `en`.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
}

/// A most borrowed title on the summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryTitle {
    rank: i64,
    title: String,
    call_number: Option<String>,
    loans: i64,
}

/// The summary's figures: each the sum of a report's column over the same range (the reports'
/// own numbers), the collection and overdue loans as they are now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryFigures {
    from: NaiveDate,
    to: NaiveDate,
    /// `loans-per-month`: `loans`.
    loans: i64,
    /// `active-members`: `active_members`.
    active_members: i64,
    /// `acquisitions`: `titles`.
    new_titles: i64,
    /// `acquisitions`: `copies`.
    new_copies: i64,
    /// `collection`: `total` (now).
    collection: i64,
    /// `overdue`: its rows (now).
    overdue: i64,
    /// `fines`: `charged`, `paid`, `waived` (rupiah).
    fines_charged: i64,
    fines_paid: i64,
    fines_waived: i64,
    /// `visitors`: `visits`.
    visits: i64,
    /// `top-titles`, the first ten.
    top_titles: Vec<SummaryTitle>,
}

/// An integer cell of a report's row (0 for none).
fn int(data: &ReportData, row: &[Cell], column: &str) -> i64 {
    let i = data.kind.columns().iter().position(|c| *c == column);
    match i.and_then(|i| row.get(i)) {
        Some(Cell::Int(n)) => *n,
        _ => 0,
    }
}

/// Sum of a report's integer column.
fn total(data: &ReportData, column: &str) -> i64 {
    data.rows.iter().map(|r| int(data, r, column)).sum()
}

/// A cell as text (empty for none).
fn text(data: &ReportData, row: &[Cell], column: &str) -> Option<String> {
    let i = data.kind.columns().iter().position(|c| *c == column)?;
    match row.get(i)? {
        Cell::Text(t) => Some(t.clone()),
        Cell::Int(n) => Some(n.to_string()),
        Cell::Date(d) => Some(d.to_string()),
        Cell::Empty => None,
    }
}

/// The semester summary (staff): the key numbers of the range on one A4 page with the library's
/// identity (`format=pdf`, default), or the same numbers as JSON. Each number is what the reports
/// give for the same range.
#[utoipa::path(get, path = "/reports/summary", tag = "reports", params(SummaryQuery),
    responses(
        (status = 200, description = "the summary page, or its figures", content((Vec<u8> = "application/pdf"), (SummaryFigures = "application/json"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "a bad date, range or format", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn summary(State(s): State<AppState>, _: Auth, Query(q): Query<SummaryQuery>) -> Result<Response> {
    let mut fields = Fields::new();
    let (from, to) = (date(&mut fields, "from", &q.from), date(&mut fields, "to", &q.to));
    let pdf = match q.format.as_deref().map(str::trim) {
        None | Some("pdf") => true,
        Some("json") => false,
        Some(_) => {
            fields.add("format", "invalid_format", "format must be pdf or json");
            true
        }
    };
    fields.finish()?;
    let range = range(&s, from, to, ReportKind::LoansPerMonth)?;
    let (from, to) = (range.from, range.to);
    let get = |kind| s.store.report(kind, range);
    let (loans, active, acq) = (
        get(ReportKind::LoansPerMonth).await?,
        get(ReportKind::ActiveMembers).await?,
        get(ReportKind::Acquisitions).await?,
    );
    let (collection, overdue, fines) =
        (get(ReportKind::Collection).await?, get(ReportKind::Overdue).await?, get(ReportKind::Fines).await?);
    let (visitors, top) = (get(ReportKind::Visitors).await?, get(ReportKind::TopTitles).await?);
    let figures = SummaryFigures {
        from,
        to,
        loans: total(&loans, "loans"),
        active_members: total(&active, "active_members"),
        new_titles: total(&acq, "titles"),
        new_copies: total(&acq, "copies"),
        collection: total(&collection, "total"),
        overdue: overdue.rows.len() as i64,
        fines_charged: total(&fines, "charged"),
        fines_paid: total(&fines, "paid"),
        fines_waived: total(&fines, "waived"),
        visits: total(&visitors, "visits"),
        top_titles: top
            .rows
            .iter()
            .take(10)
            .map(|r| SummaryTitle {
                rank: int(&top, r, "rank"),
                title: text(&top, r, "title").unwrap_or_default(),
                call_number: text(&top, r, "call_number"),
                loans: int(&top, r, "loans"),
            })
            .collect(),
    };
    if !pdf {
        return Ok(Json(figures).into_response());
    }
    let _slot = s.work.print_slot()?;
    let lang = q.lang.unwrap_or_default();
    let head = super::print::letterhead(&s, Some(lang)).await?;
    let t = |id: &'static str, en: &'static str| tr(lang, id, en).to_owned();
    let date = |d: NaiveDate| crate::domain::notices::format_date(d, lang);
    let rp = crate::domain::format_rupiah;
    let f = &figures;
    let page = print::SummaryPage {
        title: t("RINGKASAN LAPORAN PERPUSTAKAAN", "LIBRARY REPORT SUMMARY"),
        subtitle: format!("{} {} – {}", t("Periode", "Period"), date(from), date(to)),
        figures: vec![
            (t("Peminjaman", "Loans"), f.loans.to_string()),
            (t("Anggota aktif (meminjam)", "Active members (borrowed)"), f.active_members.to_string()),
            (t("Judul baru", "New titles"), f.new_titles.to_string()),
            (t("Eksemplar baru", "New copies"), f.new_copies.to_string()),
            (t("Jumlah koleksi (eksemplar, saat ini)", "Collection (copies, now)"), f.collection.to_string()),
            (t("Peminjaman terlambat (saat ini)", "Overdue loans (now)"), f.overdue.to_string()),
            (t("Denda dikenakan", "Fines charged"), rp(f.fines_charged)),
            (t("Denda dibayar", "Fines paid"), rp(f.fines_paid)),
            (t("Denda dihapus", "Fines waived"), rp(f.fines_waived)),
            (t("Kunjungan", "Visits"), f.visits.to_string()),
        ],
        list_heading: t("Judul paling banyak dipinjam", "Most borrowed titles"),
        list: f
            .top_titles
            .iter()
            .map(|x| {
                let call = x.call_number.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
                (format!("{}. {}{call}", x.rank, x.title), x.loans.to_string())
            })
            .collect(),
        footer: format!("{} {}", t("Dibuat", "Made on"), date(s.store.today(s.store.now()))),
    };
    let bytes = tokio::task::spawn_blocking(move || print::summary(&head, &page))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(super::print::pdf(bytes, &format!("{}-{from}-{to}.pdf", tr(lang, "ringkasan-laporan", "report-summary"))))
}

/// The accreditation summary's range, format and language.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccreditationQuery {
    /// The first day of the loans and uses counted (`YYYY-MM-DD`); default: a semester before `to`.
    from: Option<String>,
    /// The last day (`YYYY-MM-DD`); default: today.
    to: Option<String>,
    /// `json` (default), `pdf` (A4 pages with the library's letterhead) or `xlsx` (a sheet per table).
    format: Option<String>,
    /// The language of the PDF and XLSX: `id` (default) or `en`.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
}

/// The accreditation summary (staff): the counts the national school-library accreditation form
/// asks for. The collection held now (withdrawn copies left out) as titles and copies by
/// collection type and by DDC main class; the loans and in-library uses of the range by the same
/// splits (a loan by its copy's type now and the book's class when lent); members by category,
/// all and those who borrowed in the range. As JSON, a PDF or an XLSX workbook.
#[utoipa::path(get, path = "/reports/accreditation", tag = "reports", params(AccreditationQuery),
    responses(
        (status = 200, description = "the counts, or the PDF or XLSX of them", content((Accreditation = "application/json"), (Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "a bad date, range or format", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn accreditation(State(s): State<AppState>, _: Auth, Query(q): Query<AccreditationQuery>) -> Result<Response> {
    let mut fields = Fields::new();
    let (from, to) = (date(&mut fields, "from", &q.from), date(&mut fields, "to", &q.to));
    let format = match q.format.as_deref().map(str::trim) {
        None | Some("json") => "json",
        Some("pdf") => "pdf",
        Some("xlsx") => "xlsx",
        Some(_) => {
            fields.add("format", "invalid_format", "format must be json, pdf or xlsx");
            "json"
        }
    };
    fields.finish()?;
    let range = range(&s, from, to, ReportKind::LoansPerMonth)?;
    let a = s.store.accreditation(range).await?;
    let lang = q.lang.unwrap_or_default();
    let t = |id: &'static str, en: &'static str| tr(lang, id, en).to_owned();
    let stem = format!("{}-{}-{}", tr(lang, "ringkasan-akreditasi", "accreditation-summary"), a.from, a.to);
    let line_heads = |first: String| {
        vec![
            first,
            t("Judul", "Titles"),
            t("Eksemplar", "Copies"),
            t("Peminjaman", "Loans"),
            t("Baca di tempat", "In-library uses"),
        ]
    };
    let line_cells = |l: &AccreditationLine, label: String| {
        vec![label, l.titles.to_string(), l.copies.to_string(), l.loans.to_string(), l.uses.to_string()]
    };
    let class_label =
        |l: &AccreditationLine| if l.key == "other" { t("Tanpa kelas", "No class") } else { l.key.clone() };
    let type_label = |l: &AccreditationLine| if l.key == "-" { t("Tanpa jenis", "No type") } else { l.name.clone() };
    let totals = |a: &Accreditation| {
        vec![t("Jumlah", "Total"), a.titles.to_string(), a.copies.to_string(), a.loans.to_string(), a.uses.to_string()]
    };
    match format {
        "json" => Ok(Json(a).into_response()),
        "xlsx" => {
            let sheet = |first: String, lines: &[AccreditationLine], label: &dyn Fn(&AccreditationLine) -> String| {
                let heads = line_heads(first);
                let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
                let mut table = Table::new(stem.clone(), &heads);
                for l in lines {
                    table.push(vec![
                        Cell::Text(label(l)),
                        Cell::Int(l.titles),
                        Cell::Int(l.copies),
                        Cell::Int(l.loans),
                        Cell::Int(l.uses),
                    ]);
                }
                table.push(vec![
                    Cell::Text(t("Jumlah", "Total")),
                    Cell::Int(a.titles),
                    Cell::Int(a.copies),
                    Cell::Int(a.loans),
                    Cell::Int(a.uses),
                ]);
                table
            };
            let by_type = sheet(t("Jenis koleksi", "Collection type"), &a.by_type, &type_label);
            let by_class = sheet(t("Kelas DDC", "DDC class"), &a.by_class, &class_label);
            let heads = [t("Kategori", "Category"), t("Anggota", "Members"), t("Meminjam", "Borrowed")];
            let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
            let mut members = Table::new(stem.clone(), &heads);
            for m in &a.members {
                members.push(vec![Cell::Text(m.category_name.clone()), Cell::Int(m.members), Cell::Int(m.borrowers)]);
            }
            members.push(vec![
                Cell::Text(t("Jumlah", "Total")),
                Cell::Int(a.member_total),
                Cell::Int(a.borrower_total),
            ]);
            let (n1, n2, n3) =
                (t("Jenis koleksi", "Collection types"), t("Kelas DDC", "DDC classes"), t("Anggota", "Members"));
            let bytes = Table::workbook(&[(&n1, &by_type), (&n2, &by_class), (&n3, &members)])
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing {stem}.xlsx: {e}")))?;
            Ok(super::table::download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{stem}.xlsx"),
            ))
        }
        _ => {
            let _slot = s.work.print_slot()?;
            let head = super::print::letterhead(&s, Some(lang)).await?;
            let date = |d: NaiveDate| crate::domain::notices::format_date(d, lang);
            let table = |heading: String,
                         first: String,
                         lines: &[AccreditationLine],
                         label: &dyn Fn(&AccreditationLine) -> String| {
                print::tables::ReportTable {
                    heading,
                    columns: line_heads(first),
                    rows: lines.iter().map(|l| line_cells(l, label(l))).collect(),
                    total: Some(totals(&a)),
                }
            };
            let members = print::tables::ReportTable {
                heading: t("Anggota", "Members"),
                columns: vec![t("Kategori", "Category"), t("Anggota", "Members"), t("Meminjam", "Borrowed")],
                rows: a
                    .members
                    .iter()
                    .map(|m| vec![m.category_name.clone(), m.members.to_string(), m.borrowers.to_string()])
                    .collect(),
                total: Some(vec![t("Jumlah", "Total"), a.member_total.to_string(), a.borrower_total.to_string()]),
            };
            let page = print::tables::TablesPage {
                title: t("RINGKASAN DATA AKREDITASI PERPUSTAKAAN", "LIBRARY ACCREDITATION SUMMARY"),
                subtitle: format!(
                    "{} {} – {} ({})",
                    t("Peminjaman dan baca di tempat", "Loans and in-library uses"),
                    date(a.from),
                    date(a.to),
                    t("koleksi dan anggota: saat ini", "collection and members: now")
                ),
                tables: vec![
                    table(
                        t("Koleksi menurut jenis", "Collection by type"),
                        t("Jenis koleksi", "Collection type"),
                        &a.by_type,
                        &type_label,
                    ),
                    table(
                        t("Koleksi menurut kelas DDC", "Collection by DDC class"),
                        t("Kelas DDC", "DDC class"),
                        &a.by_class,
                        &class_label,
                    ),
                    members,
                ],
                footer: format!("{} {}", t("Dibuat", "Made on"), date(s.store.today(s.store.now()))),
            };
            let bytes = tokio::task::spawn_blocking(move || print::tables::tables(&head, &page))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            Ok(super::print::pdf(bytes, &format!("{stem}.pdf")))
        }
    }
}

/// The date in query parameter `field`, if given; a bad one is named in `fields`.
fn date(fields: &mut Fields, field: &str, value: &Option<String>) -> Option<NaiveDate> {
    value.as_deref().and_then(|v| match v.trim().parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            fields.add(field, "invalid_date", "a date as YYYY-MM-DD");
            None
        }
    })
}

/// The range `from`..=`to` checked for `kind`, by default a semester up to today.
fn range(s: &AppState, from: Option<NaiveDate>, to: Option<NaiveDate>, kind: ReportKind) -> Result<ReportRange> {
    let to = to.unwrap_or_else(|| s.store.today(s.store.now()));
    let from = from.unwrap_or_else(|| semester_start(to));
    ReportRange::new(from, to, kind).map_err(|e| ApiError::field("to", e))
}

/// The first day of the month five months before `to`'s: with `to`'s month, six months.
fn semester_start(to: NaiveDate) -> NaiveDate {
    let first = to.with_day(1).unwrap_or(to);
    first.checked_sub_months(Months::new(5)).unwrap_or(first)
}

/// A column's header in a download.
fn header(key: &str, lang: Language) -> &str {
    let (id, en) = match key {
        "month" => ("Bulan", "Month"),
        "date" => ("Tanggal", "Date"),
        "loans" => ("Peminjaman", "Loans"),
        "category" => ("Kode kategori", "Category code"),
        "category_name" => ("Kategori", "Category"),
        "borrowers" => ("Peminjam", "Borrowers"),
        "class" => ("Kelas DDC", "DDC class"),
        "rank" => ("Peringkat", "Rank"),
        "book_id" => ("ID buku", "Book id"),
        "title" => ("Judul", "Title"),
        "call_number" => ("Nomor panggil", "Call number"),
        "active_members" => ("Anggota aktif", "Active members"),
        "members" => ("Semua anggota", "All members"),
        "titles" => ("Judul baru", "New titles"),
        "copies" => ("Eksemplar baru", "New copies"),
        "available" => ("Tersedia", "Available"),
        "on_loan" => ("Dipinjam", "On loan"),
        "on_hold_shelf" => ("Di rak pesanan", "On the hold shelf"),
        "lost" => ("Hilang", "Lost"),
        "withdrawn" => ("Ditarik", "Withdrawn"),
        "total" => ("Jumlah", "Total"),
        "due_date" => ("Jatuh tempo", "Due"),
        "days_late" => ("Hari terlambat", "Days late"),
        "member_name" => ("Anggota", "Member"),
        "card_number" => ("Nomor kartu", "Card number"),
        "phone" => ("Telepon", "Phone"),
        "email" => ("Email", "Email"),
        "barcode" => ("Barkode", "Barcode"),
        "charged" => ("Denda dikenakan (Rp)", "Fines charged (Rp)"),
        "paid" => ("Denda dibayar (Rp)", "Fines paid (Rp)"),
        "waived" => ("Denda dihapus (Rp)", "Fines waived (Rp)"),
        "visits" => ("Kunjungan", "Visits"),
        "member_visits" => ("Kunjungan anggota", "Member visits"),
        "guest_visits" => ("Kunjungan tamu", "Guest visits"),
        "collection_type" => ("Kode jenis koleksi", "Collection type code"),
        "collection_type_name" => ("Jenis koleksi", "Collection type"),
        "all_titles" => ("Judul", "Titles"),
        "all_copies" => ("Eksemplar", "Copies"),
        "uses" => ("Baca di tempat", "In-library uses"),
        _ => return key,
    };
    tr(lang, id, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_headers_in_both_languages() {
        for kind in ReportKind::ALL {
            for c in kind.columns() {
                assert_ne!(header(c, Language::Id), *c, "{c} has no Indonesian header");
                assert_ne!(header(c, Language::En), *c, "{c} has no English header");
            }
        }
    }

    #[test]
    fn a_semester_is_six_months_with_the_last() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(semester_start(d("2026-06-15")), d("2026-01-01"));
        assert_eq!(semester_start(d("2026-03-31")), d("2025-10-01"));
    }
}
