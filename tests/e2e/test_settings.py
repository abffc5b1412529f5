"""Settings in the page (issue #32): the admin changes the library's time zone, the page's default
language and the SMTP server in Admin → Pengaturan and sends a test mail that a real SMTP server
(Debian's aiosmtpd, as in test_notices.py) receives; a time zone pinned by PUSTAKA_TIMEZONE is shown
read-only with its reason; the admin page shows each role only the tabs of its permissions.

Set PUSTAKA_E2E_SHOTS=DIR to keep the screenshots of docs/tasks/pengaturan.md."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import log_in
from test_notices import keep, smtp  # noqa: F401  (smtp: the fixture)

SENDER = "perpustakaan@sekolah.sch.id"


def test_time_zone_smtp_and_a_test_mail_from_the_settings_page(page: Page, server, smtp, browser):  # noqa: F811
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/pengaturan")
    general = page.get_by_test_id("settings-general")
    expect(general.get_by_label("Zona waktu perpustakaan")).to_have_value("Asia/Jakarta")
    general.get_by_label("Zona waktu perpustakaan").fill("Mars/Olympus")
    general.get_by_role("button", name="Simpan").click()
    expect(general).to_contain_text("Zona waktu tidak dikenal")
    general.get_by_label("Zona waktu perpustakaan").fill("Asia/Makassar")
    general.get_by_label("Bahasa bawaan halaman").select_option("en")
    # Saved, the tab is drawn again from a fresh GET: wait for it before typing into the next form.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings") and r.request.method == "GET"):
        general.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("settings-general").get_by_label("Zona waktu perpustakaan")).to_have_value(
        "Asia/Makassar"
    )

    form = page.get_by_test_id("settings-smtp")
    form.get_by_label("Alamat server SMTP").fill(f"smtp://127.0.0.1:{smtp.port}")
    form.get_by_label("Alamat pengirim (From)").fill(SENDER)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings") and r.request.method == "GET"):
        form.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("settings-smtp").get_by_label("Alamat server SMTP")).to_have_value(
        f"smtp://127.0.0.1:{smtp.port}"
    )
    test = page.get_by_test_id("settings-test-mail")
    test.get_by_label("Kirim email uji ke").fill("pustakawan@sekolah.sch.id")
    test.get_by_role("button", name="Kirim email uji").click()
    expect(page.get_by_test_id("test-mail-result")).to_contain_text("Email uji diterima server SMTP")
    mails = smtp.wait_for(1, 10)
    assert len(mails) == 1, mails
    assert mails[0]["To"] == "pustakawan@sekolah.sch.id"
    assert mails[0]["From"] == SENDER
    keep(page, "pengaturan.png")

    # The API answers the same; the password is never in it.
    api = Api(page, server.admin_password)
    s = api.call("GET", "/settings", expect_status=200)
    assert s["timezone"]["value"] == "Asia/Makassar" and s["smtp_password"] == {"set": False, "pinned_by": None}

    # A visitor who never picked a language gets the library's default.
    visitor = browser.new_context(base_url=server.base_url, viewport={"width": 1366, "height": 768})
    try:
        v = visitor.new_page()
        v.goto("/#/katalog")
        expect(v.locator("html")).to_have_attribute("lang", "en")
    finally:
        visitor.close()
    api.call("PUT", "/settings", {"language": "id"}, 200)

    # Pinned by the environment: shown read-only with the variable that pins it.
    server.restart(PUSTAKA_TIMEZONE="Asia/Jayapura")
    # The API's login above took the page's cookie: log in again, in a freshly loaded page.
    page.goto("/#/katalog")
    page.reload()
    expect(page.get_by_role("link", name="Masuk")).to_be_visible()
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/pengaturan")
    zone = page.get_by_test_id("settings-general").get_by_label("Zona waktu perpustakaan")
    expect(zone).to_have_value("Asia/Jayapura")
    expect(zone).to_have_attribute("readonly", "")
    expect(page.get_by_test_id("settings-general").get_by_test_id("pinned-note")).to_contain_text("PUSTAKA_TIMEZONE")
    keep(page, "pengaturan-dikunci.png")


def test_admin_tabs_follow_the_permissions(page: Page, server):
    api = Api(page, server.admin_password)
    api.call("PUT", "/roles/petugas_cadangan", {"name": "Petugas cadangan", "permissions": ["backups"]}, (200, 201))
    api.call("PUT", "/roles/pengatur", {"name": "Pengatur", "permissions": ["settings"]}, (200, 201))
    for username, role in (("cadang", "petugas_cadangan"), ("atur", "pengatur")):
        api.call("POST", "/users", {"username": username, "password": "kata-sandi-2026", "role": role}, 201)

    def tabs_of(username: str) -> list[str]:
        page.goto("/#/masuk")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill("kata-sandi-2026")
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("user-badge")).to_contain_text(username)
        page.get_by_test_id("nav-admin").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Admin")
        tabs = page.locator("[data-testid^=admin-tab-]")
        expect(tabs.first).to_be_visible()
        names = [t.get_attribute("data-testid").removeprefix("admin-tab-") for t in tabs.all()]
        page.get_by_test_id("logout-button").click()
        expect(page.get_by_test_id("user-badge")).to_have_count(0)
        expect(page).to_have_url(re.compile(r"#/katalog$"))
        return names

    assert tabs_of("cadang") == ["cadangan"]
    assert tabs_of("atur") == ["pengaturan", "kategori", "libur", "notifikasi", "sumber"]
    # The admin sees the roles made of permissions (the seeded ones and the two above).
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/peran")
    expect(page.locator("main")).to_contain_text("Petugas cadangan")
    keep(page, "peran-daftar.png")
