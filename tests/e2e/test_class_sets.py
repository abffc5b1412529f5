"""Textbook class sets at the desk (issue #30): a class and a title chosen, a blocked student
refuses the whole set in words with nothing lent, then the class receives its copies in one
action, the list shows who has which copy and prints; at the end of the term the class scans its
copies back and the list shows who has not returned. Set PUSTAKA_E2E_SHOTS=DIR to keep the
screenshots (docs/tasks/koleksi-dan-aturan-pinjam/).

Black-box like the other browser tests: the real binary on a fresh database (conftest.py); the
setup (a term, the textbook rule, the class, the copies) goes through the API.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import log_in
from test_layout import keep as keep_page


def keep(page: Page, name: str) -> None:
    page.evaluate("document.getElementById('flash')?.replaceChildren()")  # toasts
    keep_page(page, name)


def test_a_class_receives_its_textbooks_and_returns_them(page: Page, server):
    api = Api(page, server.admin_password)
    today = date.today()
    api.call(
        "POST",
        "/terms",
        {
            "name": "Semester Ganjil",
            "starts_on": str(today - timedelta(days=10)),
            "ends_on": str(today + timedelta(days=60)),
        },
        201,
    )
    api.call("PUT", "/loan-rules/student/paket", {"lendable": True, "due_end_of_term": True, "max_loans": 3}, 200)
    students = []
    for name in ["Adi Nugroho", "Bunga Lestari", "Citra Dewi", "Dimas Pratama"]:
        m = api.call("POST", "/members", {"name": name, "category": "student", "grade": "7A"}, 201)
        students.append(m)
    book = api.call(
        "POST",
        "/books",
        {"title": "Matematika SMP Kelas VII", "authors": ["Kemendikbud"], "collection_type": "paket"},
        201,
    )
    for i in range(1, 6):
        api.call("POST", f"/books/{book['id']}/copies", {"barcode": f"MTK7-{i:02}"}, 201)
    api.call("PATCH", f"/members/{students[2]['id']}", {"blocked": True}, 200)

    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/meja")
    page.get_by_test_id("desk-tab-classsets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku paket per kelas")
    page.get_by_test_id("classset-grade").fill("7A")
    page.get_by_test_id("classset-q").fill("Matematika")
    page.get_by_test_id("classset-search").click()
    page.get_by_test_id(f"classset-title-{book['id']}").click()
    expect(page.get_by_test_id("classset-counts")).to_have_text(re.compile(r"^4 siswa · 0 masih dipinjam"))

    # A blocked student: refused whole, named, in words; nothing lent.
    page.get_by_test_id("classset-assign").click()
    result = page.get_by_test_id("classset-result")
    expect(result).to_have_class(re.compile(r"desk-result-refused"))
    expect(page.get_by_test_id("classset-faults")).to_have_text(
        "3. Citra Dewi (" + students[2]["card_number"] + "): Anggota sedang diblokir."
    )
    assert api.active_loans() == {}

    # Unblocked: the copies scanned in any order, lent in one action.
    api.call("PATCH", f"/members/{students[2]['id']}", {"blocked": False}, 200)
    page.get_by_test_id("classset-barcodes").fill("MTK7-04\nMTK7-02\nMTK7-05\nMTK7-01")
    page.get_by_test_id("classset-lend").click()
    expect(result).to_have_class(re.compile(r"desk-result-ok"))
    expect(result).to_contain_text("4 pinjaman dibuat untuk kelas 7A: Matematika SMP Kelas VII")
    expect(page.get_by_test_id("classset-counts")).to_have_text(re.compile(r"^4 siswa · 4 masih dipinjam"))
    table = page.get_by_test_id("classset-table")
    expect(table.locator("tbody tr").first).to_contain_text("Adi Nugroho")
    expect(table.locator("tbody tr").first).to_contain_text("MTK7-04")
    keep(page, "set-kelas-dipinjamkan.png")
    loans = api.active_loans()
    assert loans == {
        "MTK7-04": students[0]["card_number"],
        "MTK7-02": students[1]["card_number"],
        "MTK7-05": students[2]["card_number"],
        "MTK7-01": students[3]["card_number"],
    }, loans

    # The list prints as a PDF.
    href = page.get_by_test_id("classset-print").get_attribute("href")
    r = page.context.request.get(href)
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    assert r.body().startswith(b"%PDF-")

    # End of term: two copies come back; the list shows who still has one.
    page.get_by_test_id("classset-returns").fill("MTK7-04\nMTK7-01")
    page.get_by_test_id("classset-return").click()
    expect(result).to_contain_text("2 eksemplar dikembalikan.")
    expect(page.get_by_test_id("classset-counts")).to_have_text(re.compile(r"2 masih dipinjam · 2 sudah kembali"))
    expect(table.locator("tbody tr").nth(1)).to_contain_text("Dipinjam")
    expect(table.locator("tbody tr").first).to_contain_text("Sudah kembali")
    assert set(api.active_loans()) == {"MTK7-02", "MTK7-05"}
    keep(page, "set-kelas-dikembalikan.png")

    # In English.
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Class textbook sets")
