"""The admin's backup from the page (issue 32): download a backup, change the data, check the file
(the page shows what it holds), restore it after confirming: the change is gone, the data from
the backup is back, and everyone logs in again. The daily backup written at start is listed."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api_client import Api
from test_layout import keep


def test_download_change_and_restore_a_backup_from_the_page(page: Page, server, tmp_path):
    api = Api(page, server.admin_password)
    api.book_with_copy("Laskar Pelangi", "LP-001")
    # Straight to the backups after the login: a desk view opened on the way keeps loading its
    # local copy for a moment after it is left, and that once re-rendered this view mid-test.
    page.goto("/#/masuk?next=%23%2Fadmin%2Fcadangan")
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill(server.admin_password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"#/admin/cadangan$"))
    expect(page.get_by_role("heading", name="Unduh cadangan sekarang")).to_be_visible()
    # The daily backup the server wrote when it started is in the folder's list.
    expect(page.get_by_test_id("backup-list").locator("tbody tr").first).to_contain_text("Buku")
    keep(page, "cadangan-daftar.png")

    with page.expect_download() as downloaded:
        page.get_by_test_id("backup-download").click()
    file = tmp_path / downloaded.value.suggested_filename
    assert file.name.endswith(".pustaka-backup.gz"), file.name
    downloaded.value.save_as(file)

    # Changed after the backup.
    api.book_with_copy("Buku Sesudah Cadangan", "BS-001")
    api.call("DELETE", "/copies/LP-001", None, 204)

    # A file that is not a backup: told so, in the page's language.
    bad = tmp_path / "bukan.pustaka-backup.gz"
    bad.write_bytes(b"judul,pengarang\n")
    page.get_by_test_id("backup-file").set_input_files(bad)
    page.get_by_test_id("backup-check").click()
    expect(page.get_by_test_id("backup-check-error")).to_contain_text("tidak bisa dibaca")

    page.get_by_test_id("backup-file").set_input_files(file)
    page.get_by_test_id("backup-check").click()
    expect(page.get_by_test_id("backup-contents")).to_contain_text("Buku 1")
    expect(page.get_by_test_id("backup-contents")).to_contain_text("Eksemplar 1")
    keep(page, "cadangan-isi-berkas.png")
    assert api.call("GET", "/books?q=Sesudah", None, 200)["total"] == 1, "the check changed nothing"

    page.get_by_test_id("backup-restore").click()
    dialog = page.locator("dialog")
    expect(dialog).to_contain_text("Ganti SEMUA data")
    keep(page, "cadangan-konfirmasi.png")
    dialog.get_by_role("button", name="Pulihkan").click()
    # Every login is gone after a restore: the page asks for one.
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")

    api = Api(page, server.admin_password)
    assert api.call("GET", "/books?q=Sesudah", None, 200)["total"] == 0
    assert api.call("GET", "/books?q=Laskar", None, 200)["total"] == 1
    assert api.call("GET", "/copies/LP-001", None, 200)["barcode"] == "LP-001"
