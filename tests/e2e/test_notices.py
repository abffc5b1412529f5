"""An overdue notice, from the admin's page to the member's mailbox, through a real SMTP server.

Debian's aiosmtpd (python3-aiosmtpd, under /usr/bin/python3: the tests' own Python may not have
it) listens on a free port and stores each message it accepts in a maildir; the server gets it
as PUSTAKA_SMTP_URL. The demo library has one overdue loan: Budi's "Bumi Manusia", ten days late.

The order is the one the task doc gives: the server first runs without PUSTAKA_SMTP_URL (the
page says notices are off) and the admin sets the sender and the library's name in Admin →
Notifikasi; then the server is restarted with PUSTAKA_SMTP_URL. Its scheduler runs a round at
start (then every 30 s), so the mail arrives within a second or two, not at a 30-second tick.
(A notice is written when it is recorded: a server with SMTP but no settings yet would record
it with the default name and templates, and send it as soon as the sender is set.)

Set PUSTAKA_E2E_SHOTS=DIR to keep the screenshots: the mail as the member reads it, and the
admin's notices tab listing it as sent."""

from __future__ import annotations

import email
import email.policy
import html
import socket
import subprocess
import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from test_desk import log_in
from test_layout import keep as keep_page

PYTHON = "/usr/bin/python3"
SMTP_START_S = 15.0
MAIL_WAIT_S = 15.0  # after the restart; the round at start sends at once
SENDER = "perpustakaan@sekolah.sch.id"
LIBRARY = "Perpustakaan SMA Negeri 1"
MONTHS_ID = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def keep(page: Page, name: str) -> None:
    page.evaluate("document.getElementById('flash')?.replaceChildren()")  # toasts
    keep_page(page, name)


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1:`port`, writing each message it accepts to a maildir."""

    def __init__(self, folder: Path):
        if not Path(PYTHON).exists():
            pytest.fail(f"{PYTHON} is missing")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.maildir = folder / "mail"
        self.errors = folder / "aiosmtpd.log"
        with open(self.errors, "wb") as err:
            self.proc = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    f"127.0.0.1:{self.port}",
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                    str(self.maildir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + SMTP_START_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                pass
            if self.proc.poll() is not None:
                pytest.fail(
                    f"aiosmtpd exited at start ({self.proc.returncode}): is python3-aiosmtpd "
                    f"installed for {PYTHON}?\n{self.errors.read_text(errors='replace')}"
                )
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"aiosmtpd did not listen on port {self.port} within {SMTP_START_S:.0f} s")
            time.sleep(0.05)

    def messages(self) -> list[EmailMessage]:
        out = []
        for sub in ("new", "cur"):
            for path in sorted((self.maildir / sub).glob("*")):
                out.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        return out

    def wait_for(self, count: int, timeout_s: float) -> list[EmailMessage]:
        """Polls the maildir until `count` messages are there (at most `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        while True:
            mails = self.messages()
            if len(mails) >= count or time.monotonic() > deadline:
                return mails
            time.sleep(0.1)

    def stop(self) -> None:
        # By its own PID, the one this test started.
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@pytest.fixture
def smtp(tmp_path):
    sink = SmtpSink(tmp_path)
    yield sink
    sink.stop()


def library_date(instant: str, tz: str = "Asia/Jakarta") -> str:
    """A loan's due instant as the notice writes its date: the library's calendar day, `5 Des 2026`."""
    d = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(ZoneInfo(tz)).date()
    return f"{d.day} {MONTHS_ID[d.month - 1]} {d.year}"


def mail_page(mail: EmailMessage) -> str:
    """The mail as a plain mail reader shows it: headers, then the text. No external URLs."""
    rows = "".join(
        f"<tr><th>{label}</th><td>{html.escape(str(mail[key]))}</td></tr>"
        for label, key in (("Dari", "From"), ("Kepada", "To"), ("Subjek", "Subject"), ("Tanggal", "Date"))
    )
    return f"""<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Kotak masuk</title><style>
      body {{ margin: 0; background: #eef1f4; font: 15px/1.5 "DejaVu Sans", sans-serif; color: #1d2733; }}
      .bar {{ background: #2b4a6f; color: #fff; padding: 10px 20px; font-weight: bold; }}
      .mail {{ background: #fff; margin: 18px; border: 1px solid #cfd6de; border-radius: 6px; }}
      h1 {{ font-size: 19px; margin: 0; padding: 16px 20px 8px; }}
      table {{ border-collapse: collapse; margin: 0 20px 12px; }}
      th {{ text-align: left; color: #5a6775; font-weight: normal; padding: 2px 16px 2px 0; }}
      pre {{ white-space: pre-wrap; font: inherit; margin: 0; padding: 16px 20px 20px;
             border-top: 1px solid #e2e7ec; }}
    </style></head><body>
      <div class="bar">Kotak masuk — {html.escape(str(mail["To"]))}</div>
      <div class="mail" data-testid="mail">
        <h1>{html.escape(str(mail["Subject"]))}</h1>
        <table>{rows}</table>
        <pre>{html.escape(mail.get_content().strip())}</pre>
      </div></body></html>"""


@pytest.mark.seed_demo
def test_overdue_notice_arrives_in_indonesian_and_is_listed_as_sent(page: Page, server, smtp):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/notifikasi")
    expect(page.get_by_text("Notifikasi email mati")).to_be_visible()
    settings = page.get_by_test_id("notice-settings")
    settings.get_by_label("Alamat pengirim (From)").fill(SENDER)
    settings.get_by_label("Nama perpustakaan").fill(LIBRARY)  # the mail's signature
    settings.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Tersimpan.")).to_be_visible()

    # What the mail must say, from the API: the library's name and the overdue loan.
    status = page.request.get("/api/v1/notices/settings").json()
    assert (status["enabled"], status["sender"], status["library_name"]) == (False, SENDER, LIBRARY), status
    overdue = page.request.get("/api/v1/notices/overdue-contacts").json()["items"]
    assert len(overdue) == 1, overdue
    loan = overdue[0]
    assert (loan["member_name"], loan["title"], loan["email"]) == (
        "Budi Santoso",
        "Bumi Manusia",
        "budi.santoso@sekolah.sch.id",
    ), loan

    assert smtp.messages() == []
    server.restart(PUSTAKA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}")
    mails = smtp.wait_for(1, MAIL_WAIT_S)
    assert len(mails) == 1, f"mails: {[str(m['Subject']) for m in mails]}\n" + "\n".join(server.log)
    mail = mails[0]
    assert mail["To"] == loan["email"], mail["To"]
    assert mail["From"] == SENDER, mail["From"]
    assert mail["Subject"] == f'Terlambat {loan["days_late"]} hari: "Bumi Manusia"', mail["Subject"]
    body = mail.get_content()
    due = library_date(loan["due_at"])
    for text in (
        "Yth. Budi Santoso,",
        f'Buku "Bumi Manusia" ({loan["barcode"]})',
        f"seharusnya dikembalikan pada {due}",
        f"terlambat {loan['days_late']} hari",
        f"Salam,\n{LIBRARY}",
    ):
        assert text in body, f"{text!r} not in:\n{body}"

    reader = page.context.new_page()
    reader.set_viewport_size({"width": 760, "height": 440})
    reader.set_content(mail_page(mail))
    expect(reader.get_by_test_id("mail")).to_contain_text(due)
    keep_page(reader, "notifikasi-email-diterima.png")
    reader.close()

    # The admin sees it sent, and that sending is on.
    page.reload()
    expect(page.get_by_text("Notifikasi email aktif")).to_be_visible()
    expect(page.get_by_text("Terkirim 1, menunggu 0, gagal 0, dilewati 0.")).to_be_visible()
    rows = page.get_by_test_id("notices-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    for cell in ("Pemberitahuan terlambat", "Budi Santoso", loan["email"], mail["Subject"], "Terkirim"):
        expect(rows.first).to_contain_text(cell)
    # For the screenshot only: the six template forms between the settings and the list are
    # hidden, so the status line and the list fit in one picture (the doc's caption says so).
    page.get_by_test_id("template-overdue-id").locator("xpath=ancestor::section[1]").evaluate(
        "section => { section.style.display = 'none'; }"
    )
    expect(page.get_by_test_id("template-overdue-id")).to_be_hidden()
    keep(page, "notifikasi-admin-terkirim.png")

    # One notice, one mail: nothing else arrived meanwhile.
    assert len(smtp.messages()) == 1
