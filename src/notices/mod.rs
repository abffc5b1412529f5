//! Sending notices by email on a schedule: the SMTP settings, the mailer, and the scheduler that
//! every replica runs but only the holder of the database lease acts on.
//!
//! What is guaranteed: each notice is recorded once (a unique key per kind, loan or hold, and
//! stage) before anything is sent, and is handed to the SMTP server by one scheduler at a time
//! (the lease, renewed before each mail and longer than the SMTP timeout). A notice the server
//! accepted is recorded `sent`; one it could not take goes back to `pending` with a back-off.
//! The one gap no database can close: a replica that dies after the server accepted a mail but
//! before recording it leaves the notice `sending`; the next lease holder sends it again (the
//! same Message-ID, so mail clients that de-duplicate show it once). So a notice is never lost,
//! and is delivered twice only when a replica dies in that instant.

use std::time::Duration as StdDuration;

use chrono::Duration;
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::{
    domain::ValidationError,
    store::{
        error::StoreError,
        library_settings::names,
        notices::{Notice, NOTICES_LEASE},
        Store,
    },
};

/// Where notices are sent through. The URL's password never appears in `Debug` output.
#[derive(Clone)]
pub struct SmtpSettings {
    /// `smtp://[user@]host[:port][?tls=required|opportunistic]` or `smtps://…`, with the password merged in.
    url: SecretString,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings").field("url", &crate::store::settings::redact(self.url.expose_secret())).finish()
    }
}

impl SmtpSettings {
    /// Reads `PUSTAKA_SMTP_URL` and the password from `PUSTAKA_SMTP_PASSWORD(_FILE)`.
    pub fn from_url(raw: &str, password: Option<SecretString>) -> anyhow::Result<Self> {
        Self::parse(raw, password.as_ref().map(|p| p.expose_secret())).map_err(|e| {
            let message = e
                .message
                .replace("give the password on its own", "put it in the file PUSTAKA_SMTP_PASSWORD_FILE names instead");
            anyhow::anyhow!("PUSTAKA_SMTP_URL: {message}")
        })
    }

    /// The URL without its password, to show.
    pub fn shown_url(&self) -> String {
        match Url::parse(self.url.expose_secret()) {
            Ok(mut u) => {
                let _ = u.set_password(None);
                u.to_string()
            }
            Err(_) => String::new(),
        }
    }

    /// Whether a password goes with the URL.
    pub fn has_password(&self) -> bool {
        Url::parse(self.url.expose_secret()).is_ok_and(|u| u.password().is_some())
    }

    /// Checks an SMTP URL as set in the page or the environment (`smtp://[user@]host[:port]` or
    /// `smtps://…`, no password in it) and merges `password` in.
    pub fn parse(raw: &str, password: Option<&str>) -> Result<Self, ValidationError> {
        let invalid = |message: &str| ValidationError::new("invalid_smtp_url", message);
        let mut url =
            Url::parse(raw.trim()).map_err(|_| invalid("is not a URL like smtps://user@mail.example.org:465"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(invalid(&format!("has the scheme {:?}; use smtp:// or smtps://", url.scheme())));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("names no host"));
        }
        if url.password().is_some() {
            return Err(invalid("carries a password: give the password on its own"));
        }
        if let Some(pw) = password {
            if url.username().is_empty() {
                return Err(invalid("names no user for the password (smtps://USER@host)"));
            }
            url.set_password(Some(pw)).map_err(|()| invalid("cannot carry a password"))?;
        }
        let settings = Self { url: url.to_string().into() };
        // Refuse a URL lettre cannot use now, not at the first notice.
        Mailer::new(&settings).map_err(|e| invalid(&format!("cannot be used: {e}")))?;
        Ok(settings)
    }
}

/// The SMTP server notices go through now: the environment's when it pins one, else the one set
/// in the page (read from the database each time, so a change reaches every replica at once).
pub async fn current_smtp(store: &Store, pinned: Option<&SmtpSettings>) -> Result<Option<SmtpSettings>, StoreError> {
    if let Some(smtp) = pinned {
        return Ok(Some(smtp.clone()));
    }
    let settings = store.library_settings().await?;
    let Some(url) = settings.get(names::SMTP_URL) else {
        return Ok(None);
    };
    let password = store.library_secret(names::SMTP_PASSWORD).await?;
    match SmtpSettings::parse(url, password.as_deref()) {
        Ok(smtp) => Ok(Some(smtp)),
        Err(e) => {
            // Checked when set; only a row written by other means (or a restore with the password
            // missing) lands here.
            tracing::warn!(error = %e.message, "the SMTP server set in the page cannot be used");
            Ok(None)
        }
    }
}

/// Sends one test mail from `sender` to `to` through `smtp` (the settings page's button).
pub async fn send_test_mail(smtp: &SmtpSettings, sender: &str, to: &str, library: &str) -> Result<(), SendError> {
    let mailer =
        Mailer::new(smtp).map_err(|e| SendError { message: e.to_string(), permanent: true, server_down: false })?;
    let subject = format!("Pustaka: surat uji / test mail ({library})");
    let body = format!(
        "Surat ini dikirim dari halaman Pengaturan Pustaka untuk menguji server SMTP {library}.\n\n\
         This mail was sent from Pustaka's settings page to test {library}'s SMTP server.\n"
    );
    mailer.send_text(sender, to, &subject, &body, None).await
}

/// Why a mail was not sent.
#[derive(Debug)]
pub struct SendError {
    /// For the notice's record.
    pub message: String,
    /// The server refused this mail for good (a bad address): no point trying again.
    pub permanent: bool,
    /// The server could not be reached or is refusing everything for now: stop this batch.
    pub server_down: bool,
}

/// Sends mails through the configured SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

/// How long one SMTP exchange may take; the lease lasts longer.
const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(20);

impl Mailer {
    /// A mailer for `settings` (connects only when sending).
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.expose_secret())?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport })
    }

    /// Sends one notice from `sender`, with a Message-ID made from the notice's id and key so a
    /// resend after a crash carries the same one.
    pub async fn send(&self, sender: &str, notice: &Notice) -> Result<(), SendError> {
        let to = notice.email.as_deref().unwrap_or_default();
        let domain = sender.rsplit('@').next().unwrap_or("pustaka.invalid");
        let id = format!("<notice-{}-{}-{}-{}@{domain}>", notice.id, notice.kind, notice.ref_id, notice.stage);
        self.send_text(sender, to, &notice.subject, &notice.body, Some(id)).await
    }

    /// Sends one plain-text mail.
    pub async fn send_text(
        &self,
        sender: &str,
        to: &str,
        subject: &str,
        body: &str,
        message_id: Option<String>,
    ) -> Result<(), SendError> {
        let bad = |message: String| SendError { message, permanent: true, server_down: false };
        let from: Mailbox = sender.parse().map_err(|e| bad(format!("sender address {sender:?}: {e}")))?;
        let to: Mailbox = to.parse().map_err(|e| bad(format!("address {to:?}: {e}")))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(message_id)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| bad(format!("building the mail: {e}")))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| SendError {
            message: e.to_string(),
            permanent: e.is_permanent(),
            server_down: !e.is_permanent(),
        })
    }
}

/// What one round of the scheduler did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Whether this scheduler held the lease.
    pub leader: bool,
    /// Notices recorded this round.
    pub planned: usize,
    /// Mails the server accepted.
    pub sent: usize,
    /// Attempts that failed.
    pub failed: usize,
}

/// Finds due notices and sends them, when it holds the lease.
pub struct Scheduler {
    store: Store,
    /// The environment's mailer; none: the SMTP server set in the page, read every round.
    mailer: Option<Mailer>,
    holder: String,
    /// How long the lease lasts without renewal.
    pub lease: Duration,
    /// Most notices sent in one round.
    pub batch: i64,
    counters: crate::metrics::NoticeCounters,
}

impl Scheduler {
    /// A scheduler named `instance` (the replica's name; a random suffix tells restarts apart).
    /// It sends through `mailer`; [`Scheduler::from_settings`] through the server set in the page.
    pub fn new(store: Store, mailer: Mailer, instance: &str) -> Self {
        Self { mailer: Some(mailer), ..Self::from_settings(store, instance) }
    }

    /// A scheduler sending through the SMTP server set in the settings page, read at the start of
    /// every round (so a change made on any replica is used from the next round, at most
    /// [`crate::app`]'s notices interval later). With none set, a round does nothing.
    pub fn from_settings(store: Store, instance: &str) -> Self {
        let holder = format!("{instance}/{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Self { store, mailer: None, holder, lease: Duration::seconds(90), batch: 100, counters: Default::default() }
    }

    /// The same scheduler, counting the notices it sends and fails in `counters` (the metrics).
    pub fn with_counters(self, counters: crate::metrics::NoticeCounters) -> Self {
        Self { counters, ..self }
    }

    /// This scheduler's name in the lease and in the notices it sends.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// One round: take or renew the lease; record the notices now due; send what is pending,
    /// renewing the lease before each mail and stopping when it is lost or the server is down.
    pub async fn run_once(&self) -> Result<Round, StoreError> {
        let mut round = Round::default();
        let mailer = match &self.mailer {
            Some(m) => m.clone(),
            None => match current_smtp(&self.store, None).await?.map(|smtp| Mailer::new(&smtp)) {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the SMTP server set in the page cannot be used");
                    return Ok(round);
                }
                // No SMTP server: notices are off, none are recorded (as without PUSTAKA_SMTP_URL).
                None => return Ok(round),
            },
        };
        if !self.store.take_lease(NOTICES_LEASE, &self.holder, self.lease).await? {
            return Ok(round);
        }
        round.leader = true;
        let settings = self.store.notice_settings().await?;
        round.planned = self.store.plan_notices(&settings).await?;
        let Some(sender) = settings.sender.as_deref() else {
            tracing::warn!("notices are recorded but not sent: the admin has not set the sender address");
            return Ok(round);
        };
        for notice in self.store.due_notices(&self.holder, self.batch).await? {
            if !self.store.take_lease(NOTICES_LEASE, &self.holder, self.lease).await? {
                tracing::warn!("lost the notices lease mid-round; another replica goes on");
                break;
            }
            // Written as it goes: the template and library name of now (the record keeps it).
            let Some(notice) = self.store.claim_notice(&notice, &self.holder).await? else {
                continue;
            };
            match mailer.send(sender, &notice).await {
                Ok(()) => {
                    self.counters.sent();
                    self.store.notice_sent(notice.id, &self.holder).await?;
                    round.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(notice = notice.id, error = %e.message, "sending a notice failed");
                    self.counters.failed();
                    self.store.notice_failed(notice.id, &self.holder, &e.message, e.permanent).await?;
                    round.failed += 1;
                    if e.server_down {
                        break;
                    }
                }
            }
        }
        Ok(round)
    }

    /// Runs a round every `every` until `stop` resolves; then lets the lease go.
    pub async fn run(self, every: StdDuration, stop: impl std::future::Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => {}
            }
            // A round is not cut off by `stop`: it ends between notices.
            match self.run_once().await {
                Ok(r) if r.sent + r.failed + r.planned > 0 => {
                    tracing::info!(planned = r.planned, sent = r.sent, failed = r.failed, "notices round")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notices round failed"),
            }
        }
        if let Err(e) = self.store.release_lease(NOTICES_LEASE, &self.holder).await {
            tracing::warn!(error = %e, "letting the notices lease go failed");
        }
    }
}
