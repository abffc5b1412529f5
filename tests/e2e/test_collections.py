"""Collection types at the desk (issue #30): a reference book is refused in words and its use in
the library is recorded instead; the admin sets a book's type in the catalogue and a loan rule in
the matrix editor, all from the page.

Black-box like the other browser tests: the real binary on a fresh database (conftest.py); the
setup that is not what this test is about (a member, a book with a copy) goes through the API.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import banner, banner_title, flash, log_in, scan


def test_the_desk_refuses_a_reference_copy_in_words_and_records_its_use(page: Page, server):
    api = Api(page, server.admin_password)
    card = api.member("Siti Aminah", "student")
    book = api.call("POST", "/books", {"title": "Kamus Besar Bahasa Indonesia", "authors": ["Tim Penyusun"]}, 201)
    api.call("POST", f"/books/{book['id']}/copies", {"barcode": "KBBI-1"}, 201)
    log_in(page, "admin", server.admin_password, "Admin")

    # The catalogue: the book is a reference book.
    page.goto(f"/#/koleksi/{book['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kamus Besar Bahasa Indonesia")
    form = page.get_by_test_id("book-form")
    form.get_by_label("Jenis koleksi").select_option(label="Referensi")
    page.get_by_test_id("book-save").click()
    expect(flash(page)).to_have_text("Tersimpan.")
    expect(page.get_by_test_id("copy-type-KBBI-1")).to_contain_text("seperti buku (Referensi)")
    assert api.call("GET", "/copies/KBBI-1", None, 200)["collection_type"] == "referensi"

    # The desk: the member, then the dictionary: refused, in words, and not lent.
    page.get_by_test_id("nav-desk").click()
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    scan(page, "desk-scan", card)
    expect(banner_title(page)).to_contain_text("Anggota: Siti Aminah")
    scan(page, "desk-scan", "KBBI-1")
    expect(banner(page)).to_have_class(re.compile(r"desk-result-refused"))
    expect(banner_title(page)).to_contain_text("Ditolak: Buku referensi: baca di tempat")
    assert api.active_loans() == {}

    # Read at a table instead: the in-library use is recorded for her, still no loan.
    page.get_by_test_id("desk-tab-baca").click()
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    scan(page, "desk-scan", "KBBI-1")
    expect(banner(page)).to_have_class(re.compile(r"desk-result-ok"))
    expect(banner_title(page)).to_contain_text("Baca di tempat dicatat: Kamus Besar Bahasa Indonesia")
    expect(page.get_by_test_id("desk-history")).to_contain_text("Baca di tempat: Kamus Besar Bahasa Indonesia [KBBI-1]")
    assert api.active_loans() == {}
    assert api.call("GET", "/copies/KBBI-1", None, 200)["status"] == "available"
    uses = api.call("GET", "/reports/in-library-uses", None, 200)
    assert [(u["collection_type"], u["uses"]) for u in uses] == [("referensi", 1)], uses

    # In English, the same refusal in English words.
    page.get_by_test_id("desk-tab-pinjam").click()
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    scan(page, "desk-scan", "KBBI-1")
    expect(banner_title(page)).to_contain_text("Refused: Referensi: read in the library only")


def test_the_admin_sets_a_rule_of_the_matrix_and_a_term(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.get_by_test_id("nav-admin").click()
    form = page.get_by_test_id("loan-rule-form")
    form.get_by_label("Kategori anggota").select_option(label="Siswa / Mahasiswa")
    form.get_by_label("Jenis koleksi").select_option(label="Buku Paket")
    form.get_by_label("Lama pinjam (hari)").fill("120")
    form.get_by_label("Maks. pinjaman jenis ini").fill("10")
    form.get_by_role("button", name="Simpan aturan").click()
    expect(flash(page)).to_have_text("Tersimpan.")
    row = page.get_by_test_id("loan-rules-table").locator("tbody tr").filter(has_text="Buku Paket")
    expect(row).to_contain_text("Siswa / Mahasiswa")
    expect(row).to_contain_text("120")

    # A bad value is refused beside the form, nothing stored.
    form = page.get_by_test_id("loan-rule-form")
    form.get_by_label("Jenis koleksi").select_option(label="Fiksi")
    form.get_by_label("Lama pinjam (hari)").fill("0")
    form.get_by_role("button", name="Simpan aturan").click()
    expect(page.get_by_test_id("loan-rules-table").locator("tbody tr")).to_have_count(1)

    # The terms, under the calendar.
    page.get_by_test_id("admin-tab-libur").click()
    terms = page.get_by_test_id("term-form")
    terms.get_by_label("Nama semester").fill("Semester Ganjil 2026/2027")
    terms.get_by_label("Mulai").fill("2026-07-13")
    terms.get_by_label("Selesai").fill("2026-12-19")
    terms.get_by_role("button", name="Tambah semester").click()
    expect(flash(page)).to_have_text("Tersimpan.")
    expect(page.get_by_test_id("terms-table")).to_contain_text("Semester Ganjil 2026/2027")
