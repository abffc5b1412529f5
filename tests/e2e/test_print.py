"""Printing what was imported (issue #28): an import of more than 1,000 copies prints its labels
in named parts of 1,000 from the print page, one PDF each; a smaller import needs no parts."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import log_in
from test_layout import keep


def import_books(api: Api, page: Page, csv: str) -> int:
    """Imports a books sheet through the API's job; the run's number."""
    r = page.request.post(
        "/api/v1/import/books",
        data=csv.encode(),
        headers={"Content-Type": "text/csv", "X-Pustaka-Page": "1"},
    )
    assert r.status == 202, r.text()
    job = r.json()["id"]
    deadline = time.monotonic() + 60
    while (done := api.call("GET", f"/import/jobs/{job}", None, 200))["status"] == "running":
        assert time.monotonic() < deadline, "the import job did not end within 60 s"
        time.sleep(0.2)
    assert done["status"] == "done", done
    return done["report"]["import_id"]


def test_a_big_import_prints_its_labels_in_parts(page: Page, server):
    api = Api(page, server.admin_password)
    log_in(page, "admin", server.admin_password, "Admin")
    big = import_books(api, page, "judul,jumlah\n" + "".join(f"Buku Paket {i},100\n" for i in range(11)))
    small = import_books(api, page, "judul,barcode\nLaskar Pelangi,LP-1\n")

    page.goto("/#/cetak")
    form = page.get_by_test_id("labels-form")
    part = page.get_by_test_id("labels-part")
    # A small import: no parts to choose.
    form.get_by_test_id("labels-source").select_option(f"import:{small}")
    expect(part).to_be_hidden()
    # 1,100 copies: two parts, named by the copies they hold.
    form.get_by_test_id("labels-source").select_option(f"import:{big}")
    expect(part).to_be_visible()
    expect(part.locator("option")).to_have_text(["Bagian 1 (eksemplar 1–1000)", "Bagian 2 (eksemplar 1001–1100)"])
    part.select_option("2")
    keep(page, "cetak-label-per-bagian.png")
    with page.context.expect_page() as popup:
        form.get_by_test_id("labels-submit").click()
    popup.value.close()
    expect(page.get_by_test_id("print-open")).to_be_visible()


def test_the_cards_of_a_class_print_from_the_members_list(page: Page, server):
    api = Api(page, server.admin_password)
    log_in(page, "admin", server.admin_password, "Admin")
    cards = [
        api.call("POST", "/members", {"name": name, "category": "student", "grade": grade}, 201)["card_number"]
        for name, grade in [("Ani Kelas Tujuh", "Kelas 7A"), ("Budi Kelas Tujuh", "7A"), ("Citra Kelas Tujuh", "7 a")]
    ]
    api.call("POST", "/members", {"name": "Dodi Kelas Delapan", "category": "student", "grade": "Kelas 8A"}, 201)

    page.goto("/#/anggota")
    # No class chosen: no button.
    expect(page.get_by_test_id("members-table")).to_be_visible()
    expect(page.get_by_test_id("members-class-cards")).to_have_count(0)
    # "7A" finds "Kelas 7A", "7A" and "7 a", not "Kelas 8A".
    page.get_by_test_id("members-grade").fill("7A")
    page.get_by_test_id("members-grade").press("Enter")
    rows = page.get_by_test_id("members-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("members-table")).not_to_contain_text("Dodi")
    button = page.get_by_test_id("members-class-cards")
    expect(button).to_have_text("Cetak kartu kelas ini")
    keep(page, "cetak-kartu-kelas.png")
    with page.expect_response("**/api/v1/print/cards*") as sent, page.context.expect_page() as popup:
        button.click()
    response = sent.value
    assert response.status == 200, response.text()
    assert response.headers["content-type"] == "application/pdf"
    assert sorted(response.request.post_data_json["card_numbers"]) == sorted(cards)
    popup.value.close()
    expect(page.get_by_test_id("members-class-cards-result").get_by_test_id("print-open")).to_be_visible()
