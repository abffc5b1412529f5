"""The desk offline (issue #33): the network cut for 100 scans across three members (checkouts,
returns, renewals), the page reloaded while offline, the server restarted meanwhile, a conflict made
on purpose from a second desk (the API), the network back: every action applied exactly once, in
order, at the time it was scanned, and the conflict listed for the librarian, not lost.

The page and its code come from the service worker (web/sw.js) once the network is cut; the scans
wait in IndexedDB (web/js/offline.js) with their Idempotency-Key and scanned time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import log_in
from test_scanner import scan_like_a_scanner

PER_MEMBER = 35  # checkouts for each of Ani and Bayu
RETURNS = 26  # of Citra's 28 loans
REPLAY_TIMEOUT_MS = 90_000


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def loans_by_barcode(api: Api) -> dict[str, list[dict]]:
    """Every loan ever made, by barcode."""
    out: dict[str, list[dict]] = {}
    for n in range(1, 20):
        data = api.call("GET", f"/loans?status=all&per_page=100&page={n}", None, 200)
        for loan in data["items"]:
            out.setdefault(loan["barcode"], []).append(loan)
        if n * 100 >= data["total"]:
            break
    return out


def test_the_desk_keeps_lending_offline(page: Page, server):
    api = Api(page, server.admin_password)
    api.call(
        "PUT",
        "/categories/uji",
        {
            "name": "Uji meja",
            "max_loans": 60,
            "loan_days": 7,
            "max_renewals": 2,
            "fine_per_day": 500,
            "max_fine_per_loan": 0,
            "fine_limit": 10000,
            "hold_pickup_days": 3,
        },
        (200, 201),
    )
    card_a = api.member("Ani Lestari", "uji")
    card_b = api.member("Bayu Pratama", "uji")
    card_c = api.member("Citra Dewi", "uji")
    codes_a = [f"A{n:03d}" for n in range(1, PER_MEMBER + 1)]
    codes_b = [f"B{n:03d}" for n in range(1, PER_MEMBER + 1)]
    codes_c = [f"C{n:03d}" for n in range(1, 29)]
    for code in codes_a + codes_b + codes_c:
        api.book_with_copy(f"Buku {code}", code)
    # Citra borrowed 28 books before the network went down.
    for code in codes_c:
        api.call("POST", "/loans", {"barcode": code, "card_number": card_c}, 201)
    returned, renewed = codes_c[:RETURNS], codes_c[RETURNS:]
    conflict = codes_b[-1]

    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/meja")
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    # The page is kept by the service worker, and the desk has its local copy.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    expect(page.get_by_test_id("desk-local")).to_contain_text("3 anggota, 28 pinjaman")

    offline_at = datetime.now(UTC).replace(microsecond=0)
    page.context.set_offline(True)
    scans = [card_a, *codes_a, card_b, *codes_b]
    for code in scans:
        scan_like_a_scanner(page, code)
    expect(page.get_by_test_id("desk-unsent")).to_have_text(f"{2 * PER_MEMBER} belum terkirim", timeout=30_000)
    expect(page.get_by_test_id("desk-result")).to_contain_text("Belum terkirim")

    # Another desk (the API, online) lends Bayu's last book to Citra meanwhile.
    api.call("POST", "/loans", {"barcode": conflict, "card_number": card_c}, 201)

    # The tab reloaded while offline: the page comes from the service worker, the queue from IndexedDB.
    page.reload()
    expect(page.get_by_test_id("desk-unsent")).to_have_text(f"{2 * PER_MEMBER} belum terkirim")

    # The server restarts (an upgrade) while the desk is still offline.
    server.restart()

    page.get_by_test_id("desk-tab-kembali").click()
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    for code in returned:
        scan_like_a_scanner(page, code)
    page.get_by_test_id("desk-tab-perpanjang").click()
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    for code in renewed:
        scan_like_a_scanner(page, code)
    total = len(scans) + len(returned) + len(renewed)
    assert total == 100
    queued_actions = total - 2  # the two cards select members, they send nothing
    expect(page.get_by_test_id("desk-unsent")).to_have_text(f"{queued_actions} belum terkirim", timeout=30_000)
    # Nothing has reached the server yet.
    assert all(len(loans_by_barcode(api).get(code, [])) == 0 for code in codes_a)

    back_at = datetime.now(UTC)
    started = time.monotonic()
    page.context.set_offline(False)
    expect(page.get_by_test_id("desk-unsent")).to_have_text("", timeout=REPLAY_TIMEOUT_MS)
    replay_s = time.monotonic() - started
    print(f"\n{queued_actions} queued actions replayed in {replay_s:.1f} s ({queued_actions / replay_s:.1f}/s)")

    loans = loans_by_barcode(api)
    # Each checkout exactly once, to the member scanned, at the time it was scanned, in order.
    for codes, card in ((codes_a, card_a), (codes_b[:-1], card_b)):
        times = []
        for code in codes:
            assert len(loans[code]) == 1, (code, loans[code])
            loan = loans[code][0]
            assert loan["card_number"] == card
            at = parse(loan["loaned_at"])
            assert offline_at <= at <= back_at, (code, at, offline_at, back_at)
            times.append(at)
        assert times == sorted(times), "lent in the order scanned"
    assert parse(loans[codes_b[0]][0]["loaned_at"]) >= parse(loans[codes_a[-1]][0]["loaned_at"])
    # The conflict: lent to Citra by the other desk, refused for Bayu, listed with what to do.
    assert [x["card_number"] for x in loans[conflict]] == [card_c]
    listed = page.get_by_test_id("desk-conflict")
    expect(listed).to_have_count(1)
    expect(listed).to_have_attribute("data-barcode", conflict)
    expect(listed).to_have_attribute("data-code", "copy_not_available")
    expect(listed).to_contain_text("dipinjam di meja lain")
    # Returns once each, at their scanned times; renewals once each.
    for code in returned:
        assert len(loans[code]) == 1
        back = parse(loans[code][0]["returned_at"])
        assert offline_at <= back <= back_at, (code, back)
    for code in renewed:
        assert len(loans[code]) == 1
        assert loans[code][0]["renewals"] == 1, loans[code][0]
        assert loans[code][0]["returned_at"] is None
    assert sum(len(v) for v in loans.values()) == 2 * PER_MEMBER - 1 + len(codes_c) + 1

    # The librarian has dealt with it: the list empties, and stays empty after a reload.
    page.get_by_test_id("desk-conflict-done").click()
    expect(listed).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    expect(page.get_by_test_id("desk-conflict")).to_have_count(0)
    expect(page.get_by_test_id("desk-unsent")).to_have_text("")
