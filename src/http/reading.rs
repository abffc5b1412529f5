//! `/api/v1/reading/*`: the reading programme (Gerakan Literasi Sekolah, #34). A term's target
//! (books per student), what each student of a class read in a term against it, per class a
//! summary, the most active readers (a list, or a printable A4 page), and the school's XLSX.
//!
//! Scoping: an account whose role holds `reports` sees every class; one with `reading` alone (a
//! teacher, role `guru`) sees the classes given to it (`PUT /users/{id}/classes`), and asking
//! for another class is refused (403). A member sees their own figures at `/members/{id}/reading`.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
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
    domain::{notices::Language, status::Permission, Grade, ValidationError},
    http::error::{ApiError, Fields, Result},
    model::{Cell, Items},
    print::{self, tr},
    store::{
        accounts::Session,
        collections::Term,
        reading::{self, ClassSummary, Readers, ReadingListEntry, ReadingTarget, StudentReading, MAX_TARGET},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_targets))
        .routes(routes!(set_target))
        .routes(routes!(students))
        .routes(routes!(classes))
        .routes(routes!(top))
        .routes(routes!(member_reading))
        .routes(routes!(get_user_classes, set_user_classes))
        .routes(routes!(get_reading_list, add_to_reading_list))
        .routes(routes!(remove_from_reading_list))
}

/// The most readers the top list shows.
const MAX_TOP: usize = 100;

/// Every term with its target (books per student; none while unset).
#[utoipa::path(get, path = "/reading/targets", tag = "reading",
    responses((status = 200, body = Items<ReadingTarget>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_targets(State(s): State<AppState>, _: Auth) -> Result<Json<Items<ReadingTarget>>> {
    Ok(Json(Items { items: s.store.reading_targets().await? }))
}

/// A term's target.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// Books each student should read in the term, 1 to 1000.
    #[schema(example = 6)]
    books: i64,
}

/// Set a term's target (staff with `reports`).
#[utoipa::path(put, path = "/reading/targets/{id}", tag = "reading", params(("id" = i64, Path, description = "the term")),
    request_body = TargetInput,
    responses((status = 200, body = ReadingTarget), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_target(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(t): Json<TargetInput>,
) -> Result<Json<ReadingTarget>> {
    if !(1..=MAX_TARGET).contains(&t.books) {
        return Err(ApiError::field(
            "books",
            ValidationError::new("out_of_range", format!("a target is 1 to {MAX_TARGET} books")),
        ));
    }
    Ok(Json(s.store.set_reading_target(&who.actor(), id, t.books).await?))
}

/// Which term and class, in which form.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadingQuery {
    /// The term's id; default: the term of today.
    term: Option<i64>,
    /// A class (kelas/rombel); default: every class the account may see.
    class: Option<String>,
    /// `json` (default), `csv` or `xlsx`; the top readers also `pdf`.
    format: Option<String>,
    /// The language of a download: `id` (default) or `en`.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
    /// The top list's length, 1 to 100 (default 10).
    limit: Option<i64>,
}

/// The term asked for (default: today's), its target, and whose reading the caller may see.
struct Scope {
    term: Term,
    target: Option<i64>,
    readers: Readers,
    /// The classes a teacher was given (none for staff who see all).
    given: Option<Vec<String>>,
}

async fn scope(s: &AppState, who: &Session, q: &ReadingQuery) -> Result<Scope> {
    let class = match q.class.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(Grade::parse(c).map_err(|e| ApiError::field("class", e))?),
        None => None,
    };
    let term = match q.term {
        Some(id) => s.store.term(id).await?,
        None => s.store.term_on(s.store.today(s.store.now())).await?.ok_or_else(|| {
            ApiError::field("term", ValidationError::new("no_term", "today is in no term: name one (see GET /terms)"))
        })?,
    };
    let target = s.store.reading_target(term.id).await?.books;
    let given =
        if who.permissions.has(Permission::Reports) { None } else { Some(s.store.teacher_classes(who.user.id).await?) };
    let readers = match (&given, class) {
        (None, None) => Readers::All,
        (None, Some(c)) => Readers::Classes(vec![c.as_str().to_owned()]),
        (Some(mine), None) => Readers::Classes(mine.clone()),
        (Some(mine), Some(c)) => {
            if !mine.iter().any(|m| m.to_lowercase() == c.as_str().to_lowercase()) {
                // A teacher sees their own classes only.
                return Err(ApiError::Forbidden);
            }
            Readers::Classes(vec![c.as_str().to_owned()])
        }
    };
    Ok(Scope { term, target, readers, given })
}

fn table_format(fields: &mut Fields, v: &Option<String>, pdf: bool) -> Option<&'static str> {
    match v.as_deref().map(str::trim) {
        None | Some("json") => Some("json"),
        Some("csv") => Some("csv"),
        Some("xlsx") => Some("xlsx"),
        Some("pdf") if pdf => Some("pdf"),
        Some(_) => {
            fields.add("format", "invalid_format", if pdf { "json, csv, xlsx or pdf" } else { "json, csv or xlsx" });
            None
        }
    }
}

fn as_table_format(f: &str) -> TableFormat {
    match f {
        "csv" => TableFormat::Csv,
        "xlsx" => TableFormat::Xlsx,
        _ => TableFormat::Json,
    }
}

/// Students' reading in a term.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentsReport {
    term: Term,
    /// Books per student; none while unset.
    target: Option<i64>,
    /// Per class a summary.
    classes: Vec<ClassSummary>,
    /// By class, then name.
    students: Vec<StudentReading>,
}

/// The student columns of a download.
const STUDENT_COLUMNS: [&str; 9] =
    ["class", "card_number", "name", "borrowed", "returned", "in_library", "read", "target", "reached"];

fn header(key: &str, lang: Language) -> &str {
    let (id, en) = match key {
        "class" => ("Kelas", "Class"),
        "card_number" => ("Nomor kartu", "Card number"),
        "name" => ("Nama", "Name"),
        "borrowed" => ("Dipinjam", "Borrowed"),
        "returned" => ("Dikembalikan", "Returned"),
        "in_library" => ("Baca di tempat", "Read in the library"),
        "read" => ("Buku dibaca", "Books read"),
        "target" => ("Target", "Target"),
        "reached" => ("Mencapai target", "Reached the target"),
        "students" => ("Siswa", "Students"),
        "average" => ("Rata-rata", "Average"),
        "rank" => ("Peringkat", "Rank"),
        _ => return key,
    };
    tr(lang, id, en)
}

fn yes_no(v: Option<bool>, lang: Language) -> Cell {
    match v {
        Some(true) => Cell::Text(tr(lang, "ya", "yes").into()),
        Some(false) => Cell::Text(tr(lang, "tidak", "no").into()),
        None => Cell::Empty,
    }
}

fn int_or_empty(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Int)
}

/// Per student of a class (or of every class the account may see) the books borrowed in the term,
/// returned by its end and read in the library, against the term's target; per class a summary.
/// `format=xlsx` (or `csv`) is the school's report: one row per student. A teacher asking for a
/// class not theirs is refused (403).
#[utoipa::path(get, path = "/reading/students", tag = "reading", params(ReadingQuery),
    responses(
        (status = 200, description = "the report, or its download", content((StudentsReport = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn students(State(s): State<AppState>, Auth(who): Auth, Query(q): Query<ReadingQuery>) -> Result<Response> {
    let mut fields = Fields::new();
    let format = table_format(&mut fields, &q.format, false);
    fields.finish()?;
    let sc = scope(&s, &who, &q).await?;
    let students = s.store.term_reading(&sc.term, sc.target, &sc.readers).await?;
    if format == Some("json") {
        let classes = summaries(&students, &sc);
        return Ok(Json(StudentsReport { term: sc.term, target: sc.target, classes, students }).into_response());
    }
    let lang = q.lang.unwrap_or_default();
    let columns: Vec<&str> = STUDENT_COLUMNS.iter().map(|c| header(c, lang)).collect();
    let stem = tr(lang, "literasi-siswa", "reading-students");
    let mut table = Table::new(format!("{stem}-{}", sc.term.starts_on), &columns);
    for st in students {
        table.push(vec![
            st.grade.map_or(Cell::Empty, Cell::Text),
            Cell::Text(st.card_number),
            Cell::Text(st.name),
            Cell::Int(st.borrowed),
            Cell::Int(st.returned),
            Cell::Int(st.in_library),
            Cell::Int(st.read),
            int_or_empty(sc.target),
            yes_no(st.reached, lang),
        ]);
    }
    table.respond(as_table_format(format.unwrap_or("json")))
}

/// The class summaries, with a teacher's given classes that have no students yet.
fn summaries(students: &[StudentReading], sc: &Scope) -> Vec<ClassSummary> {
    let mut out = reading::class_summaries(students, sc.target);
    if let (Some(given), Readers::Classes(asked)) = (&sc.given, &sc.readers) {
        for g in given.iter().filter(|g| asked.contains(g)) {
            if !out.iter().any(|c| c.grade.to_lowercase() == g.to_lowercase()) {
                out.push(ClassSummary {
                    grade: g.clone(),
                    students: 0,
                    read: 0,
                    average: 0.0,
                    reached: sc.target.map(|_| 0),
                });
            }
        }
        out.sort_by_key(|c| c.grade.to_lowercase());
    }
    out
}

/// The class summaries of a term.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassesReport {
    term: Term,
    target: Option<i64>,
    items: Vec<ClassSummary>,
}

/// Per class the account may see: students, books read, the average per student and how many
/// reached the term's target.
#[utoipa::path(get, path = "/reading/classes", tag = "reading", params(ReadingQuery),
    responses(
        (status = 200, description = "the summaries, or their download", content((ClassesReport = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn classes(State(s): State<AppState>, Auth(who): Auth, Query(q): Query<ReadingQuery>) -> Result<Response> {
    let mut fields = Fields::new();
    let format = table_format(&mut fields, &q.format, false);
    fields.finish()?;
    let sc = scope(&s, &who, &q).await?;
    let students = s.store.term_reading(&sc.term, sc.target, &sc.readers).await?;
    let items = summaries(&students, &sc);
    if format == Some("json") {
        return Ok(Json(ClassesReport { term: sc.term, target: sc.target, items }).into_response());
    }
    let lang = q.lang.unwrap_or_default();
    let keys = ["class", "students", "read", "average", "target", "reached"];
    let columns: Vec<&str> = keys.iter().map(|c| header(c, lang)).collect();
    let mut table =
        Table::new(format!("{}-{}", tr(lang, "literasi-kelas", "reading-classes"), sc.term.starts_on), &columns);
    for c in items {
        table.push(vec![
            Cell::Text(c.grade),
            Cell::Int(c.students),
            Cell::Int(c.read),
            Cell::Text(format!("{:.1}", c.average)),
            int_or_empty(sc.target),
            int_or_empty(c.reached),
        ]);
    }
    table.respond(as_table_format(format.unwrap_or("json")))
}

/// The most active readers of a term.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopReport {
    term: Term,
    target: Option<i64>,
    /// Most books read first; only who read at least one.
    items: Vec<StudentReading>,
}

/// The most active readers of a term among the classes the account may see (`limit`, default 10):
/// as JSON, a download, or `format=pdf`: an A4 page to print and sign (a certificate list).
#[utoipa::path(get, path = "/reading/top", tag = "reading", params(ReadingQuery),
    responses(
        (status = 200, description = "the list, its download or its page", content((TopReport = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/pdf"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn top(State(s): State<AppState>, Auth(who): Auth, Query(q): Query<ReadingQuery>) -> Result<Response> {
    let mut fields = Fields::new();
    let format = table_format(&mut fields, &q.format, true);
    let limit = q.limit.unwrap_or(10);
    if !(1..=MAX_TOP as i64).contains(&limit) {
        fields.add("limit", "out_of_range", format!("1 to {MAX_TOP}"));
    }
    fields.finish()?;
    let sc = scope(&s, &who, &q).await?;
    let students = s.store.term_reading(&sc.term, sc.target, &sc.readers).await?;
    let items = reading::top_readers(&students, limit as usize);
    let lang = q.lang.unwrap_or_default();
    match format.unwrap_or("json") {
        "json" => Ok(Json(TopReport { term: sc.term, target: sc.target, items }).into_response()),
        "pdf" => {
            let _slot = s.work.print_slot()?;
            let head = super::print::letterhead(&s, Some(lang)).await?;
            let t = |id: &'static str, en: &'static str| tr(lang, id, en).to_owned();
            let date = |d: NaiveDate| crate::domain::notices::format_date(d, lang);
            let mut figures = vec![(t("Semester", "Term"), sc.term.name.clone())];
            if let Some(target) = sc.target {
                figures.push((t("Target buku per siswa", "Target books per student"), target.to_string()));
            }
            let page = print::SummaryPage {
                title: t("PIAGAM PEMBACA TERAKTIF", "CERTIFICATE: MOST ACTIVE READERS"),
                subtitle: format!(
                    "{} {} – {}",
                    t("Gerakan Literasi Sekolah,", "School reading programme,"),
                    date(sc.term.starts_on),
                    date(sc.term.ends_on)
                ),
                figures,
                list_heading: t("Pembaca teraktif (buku dibaca)", "Most active readers (books read)"),
                list: items
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let class = r.grade.as_deref().map(|g| format!(" ({g})")).unwrap_or_default();
                        (format!("{}. {}{class}", i + 1, r.name), r.read.to_string())
                    })
                    .collect(),
                footer: format!("{} {}", t("Dibuat", "Made on"), date(s.store.today(s.store.now()))),
            };
            let bytes = tokio::task::spawn_blocking(move || print::summary(&head, &page))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            let name = format!("{}-{}.pdf", tr(lang, "pembaca-teraktif", "top-readers"), sc.term.starts_on);
            Ok(super::print::pdf(bytes, &name))
        }
        f => {
            let keys = ["rank", "class", "card_number", "name", "read"];
            let columns: Vec<&str> = keys.iter().map(|c| header(c, lang)).collect();
            let stem = tr(lang, "pembaca-teraktif", "top-readers");
            let mut table = Table::new(format!("{stem}-{}", sc.term.starts_on), &columns);
            for (i, r) in items.into_iter().enumerate() {
                table.push(vec![
                    Cell::Int(i as i64 + 1),
                    r.grade.map_or(Cell::Empty, Cell::Text),
                    Cell::Text(r.card_number),
                    Cell::Text(r.name),
                    Cell::Int(r.read),
                ]);
            }
            table.respond(as_table_format(f))
        }
    }
}

/// A member's term query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberReadingQuery {
    /// The term's id; default: the term of today.
    term: Option<i64>,
}

/// A member's reading in a term against its target.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberReading {
    term: Term,
    target: Option<i64>,
    reading: StudentReading,
}

/// A member's own reading in a term (the member themself, or staff with `reports`).
#[utoipa::path(get, path = "/members/{id}/reading", tag = "reading", params(("id" = i64, Path), MemberReadingQuery),
    responses((status = 200, body = MemberReading), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn member_reading(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Query(q): Query<MemberReadingQuery>,
) -> Result<Json<MemberReading>> {
    let actor = who.actor();
    let staff = who.permissions.has(Permission::Reports);
    if !staff && actor.member_id != Some(id) {
        return Err(ApiError::Forbidden);
    }
    let term = match q.term {
        Some(t) => s.store.term(t).await?,
        None => s.store.term_on(s.store.today(s.store.now())).await?.ok_or_else(|| {
            ApiError::field("term", ValidationError::new("no_term", "today is in no term: name one (see GET /terms)"))
        })?,
    };
    let target = s.store.reading_target(term.id).await?.books;
    let reading =
        s.store.term_reading(&term, target, &Readers::Member(id)).await?.pop().ok_or(ApiError::NotFound("member"))?;
    Ok(Json(MemberReading { term, target, reading }))
}

/// The classes an account may see in the reading programme.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassesInput {
    /// Classes (kelas/rombel), as the members' records name them.
    #[schema(example = json!(["7A", "7B"]))]
    classes: Vec<String>,
}

/// The classes given to an account (a teacher's).
#[utoipa::path(get, path = "/users/{id}/classes", tag = "reading", params(("id" = i64, Path)),
    responses((status = 200, body = ClassesInput), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_user_classes(State(s): State<AppState>, _: Auth, Path(id): Path<i64>) -> Result<Json<ClassesInput>> {
    Ok(Json(ClassesInput { classes: s.store.teacher_classes(id).await? }))
}

/// Give an account the classes it may see in the reading programme (replacing what it had; at most
/// 50).
#[utoipa::path(put, path = "/users/{id}/classes", tag = "reading", params(("id" = i64, Path)), request_body = ClassesInput,
    responses((status = 200, body = ClassesInput), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_user_classes(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(input): Json<ClassesInput>,
) -> Result<Json<ClassesInput>> {
    if input.classes.len() > 50 {
        return Err(ApiError::field("classes", ValidationError::new("too_many", "at most 50 classes")));
    }
    let mut fields = Fields::new();
    let grades: Vec<Grade> = input.classes.iter().filter_map(|c| fields.check("classes", Grade::parse(c))).collect();
    fields.finish()?;
    Ok(Json(ClassesInput { classes: s.store.set_teacher_classes(&who.actor(), id, &grades).await? }))
}

/// A book for a reading list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingListInput {
    /// The book (required; optional in the type so that another member's request is refused
    /// before its body is judged).
    #[schema(required = true)]
    book_id: Option<i64>,
}

/// A member's reading list: books they want to read, newest first, with the copies on the shelf
/// now (the member themself, or staff at the desk).
#[utoipa::path(get, path = "/members/{id}/reading-list", tag = "reading", params(("id" = i64, Path)),
    responses((status = 200, body = Items<ReadingListEntry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_reading_list(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> Result<Json<Items<ReadingListEntry>>> {
    who.actor().ensure_for(id)?;
    Ok(Json(Items { items: s.store.reading_list(id).await? }))
}

/// Put a book on a member's reading list (already there: unchanged); at most 200 books. Answers
/// the list.
#[utoipa::path(post, path = "/members/{id}/reading-list", tag = "reading", params(("id" = i64, Path)), request_body = ReadingListInput,
    responses((status = 200, body = Items<ReadingListEntry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn add_to_reading_list(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(input): Json<ReadingListInput>,
) -> Result<Json<Items<ReadingListEntry>>> {
    who.actor().ensure_for(id)?;
    let book_id = input
        .book_id
        .ok_or_else(|| ApiError::field("book_id", ValidationError::new("required", "book_id is required")))?;
    Ok(Json(Items { items: s.store.add_to_reading_list(id, book_id).await? }))
}

/// Take a book off a member's reading list.
#[utoipa::path(delete, path = "/members/{id}/reading-list/{book_id}", tag = "reading", params(("id" = i64, Path), ("book_id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn remove_from_reading_list(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((id, book_id)): Path<(i64, i64)>,
) -> Result<axum::http::StatusCode> {
    who.actor().ensure_for(id)?;
    s.store.remove_from_reading_list(id, book_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
