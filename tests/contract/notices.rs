//! Notices by email, against a real SMTP server (Debian's python3-aiosmtpd, started by each test
//! on a free port, writing what it receives to a maildir), on both backends: each notice is sent
//! exactly once by schedulers racing for the lease, an SMTP server that is down gets its notices
//! once it is back, and a scheduler that stops mid-batch leaves the rest to another.

use crate::common;

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use chrono::Duration as Days;
use common::TestApp;
use pustaka::notices::{Mailer, Scheduler, SmtpSettings};
use serde_json::{json, Value};

contract!(
    due_soon_overdue_and_hold_ready_are_sent_once_by_racing_schedulers,
    smtp_down_then_up_delivers_each_notice_once,
    a_scheduler_stopped_mid_batch_is_finished_by_another,
    notices_are_written_when_sent_not_when_recorded,
    settings_and_templates_are_checked_and_previewed,
    overdue_contacts_carry_whatsapp_links,
    members_see_only_their_own_notices
);

/// Debian's Python, which sees Debian's python3-aiosmtpd (a pyenv `python3` first on the PATH may not).
const PYTHON: &str = "/usr/bin/python3";

/// An aiosmtpd server on 127.0.0.1, storing each message it accepts as a file in a maildir.
pub(crate) struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the server on `port` and waits (at most 15 s) until it accepts connections.
    pub(crate) fn start(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd: apt-get install python3-aiosmtpd");
        let mut sink = SmtpSink { child, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!("aiosmtpd exited at start ({status}): is python3-aiosmtpd installed for {PYTHON}?");
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {port} within 15 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The messages received so far, as text (quoted-printable soft line breaks joined).
    pub(crate) fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let path = self.dir.path().join("mail").join(sub);
            let Ok(entries) = std::fs::read_dir(&path) else { continue };
            for e in entries {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                out.push(text.replace("=\r\n", "").replace("=\n", ""));
            }
        }
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now (bound, then let go).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn mailer(port: u16) -> Mailer {
    Mailer::new(&SmtpSettings::from_url(&format!("smtp://127.0.0.1:{port}"), None).unwrap()).unwrap()
}

/// Sets the sender and the stages the tests expect.
async fn configure(app: &TestApp) {
    let body = json!({
        "sender": "perpustakaan@sekolah.example",
        "library_name": "Perpustakaan Uji",
        "language": "id",
        "due_soon_days": 3,
        "overdue_days": [1, 7, 14],
    });
    app.call(reqwest::Method::PUT, "/api/v1/notices/settings", Some(&app.admin), Some(body)).await.expect(200);
}

pub(crate) async fn member_with_email(
    app: &TestApp,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> (i64, String) {
    let body = app
        .post(
            "/api/v1/members",
            Some(&app.admin),
            json!({ "name": name, "category": "student", "email": email, "phone": phone }),
        )
        .await
        .expect(201);
    (body["id"].as_i64().unwrap(), body["card_number"].as_str().unwrap().to_owned())
}

/// The notices recorded, through the API.
async fn notices(app: &TestApp) -> Vec<Value> {
    let body = app.get("/api/v1/notices?per_page=100", Some(&app.admin)).await.expect(200);
    body["items"].as_array().unwrap().clone()
}

/// One loan due soon, one 7+ days late, one ready hold, and a late loan of a member without email.
async fn three_notices_and_one_without_email(app: &TestApp) {
    let (_, sari) = member_with_email(app, "Sari Dewi", Some("sari@example.org"), None).await;
    let (_, tono) = member_with_email(app, "Tono Wijaya", Some("tono@example.org"), None).await;
    let (_, rina) = member_with_email(app, "Rina Lestari", Some("rina@example.org"), None).await;
    let (_, tanpa) = member_with_email(app, "Tanpa Surel", None, None).await;
    let soon = app.book("Bumi Manusia").await;
    app.copy(soon, "NS-1").await;
    // Student loans last 7 days: lent 6 days ago, due in a day or two (a closed Sunday moves it).
    app.checkout_days_ago("NS-1", &sari, 6).await.expect(201);
    let late = app.book("Ronggeng Dukuh Paruk").await;
    app.copy(late, "NL-1").await;
    app.copy(late, "NL-2").await;
    // Lent 16 days ago: 8 or 9 days late, past the 7-day stage and short of the 14-day one.
    app.checkout_days_ago("NL-1", &tono, 16).await.expect(201);
    app.checkout_days_ago("NL-2", &tanpa, 16).await.expect(201);
    let held = app.book("Pulang").await;
    app.copy(held, "NH-1").await;
    app.checkout("NH-1", &sari).await.expect(201);
    app.post("/api/v1/holds", Some(&app.admin), json!({ "book_id": held, "card_number": rina })).await.expect(201);
    let r = app.checkin("NH-1").await.expect(200);
    assert_eq!(r["hold"]["status"], "ready");
}

/// The message sent to `to`, exactly one.
fn one_to<'a>(mails: &'a [String], to: &str) -> &'a str {
    let found: Vec<&String> = mails.iter().filter(|m| m.contains(&format!("To: {to}"))).collect();
    assert_eq!(found.len(), 1, "mails to {to}: {found:#?}");
    found[0]
}

async fn due_soon_overdue_and_hold_ready_are_sent_once_by_racing_schedulers(app: TestApp) {
    let port = free_port();
    let smtp = SmtpSink::start(port);
    configure(&app).await;
    three_notices_and_one_without_email(&app).await;
    let a = Scheduler::new(app.store.clone(), mailer(port), "replica-a");
    let b = Scheduler::new(app.replica_store().await, mailer(port), "replica-b");
    // Both race for several rounds; between rounds the clock passes the lease's length, so the
    // lease changes hands, and each new holder finds everything already recorded.
    let mut leaders = Vec::new();
    for _ in 0..4 {
        let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert!(!(ra.leader && rb.leader), "both held the lease at once: {ra:?} {rb:?}");
        leaders.push((ra, rb));
        app.clock.shift(Days::seconds(91));
    }
    let sent: usize = leaders.iter().map(|(a, b)| a.sent + b.sent).sum();
    assert_eq!(sent, 3, "{leaders:?}");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 3, "{mails:#?}");
    let soon = one_to(&mails, "sari@example.org");
    assert!(soon.contains("Subject: Pengingat: \"Bumi Manusia\" jatuh tempo"), "{soon}");
    assert!(soon.contains("Yth. Sari Dewi") && soon.contains("Perpustakaan Uji"), "{soon}");
    assert!(soon.contains("From: perpustakaan@sekolah.example"), "{soon}");
    let late = one_to(&mails, "tono@example.org");
    // The 7-day stage (in the Message-ID), saying how late the loan really is (8 or 9 days).
    assert!(late.contains("-7@sekolah.example>"), "{late}");
    assert!(
        ["8", "9"].iter().any(|d| late.contains(&format!("Subject: Terlambat {d} hari: \"Ronggeng Dukuh Paruk\""))),
        "{late}"
    );
    let ready = one_to(&mails, "rina@example.org");
    assert!(ready.contains("Pesanan siap diambil: \"Pulang\"") && ready.contains("paling lambat"), "{ready}");

    let all = notices(&app).await;
    let by = |status: &str| all.iter().filter(|n| n["status"] == status).count();
    assert_eq!((by("sent"), by("skipped"), all.len()), (3, 1, 4), "{all:#?}");
    let skipped = all.iter().find(|n| n["status"] == "skipped").unwrap();
    assert_eq!(skipped["member_name"], "Tanpa Surel");
    assert_eq!(skipped["last_error"], "the member has no email address");
    let status = app.get("/api/v1/notices/settings", Some(&app.admin)).await.expect(200);
    assert_eq!((status["counts"]["sent"].as_i64(), status["counts"]["skipped"].as_i64()), (Some(3), Some(1)));
    // Test apps have no PUSTAKA_SMTP_URL: the page shows notices as off.
    assert_eq!(status["enabled"], false);

    // A day later nothing new is due (the next overdue stage is at 14 days): nothing is resent.
    app.clock.shift(Days::days(1));
    a.run_once().await.unwrap();
    b.run_once().await.unwrap();
    assert_eq!(smtp.messages().len(), 3);
    // At 14+ days late the next stage goes, once, though both keep running.
    app.clock.shift(Days::days(6));
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
        assert!(!(ra.unwrap().leader && rb.unwrap().leader));
        app.clock.shift(Days::seconds(91));
    }
    let mails = smtp.messages();
    let late14: Vec<_> = mails.iter().filter(|m| m.contains("-14@sekolah.example>")).collect();
    assert_eq!(late14.len(), 1, "{mails:#?}");
}

async fn smtp_down_then_up_delivers_each_notice_once(app: TestApp) {
    let port = free_port();
    configure(&app).await;
    three_notices_and_one_without_email(&app).await;
    let a = Scheduler::new(app.store.clone(), mailer(port), "replica-a").with_counters(app.metrics.notices());
    // Nothing listens: the first attempt fails, is recorded, and the round stops there.
    let r = a.run_once().await.unwrap();
    assert_eq!((r.leader, r.planned, r.sent, r.failed), (true, 4, 0, 1), "{r:?}");
    let pending: Vec<Value> = notices(&app).await.into_iter().filter(|n| n["status"] == "pending").collect();
    assert_eq!(pending.len(), 3);
    let tried: Vec<&Value> = pending.iter().filter(|n| n["attempts"] == 1).collect();
    assert_eq!(tried.len(), 1, "{pending:#?}");
    assert!(tried[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{:#?}", tried[0]);
    // Within its back-off the failed one waits; the next untried one is tried (and fails too).
    let r = a.run_once().await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 1));
    let attempts: i64 = notices(&app).await.iter().map(|n| n["attempts"].as_i64().unwrap()).sum();
    assert_eq!(attempts, 2);

    // The server comes back; after the back-off everything goes, once.
    let smtp = SmtpSink::start(port);
    app.clock.shift(Days::minutes(3));
    let r = a.run_once().await.unwrap();
    assert_eq!((r.sent, r.failed), (3, 0), "{r:?}");
    for _ in 0..3 {
        app.clock.shift(Days::minutes(10));
        a.run_once().await.unwrap();
    }
    let mails = smtp.messages();
    assert_eq!(mails.len(), 3, "{mails:#?}");
    for to in ["sari@example.org", "tono@example.org", "rina@example.org"] {
        one_to(&mails, to);
    }
    let all = notices(&app).await;
    assert_eq!(all.iter().filter(|n| n["status"] == "sent").count(), 3);
    assert!(all.iter().filter(|n| n["status"] == "sent").all(|n| n["last_error"].is_null()));
    // The metrics count what the scheduler did: two failed attempts, three mails sent.
    let metrics = app.metrics.render();
    for line in ["pustaka_notices_total{result=\"sent\"} 3\n", "pustaka_notices_total{result=\"failed\"} 2\n"] {
        assert!(metrics.contains(line), "{line:?} not in:\n{metrics}");
    }
}

async fn a_scheduler_stopped_mid_batch_is_finished_by_another(app: TestApp) {
    let port = free_port();
    let smtp = SmtpSink::start(port);
    configure(&app).await;
    let book = app.book("Negeri 5 Menara").await;
    for i in 0..5 {
        let (_, card) =
            member_with_email(&app, &format!("Anggota {i}"), Some(&format!("a{i}@example.org")), None).await;
        app.copy(book, &format!("N5-{i}")).await;
        app.checkout_days_ago(&format!("N5-{i}"), &card, 16).await.expect(201);
    }
    // Replica A sends two of five and stops (its round ends, it keeps the lease: it died).
    let mut a = Scheduler::new(app.store.clone(), mailer(port), "replica-a");
    a.batch = 2;
    let r = a.run_once().await.unwrap();
    assert_eq!((r.leader, r.planned, r.sent), (true, 5, 2));
    drop(a);
    // Replica B cannot send while A's lease lasts...
    let b = Scheduler::new(app.replica_store().await, mailer(port), "replica-b");
    let r = b.run_once().await.unwrap();
    assert_eq!((r.leader, r.sent), (false, 0));
    assert_eq!(smtp.messages().len(), 2);
    // ...and takes over once it has expired, sending only the three left.
    app.clock.shift(Days::seconds(91));
    let r = b.run_once().await.unwrap();
    assert_eq!((r.leader, r.planned, r.sent), (true, 0, 3));
    b.run_once().await.unwrap();
    let mails = smtp.messages();
    assert_eq!(mails.len(), 5);
    for i in 0..5 {
        one_to(&mails, &format!("a{i}@example.org"));
    }
}

/// A library that turns notices on before it sets its name and wording: notices recorded
/// meanwhile go out with the name and template of when they are sent, and the record keeps
/// what was sent.
async fn notices_are_written_when_sent_not_when_recorded(app: TestApp) {
    let port = free_port();
    let smtp = SmtpSink::start(port);
    let settings = |sender: Value, name: &str| json!({ "sender": sender, "library_name": name, "language": "id", "due_soon_days": 3, "overdue_days": [1, 7, 14] });
    let put = |body: Value| app.call(reqwest::Method::PUT, "/api/v1/notices/settings", Some(&app.admin), Some(body));
    put(settings(Value::Null, "Perpustakaan Lama")).await.expect(200);
    three_notices_and_one_without_email(&app).await;
    let a = Scheduler::new(app.store.clone(), mailer(port), "replica-a");
    let r = a.run_once().await.unwrap();
    assert_eq!((r.planned, r.sent), (4, 0), "no sender yet: recorded, not sent ({r:?})");

    // Then the library writes its own wording and name, and sets the sender.
    app.call(
        reqwest::Method::PUT,
        "/api/v1/notices/templates/overdue/id",
        Some(&app.admin),
        Some(json!({ "subject": "Terlambat: {{title}} ({{library}})", "body": "{{name}}, sudah {{days_late}} hari. {{library}}" })),
    )
    .await
    .expect(200);
    put(settings(json!("perpustakaan@sekolah.example"), "Perpustakaan SMP Negeri 1")).await.expect(200);
    let r = a.run_once().await.unwrap();
    assert_eq!(r.sent, 3, "{r:?}");

    let mails = smtp.messages();
    assert!(mails.iter().all(|m| !m.contains("Perpustakaan Lama")), "{mails:#?}");
    let tono = one_to(&mails, "tono@example.org");
    assert!(tono.contains("Subject: Terlambat: Ronggeng Dukuh Paruk (Perpustakaan SMP Negeri 1)"), "{tono}");
    assert!(tono.contains("Tono Wijaya, sudah"), "{tono}");
    assert!(one_to(&mails, "sari@example.org").contains("Perpustakaan SMP Negeri 1"));
    // The record says what went.
    let all = notices(&app).await;
    let sent = all.iter().find(|n| n["status"] == "sent" && n["member_name"] == "Tono Wijaya").unwrap();
    assert_eq!(sent["subject"], "Terlambat: Ronggeng Dukuh Paruk (Perpustakaan SMP Negeri 1)");
    assert!(sent["body"].as_str().unwrap().ends_with("Perpustakaan SMP Negeri 1"), "{sent:#}");
}

async fn settings_and_templates_are_checked_and_previewed(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let put = |body: Value| app.call(reqwest::Method::PUT, "/api/v1/notices/settings", admin, Some(body));
    let good = json!({ "sender": null, "library_name": "Perpus", "language": "en", "due_soon_days": 2, "overdue_days": [3, 1] });
    let s = put(good.clone()).await.expect(200);
    assert_eq!(
        (s["overdue_days"].clone(), s["language"].clone(), s["sender"].clone()),
        (json!([1, 3]), json!("en"), Value::Null)
    );
    for (field, patch) in [
        ("sender", json!({ "sender": "not an address" })),
        ("due_soon_days", json!({ "due_soon_days": 31 })),
        ("overdue_days", json!({ "overdue_days": [] })),
        ("overdue_days", json!({ "overdue_days": [7, 7] })),
        ("library_name", json!({ "library_name": " " })),
        ("category_due_soon_days", json!({ "category_due_soon_days": { "student": 99 } })),
        ("category_due_soon_days", json!({ "category_due_soon_days": { "alien": 1 } })),
    ] {
        let mut body = good.clone();
        body.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        let p = put(body).await.problem(422, "validation");
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {p:#}");
    }
    // Bad input changed nothing.
    let s = app.get("/api/v1/notices/settings", admin).await.expect(200);
    assert_eq!((s["due_soon_days"].as_i64(), s["library_name"].as_str()), (Some(2), Some("Perpus")));
    let mut per_category = good.clone();
    per_category["category_due_soon_days"] = json!({ "staff": 5 });
    assert_eq!(put(per_category).await.expect(200)["category_due_soon_days"], json!({ "staff": 5 }));

    let templates = app.get("/api/v1/notices/templates", admin).await.expect(200);
    assert_eq!(templates["items"].as_array().unwrap().len(), 6);
    assert!(templates["items"].as_array().unwrap().iter().all(|t| t["custom"] == false));
    let path = "/api/v1/notices/templates/overdue/en";
    let t = app
        .call(
            reqwest::Method::PUT,
            path,
            admin,
            Some(json!({ "subject": "Late: {{title}}", "body": "{{name}}, {{days_late}} days." })),
        )
        .await
        .expect(200);
    assert_eq!(t["custom"], true);
    for (body, field) in [
        (json!({ "subject": "Late {{pickup_by}}", "body": "x" }), "subject"),
        (json!({ "subject": "Late", "body": "{{name" }), "body"),
        (json!({ "subject": "a\nb", "body": "x" }), "subject"),
        (json!({ "subject": "Late", "body": "" }), "body"),
    ] {
        let p = app.call(reqwest::Method::PUT, path, admin, Some(body)).await.problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], field, "{p:#}");
    }
    let p = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/notices/templates/late/fr",
            admin,
            Some(json!({ "subject": "x", "body": "y" })),
        )
        .await
        .problem(422, "validation");
    let fields: Vec<&Value> = p["errors"].as_array().unwrap().iter().map(|e| &e["field"]).collect();
    assert_eq!(fields, [&json!("kind"), &json!("language")]);

    let preview =
        app.post("/api/v1/notices/preview", admin, json!({ "kind": "overdue", "language": "en" })).await.expect(200);
    assert_eq!(preview["subject"], "Late: Laskar Pelangi");
    assert_eq!(preview["body"], "Budi Santoso, 7 days.");
    let unsaved = app
        .post(
            "/api/v1/notices/preview",
            admin,
            json!({ "kind": "hold_ready", "language": "id", "subject": "Ambil {{title}}", "body": "di {{library}}" }),
        )
        .await
        .expect(200);
    assert_eq!(
        (unsaved["subject"].as_str(), unsaved["body"].as_str()),
        (Some("Ambil Laskar Pelangi"), Some("di Perpus"))
    );
    app.post(
        "/api/v1/notices/preview",
        admin,
        json!({ "kind": "hold_ready", "language": "id", "body": "{{days_late}}" }),
    )
    .await
    .problem(422, "validation");
    let reset = app.delete(path, admin).await.expect(200);
    assert_eq!(reset["custom"], false);
    assert!(reset["subject"].as_str().unwrap().contains("{{days_late}} days overdue"));

    // Librarians and members may not change notices.
    let librarian = app.add_librarian().await;
    app.get("/api/v1/notices/settings", Some(&librarian)).await.problem(403, "forbidden");
    app.post("/api/v1/notices/preview", Some(&librarian), json!({ "kind": "overdue", "language": "en" }))
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/notices/settings", None).await.problem(401, "unauthenticated");
}

async fn overdue_contacts_carry_whatsapp_links(app: TestApp) {
    let (_, with_phone) = member_with_email(&app, "Dewi Ayu", None, Some("0812-3456-7890")).await;
    let (_, without) = member_with_email(&app, "Tanpa Telepon", Some("t@example.org"), None).await;
    let book = app.book("Saman").await;
    app.copy(book, "SM-1").await;
    app.copy(book, "SM-2").await;
    app.copy(book, "SM-3").await;
    app.checkout_days_ago("SM-1", &with_phone, 16).await.expect(201);
    // The loan still on time first: once SM-2 is overdue, the member may not borrow (issue 11).
    app.checkout("SM-3", &without).await.expect(201);
    app.checkout_days_ago("SM-2", &without, 12).await.expect(201);
    let librarian = app.add_librarian().await;
    let body = app.get("/api/v1/notices/overdue-contacts", Some(&librarian)).await.expect(200);
    let items = body["items"].as_array().unwrap();
    assert_eq!((items.len(), body["total"].as_i64()), (2, Some(2)), "{body:#}");
    assert_eq!(items[0]["member_name"], "Dewi Ayu");
    let link = items[0]["whatsapp_url"].as_str().unwrap();
    assert!(link.starts_with("https://wa.me/6281234567890?text=Yth.%20Dewi%20Ayu"), "{link}");
    assert!(link.contains("%22Saman%22"), "{link}");
    assert!(items[0]["days_late"].as_i64().unwrap() >= 8);
    assert!(items[1]["whatsapp_url"].is_null() && items[1]["email"] == "t@example.org");
    let (_, _, member) = app.member_with_login("Siswa", "siswa1").await;
    app.get("/api/v1/notices/overdue-contacts", Some(&member)).await.problem(403, "forbidden");
}

async fn members_see_only_their_own_notices(app: TestApp) {
    configure(&app).await;
    let (mine, card, token) = app.member_with_login("Pemilik", "pemilik").await;
    let (_, other) = member_with_email(&app, "Lain", None, None).await;
    let book = app.book("Amba").await;
    app.copy(book, "AM-1").await;
    app.copy(book, "AM-2").await;
    app.checkout_days_ago("AM-1", &card, 16).await.expect(201);
    app.checkout_days_ago("AM-2", &other, 16).await.expect(201);
    // Planned (and skipped: neither has an email) by a round; no server is needed for that.
    let round = Scheduler::new(app.store.clone(), mailer(free_port()), "r").run_once().await.unwrap();
    assert_eq!(round.planned, 2);
    let own = app.get("/api/v1/notices", Some(&token)).await.expect(200);
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["member_id"], mine);
    app.get(&format!("/api/v1/notices?member_id={}", mine + 1), Some(&token)).await.problem(403, "forbidden");
    assert_eq!(app.get("/api/v1/notices", Some(&app.admin)).await.expect(200)["total"], 2);
    app.get("/api/v1/notices?status=lost", Some(&app.admin)).await.problem(422, "validation");
    let skipped = app.get("/api/v1/notices?status=skipped", Some(&app.admin)).await.expect(200);
    assert_eq!(skipped["total"], 2);
}

#[test]
fn debian_python_has_aiosmtpd() {
    // Checked apart from the contract tests, so a missing package names itself.
    assert!(Path::new(PYTHON).exists(), "{PYTHON} is missing");
    let ok = Command::new(PYTHON).args(["-c", "import aiosmtpd"]).status().unwrap().success();
    assert!(ok, "python3-aiosmtpd is not installed: apt-get install python3-aiosmtpd");
}
