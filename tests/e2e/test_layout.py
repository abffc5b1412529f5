"""The page's layout where it is used: the header in one row on a 1366 px school laptop (in both
languages, with the longest menu, an admin's), and the desk on a 375 px phone without sideways
scrolling. Set PUSTAKA_E2E_SHOTS=DIR to keep the screenshots taken here for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from test_desk import log_in

HEADER_ROW_JS = """() => {
  const parts = [...document.querySelectorAll('.header-inner .brand, .main-nav a, .user-name, .header-tools button')];
  const boxes = parts.map((el) => el.getBoundingClientRect());
  return { count: parts.length, tops: boxes.map((b) => Math.round(b.top + b.height / 2)),
           height: document.querySelector('.header-inner').getBoundingClientRect().height,
           right: Math.max(...boxes.map((b) => b.right)) };
}"""


def keep(page: Page, name: str) -> None:
    folder = os.environ.get("PUSTAKA_E2E_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_header_is_one_row_at_1366_in_both_languages(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    for lang, toggle in (("id", "English"), ("en", "Bahasa Indonesia")):
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_test_id("lang-toggle")).to_have_text(toggle)
        row = page.evaluate(HEADER_ROW_JS)
        assert row["count"] == 12, (
            row
        )  # brand, 8 menu items (reports, print; my account is the name), user, log out, language
        # One row: every item's middle on one line, the header one line tall, nothing past the edge.
        assert max(row["tops"]) - min(row["tops"]) <= 4, (lang, row)
        assert row["height"] < 64, (lang, row)
        assert row["right"] <= 1366, (lang, row)
        keep(page, f"header-1366-{lang}.png")
        page.get_by_test_id("lang-toggle").click()


@pytest.mark.seed_demo
def test_the_desk_works_at_375_px(browser, server):
    context = browser.new_context(base_url=server.base_url, viewport={"width": 375, "height": 812})
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        log_in(page, "admin", server.admin_password, "Admin")
        token = page.context.request.post(
            "/api/v1/auth/login", data={"username": "admin", "password": server.admin_password}
        ).json()["token"]
        agus = page.context.request.get("/api/v1/members?q=Agus", headers={"Authorization": f"Bearer {token}"}).json()
        card = agus["items"][0]["card_number"]
        page.goto("/#/meja")
        field = page.get_by_test_id("desk-scan")
        expect(field).to_be_focused()
        page.keyboard.type(card, delay=3)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("member-summary")).to_be_visible()
        page.keyboard.type("B01401", delay=3)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("desk-result")).to_have_class("desk-result desk-result-ok")
        for el in (field, page.get_by_test_id("desk-result"), page.get_by_test_id("member-summary")):
            box = el.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        # The scan field and the result are on the first screen, above the member's details.
        assert field.bounding_box()["y"] + field.bounding_box()["height"] <= 812
        keep(page, "desk-375.png")
    finally:
        context.close()
