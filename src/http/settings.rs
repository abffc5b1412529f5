//! `/api/v1/settings`: the settings a librarian changes in the page (issue #32): the library's
//! time zone, the page's default language, the SMTP server and sender of the notices, with a
//! test mail. Stored in the database; an environment variable, where set, pins a setting (the
//! answer names it and a change is refused). The SMTP password is write-only: answered only as
//! `set: true/false`, kept out of backups.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Auth, Json},
    AppState,
};
use crate::{
    config::env,
    domain::{time::parse_timezone, Email},
    http::error::{ApiError, Fields, Result},
    notices::{current_smtp, send_test_mail, SmtpSettings},
    store::library_settings::{names, Change},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(test_mail))
        .routes(routes!(page_settings))
}

/// One setting: its value in use and, when the environment pins it, the variable that does.
#[derive(Debug, Serialize, ToSchema)]
pub struct Setting {
    /// The value in use (a default when none was set); none: not set.
    value: Option<String>,
    /// The environment variable that pins it (the page shows it read-only); none: set here.
    pinned_by: Option<&'static str>,
}

/// A secret: whether it is set; its value is never answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Secret {
    set: bool,
    pinned_by: Option<&'static str>,
}

/// The settings of the settings page.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibrarySettings {
    /// The library's time zone (IANA name): due dates and closed days are its days.
    timezone: Setting,
    /// `id` or `en`: the page's language until a visitor picks one.
    language: Setting,
    /// The SMTP server notices go through, without a password; none: notices are not sent.
    smtp_url: Setting,
    /// The SMTP password (write-only).
    smtp_password: Secret,
    /// The notices' `From:` address (also in the notice settings).
    sender: Option<String>,
}

const TIMEZONE_ENV: &str = env::TIMEZONE.name;
const SMTP_ENV: &str = env::SMTP_URL.name;

async fn current(s: &AppState) -> Result<LibrarySettings> {
    let stored = s.store.library_settings().await?;
    let smtp_pin = s.smtp_pinned.is_some().then_some(SMTP_ENV);
    let (smtp_url, password_set) = match &s.smtp_pinned {
        Some(smtp) => (Some(smtp.shown_url()), smtp.has_password()),
        None => (stored.get(names::SMTP_URL).cloned(), s.store.library_secret(names::SMTP_PASSWORD).await?.is_some()),
    };
    Ok(LibrarySettings {
        timezone: Setting {
            value: Some(s.store.tz().name().to_owned()),
            pinned_by: s.store.tz_pinned().then_some(TIMEZONE_ENV),
        },
        language: Setting {
            value: Some(stored.get(names::LANGUAGE).cloned().unwrap_or_else(|| "id".into())),
            pinned_by: None,
        },
        smtp_url: Setting { value: smtp_url, pinned_by: smtp_pin },
        smtp_password: Secret { set: password_set, pinned_by: smtp_pin },
        sender: s.store.notice_settings().await?.sender,
    })
}

/// The settings, which of them the environment pins, whether the SMTP password is set.
#[utoipa::path(get, path = "/settings", tag = "settings",
    responses((status = 200, body = LibrarySettings), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_settings(State(s): State<AppState>, _: Auth) -> Result<Json<LibrarySettings>> {
    Ok(Json(current(&s).await?))
}

/// Changes to the settings: a field left out stays as it is; an empty string removes a setting
/// (back to its default; for the SMTP server: notices off).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    #[schema(example = "Asia/Makassar")]
    timezone: Option<String>,
    #[schema(example = "id")]
    language: Option<String>,
    #[schema(example = "smtps://perpustakaan@mail.sekolah.sch.id:465")]
    smtp_url: Option<String>,
    /// Write-only; empty: removed.
    smtp_password: Option<String>,
    #[schema(example = "perpustakaan@sekolah.sch.id")]
    sender: Option<String>,
}

/// Largest value of one setting, in bytes.
const MAX_VALUE: usize = 500;

/// Change settings (admin): each checked, a pinned one refused, all stored at once.
#[utoipa::path(put, path = "/settings", tag = "settings", request_body = SettingsInput,
    responses((status = 200, body = LibrarySettings), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_settings(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(input): Json<SettingsInput>,
) -> Result<Json<LibrarySettings>> {
    let mut f = Fields::new();
    let pinned = |f: &mut Fields, field: &str, var: &str| {
        f.add(field, "pinned", format!("set by the environment variable {var}; change it there"));
    };
    for (field, v) in [
        ("timezone", &input.timezone),
        ("language", &input.language),
        ("smtp_url", &input.smtp_url),
        ("smtp_password", &input.smtp_password),
        ("sender", &input.sender),
    ] {
        if v.as_ref().is_some_and(|v| v.len() > MAX_VALUE) {
            f.add(field, "too_long", format!("at most {MAX_VALUE} bytes"));
        }
    }
    let mut settings: Vec<(&str, Option<String>)> = Vec::new();
    let mut secrets: Vec<(&str, Option<String>)> = Vec::new();
    if let Some(tz) = input.timezone.as_deref().map(str::trim) {
        if s.store.tz_pinned() {
            pinned(&mut f, "timezone", TIMEZONE_ENV);
        } else if tz.is_empty() {
            settings.push((names::TIMEZONE, None));
        } else if let Some(tz) = f.check("timezone", parse_timezone(tz)) {
            settings.push((names::TIMEZONE, Some(tz.name().to_owned())));
        }
    }
    if let Some(lang) = input.language.as_deref().map(str::trim) {
        match lang {
            "" => settings.push((names::LANGUAGE, None)),
            "id" | "en" => settings.push((names::LANGUAGE, Some(lang.to_owned()))),
            _ => f.add("language", "invalid_language", "use id (Bahasa Indonesia) or en (English)"),
        }
    }
    let smtp_given = input.smtp_url.is_some() || input.smtp_password.is_some();
    if smtp_given && s.smtp_pinned.is_some() {
        let field = if input.smtp_url.is_some() { "smtp_url" } else { "smtp_password" };
        pinned(&mut f, field, SMTP_ENV);
    } else if smtp_given {
        let password = match input.smtp_password.as_deref() {
            Some("") => {
                secrets.push((names::SMTP_PASSWORD, None));
                None
            }
            Some(p) => {
                secrets.push((names::SMTP_PASSWORD, Some(p.to_owned())));
                Some(p.to_owned())
            }
            None => s.store.library_secret(names::SMTP_PASSWORD).await?,
        };
        let url = match input.smtp_url.as_deref().map(str::trim) {
            Some("") => {
                settings.push((names::SMTP_URL, None));
                None
            }
            Some(url) => {
                settings.push((names::SMTP_URL, Some(url.to_owned())));
                Some(url.to_owned())
            }
            None => s.store.library_settings().await?.remove(names::SMTP_URL),
        };
        if let Some(url) = url {
            // The URL with the password it will be used with: a password needs a user in the URL.
            let field = if input.smtp_url.is_some() { "smtp_url" } else { "smtp_password" };
            f.check(field, SmtpSettings::parse(&url, password.as_deref()));
        }
    }
    let sender = f.opt("sender", input.sender.as_deref().map(str::trim).filter(|e| !e.is_empty()), Email::parse);
    f.finish()?;
    let changes: Vec<Change<'_>> = settings.iter().map(|(n, v)| (*n, v.as_deref())).collect();
    let secret_changes: Vec<Change<'_>> = secrets.iter().map(|(n, v)| (*n, v.as_deref())).collect();
    s.store.set_library_settings(&who.actor(), &changes, &secret_changes).await?;
    if input.sender.is_some() {
        let mut notices = s.store.notice_settings().await?;
        notices.sender = sender.map(|e| e.to_string());
        s.store.set_notice_settings(&who.actor(), &notices).await?;
    }
    Ok(Json(current(&s).await?))
}

/// Where the test mail goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestMailInput {
    #[schema(example = "pustakawan@sekolah.sch.id")]
    to: String,
}

/// A test mail the SMTP server accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestMailSent {
    to: String,
    /// The server it went through, without a password.
    smtp_url: String,
}

/// How long the test mail may take (the request's own limit is longer).
const TEST_MAIL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Send a test mail through the SMTP server in use, from the notices' sender (admin). The
/// server's refusal or silence is answered as a problem (`smtp_failed`, its words in `detail`).
#[utoipa::path(post, path = "/settings/test-mail", tag = "settings", request_body = TestMailInput,
    responses((status = 200, body = TestMailSent), (status = 403, body = Problem),
        (status = 409, description = "the SMTP server did not take the mail (`smtp_failed`), or none is set (`smtp_not_set`)", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn test_mail(State(s): State<AppState>, _: Auth, Json(input): Json<TestMailInput>) -> Result<Json<TestMailSent>> {
    let to = Email::parse(input.to.trim()).map_err(|e| ApiError::field("to", e))?;
    let Some(smtp) = current_smtp(&s.store, s.smtp_pinned.as_ref()).await? else {
        return Err(ApiError::conflict("smtp_not_set", "no SMTP server is set"));
    };
    let notices = s.store.notice_settings().await?;
    let Some(sender) = notices.sender else {
        return Err(ApiError::field(
            "sender",
            crate::domain::ValidationError::new("required", "set the sender address first"),
        ));
    };
    let sent =
        tokio::time::timeout(TEST_MAIL_TIMEOUT, send_test_mail(&smtp, &sender, to.as_ref(), &notices.library_name))
            .await;
    match sent {
        Ok(Ok(())) => Ok(Json(TestMailSent { to: to.to_string(), smtp_url: smtp.shown_url() })),
        Ok(Err(e)) => Err(ApiError::conflict("smtp_failed", e.message)),
        Err(_) => Err(ApiError::conflict(
            "smtp_failed",
            format!("the SMTP server did not answer within {} s", TEST_MAIL_TIMEOUT.as_secs()),
        )),
    }
}

/// What the page needs before anyone logs in.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageSettings {
    /// `id` or `en`: the page's language until a visitor picks one.
    language: String,
    /// The library's time zone.
    timezone: String,
}

/// The page's default language and the library's time zone (public).
#[utoipa::path(get, path = "/settings/page", tag = "settings", responses((status = 200, body = PageSettings)))]
async fn page_settings(State(s): State<AppState>) -> Result<Json<PageSettings>> {
    let stored = s.store.library_settings().await?;
    Ok(Json(PageSettings {
        language: stored.get(names::LANGUAGE).cloned().unwrap_or_else(|| "id".into()),
        timezone: s.store.tz().name().to_owned(),
    }))
}
