"""Reports as the head librarian uses them: the demo library's loans per month as a chart and a
table, another report from the tabs, a CSV download with Indonesian headers, and the one-page
semester summary. Set PUSTAKA_E2E_SHOTS=DIR to keep the screenshots for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from test_desk import log_in
from test_layout import keep as keep_page


def keep(page: Page, name: str) -> None:
    page.evaluate("document.getElementById('flash')?.replaceChildren()")  # the welcome toast
    keep_page(page, name)


@pytest.mark.seed_demo
def test_reports_chart_table_download_and_summary(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.get_by_test_id("nav-reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Laporan")
    expect(page.get_by_test_id("report-chart")).to_be_visible()
    table = page.get_by_test_id("report-table")
    expect(table.locator("thead th")).to_have_text(["Bulan", "Peminjaman"])
    # Six months, one row each; the bars are as many as the rows.
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(page.locator("[data-testid=report-chart] rect.bar")).to_have_count(6)
    keep(page, "reports-loans-per-month.png")

    page.get_by_test_id("report-choice").select_option("collection")
    expect(page.get_by_role("heading", level=2)).to_have_text("Koleksi per kelas dan status")
    expect(page.get_by_test_id("report-table").locator("tbody tr")).to_have_count(11)

    with page.expect_download() as info:
        page.get_by_test_id("report-csv").click()
    download = info.value
    assert download.suggested_filename.startswith("laporan-collection-"), download.suggested_filename
    text = open(download.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "Kelas DDC,Tersedia,Dipinjam,Di rak pesanan,Hilang,Ditarik,Jumlah", text

    page.get_by_test_id("report-choice").select_option("ringkasan")
    summary = page.get_by_test_id("report-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_test_id("summary-loans")).to_be_visible()
    keep(page, "reports-summary.png")
