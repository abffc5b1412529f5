"""The admin's import from the page, as a school moving in from a spreadsheet does it: a
semicolon CSV saved by Excel (Windows-1252, Indonesian headers) with one bad row → the check
shows what would be stored and the row that cannot come in → import → the books are in the
catalogue; a second import of the same file adds nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from test_desk import log_in
from test_reports import keep

CSV = (
    "Judul;Pengarang;ISBN;Tahun;Eksemplar\r\n"
    "Laskar Pelangi;Andrea Hirata;979-3062-79-7;2005;LP-001\r\n"
    "Ronggeng Dukuh Paruk;Ahmad Tohari;;1982;RD-001\r\n"
    "Buku Rusak;Penulis Entah;123;tahun lalu;BR-001\r\n"
).encode("cp1252")


def upload(page: Page) -> None:
    page.get_by_test_id("import-form").locator("input[type=file]").set_input_files(
        {"name": "koleksi.csv", "mimeType": "text/csv", "buffer": CSV})
    page.get_by_test_id("import-form").locator("button[type=submit]").click()


def test_import_a_spreadsheet_from_the_page(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/impor")
    upload(page)
    result = page.get_by_test_id("import-result")
    # The check stores nothing: it shows what would come in and names the bad row by the line
    # a spreadsheet shows it on (the file has CRLF line ends, as Excel writes them).
    expect(result).to_contain_text("Uji coba: 3 baris dibaca")
    expect(result).to_contain_text("Buku: 2 baru, 0 sudah ada")
    expect(result.get_by_test_id("import-preview")).to_contain_text("Ronggeng Dukuh Paruk")
    bad = result.get_by_test_id("import-errors").locator("tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").first).to_have_text("4")
    expect(bad).to_contain_text("tahun lalu")
    keep(page, "import-check.png")
    assert page.request.get("/api/v1/books?q=Laskar").json()["total"] == 0, "the check stored a book"

    page.goto("/#/admin/impor")
    upload(page)
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("Selesai: 3 baris dibaca")
    expect(page.get_by_test_id("import-result")).to_contain_text("Buku: 2 baru, 0 sudah ada")
    assert page.request.get("/api/v1/books?q=Laskar").json()["total"] == 1

    # The same file again: nothing new.
    page.goto("/#/admin/impor")
    upload(page)
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("Buku: 0 baru, 2 sudah ada")
