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
