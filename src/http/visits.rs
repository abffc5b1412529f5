//! `/api/v1/visits`: the visitor log (buku tamu). A kiosk account records visits and can do
//! nothing else; staff read them, per visit or counted per day, hour, category or class, as
//! JSON, CSV or XLSX.

use std::collections::BTreeMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, Fields, Problem, Result},
    extract::{Auth, Json, Query},
    table::{Table, TableFormat},
    AppState,
};
use crate::{
    domain::{MemberRef, ShortText, ValidationError},
    store::visits::{count_by_grade, ClientId, NewVisit, VisitReceipt, Visitor},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_visits, record_visit)).routes(routes!(visit_stats))
}

/// A visit: a member's card, or a guest's name (with institution and purpose).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// The kiosk's own id for this visit (a UUID): sending the same visit again records it once.
    #[schema(example = "0f8fad5b-d9cb-469f-a165-70867728950e")]
    client_id: String,
    /// The member's card, as scanned: their Pustaka card, or another number of theirs (a SLiMS
    /// member id, NIS, NISN, an old card).
    #[schema(example = "P00000018")]
    card_number: Option<String>,
    /// A guest's name (instead of a card).
    guest_name: Option<String>,
    /// A guest's school, office or institution.
    institution: Option<String>,
    /// Why the guest came.
    purpose: Option<String>,
    /// When the visit happened, if not now (a kiosk that was offline sends its visits later); at
    /// most 7 days back.
    at: Option<DateTime<Utc>>,
}

/// Record a visit (kiosk or staff). A visit whose `client_id` is recorded already is answered
/// 200 as it was recorded, and nothing new is stored. The answer names the member only by
/// their first name, to greet them.
#[utoipa::path(post, path = "/visits", tag = "visits", request_body = VisitInput,
    responses((status = 201, description = "recorded", body = VisitReceipt),
        (status = 200, description = "recorded before (the same client_id): nothing new stored", body = VisitReceipt),
        (status = 404, description = "no member has this card", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn record_visit(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(v): Json<VisitInput>,
) -> Result<(StatusCode, Json<VisitReceipt>)> {
    let mut f = Fields::new();
    let client_id = f.check("client_id", ClientId::parse(&v.client_id));
    let nonblank = |o: Option<String>| o.filter(|s| !s.trim().is_empty());
    let (card, guest) = (nonblank(v.card_number), nonblank(v.guest_name));
    let visitor = match (card, guest) {
        (Some(card), None) => {
            for (field, given) in [("institution", &v.institution), ("purpose", &v.purpose)] {
                if given.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                    f.add(field, "not_allowed", "only a guest's visit has an institution and a purpose");
                }
            }
            f.check("card_number", MemberRef::parse(&card)).map(Visitor::Member)
        }
        (None, Some(name)) => {
            let name = f.check("guest_name", ShortText::parse_name("Name", &name));
            let institution = f.opt("institution", nonblank(v.institution), |s| ShortText::parse(&s));
            let purpose = f.opt("purpose", nonblank(v.purpose), |s| ShortText::parse(&s));
            name.map(|name| Visitor::Guest { name, institution, purpose })
        }
        (Some(_), Some(_)) => {
            f.add("guest_name", "not_allowed", "a visit is a member's card or a guest's name, not both");
            None
        }
        (None, None) => {
            f.add("card_number", "required", "scan a member's card, or give a guest_name");
            None
        }
    };
    f.finish()?;
    let visit = NewVisit { client_id: client_id.expect("checked"), at: v.at, visitor: visitor.expect("checked") };
    let (receipt, created) = s.store.record_visit(&who.actor(), &visit).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(receipt)))
}

/// A period of library days and a format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    /// First day (library calendar), default 30 days ago.
    from: Option<NaiveDate>,
    /// Last day, default today; at most 366 days after `from`.
    to: Option<NaiveDate>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline)]
    format: Option<TableFormat>,
}

/// How visits are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One row per day of the period (days without visits too).
    Day,
    /// One row per hour of the day (00 to 23), over the whole period.
    Hour,
    /// One row per member category, and `guest`.
    Category,
    /// One row per class (kelas) the members had when they visited, then one for members without
    /// a class (`kind` `no_grade`) and one for guests (`kind` `guest`).
    Grade,
}

/// A period, a grouping and a format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// `day` (default), `hour`, `category` or `grade`.
    #[param(value_type = Option<Grouping>, inline)]
    by: Option<String>,
    #[param(inline)]
    format: Option<TableFormat>,
}

fn period(s: &AppState, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(NaiveDate, NaiveDate)> {
    let today = s.store.today(s.store.now());
    // Calendar days the library can mean (and far from chrono's limits, for the arithmetic below).
    for (field, day) in [("from", from), ("to", to)] {
        if day.is_some_and(|d| !(1900..=9999).contains(&d.year())) {
            return Err(ApiError::field(field, ValidationError::new("out_of_range", "a year from 1900 to 9999")));
        }
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(30));
    if from > to {
        return Err(ApiError::field("from", ValidationError::new("out_of_range", "from must not be after to")));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::field("to", ValidationError::new("out_of_range", "a period is at most 366 days")));
    }
    Ok((from, to))
}

/// The visits of a period, one row each (staff): `visited_at` (library time), category and class
/// (kelas) at the time, card, name, institution, purpose. Download as CSV or XLSX with `format`.
#[utoipa::path(get, path = "/visits", tag = "visits", params(VisitQuery),
    responses((status = 200, description = "an array of rows (JSON), or a CSV or XLSX file", content((Vec<serde_json::Value> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_visits(State(s): State<AppState>, _: Auth, Query(q): Query<VisitQuery>) -> Result<Response> {
    let (from, to) = period(&s, q.from, q.to)?;
    let visits = s.store.visits_between(from, to).await?;
    let mut t = Table::new(
        format!("kunjungan-{from}-{to}"),
        &["date", "time", "category", "grade", "card_number", "name", "institution", "purpose", "recorded_by"],
    );
    for v in visits {
        let local = v.visited_at.with_timezone(&s.store.tz());
        t.push(vec![
            local.date_naive().into(),
            local.format("%H:%M").to_string().into(),
            v.category.into(),
            v.grade.into(),
            v.card_number.into(),
            v.name.into(),
            v.institution.into(),
            v.purpose.into(),
            v.recorded_by.into(),
        ]);
    }
    t.respond(q.format.unwrap_or_default())
}

/// Visits counted per day, per hour of the day, per category or per class (kelas) over a period
/// (staff), for the reports (school library accreditation asks for them). A visit counts under
/// the category and class its member had on the day of the visit. Download as CSV or XLSX with `format`.
#[utoipa::path(get, path = "/visits/stats", tag = "visits", params(StatsQuery),
    responses((status = 200, description = "an array of rows (JSON), or a CSV or XLSX file", content((Vec<serde_json::Value> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn visit_stats(State(s): State<AppState>, _: Auth, Query(q): Query<StatsQuery>) -> Result<Response> {
    let (from, to) = period(&s, q.from, q.to)?;
    let by = match q.by.as_deref().map(str::trim) {
        None | Some("" | "day") => Grouping::Day,
        Some("hour") => Grouping::Hour,
        Some("category") => Grouping::Category,
        Some("grade") => Grouping::Grade,
        Some(_) => {
            return Err(ApiError::field(
                "by",
                ValidationError::new("invalid_value", "by is day, hour, category or grade"),
            ))
        }
    };
    let visits = s.store.visits_between(from, to).await?;
    let table = match by {
        Grouping::Day => {
            let mut days: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
            let mut d = from;
            while d <= to {
                days.insert(d, (0, 0));
                d += Duration::days(1);
            }
            for v in &visits {
                let e = days.entry(s.store.today(v.visited_at)).or_default();
                if v.category == "guest" {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
            }
            let mut t = Table::new(format!("kunjungan-per-hari-{from}-{to}"), &["date", "visits", "members", "guests"]);
            for (day, (members, guests)) in days {
                t.push(vec![day.into(), (members + guests).into(), members.into(), guests.into()]);
            }
            t
        }
        Grouping::Hour => {
            let mut hours = [0i64; 24];
            for v in &visits {
                hours[v.visited_at.with_timezone(&s.store.tz()).hour() as usize] += 1;
            }
            let mut t = Table::new(format!("kunjungan-per-jam-{from}-{to}"), &["hour", "visits"]);
            for (h, n) in hours.iter().enumerate() {
                t.push(vec![format!("{h:02}:00").into(), (*n).into()]);
            }
            t
        }
        Grouping::Category => {
            let mut cats: BTreeMap<String, i64> = BTreeMap::new();
            for v in &visits {
                *cats.entry(v.category.clone()).or_default() += 1;
            }
            let mut t = Table::new(format!("kunjungan-per-kategori-{from}-{to}"), &["category", "visits"]);
            for (c, n) in cats {
                t.push(vec![c.into(), n.into()]);
            }
            t
        }
        Grouping::Grade => {
            let mut t =
                Table::new(format!("kunjungan-per-kelas-{from}-{to}"), &["grade", "kind", "visits", "visitors"]);
            for r in count_by_grade(&visits) {
                t.push(vec![r.grade.into(), r.kind.into(), r.visits.into(), r.visitors.into()]);
            }
            t
        }
    };
    Ok(table.respond(q.format.unwrap_or_default())?.into_response())
}
