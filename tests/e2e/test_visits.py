"""The visitor kiosk and the stock take at scanner speed over a slow network.

The kiosk: member cards scanned one after the other greet each member by the name they are called by and record
one visit each; with the network gone, scans are still greeted and kept in the browser, and
once it is back every kept visit is recorded exactly once (the API says so). A server restarted
mid-day keeps the kiosk's login; a login that ends leaves the kiosk on screen, greeting and
keeping visits, with a bar asking staff to log in, and the kept visits are sent once they have.
The kiosk shows nothing but itself (no menu or logout; other addresses lead back) and staff leave it
with their own login.
The statistics page counts visits per class (kelas) as each member's class was that day. The stock take:
a librarian scans a shelf at scanner speed, with repeats and an unknown barcode, over a slowed
network; each copy is counted once and the page's counts and lists agree with the API.
"""

from __future__ import annotations

import os
import sqlite3

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

    # The kiosk on screen shows the library and the kiosk, nothing else (no menu, account or logout).
    page.goto("/#/masuk")
    page.get_by_test_id("login-username").fill("kios_pintu")
    page.get_by_test_id("login-password").fill("kiosk-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku tamu")
    for testid in ("nav-catalog", "user-badge", "logout-button", "lang-toggle"):
        expect(page.get_by_test_id(testid)).to_have_count(0)
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
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
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
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": LATENCY_MS, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.get_by_test_id("kiosk-pending")).to_have_text("", timeout=SETTLE_TIMEOUT_MS)
    visits = api.call("GET", "/visits", None, 200)
    assert len(visits) == 6, visits
    assert sorted(v["card_number"] or v["name"] for v in visits) == sorted([budi, budi, budi, sari, sari, "Ibu Ratna"])
    guest = next(v for v in visits if v["category"] == "guest")
    assert (guest["institution"], guest["purpose"]) == ("SMP 2 Bandung", "Studi banding")

    # The server restarts mid-day (an update): sessions live in the database, the kiosk goes on.
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    server.restart()
    scan_like_a_scanner(page, sari)
    expect(page.get_by_test_id("kiosk-greeting")).to_have_text("Selamat datang, Sari!")

    # The kiosk's login ends while nobody watches (as at the end of PUSTAKA_SESSION_HOURS).
    with sqlite3.connect(server.db_path) as db:
        db.execute(
            "UPDATE sessions SET revoked_at = created_at WHERE revoked_at IS NULL "
            "AND user_id = (SELECT id FROM users WHERE username = 'kios_pintu')"
        )
    scan_like_a_scanner(page, budi)
    # Still the kiosk, not the login page: the visitor is greeted, the visit kept, staff told.
    expect(page.get_by_test_id("kiosk-greeting")).to_have_text("Selamat datang!")
    expect(page.get_by_test_id("kiosk-lock")).to_contain_text("Kios perlu masuk lagi.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku tamu")
    scan_like_a_scanner(page, sari)
    expect(page.get_by_test_id("kiosk-pending")).to_have_text(
        "2 kunjungan tersimpan di perangkat ini, menunggu petugas masuk…"
    )
    expect(scan_field).to_be_focused()
    keep(page, "kiosk-locked.png")
    assert len(api.call("GET", "/visits", None, 200)) == 7
    # Staff log in again from the bar: back on the kiosk, the two kept visits are sent, once.
    page.get_by_test_id("kiosk-login").click()
    page.get_by_test_id("login-username").fill("kios_pintu")
    page.get_by_test_id("login-password").fill("kiosk-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku tamu")
    expect(page.get_by_test_id("kiosk-pending")).to_have_text("", timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("kiosk-lock")).to_be_empty()
    visits = api.call("GET", "/visits", None, 200)
    assert len(visits) == 9, visits
    assert sorted(v["card_number"] for v in visits if v["card_number"]) == sorted([budi] * 4 + [sari] * 4)

    # The kiosk reaches nothing else: another address leads back to it.
    page.goto("/#/anggota")
    expect(page.get_by_role("heading", level=1)).to_have_text("Buku tamu")
    expect(page).to_have_url(f"{server.base_url}/#/tamu")

    # A name as school lists hold it is greeted by the name its owner is called by.
    ayu = api.member("NI LUH PUTU AYU LESTARI", "student")
    scan_like_a_scanner(page, ayu)
    expect(page.get_by_test_id("kiosk-greeting")).to_have_text("Selamat datang, Ayu!")

    # Staff leave the kiosk with their own login, for the desk.
    page.get_by_test_id("kiosk-staff").click()
    page.get_by_test_id("kiosk-staff-username").fill("admin")
    page.get_by_test_id("kiosk-staff-password").fill(server.admin_password)
    page.get_by_test_id("kiosk-staff-submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meja sirkulasi")
    expect(page.get_by_test_id("logout-button")).to_have_count(1)


def test_visitor_statistics_per_class(page: Page, server):
    """Visits counted per class (kelas) on the statistics page, each under the class its member
    had that day; the member list filtered by class."""
    api = Api(page, server.admin_password)
    members = {}
    for name, grade in (
        ("Andi Saputra", "VII-A"),
        ("Bunga Citra", "VII-A"),
        ("Candra", "VIII-B"),
        ("Dina", "IX-C"),
        ("Pak Eko", None),
    ):
        body = {"name": name, "category": "staff" if grade is None else "student"}
        if grade:
            body["grade"] = grade
        members[name] = api.call("POST", "/members", body, 201)

    def visit(name):
        api.call(
            "POST",
            "/visits",
            {
                "client_id": f"{name[:4]}-{len(visits_sent)}-0000".replace(" ", "x").lower(),
                "card_number": members[name]["card_number"],
            },
            201,
        )
        visits_sent.append(name)

    visits_sent = []
    for name in ("Andi Saputra", "Andi Saputra", "Bunga Citra", "Candra", "Dina", "Pak Eko"):
        visit(name)
    api.call("POST", "/visits", {"client_id": "tamu-0000-0001", "guest_name": "Ibu Ratna"}, 201)
    # Candra moves up to IX-C; his next visit is IX-C's, the first stays VIII-B's.
    api.call("PATCH", f"/members/{members['Candra']['id']}", {"grade": "IX-C"}, 200)
    visit("Candra")

    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/kunjungan")
    page.get_by_test_id("visits-form").get_by_label("Dikelompokkan per").select_option("grade")
    page.get_by_test_id("visits-form").get_by_role("button", name="Tampilkan").click()
    rows = page.get_by_test_id("visits-table").locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_test_id("visits-table").locator("thead")).to_contain_text("Kelas")
    cells = [[c.strip() for c in r.split("\t")] for r in rows.all_inner_texts()]
    assert cells == [
        ["VII-A", "3", "2"],
        ["VIII-B", "1", "1"],
        ["IX-C", "2", "2"],
        ["Anggota tanpa kelas (guru, staf, umum)", "1", "1"],
        ["Tamu", "1", ""],
    ], cells
    if os.environ.get("PUSTAKA_E2E_SHOTS"):
        expect(page.locator("#flash .flash")).to_have_count(0, timeout=7_000)  # the login's greeting gone
    keep(page, "statistik-kelas.png")

    # The member list, filtered by class.
    page.goto("/#/anggota")
    page.get_by_test_id("members-grade").fill("vii-a")
    page.get_by_test_id("members-grade").press("Enter")
    table = page.get_by_test_id("members-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Andi Saputra")
    expect(table).to_contain_text("Bunga Citra")


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
