"""The visitor kiosk and the stock take at scanner speed over a slow network.

The kiosk: member cards scanned one after the other greet each member by first name and record
one visit each; with the network gone, scans are still greeted and kept in the browser, and
once it is back every kept visit is recorded exactly once (the API says so). The stock take:
a librarian scans a shelf at scanner speed, with repeats and an unknown barcode, over a slowed
network; each copy is counted once and the page's counts and lists agree with the API.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from test_desk import log_in
from test_layout import keep
from test_scanner import Api, scan_like_a_scanner, slow_network

LATENCY_MS = 400
SETTLE_TIMEOUT_MS = 60_000


def test_the_kiosk_greets_members_and_keeps_visits_while_offline(page: Page, server):
    api = Api(page, server.admin_password)
    api.call("POST", "/users", {"username": "kios_pintu", "password": "kiosk-password", "role": "kiosk"}, 201)
    budi = api.member("Budi Santoso", "student")
    sari = api.member("Sari Wulandari", "staff")

    log_in(page, "kios_pintu", "kiosk-password", "Kios buku tamu")
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku tamu")
    scan_field = page.get_by_test_id("kiosk-scan")
    expect(scan_field).to_be_focused()
    cdp = slow_network(page, LATENCY_MS)

    scan_like_a_scanner(page, budi)
    expect(page.get_by_test_id("kiosk-greeting")).to_have_text("Selamat datang, Budi!")
    keep(page, "kiosk.png")
    scan_like_a_scanner(page, sari)
    expect(page.get_by_test_id("kiosk-greeting")).to_have_text("Selamat datang, Sari!")
    # Nothing but the greeting about the member: no card number, no category on the page.
    assert budi not in page.locator("main").inner_text()
    assert sari not in page.locator("main").inner_text()

    # The network drops: three more scans are greeted and kept.
    cdp.send("Network.emulateNetworkConditions",
             {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    for card in (budi, sari, budi):
        scan_like_a_scanner(page, card)
    expect(page.get_by_test_id("kiosk-pending")).to_have_text("3 kunjungan menunggu jaringan…")
    expect(page.get_by_test_id("kiosk-greeting")).to_have_text("Selamat datang!")

    # A guest writes themself in, still offline.
    page.get_by_test_id("kiosk-guest-name").fill("Ibu Ratna")
    page.get_by_test_id("kiosk-guest-institution").fill("SMP 2 Bandung")
    page.get_by_test_id("kiosk-guest-purpose").fill("Studi banding")
    page.get_by_test_id("kiosk-guest-submit").click()
    expect(page.get_by_test_id("kiosk-pending")).to_have_text("4 kunjungan menunggu jaringan…")
    expect(scan_field).to_be_focused()

    # Back online (slow): every kept visit is sent, once.
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": LATENCY_MS, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(page.get_by_test_id("kiosk-pending")).to_have_text("", timeout=SETTLE_TIMEOUT_MS)
    visits = api.call("GET", "/visits", None, 200)
    assert len(visits) == 6, visits
    assert sorted(v["card_number"] or v["name"] for v in visits) == sorted([budi, budi, budi, sari, sari, "Ibu Ratna"])
    guest = next(v for v in visits if v["category"] == "guest")
    assert (guest["institution"], guest["purpose"]) == ("SMP 2 Bandung", "Studi banding")
    # The kiosk reaches nothing else.
    page.goto("/#/anggota")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tidak ada akses")


def test_stock_take_scanning_at_scanner_speed(page: Page, server):
    api = Api(page, server.admin_password)
    codes = [f"S{n:04d}" for n in range(1, 21)]
    book = api.call("POST", "/books", {"title": "Bumi Manusia", "authors": ["Pramoedya Ananta Toer"]}, 201)
    for code in codes:
        api.call("POST", f"/books/{book['id']}/copies", {"barcode": code, "location": "Rak A1"}, 201)
    stocktake = api.call("POST", "/stocktakes", {"name": "Stock opname uji"}, 201)

    log_in(page, "admin", server.admin_password, "Admin")
    page.goto(f"/#/stock-opname/{stocktake['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stock opname uji")
    page.get_by_test_id("stocktake-location").fill("Rak A1")
    scan_field = page.get_by_test_id("stocktake-scan")
    scan_field.focus()
    slow_network(page, LATENCY_MS)

    # 16 copies, four of them twice, and a barcode nobody has: 21 scans.
    scans = codes[:16] + codes[:4] + ["ZZ-404"]
    for code in scans:
        scan_like_a_scanner(page, code)
    history = page.get_by_test_id("stocktake-history").locator("li[data-scan]")
    expect(history).to_have_count(len(scans), timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("stocktake-pending")).to_have_text("")
    order = history.evaluate_all("els => els.map((li) => li.dataset.scan)")
    assert list(reversed(order)) == scans
    expect(page.get_by_test_id("count-seen").locator(".stat-value")).to_have_text("16")
    expect(page.get_by_test_id("count-not_seen").locator(".stat-value")).to_have_text("4")
    expect(page.get_by_test_id("count-unknown").locator(".stat-value")).to_have_text("1")

    counts = api.call("GET", f"/stocktakes/{stocktake['id']}", None, 200)["counts"]
    assert (counts["seen"], counts["not_seen"], counts["unknown"]) == (16, 4, 1), counts
    # The page's "not seen" list is the four left on the shelf.
    report = page.get_by_test_id("stocktake-report")
    expect(report.locator("tbody tr")).to_have_count(4)
    assert sorted(report.locator("tbody tr td:first-child").all_inner_texts()) == codes[16:]
    keep(page, "stocktake.png")

    # Finished from the page; the missing copies are marked lost from the page.
    page.get_by_test_id("stocktake-finish").click()
    page.locator("dialog").get_by_role("button", name="Ya").click()
    lost = page.get_by_test_id("stocktake-mark-lost")
    expect(lost).to_be_visible(timeout=SETTLE_TIMEOUT_MS)
    lost.click()
    page.locator("dialog").get_by_role("button", name="Ya").click()
    expect(page.get_by_test_id("count-marked_lost").locator(".stat-value")).to_have_text("4", timeout=SETTLE_TIMEOUT_MS)
    for code in codes[16:]:
        assert api.call("GET", f"/copies/{code}", None, 200)["status"] == "lost"
