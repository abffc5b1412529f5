"""The first start in the page (issue 32): a fresh server whose admin password was generated (the
only thing its first log says); the admin logs in with it and is guided: a new password (the
generated one cannot be skipped), the library's identity, then skips the rest to the desk. No
terminal after the first start; the guide resumes where it was left and is gone once done."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from conftest import REPO, _binary, _serve, _stop
from test_layout import keep

GENERATED = re.compile(r"FIRST START.*?password\W+([0-9a-f]{24})|password\W+([0-9a-f]{24}).*FIRST START")


@pytest.fixture
def fresh(tmp_path):
    """A server on a new database with no admin password given: it generates one and logs it."""
    env = dict(os.environ)
    env.update(
        PUSTAKA_LISTEN="127.0.0.1:0",
        PUSTAKA_WEB_DIR=str(REPO / "web"),
        PUSTAKA_DATABASE_URL=f"sqlite://{tmp_path / 'pustaka.db'}?mode=rwc",
        PUSTAKA_LOG_FORMAT="text",
        RUST_LOG="info",
    )
    for key in (
        "PUSTAKA_ADMIN_PASSWORD",
        "PUSTAKA_ADMIN_PASSWORD_FILE",
        "PUSTAKA_DATABASE_PASSWORD",
        "PUSTAKA_DATABASE_PASSWORD_FILE",
    ):
        env.pop(key, None)
    proc, base_url, log = _serve(_binary(), env, tmp_path)
    try:
        found = [m for line in log if (m := GENERATED.search(line))]
        assert found, "no generated password in the first start's log:\n" + "\n".join(log)
        yield base_url, found[0].group(1) or found[0].group(2)
    finally:
        _stop(proc)


def test_a_fresh_server_reaches_the_desk_through_the_first_start(browser, fresh):
    base_url, generated = fresh
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
    page: Page = context.new_page()
    try:
        page.goto("/#/masuk")
        page.get_by_test_id("login-username").fill("admin")
        page.get_by_test_id("login-password").fill(generated)
        page.get_by_test_id("login-submit").click()

        # Guided: a new password first, with no way to skip it.
        expect(page.get_by_role("heading", level=1)).to_have_text("Mulai memakai Pustaka")
        expect(page.get_by_test_id("start-password-form")).to_be_visible()
        expect(page.get_by_test_id("start-skip-all")).to_have_count(0)
        keep(page, "mulai-kata-sandi.png")
        page.get_by_test_id("start-current-password").fill(generated)
        page.get_by_test_id("start-new-password").fill("kata-sandi-admin-sendiri")
        page.get_by_test_id("start-password-save").click()

        # The library's identity.
        expect(page.get_by_test_id("start-identity-form")).to_be_visible()
        keep(page, "mulai-identitas.png")
        page.get_by_test_id("start-library-name").fill("Perpustakaan SMP Negeri 3 Salatiga")
        page.get_by_test_id("start-identity-save").click()
        expect(page.get_by_test_id("start-rules")).to_be_visible()
        expect(page.get_by_test_id("library-name")).to_have_text("Perpustakaan SMP Negeri 3 Salatiga")
        keep(page, "mulai-aturan-pinjam.png")

        # Resumable: leaving and coming back finds the same step.
        page.goto("/#/katalog")
        page.goto("/#/mulai")
        expect(page.get_by_test_id("start-rules")).to_be_visible()

        # Skip the rest: the desk.
        page.get_by_test_id("start-skip-all").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Meja sirkulasi")

        # Done: the next login (another browser) goes to the desk, with the new password only.
        other = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
        try:
            page2 = other.new_page()
            page2.goto("/#/masuk")
            page2.get_by_test_id("login-username").fill("admin")
            page2.get_by_test_id("login-password").fill(generated)
            page2.get_by_test_id("login-submit").click()
            expect(page2.get_by_test_id("login-form")).to_contain_text("salah")
            page2.get_by_test_id("login-password").fill("kata-sandi-admin-sendiri")
            page2.get_by_test_id("login-submit").click()
            expect(page2.get_by_role("heading", level=1)).to_have_text("Meja sirkulasi")
        finally:
            other.close()
    finally:
        context.close()
