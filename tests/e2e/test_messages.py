"""Errors in words: a throttled login says how long to wait, in minutes, in both languages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_a_throttled_login_says_how_many_minutes_to_wait(page: Page, server):
    page.goto("/#/masuk")
    form = page.get_by_test_id("login-form")
    error = form.locator(".form-error")
    # Five wrong passwords are refused as wrong; the sixth is throttled (429 with Retry-After).
    for attempt in range(1, 7):
        page.get_by_test_id("login-username").fill("admin")
        page.get_by_test_id("login-password").fill(f"salah-{attempt}")
        page.get_by_test_id("login-submit").click()
        if attempt < 6:
            expect(error).to_have_text("Nama pengguna atau kata sandi salah.")
    expect(error).to_have_text(
        re.compile(r"^Terlalu banyak percobaan masuk yang gagal\. Coba lagi dalam (\d+) menit\.$")
    )
    minutes = int(re.search(r"dalam (\d+) menit", error.inner_text()).group(1))
    assert 1 <= minutes <= 15, minutes  # the window is 15 minutes, rounded up to whole minutes

    # The right password is throttled too, and the English page says the same in English.
    page.get_by_test_id("lang-toggle").click()
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill(server.admin_password)
    page.get_by_test_id("login-submit").click()
    expect(error).to_have_text(re.compile(rf"^Too many failed logins\. Try again in ({minutes}|{minutes - 1}) min\.$"))
