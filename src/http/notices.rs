//! `/api/v1/notices`: notice settings, templates and previews (admin), the record of notices
//! (staff; a member their own), and overdue loans with WhatsApp links (staff).

use std::collections::BTreeMap;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{page_request, Auth, Json, Path, Query},
    AppState,
};
use crate::{
    domain::{
        notices::{check_due_soon_days, parse_overdue_days, Language, NoticeKind},
        Email, ShortText, ValidationError,
    },
    http::error::{ApiError, Fields, Result},
    model::{Items, Page},
    store::notices::{Notice, NoticeCounts, NoticeFilter, NoticeSettings, NoticeTemplate, OverdueContact, STATUSES},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notices))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_templates))
        .routes(routes!(put_template, reset_template))
        .routes(routes!(preview))
        .routes(routes!(overdue_contacts))
}

/// The notice settings, whether sending is on, and how the notices stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeStatus {
    /// False when no SMTP server is set (in the settings page or `PUSTAKA_SMTP_URL`): nothing is sent.
    enabled: bool,
    #[serde(flatten)]
    settings: NoticeSettings,
    counts: NoticeCounts,
}

async fn status(s: &AppState) -> Result<NoticeStatus> {
    Ok(NoticeStatus {
        enabled: crate::notices::current_smtp(&s.store, s.smtp_pinned.as_ref()).await?.is_some(),
        settings: s.store.notice_settings().await?,
        counts: s.store.notice_counts().await?,
    })
}

/// Notice settings and state (admin).
#[utoipa::path(get, path = "/notices/settings", tag = "notices",
    responses((status = 200, body = NoticeStatus), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_settings(State(s): State<AppState>, _: Auth) -> Result<Json<NoticeStatus>> {
    Ok(Json(status(&s).await?))
}

/// New notice settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettingsInput {
    /// The `From:` address; empty or null: not set (nothing is sent).
    #[schema(example = "perpustakaan@sekolah.sch.id")]
    sender: Option<String>,
    #[schema(example = "Perpustakaan SMA Negeri 1")]
    library_name: String,
    language: Language,
    /// 0 to 30; 0: no due-soon reminder.
    due_soon_days: i64,
    /// Category code → its own due-soon days.
    #[serde(default)]
    category_due_soon_days: BTreeMap<String, i64>,
    /// Days late at which an overdue notice goes, e.g. `[1, 7, 14]`.
    overdue_days: Vec<i64>,
}

/// Change the notice settings (admin).
#[utoipa::path(put, path = "/notices/settings", tag = "notices", request_body = NoticeSettingsInput,
    responses((status = 200, body = NoticeStatus), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_settings(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(input): Json<NoticeSettingsInput>,
) -> Result<Json<NoticeStatus>> {
    let mut f = Fields::new();
    let sender = f.opt("sender", input.sender.filter(|e| !e.trim().is_empty()), |e| Email::parse(&e));
    let library_name = f.check("library_name", ShortText::parse(&input.library_name));
    let due_soon_days = f.check("due_soon_days", check_due_soon_days(input.due_soon_days));
    let overdue_days = f.check("overdue_days", parse_overdue_days(&input.overdue_days));
    for days in input.category_due_soon_days.values() {
        if let Err(e) = check_due_soon_days(*days) {
            f.add("category_due_soon_days", e.code, e.message);
            break;
        }
    }
    f.finish()?;
    let settings = NoticeSettings {
        sender: sender.map(|e| e.to_string()),
        library_name: library_name.expect("checked").into_inner(),
        language: input.language,
        due_soon_days: due_soon_days.expect("checked"),
        category_due_soon_days: input.category_due_soon_days,
        overdue_days: overdue_days.expect("checked"),
    };
    s.store.set_notice_settings(&who.actor(), &settings).await?;
    Ok(Json(status(&s).await?))
}

/// The six templates: three kinds in Indonesian and English (admin).
#[utoipa::path(get, path = "/notices/templates", tag = "notices",
    responses((status = 200, body = Items<NoticeTemplate>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_templates(State(s): State<AppState>, _: Auth) -> Result<Json<Items<NoticeTemplate>>> {
    Ok(Json(Items { items: s.store.notice_templates().await? }))
}

/// A template's wording.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// One line; `{{placeholders}}` as listed with the template.
    subject: String,
    body: String,
}

/// Reads `{kind}/{language}` from the path, naming the one at fault.
fn kind_and_language(kind: &str, language: &str) -> Result<(NoticeKind, Language)> {
    let mut f = Fields::new();
    let k = f.check("kind", NoticeKind::parse(kind));
    let l = f.check("language", Language::parse(language));
    f.finish()?;
    Ok((k.expect("checked"), l.expect("checked")))
}

/// Save a template's wording (admin).
#[utoipa::path(put, path = "/notices/templates/{kind}/{language}", tag = "notices",
    params(("kind" = NoticeKind, Path), ("language" = Language, Path)), request_body = TemplateInput,
    responses((status = 200, body = NoticeTemplate), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_template(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((kind, language)): Path<(String, String)>,
    Json(t): Json<TemplateInput>,
) -> Result<Json<NoticeTemplate>> {
    let (kind, language) = kind_and_language(&kind, &language)?;
    Ok(Json(s.store.set_notice_template(&who.actor(), kind, language, &t.subject, &t.body).await?))
}

/// Go back to the built-in wording (admin).
#[utoipa::path(delete, path = "/notices/templates/{kind}/{language}", tag = "notices",
    params(("kind" = NoticeKind, Path), ("language" = Language, Path)),
    responses((status = 200, body = NoticeTemplate), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn reset_template(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((kind, language)): Path<(String, String)>,
) -> Result<Json<NoticeTemplate>> {
    let (kind, language) = kind_and_language(&kind, &language)?;
    Ok(Json(s.store.reset_notice_template(&who.actor(), kind, language).await?))
}

/// What to preview: the saved template, or this wording before saving it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    kind: String,
    language: String,
    subject: Option<String>,
    body: Option<String>,
}

/// A notice as a member would receive it, filled with example values.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    subject: String,
    body: String,
}

/// Preview a template with example values (admin).
#[utoipa::path(post, path = "/notices/preview", tag = "notices", request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn preview(State(s): State<AppState>, _: Auth, Json(p): Json<PreviewInput>) -> Result<Json<Preview>> {
    let (kind, language) = kind_and_language(&p.kind, &p.language)?;
    let (subject, body) = s.store.preview_notice(kind, language, p.subject.as_deref(), p.body.as_deref()).await?;
    Ok(Json(Preview { subject, body }))
}

/// Which notices.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `pending`, `sending`, `sent`, `failed` or `skipped`.
    status: Option<String>,
    /// One member's (a member sees only their own, whatever is asked).
    member_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// Notices sent, pending, failed and skipped, newest first (staff; a member their own).
#[utoipa::path(get, path = "/notices", tag = "notices", params(NoticeQuery),
    responses((status = 200, body = Page<Notice>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_notices(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Json<Page<Notice>>> {
    let page = page_request(q.page, q.per_page)?;
    if let Some(st) = &q.status {
        if !STATUSES.contains(&st.as_str()) {
            return Err(ApiError::field(
                "status",
                ValidationError::new("invalid_status", "status must be pending, sending, sent, failed or skipped"),
            ));
        }
    }
    let actor = who.actor();
    let member_id = if actor.is_desk() {
        q.member_id
    } else {
        match (actor.member_id, q.member_id) {
            (Some(own), None) => Some(own),
            (Some(own), Some(asked)) if asked == own => Some(own),
            _ => return Err(ApiError::Forbidden),
        }
    };
    Ok(Json(s.store.notices(&NoticeFilter { status: q.status, member_id }, page).await?))
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

/// Overdue loans with the member's email, phone and a "send via WhatsApp" link (staff).
#[utoipa::path(get, path = "/notices/overdue-contacts", tag = "notices", params(PageQuery),
    responses((status = 200, body = Page<OverdueContact>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn overdue_contacts(
    State(s): State<AppState>,
    _: Auth,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<OverdueContact>>> {
    let page = page_request(q.page, q.per_page)?;
    Ok(Json(s.store.overdue_contacts(page).await?))
}
