//! `/api/v1/reports`: the head librarian's statistics over a date range, as JSON for the page's
//! charts and as CSV or XLSX for the school (staff).

use axum::{extract::State, response::Response};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Json, Path, Query, Staff},
    table::{Table, TableFormat},
    AppState,
};
use crate::{
    domain::notices::Language,
    http::error::{ApiError, Fields, Result},
    store::reports::{ReportKind, ReportRange},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_reports)).routes(routes!(report))
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
async fn list_reports(_: Staff) -> Json<Vec<ReportInfo>> {
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
    _: Staff,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response> {
    let kind = ReportKind::parse(&name).ok_or(ApiError::NotFound("report"))?;
    let mut fields = Fields::new();
    let date = |fields: &mut Fields, field: &str, value: &Option<String>| {
        value.as_deref().and_then(|v| match v.trim().parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                fields.add(field, "invalid_date", "a date as YYYY-MM-DD");
                None
            }
        })
    };
    let from = date(&mut fields, "from", &q.from);
    let to = date(&mut fields, "to", &q.to);
    fields.finish()?;
    let to = to.unwrap_or_else(|| s.store.today(s.store.now()));
    let from = from.unwrap_or_else(|| semester_start(to));
    let range = ReportRange::new(from, to, kind).map_err(|e| ApiError::field("to", e))?;
    let data = s.store.report(kind, range).await?;

    let format = q.format.unwrap_or_default();
    let lang = q.lang.unwrap_or(Language::Id);
    let columns: Vec<&str> = if format == TableFormat::Json {
        kind.columns().to_vec()
    } else {
        kind.columns().iter().map(|c| header(c, lang)).collect()
    };
    let stem = match lang {
        Language::Id => "laporan",
        Language::En => "report",
    };
    let mut table = Table::new(format!("{stem}-{}-{}-{}", kind.name(), range.from, range.to), &columns);
    for row in data.rows {
        table.push(row);
    }
    table.respond(format)
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
        _ => return key,
    };
    match lang {
        Language::Id => id,
        Language::En => en,
    }
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
