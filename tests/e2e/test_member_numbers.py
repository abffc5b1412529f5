"""A member's other numbers and date of birth on the member's page (issue #28).

The librarian opens a student's page, adds the NIS printed on the school's own card, sees it
listed with its kind, is told on the field when a number is another member's, sets the date of
birth, and then finds the student at the desk by scanning that NIS. Then removes the number.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import expect_banner, expect_scan_field_ready, fact, flash, log_in, scan


def test_a_nis_added_on_the_member_page_is_scanned_at_the_desk(page: Page, server):
    api = Api(page, server.admin_password)
    card = api.member("Siti Aminah", "student")
    other = api.call("POST", "/members", {"name": "Rudi Hartono", "category": "student"}, 201)
    api.call("POST", f"/members/{other['id']}/numbers", {"kind": "nisn", "number": "0051234567"}, 201)
    siti = api.call("GET", f"/members?q={card}", None, 200)["items"][0]
    log_in(page, "admin", server.admin_password, "Admin")

    page.goto(f"/#/anggota/{siti['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Siti Aminah")
    numbers = page.get_by_test_id("member-numbers")
    expect(numbers).to_contain_text("Belum ada nomor lain")

    # Another member's number: the API's 422, in words, on the number field; nothing added.
    form = page.get_by_test_id("number-form")
    form.get_by_test_id("number-kind").select_option("nisn")
    form.get_by_test_id("number-input").fill("0051234567")
    form.get_by_test_id("number-add").click()
    error = form.locator(".field-error:visible")
    expect(error).to_have_text("Nomor ini sudah dipakai anggota lain.")
    expect(form.get_by_test_id("number-input")).to_have_attribute("aria-invalid", "true")

    # Her NIS: listed with its kind.
    form.get_by_test_id("number-kind").select_option("nis")
    form.get_by_test_id("number-input").fill("2223.07.015")
    form.get_by_test_id("number-add").click()
    expect(flash(page)).to_have_text("Nomor 2223.07.015 ditambahkan.")
    row = page.get_by_test_id("member-numbers").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("NIS")
    expect(row.locator("td").nth(1)).to_have_text("2223.07.015")

    # Her date of birth, set in the edit form and shown among the facts.
    page.locator("details.panel > summary").click()
    edit = page.get_by_test_id("member-edit-form")
    edit.get_by_test_id("member-birth-date-input").fill("2012-03-04")
    edit.get_by_role("button", name="Simpan").click()
    expect(flash(page)).to_have_text("Tersimpan.")
    expect(fact(page, "Tanggal lahir")).to_have_text("4 Mar 2012")

    # At the desk, the NIS scanned like a card selects her.
    page.get_by_test_id("nav-desk").click()
    expect(page).to_have_url(re.compile(r"#/meja$"))
    expect_scan_field_ready(page, "desk-scan")
    scan(page, "desk-scan", "2223.07.015")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Siti Aminah")
    expect_banner(page, "member", "→ Anggota: Siti Aminah", [f"Nomor kartu: {card}"])
    expect_scan_field_ready(page, "desk-scan")
    # With Siti selected, the next student's NISN (digits, shaped like a barcode) selects him:
    # the next student in the line, not a book lent to Siti.
    scan(page, "desk-scan", "0051234567")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Rudi Hartono")
    expect_banner(page, "member", "→ Anggota: Rudi Hartono", [f"Nomor kartu: {other['card_number']}"])
    assert api.active_loans() == {}, "nothing was lent"
    # Back to Siti by her NIS.
    scan(page, "desk-scan", "2223.07.015")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Siti Aminah")

    # A number the desk's local copy does not know yet (added after it was read): the server says
    # there is no such copy, and the desk finds the member by it instead.
    api.call("POST", f"/members/{other['id']}/numbers", {"kind": "nis", "number": "7788"}, 201)
    scan(page, "desk-scan", "7788")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Rudi Hartono")
    assert api.active_loans() == {}, "nothing was lent"

    # Removed again: the desk no longer knows it.
    page.goto(f"/#/anggota/{siti['id']}")
    page.get_by_test_id("number-remove-2223.07.015").click()
    page.get_by_role("dialog").get_by_role("button", name="Hapus").click()
    expect(flash(page)).to_have_text("Terhapus.")
    expect(page.get_by_test_id("member-numbers")).to_contain_text("Belum ada nomor lain")
    assert api.call("GET", f"/members/{siti['id']}", None, 200)["other_numbers"] == []
