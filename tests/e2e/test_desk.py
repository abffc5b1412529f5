"""Browser end-to-end tests: a librarian runs the library from the page alone.

Black-box: each test starts the real binary on a fresh database (see conftest.py) and drives
Debian's Chromium by clicks and typing only. The one exception is time: an overdue loan needs
the past, so test_librarian_flow backdates one loan straight in the SQLite file.

Expected texts are the page's Indonesian strings (web/js/i18n.js) and the service's loan rules
for the seeded "student" category (7 days, 1 renewal, Rp 500 per open day late, Sundays closed).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from api_client import Api

# The library's time zone (Asia/Jakarta) has had no daylight saving since 1964: UTC+7.
JAKARTA = timezone(timedelta(hours=7))
ID_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
STUDENT_LOAN_DAYS = 7
STUDENT_FINE_PER_DAY = 500
SUNDAY = 6

OK_GREEN = "rgb(23, 113, 58)"  # --ok
BAD_RED = "rgb(180, 35, 24)"  # --bad


# ---------- expectations computed independently of the page ----------


def library_today() -> date:
    return datetime.now(JAKARTA).date()


def next_open_day(d: date) -> date:
    while d.weekday() == SUNDAY:
        d += timedelta(days=1)
    return d


def expected_due(loan_day: date) -> date:
    return next_open_day(loan_day + timedelta(days=STUDENT_LOAN_DAYS))


def open_days_after(due: date, until: date) -> int:
    """Open days d with due < d <= until (the service charges those)."""
    return sum(1 for n in range(1, (until - due).days + 1) if (due + timedelta(days=n)).weekday() != SUNDAY)


def id_date(d: date) -> str:
    return f"{d.day} {ID_MONTHS[d.month - 1]} {d.year}"


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


# ---------- what a person does on the page ----------


def flash(page: Page):
    return page.locator("#flash")


def banner(page: Page):
    return page.get_by_test_id("desk-result")


def banner_title(page: Page):
    return banner(page).locator(".desk-result-title")


def banner_lines(page: Page):
    return banner(page).locator(".desk-result-line")


def fact(page: Page, label: str):
    """The value beside `label` in a facts list (<dl class="facts">)."""
    return page.locator(f'dl.facts dt:text-is("{label}") + dd')


def log_in(page: Page, username: str, password: str, role_name: str):
    page.goto("/#/masuk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-badge")).to_have_text(f"{username} {role_name}")


def catalogue_book(
    page: Page, *, title: str, authors: str, isbn: str = "", year: str = "", subjects: str = "", publisher: str = ""
) -> None:
    page.get_by_test_id("nav-collection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Koleksi")
    page.get_by_test_id("book-new").click()
    form = page.get_by_test_id("book-form")
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku baru")
    form.get_by_label("Judul").fill(title)
    form.get_by_label("Pengarang").fill(authors)
    if isbn:
        form.get_by_label("ISBN").fill(isbn)
    if year:
        form.get_by_label("Tahun").fill(year)
    if subjects:
        form.get_by_label("Subjek").fill(subjects)
    if publisher:
        form.get_by_label("Penerbit").fill(publisher)
    # No copies made with the book: they are added on its page with the barcodes already stuck on.
    form.get_by_test_id("book-copies").fill("0")
    page.get_by_test_id("book-save").click()
    expect(flash(page)).to_have_text(f"Buku “{title}” ditambahkan. Sekarang tambahkan eksemplarnya.")
    expect(page).to_have_url(re.compile(r"#/koleksi/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def add_copy(page: Page, barcode: str, location: str = "") -> None:
    page.get_by_test_id("copy-barcode").fill(barcode)
    if location:
        page.get_by_test_id("copy-location").fill(location)
    page.get_by_role("button", name="Tambah eksemplar").click()
    expect(flash(page)).to_have_text(f"Eksemplar {barcode} ditambahkan.")
    expect(page.get_by_test_id("copies-table").locator("tbody tr").filter(has_text=barcode)).to_have_count(1)


def register_member(page: Page, name: str, email: str) -> str:
    """Registers a student member; returns the card number the page announces."""
    page.get_by_test_id("nav-members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anggota")
    page.get_by_test_id("member-new").click()
    form = page.get_by_test_id("member-form")
    form.get_by_role("textbox", name="Nama", exact=True).fill(name)
    form.get_by_label("Kategori").select_option(label="Siswa / Mahasiswa")
    form.get_by_label("Email").fill(email)
    form.get_by_role("button", name="Simpan").click()
    expect(flash(page)).to_have_text(re.compile(rf"^Anggota {re.escape(name)} terdaftar dengan nomor kartu P\d+\.$"))
    card = re.search(r"nomor kartu (P\d+)\.", flash(page).inner_text()).group(1)
    expect(page).to_have_url(re.compile(r"#/anggota/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(fact(page, "Nomor kartu")).to_have_text(card)
    return card


def scan(page: Page, testid: str, text: str) -> None:
    """What a barcode scanner does: types into the focused field, then Enter."""
    field = page.get_by_test_id(testid)
    expect(field).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def submit_with_mouse(page: Page, testid: str) -> None:
    """Clicks the scan field's own button instead of pressing Enter."""
    form = page.locator(".scan-form", has=page.get_by_test_id(testid))
    form.get_by_role("button", name="Proses (Enter)").click()


def expect_scan_field_ready(page: Page, testid: str) -> None:
    field = page.get_by_test_id(testid)
    expect(field).to_be_focused()
    expect(field).to_have_value("")


def expect_banner(page: Page, kind: str, title: str, lines: list[str]) -> None:
    expect(banner(page)).to_have_class(f"desk-result desk-result-{kind}")
    expect(banner_title(page)).to_have_text(title)
    expect(banner_lines(page)).to_have_text(lines)
    text = banner(page).inner_text()
    assert "{" not in text and '"code"' not in text and "HTTP" not in text, text


# ---------- 1. the whole librarian flow ----------


def test_librarian_flow(page: Page, server):
    # The admin creates a librarian account; everything after is done by the librarian.
    log_in(page, "admin", server.admin_password, "Admin")
    expect(page).to_have_url(re.compile(r"#/meja$"))
    page.get_by_test_id("nav-admin").click()
    page.get_by_test_id("admin-tab-pengguna").click()
    users = page.get_by_test_id("user-form")
    users.get_by_label("Nama pengguna").fill("lina")
    users.get_by_label("Kata sandi").fill("rak-buku-2026")
    expect(users.get_by_label("Peran")).to_have_value("librarian")
    users.get_by_role("button", name="Buat pengguna").click()
    expect(flash(page)).to_have_text("Pengguna lina dibuat.")
    expect(page.get_by_test_id("users-table").locator("tbody tr").filter(has_text="lina")).to_contain_text("Pustakawan")
    page.get_by_test_id("logout-button").click()
    expect(flash(page)).to_have_text("Anda sudah keluar.")
    expect(page.get_by_test_id("nav-login")).to_be_visible()

    log_in(page, "lina", "rak-buku-2026", "Pustakawan")
    expect(page).to_have_url(re.compile(r"#/meja$"))
    expect(page.get_by_test_id("nav-admin")).to_have_count(0)

    # Catalogue a book and add two copies.
    title = "Cantik Itu Luka"
    catalogue_book(
        page,
        title=title,
        authors="Eka Kurniawan",
        isbn="9786020332956",
        year="2015",
        subjects="Fiksi",
        publisher="Gramedia Pustaka Utama",
    )
    expect(page.get_by_test_id("copies-table")).to_have_text("Belum ada eksemplar")
    add_copy(page, "CIL-001", "Rak A3")
    add_copy(page, "CIL-002", "Rak A3")
    rows = page.get_by_test_id("copies-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.locator("td").nth(1)).to_have_text("Rak A3")
        expect(row.locator("td").nth(2)).to_have_text("Tersedia")
    expect(page.locator(".view-head .badge")).to_have_text("2 dari 2 tersedia")

    # Register a member.
    card = register_member(page, "Siti Rahmawati", "siti@example.org")
    expect(fact(page, "Kategori")).to_have_text("Siswa / Mahasiswa")
    expect(fact(page, "Denda belum dibayar")).to_have_text("Rp 0")

    # Lend: from the member's page to the desk with the card already read.
    page.get_by_role("link", name="Pinjamkan buku").click()
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Siti Rahmawati")
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "CIL-001")
    due = id_date(expected_due(library_today()))
    expect_banner(
        page,
        "ok",
        f"✓ Dipinjamkan: {title}",
        [f"Anggota: Siti Rahmawati ({card})", "Barcode: CIL-001", f"Kembali paling lambat: {due}"],
    )
    summary = page.get_by_test_id("member-summary")
    expect(summary.locator("tbody tr")).to_have_count(1)
    expect(summary.locator("tbody tr td").nth(1)).to_have_text("CIL-001")
    expect(summary.locator("dd").nth(2)).to_have_text("1 dari maks. 3")
    expect_scan_field_ready(page, "desk-scan")

    # Renew at the desk by scanning: a renewal runs another loan period from the current due date.
    page.get_by_test_id("desk-tab-perpanjang").click()
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "CIL-001")
    expect_banner(
        page,
        "ok",
        f"✓ Diperpanjang: {title}",
        [
            f"Anggota: Siti Rahmawati ({card})",
            f"Kembali paling lambat (baru): {id_date(expected_due(expected_due(library_today())))}",
            "Perpanjangan: 1",
        ],
    )
    expect_scan_field_ready(page, "desk-scan")

    # Take back on time: no fine.
    page.get_by_test_id("desk-tab-kembali").click()
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "CIL-001")
    expect_banner(
        page,
        "ok",
        f"✓ Dikembalikan: {title}",
        [
            f"Anggota: Siti Rahmawati ({card})",
            "Barcode: CIL-001",
            f"Kembali paling lambat: {id_date(expected_due(expected_due(library_today())))}",
        ],
    )
    expect_scan_field_ready(page, "desk-scan")

    # Lend the second copy (the member is still at the desk), then let it become overdue.
    page.get_by_test_id("desk-tab-pinjam").click()
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Siti Rahmawati")
    scan(page, "desk-scan", "CIL-002")
    expect_banner(
        page,
        "ok",
        f"✓ Dipinjamkan: {title}",
        [f"Anggota: Siti Rahmawati ({card})", "Barcode: CIL-002", f"Kembali paling lambat: {due}"],
    )

    # Time travel (the only step not done through the page): the loan was made 20 days ago
    # and fell due 10 days ago at the end of that library day (23:59:59 Jakarta).
    today = library_today()
    late_due = today - timedelta(days=10)
    loaned = datetime.now(UTC) - timedelta(days=20)
    due_at = datetime.combine(late_due, time(23, 59, 59), JAKARTA).astimezone(UTC)
    with sqlite3.connect(server.db_path, timeout=5) as db:
        (loan_id,) = db.execute(
            "SELECT l.id FROM loans l JOIN copies c ON c.id = l.copy_id WHERE c.barcode = ? AND l.returned_at IS NULL",
            ("CIL-002",),
        ).fetchone()
        updated = db.execute(
            "UPDATE loans SET loaned_at=?, due_at=? WHERE id=?",
            (loaned.strftime("%Y-%m-%dT%H:%M:%S+00:00"), due_at.strftime("%Y-%m-%dT%H:%M:%S+00:00"), loan_id),
        ).rowcount
        assert updated == 1
    fine = open_days_after(late_due, today) * STUDENT_FINE_PER_DAY
    assert fine > 0

    # Take back late: the desk says a fine was charged, and how much.
    page.get_by_test_id("desk-tab-kembali").click()
    scan(page, "desk-scan", "CIL-002")
    expect_banner(
        page,
        "ok",
        f"✓ Dikembalikan: {title}",
        [
            f"Anggota: Siti Rahmawati ({card})",
            "Barcode: CIL-002",
            f"Kembali paling lambat: {id_date(late_due)}",
            f"Denda keterlambatan (belum dibayar): {rupiah(fine)}",
        ],
    )
    # One line per scan: the member (from the card on the member's page), lent, renewed, returned, lent, returned.
    expect(page.get_by_test_id("desk-history").locator("li")).to_have_count(6)

    # The member's page shows the fine; the librarian takes the payment there.
    page.get_by_test_id("nav-members").click()
    page.get_by_test_id("members-search").fill(card)
    page.get_by_test_id("members-search").press("Enter")
    members = page.get_by_test_id("members-table").locator("tbody tr")
    expect(members).to_have_count(1)
    expect(members.locator("td").last).to_have_text(rupiah(fine))
    members.get_by_role("link", name="Siti Rahmawati").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Siti Rahmawati")
    expect(fact(page, "Denda belum dibayar")).to_have_text(rupiah(fine))
    expect(fact(page, "Pinjaman aktif")).to_have_text("0")
    loans = page.locator("section.panel", has=page.get_by_role("heading", name="Pinjaman", exact=True)).locator(
        "tbody tr"
    )
    expect(loans).to_have_count(2)
    expect(loans.locator("td:nth-child(7)")).to_have_text(
        ["Dikembalikan", "Dikembalikan"]
    )  # the status column; actions follow it
    fines = page.locator("section.panel", has=page.get_by_role("heading", name="Denda", exact=True)).locator("tbody tr")
    expect(fines).to_have_count(1)
    expect(fines.locator("td").nth(1)).to_have_text(title)
    expect(fines.locator("td").nth(2)).to_have_text("Terlambat")
    # Columns: date, title, reason, amount, paid so far, outstanding, status, settled, receipt.
    expect(fines.locator("td").nth(3)).to_have_text(rupiah(fine))
    expect(fines.locator("td").nth(5)).to_have_text(rupiah(fine))
    expect(fines.locator("td").nth(6)).to_have_text("Belum dibayar")

    # Paying: the amount field left empty pays it all; the receipt opens, printable.
    page.get_by_test_id("fine-pay").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".dialog-message")).to_have_text(f"Terima pembayaran denda {rupiah(fine)}?")
    dialog.get_by_role("button", name="Bayar").click()
    expect(flash(page)).to_have_text("Denda lunas.")
    receipt = page.get_by_role("dialog")
    expect(receipt.get_by_test_id("receipt-print")).to_be_visible()
    expect(receipt).to_contain_text(rupiah(fine))
    receipt.get_by_role("button", name="OK").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(fact(page, "Denda belum dibayar")).to_have_text("Rp 0")
    expect(fines.locator("td").nth(4)).to_have_text(rupiah(fine))
    expect(fines.locator("td").nth(6)).to_have_text("Lunas")
    expect(fines.locator("td").nth(7)).not_to_have_text("—")
    expect(page.get_by_test_id("fine-pay")).to_have_count(0)


# ---------- 2. keyboard-first desk ----------


def test_desk_is_keyboard_first(page: Page, server):
    # A card the API issued that belongs to nobody (its member deleted again), for the refusal below.
    nobody = Api(page, server.admin_password).card_of_nobody()
    log_in(page, "admin", server.admin_password, "Admin")
    title = "Ronggeng Dukuh Paruk"
    catalogue_book(page, title=title, authors="Ahmad Tohari", year="1982")
    add_copy(page, "RDP-1")
    card = register_member(page, "Budi Santoso", "budi@example.org")

    # Open the desk from the menu: the cursor is already in the card field.
    page.get_by_test_id("nav-desk").click()
    expect(page).to_have_url(re.compile(r"#/meja$"))
    expect(banner(page)).to_have_class("desk-result desk-result-idle")
    expect(banner_title(page)).to_have_text("Siap memindai.")
    expect(page.get_by_test_id("desk-history")).to_have_text("Belum ada transaksi.")
    expect_scan_field_ready(page, "desk-scan")

    # An unknown card (the check digit is right): refused in words, field cleared, cursor stays there.
    scan(page, "desk-scan", nobody)
    expect_banner(page, "refused", f"✕ Ditolak: tidak ada anggota dengan kartu atau nama “{nobody}”", [])
    expect_scan_field_ready(page, "desk-scan")
    expect(page.get_by_test_id("member-summary")).to_have_count(0)

    # The real card: Enter selects the member; the same field takes the books next.
    scan(page, "desk-scan", card)
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Budi Santoso")
    expect_banner(page, "member", "→ Anggota: Budi Santoso", [f"Nomor kartu: {card}"])
    expect_scan_field_ready(page, "desk-scan")

    # An unknown barcode, submitted with the mouse: a red refusal in words, cursor back in the field.
    page.get_by_test_id("desk-scan").type("TIDAK-ADA-9")
    submit_with_mouse(page, "desk-scan")
    expect_banner(page, "refused", "✕ Ditolak: barcode TIDAK-ADA-9 tidak dikenal", ["Barcode: TIDAK-ADA-9"])
    refused_colour = banner(page).evaluate("el => getComputedStyle(el).backgroundColor")
    expect_scan_field_ready(page, "desk-scan")

    # The right barcode: a green success; field cleared and focused for the next book.
    scan(page, "desk-scan", "RDP-1")
    due = id_date(expected_due(library_today()))
    expect_banner(
        page,
        "ok",
        f"✓ Dipinjamkan: {title}",
        [f"Anggota: Budi Santoso ({card})", "Barcode: RDP-1", f"Kembali paling lambat: {due}"],
    )
    ok_colour = banner(page).evaluate("el => getComputedStyle(el).backgroundColor")
    assert (refused_colour, ok_colour) == (BAD_RED, OK_GREEN)
    expect_scan_field_ready(page, "desk-scan")

    # The same copy again: it is on loan, and the page says so in words.
    scan(page, "desk-scan", "RDP-1")
    expect_banner(
        page,
        "refused",
        "✕ Ditolak: eksemplar ini tidak tersedia untuk dipinjam (sedang dipinjam, hilang, atau ditarik)",
        ["Barcode: RDP-1"],
    )
    expect_scan_field_ready(page, "desk-scan")

    history = page.get_by_test_id("desk-history").locator("li")
    expect(history).to_have_count(5)  # newest first
    expect(history).to_have_class(
        ["history-refused", "history-ok", "history-refused", "history-member", "history-refused"]
    )

    # Esc lets go of the member; the cursor stays in the scan field.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("member-summary")).to_have_count(0)
    expect_scan_field_ready(page, "desk-scan")

    # Renew by scanning: allowed once, then refused with the rule's number.
    page.get_by_test_id("desk-tab-perpanjang").click()
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "RDP-1")
    expect_banner(
        page,
        "ok",
        f"✓ Diperpanjang: {title}",
        [
            f"Anggota: Budi Santoso ({card})",
            f"Kembali paling lambat (baru): {id_date(expected_due(expected_due(library_today())))}",
            "Perpanjangan: 1",
        ],
    )
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "RDP-1")
    expect_banner(
        page, "refused", "✕ Ditolak: batas perpanjangan sudah tercapai", [f"Judul: {title}", "Barcode: RDP-1"]
    )
    expect_scan_field_ready(page, "desk-scan")

    # Return: once is fine, twice is refused in words.
    page.get_by_test_id("desk-tab-kembali").click()
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "RDP-1")
    expect_banner(
        page,
        "ok",
        f"✓ Dikembalikan: {title}",
        [
            f"Anggota: Budi Santoso ({card})",
            "Barcode: RDP-1",
            f"Kembali paling lambat: {id_date(expected_due(expected_due(library_today())))}",
        ],
    )
    expect_scan_field_ready(page, "desk-scan")
    # This time typed and submitted with the mouse: the cursor still comes back to the field.
    page.get_by_test_id("desk-scan").type("RDP-1")
    submit_with_mouse(page, "desk-scan")
    expect_banner(page, "refused", "✕ Ditolak: eksemplar RDP-1 tidak sedang dipinjam", ["Barcode: RDP-1"])
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "TIDAK-ADA-9")
    expect_banner(page, "refused", "✕ Ditolak: barcode TIDAK-ADA-9 tidak dikenal", ["Barcode: TIDAK-ADA-9"])
    expect_scan_field_ready(page, "desk-scan")


# ---------- 3. anonymous catalogue search, and the English toggle ----------

PRAMOEDYA = ["Anak Semua Bangsa", "Bumi Manusia", "Gadis Pantai", "Jejak Langkah", "Rumah Kaca"]


@pytest.mark.seed_demo
def test_anonymous_search_and_english(page: Page, server):
    page.goto("/")
    expect(page.get_by_test_id("nav-login")).to_have_text("Masuk")
    expect(page.get_by_test_id("user-badge")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Katalog")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_test_id("catalog-search")).to_be_focused()

    page.get_by_label("Cari judul, pengarang, subjek, atau ISBN").fill("Pramoedya")
    page.get_by_role("button", name="Cari").click()
    results = page.get_by_test_id("catalog-results")
    expect(results.locator(".result-count")).to_have_text("5 buku ditemukan untuk “Pramoedya”")
    items = page.get_by_test_id("catalog-item")
    expect(items).to_have_count(5)
    assert sorted(items.locator(".book-title").all_inner_texts()) == PRAMOEDYA
    expect(items.locator(".book-authors")).to_have_text(["Pramoedya Ananta Toer"] * 5)
    expect(page).to_have_url(re.compile(r"#/katalog\?q=Pramoedya$"))

    # Something that matches nothing says so.
    page.get_by_test_id("catalog-search").fill("zzzz tidak ada")
    page.get_by_test_id("catalog-search").press("Enter")
    expect(results.locator(".result-count")).to_have_text("0 buku ditemukan untuk “zzzz tidak ada”")
    expect(results.locator(".empty")).to_have_text("Tidak ada buku yang cocok.")
    expect(items).to_have_count(0)

    # Open a book: details and copies are public; holding needs a login.
    page.get_by_test_id("catalog-search").fill("Bumi Manusia")
    page.get_by_test_id("catalog-search").press("Enter")
    expect(items).to_have_count(1)
    items.get_by_role("link", name="Bumi Manusia").click()
    detail = page.get_by_test_id("book-detail")
    expect(detail.get_by_role("heading", level=1)).to_have_text("Bumi Manusia")
    expect(fact(page, "Pengarang")).to_have_text("Pramoedya Ananta Toer")
    expect(page.get_by_test_id("copies-table").locator("tbody tr")).not_to_have_count(0)
    expect(page.get_by_role("link", name="Masuk untuk memesan buku ini")).to_be_visible()
    page.get_by_role("link", name="← Kembali ke hasil pencarian").click()
    expect(results.locator(".result-count")).to_have_text("1 buku ditemukan untuk “Bumi Manusia”")

    # English.
    toggle = page.get_by_test_id("lang-toggle")
    expect(toggle).to_have_text("English")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue")
    expect(page.get_by_test_id("nav-catalog")).to_have_text("Catalogue")
    expect(page.get_by_test_id("nav-login")).to_have_text("Log in")
    expect(toggle).to_have_text("Bahasa Indonesia")
    expect(page.get_by_label("Search title, author, subject or ISBN")).to_have_value("Bumi Manusia")
    expect(results.locator(".result-count")).to_have_text("1 books found for “Bumi Manusia”")
    expect(page).to_have_title("Pustaka — School & campus library")
    page.get_by_test_id("catalog-search").fill("Pramoedya")
    page.get_by_role("button", name="Search").click()
    expect(results.locator(".result-count")).to_have_text("5 books found for “Pramoedya”")
    items.get_by_role("link", name="Gadis Pantai").click()
    expect(fact(page, "Authors")).to_have_text("Pramoedya Ananta Toer")
    expect(page.get_by_role("link", name="Log in to place a hold on this book")).to_be_visible()

    # The choice is remembered across a reload, and can be switched back.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="← Back to search results")).to_be_visible()
    page.get_by_test_id("lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(fact(page, "Pengarang")).to_have_text("Pramoedya Ananta Toer")
    expect(page.get_by_test_id("lang-toggle")).to_have_text("English")


# ---------- 4. no console errors, no CSP violations, no inline styles or handlers ----------

EXPECTED_4XX = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d ")

INLINE_ATTRS_JS = """() => [...document.querySelectorAll('*')].flatMap((el) =>
  [...el.attributes].filter((a) => a.name === 'style' || a.name.startsWith('on'))
    .map((a) => `${el.tagName.toLowerCase()}[${a.name}="${a.value}"]`))"""

ANON_ROUTES = ["#/katalog", "#/katalog?q=Pramoedya", "#/buku/1", "#/masuk", "#/tidak-ada"]
STAFF_ROUTES = [
    "#/meja",
    "#/meja/kembali",
    "#/meja/perpanjang",
    "#/anggota",
    "#/anggota/baru",
    "#/anggota/1",
    "#/koleksi",
    "#/koleksi/baru",
    "#/koleksi/1",
    "#/buku/1",
    "#/pinjaman",
    "#/pinjaman/terlambat",
    "#/pinjaman/menunggu",
    "#/pinjaman/siap",
    "#/akun",
    "#/admin",
    "#/admin/libur",
    "#/admin/pengguna",
    "#/admin/audit",
]


@pytest.mark.seed_demo
def test_no_console_errors_csp_violations_or_inline_code(page: Page, server):
    errors: list[str] = []
    expected_4xx: list[str] = []
    violations: list[str] = []

    def on_console(msg):
        if msg.type != "error":
            return
        (expected_4xx if EXPECTED_4XX.match(msg.text) else errors).append(f"{page.url}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: uncaught {exc}"))
    page.expose_function("__pustakaCspViolation", lambda v: violations.append(v))
    page.add_init_script("""document.addEventListener('securitypolicyviolation', (e) =>
        window.__pustakaCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile}:${e.lineNumber}`));""")

    # Requests in flight, so a view is checked only once all its data has been drawn.
    inflight: set = set()
    page.on("request", lambda r: inflight.add(r))
    page.on("requestfinished", lambda r: inflight.discard(r))
    page.on("requestfailed", lambda r: inflight.discard(r))

    def settle():
        quiet = 0
        for _ in range(100):  # at most 5 s
            page.wait_for_timeout(50)
            quiet = quiet + 1 if not inflight else 0
            if quiet >= 3:
                return
        raise AssertionError(f"requests still in flight: {[r.url for r in inflight]}")

    visited: dict[str, list[str]] = {}

    def visit(route: str, lang: str):
        page.goto("/" + route)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        settle()
        expect(page.locator(".loading")).to_have_count(0)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        visited[f"{lang} {route}"] = page.evaluate(INLINE_ATTRS_JS)

    for route in ANON_ROUTES:
        visit(route, "id")
    log_in(page, "admin", server.admin_password, "Admin")
    for route in STAFF_ROUTES:
        visit(route, "id")

    # A refusal at the desk (an expected 4xx answer) and a dialog, checked while open.
    page.goto("/#/meja/kembali")
    scan(page, "desk-scan", "TIDAK-ADA-9")
    expect(banner(page)).to_have_class("desk-result desk-result-refused")
    visited["desk refusal"] = page.evaluate(INLINE_ATTRS_JS)
    page.goto("/#/anggota/1")
    settle()
    page.get_by_test_id("member-block").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    settle()
    visited["block dialog"] = page.evaluate(INLINE_ATTRS_JS)
    page.get_by_role("dialog").get_by_role("button", name="Batal").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_test_id("lang-toggle").click()
    for route in ["#/katalog?q=Pramoedya", "#/meja", "#/anggota/1", "#/koleksi/1", "#/pinjaman", "#/admin"]:
        visit(route, "en")

    assert {k: v for k, v in visited.items() if v} == {}, "inline style or event-handler attributes"
    assert errors == [], "console errors"
    assert violations == [], "CSP violations"
    # The filter above did see the expected 4xx loads (anonymous /auth/me, the refused return),
    # so the listener is live and the allowance is not hiding everything.
    assert any("401" in m for m in expected_4xx), expected_4xx
    assert any("404" in m or "409" in m for m in expected_4xx), expected_4xx

    # And the CSP detector itself works: an inline script is reported and not run.
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true'; document.body.append(s); }""")
    for _ in range(50):  # at most 5 s
        if violations:
            break
        page.wait_for_timeout(100)
    assert len(violations) == 1 and violations[0].startswith("script-src"), violations
    assert page.evaluate("() => window.__inlineRan === undefined")
