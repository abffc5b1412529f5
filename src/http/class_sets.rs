//! `/api/v1/class-sets`: textbook class sets (buku paket per kelas), issue #30. One request
//! lends a copy of a title (or of each of several) to every student of a class, all or nothing;
//! the class's list shows who has which copy and who has returned it; returns are scanned by
//! class; the list prints as a PDF to sign.

use axum::{extract::State, http::StatusCode, response::Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Auth, Json, Query},
    print::{letterhead, pdf},
    AppState,
};
use crate::{
    domain::{notices::Language, time::scanned_time, Barcode, Grade, ValidationError},
    http::error::{ApiError, FieldError, Fields, Result},
    model::{Items, Loan},
    print::{
        class_list::{class_lists, ClassListLine, ClassListPage},
        tr,
    },
    store::{
        class_sets::{ClassSetList, CopyChoice, MAX_STUDENTS, MAX_TITLES},
        error::StoreError,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(class_set_list, lend_class_set))
        .routes(routes!(return_class_set))
        .routes(routes!(print_class_set))
}

/// A class set to lend.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassSetInput {
    /// The class (as on the members, whatever its case).
    #[schema(example = "7A")]
    grade: String,
    /// One title ...
    #[serde(default)]
    book_id: Option<i64>,
    /// ... or several (1–20): every student gets one copy of each.
    #[serde(default)]
    book_ids: Option<Vec<i64>>,
    /// The copies scanned, in any order: the copies of each title go to the students in
    /// class-list order (by name). Exactly one copy of each title per student.
    #[serde(default)]
    barcodes: Option<Vec<String>>,
    /// `true`: Pustaka picks available copies (by barcode) instead of scanned ones.
    #[serde(default)]
    assign: bool,
    /// As in a checkout: the time the desk scanned it, when it was offline.
    #[serde(default)]
    scanned_at: Option<DateTime<Utc>>,
}

fn grade(v: &str) -> std::result::Result<Grade, ValidationError> {
    if v.trim().is_empty() {
        return Err(ValidationError::new("required", "choose a class"));
    }
    Grade::parse(v)
}

/// The titles of a request: `book_id` or `book_ids`, 1 to [`MAX_TITLES`], each once.
fn titles(f: &mut Fields, one: Option<i64>, many: Option<Vec<i64>>) -> Vec<i64> {
    let books: Vec<i64> = one.into_iter().chain(many.unwrap_or_default()).collect();
    let mut seen = std::collections::HashSet::new();
    if books.is_empty() || books.len() > MAX_TITLES {
        f.add("book_ids", "out_of_range", format!("choose 1 to {MAX_TITLES} titles"));
    } else if !books.iter().all(|b| seen.insert(*b)) {
        f.add("book_ids", "duplicate", "a title is listed twice");
    }
    books
}

/// Lend a textbook set to a class (staff): one copy of each title to every student of the class,
/// due as the loan-rule matrix says for the copy's collection type and the student's category
/// (for Buku Paket usually "at the end of the term"). All or nothing: when any student or copy is
/// at fault (blocked, over a limit, not enough copies, a copy of another title, ...) nothing is
/// lent and the 422 lists every one of them, each with its own `code` (`member_blocked`,
/// `loan_limit`, `type_limit`, `copy_not_available`, `not_enough_copies`, `wrong_title`, ...).
#[utoipa::path(post, path = "/class-sets", tag = "circulation", request_body = ClassSetInput,
    responses((status = 201, description = "the loans made, title by title in class-list order", body = Items<Loan>),
        (status = 404, description = "no such title", body = Problem),
        (status = 409, description = "refused as a whole (e.g. `no_current_term`)", body = Problem),
        (status = 422, description = "nothing lent: every student and copy at fault, by field (`students[i]`, `barcodes[j]`, `book_ids[k]`)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn lend_class_set(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(c): Json<ClassSetInput>,
) -> Result<(StatusCode, Json<Items<Loan>>)> {
    let mut f = Fields::new();
    let class = f.check("grade", grade(&c.grade));
    let books = titles(&mut f, c.book_id, c.book_ids);
    let choice = match (c.barcodes, c.assign) {
        (Some(_), true) => {
            f.add("assign", "conflict", "scan the copies or let Pustaka assign them, not both");
            None
        }
        (None, false) => {
            f.add("barcodes", "required", "scan the copies, or ask for \"assign\": true");
            None
        }
        (None, true) => Some(CopyChoice::Assign),
        (Some(list), false) => {
            if list.is_empty() || list.len() > MAX_TITLES * MAX_STUDENTS {
                f.add("barcodes", "out_of_range", format!("scan 1 to {} copies", MAX_TITLES * MAX_STUDENTS));
            }
            let parsed: Vec<Option<Barcode>> =
                list.iter().enumerate().map(|(j, b)| f.check(&format!("barcodes[{j}]"), Barcode::parse(b))).collect();
            parsed.into_iter().collect::<Option<Vec<_>>>().map(CopyChoice::Scanned)
        }
    };
    let at = c.scanned_at.map(|at| f.check("scanned_at", scanned_time(at, s.store.now())));
    f.finish()?;
    let (class, choice) = (class.expect("checked"), choice.expect("checked"));
    let loans = s.store.lend_class_set(&who.actor(), &class, &books, &choice, at.flatten()).await?;
    Ok((StatusCode::CREATED, Json(Items { items: loans })))
}

/// Which class's list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClassSetQuery {
    /// The class.
    grade: String,
    /// The title; left out: every title the class has on loan now.
    book_id: Option<i64>,
    /// `id` (default) or `en`, for the printed list.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
}

async fn list_for(s: &AppState, q: &ClassSetQuery) -> Result<ClassSetList> {
    let class = grade(&q.grade).map_err(|e| ApiError::field("grade", e))?;
    let books = match q.book_id {
        Some(b) => vec![b],
        None => s.store.class_titles(&class).await?,
    };
    Ok(s.store.class_set_list(&class, &books).await?)
}

/// Who in a class has which copy of a title, and who has returned it (staff): a line per
/// student (in class-list order) and title, with the counts.
#[utoipa::path(get, path = "/class-sets", tag = "circulation", params(ClassSetQuery),
    responses((status = 200, body = ClassSetList), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn class_set_list(
    State(s): State<AppState>,
    _: Auth,
    Query(q): Query<ClassSetQuery>,
) -> Result<Json<ClassSetList>> {
    Ok(Json(list_for(&s, &q).await?))
}

/// Copies handed back by a class.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassReturnInput {
    #[schema(example = "7A")]
    grade: String,
    /// The title whose list to answer with; left out: the titles of the copies returned.
    #[serde(default)]
    book_id: Option<i64>,
    /// The copies scanned (1–1200), each returned as at the desk (fines, holds).
    barcodes: Vec<String>,
    #[serde(default)]
    scanned_at: Option<DateTime<Utc>>,
}

/// What a class return did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassReturnOutcome {
    /// The loans closed.
    pub returned: Vec<Loan>,
    /// The copies that could not be taken back (not on loan, unknown), by field, with the
    /// problem code; the others were taken back all the same.
    pub problems: Vec<FieldError>,
    /// The class's list now: who has not returned what.
    pub list: ClassSetList,
}

/// Take back the copies a class hands in at the end of the term (staff): each scanned copy is
/// returned as at the desk; the answer lists who in the class still has what.
#[utoipa::path(post, path = "/class-sets/return", tag = "circulation", request_body = ClassReturnInput,
    responses((status = 200, body = ClassReturnOutcome), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn return_class_set(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(r): Json<ClassReturnInput>,
) -> Result<Json<ClassReturnOutcome>> {
    let mut f = Fields::new();
    let class = f.check("grade", grade(&r.grade));
    if r.barcodes.is_empty() || r.barcodes.len() > MAX_TITLES * MAX_STUDENTS {
        f.add("barcodes", "out_of_range", format!("scan 1 to {} copies", MAX_TITLES * MAX_STUDENTS));
    }
    let barcodes: Vec<Option<Barcode>> =
        r.barcodes.iter().enumerate().map(|(j, b)| f.check(&format!("barcodes[{j}]"), Barcode::parse(b))).collect();
    let at = r.scanned_at.map(|at| f.check("scanned_at", scanned_time(at, s.store.now())));
    f.finish()?;
    let class = class.expect("checked");
    let (mut returned, mut problems) = (Vec::new(), Vec::new());
    for (j, barcode) in barcodes.into_iter().flatten().enumerate() {
        match s.store.checkin_at(&who.actor(), &barcode, false, at.flatten()).await {
            Ok(outcome) => returned.push(outcome.loan),
            Err(e @ (StoreError::Refused(_) | StoreError::NotFound(_))) => {
                if let ApiError::Validation(mut v) =
                    ApiError::from(StoreError::Faults(vec![(format!("barcodes[{j}]"), e)]))
                {
                    problems.append(&mut v);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let books = match r.book_id {
        Some(b) => vec![b],
        None => {
            let mut b: Vec<i64> = returned.iter().map(|l| l.book_id).collect();
            b.sort_unstable();
            b.dedup();
            b
        }
    };
    let list = s.store.class_set_list(&class, &books).await?;
    Ok(Json(ClassReturnOutcome { returned, problems, list }))
}

/// The class's list as an A4 PDF to sign (staff): per title, No., student, card number, the
/// copy's barcode and a signature column.
#[utoipa::path(get, path = "/class-sets/print", tag = "circulation", params(ClassSetQuery),
    responses((status = 200, description = "the list", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn print_class_set(State(s): State<AppState>, _: Auth, Query(q): Query<ClassSetQuery>) -> Result<Response> {
    let _slot = s.work.print_slot()?;
    let list = list_for(&s, &q).await?;
    let l = q.lang.unwrap_or_default();
    let mut pages: Vec<ClassListPage> = Vec::new();
    for line in &list.lines {
        if pages.last().is_none_or(|p| p.title != line.title) {
            pages.push(ClassListPage {
                class: format!("{} {}", tr(l, "Kelas", "Class"), list.grade),
                title: line.title.clone(),
                due: String::new(),
                lines: Vec::new(),
            });
        }
        let page = pages.last_mut().expect("pushed");
        if page.due.is_empty() {
            if let Some(due) = line.due_at {
                let day = crate::domain::notices::format_date(s.store.today(due), l);
                page.due = format!("{} {day}", tr(l, "Kembali paling lambat", "Due back by"));
            }
        }
        page.lines.push(ClassListLine {
            number: line.number,
            name: line.name.clone(),
            card_number: line.card_number.clone(),
            barcode: line.barcode.clone().filter(|_| line.state == "out"),
        });
    }
    if pages.is_empty() {
        return Err(ApiError::field(
            "book_id",
            ValidationError::new("nothing_to_print", "the class has no title on loan; choose one"),
        ));
    }
    let head = letterhead(&s, q.lang).await?;
    let name = format!(
        "{}-{}.pdf",
        tr(l, "buku-paket", "class-set"),
        list.grade.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    Ok(pdf(class_lists(&head, &pages), &name))
}
