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
from test_layout import keep as keep_page


def keep(page: Page, name: str) -> None:
    page.evaluate("document.getElementById('flash')?.replaceChildren()")  # toasts
    keep_page(page, name)


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
    keep(page, "aturan-pinjam-matriks.png")

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


def test_the_accreditation_summary_counts_by_type_and_class(page: Page, server):
    api = Api(page, server.admin_password)
    books = [
        ("Laskar Pelangi", "fiksi", "899.221", ["LP-1", "LP-2"]),
        ("Kamus Besar Bahasa Indonesia", "referensi", "499.221", ["KBBI-1"]),
        ("IPA Terpadu Kelas VII", "paket", "507", ["IPA7-1", "IPA7-2", "IPA7-3"]),
        ("Sejarah Indonesia Modern", "nonfiksi", "959.8", ["SIM-1"]),
    ]
    for title, kind, ddc, barcodes in books:
        b = api.call(
            "POST",
            "/books",
            {"title": title, "authors": ["Penulis"], "collection_type": kind, "classification": ddc},
            201,
        )
        for code in barcodes:
            api.call("POST", f"/books/{b['id']}/copies", {"barcode": code}, 201)
    card = api.member("Rina Marlina", "student")
    api.call("POST", "/loans", {"barcode": "LP-1", "card_number": card}, 201)
    api.call("POST", "/in-library-uses", {"barcode": "KBBI-1"}, 201)

    log_in(page, "admin", server.admin_password, "Admin")
    page.get_by_test_id("nav-reports").click()
    page.get_by_test_id("report-accreditation").click()
    view = page.get_by_test_id("report-accreditation-view")
    expect(view.get_by_role("heading", level=2).first).to_have_text("Ringkasan akreditasi")
    types = page.get_by_test_id("accreditation-types")
    expect(types.locator("tbody tr").first).to_have_text(re.compile(r"^Fiksi\s*1\s*2\s*1\s*0$"))
    expect(types.locator("tbody tr").filter(has_text="Referensi")).to_have_text(re.compile(r"1\s*1\s*0\s*1$"))
    expect(types.locator("tbody tr").last).to_have_text(re.compile(r"^Jumlah\s*4\s*7\s*1\s*1$"))
    classes = page.get_by_test_id("accreditation-classes")
    expect(classes.locator("tbody tr").filter(has_text="500")).to_have_text(re.compile(r"^500\s*1\s*3\s*0\s*0$"))
    expect(page.get_by_test_id("accreditation-members")).to_contain_text("Siswa / Mahasiswa")
    keep(page, "ringkasan-akreditasi.png")

    # The PDF and the workbook for the form.
    for fmt, kind in (("pdf", "application/pdf"), ("xlsx", "application/vnd.openxmlformats")):
        href = page.get_by_test_id(f"accreditation-{fmt}").get_attribute("href")
        r = page.context.request.get(href)
        assert r.status == 200 and r.headers["content-type"].startswith(kind), (fmt, r.status)
