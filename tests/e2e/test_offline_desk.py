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
from test_desk import banner, log_in
from test_layout import keep
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
    keep(page, "meja-luring-antrean.png")
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
    keep(page, "meja-luring-ditolak-server.png")
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


def test_the_local_copy_judges_holds_rules_and_limits_offline(page: Page, server):
    """Offline, the desk judges a scan by its local copy (one `GET /desk/snapshot`) as the server
    would: a reference copy is read in the library, a copy on the hold shelf is another member's,
    the category's loan limit holds, and a return that a hold waits for goes to the hold shelf."""
    api = Api(page, server.admin_password)
    rules = {
        "name": "Uji batas",
        "max_loans": 2,
        "loan_days": 7,
        "max_renewals": 1,
        "fine_per_day": 500,
        "max_fine_per_loan": 0,
        "fine_limit": 10000,
        "hold_pickup_days": 3,
    }
    api.call("PUT", "/categories/batas", rules, (200, 201))
    dewi = api.member("Dewi Anggraini", "batas")
    eko = api.member("Eko Saputra", "batas")
    fajar = api.member("Fajar Nugroho", "batas")
    kbbi = api.call(
        "POST", "/books", {"title": "KBBI", "authors": ["Badan Bahasa"], "collection_type": "referensi"}, 201
    )
    api.call("POST", f"/books/{kbbi['id']}/copies", {"barcode": "REF-1"}, 201)
    novel = api.call("POST", "/books", {"title": "Bumi Manusia", "authors": ["Pramoedya"]}, 201)
    for code in ("BM-1", "BM-2"):
        api.call("POST", f"/books/{novel['id']}/copies", {"barcode": code}, 201)
    atlas = api.call("POST", "/books", {"title": "Ronggeng Dukuh Paruk", "authors": ["Ahmad Tohari"]}, 201)
    api.call("POST", f"/books/{atlas['id']}/copies", {"barcode": "RD-1"}, 201)
    for code in ("X-1", "X-2"):
        api.book_with_copy(f"Buku {code}", code)
    # Both copies of the novel out; Eko waits for it; one comes back and is kept for him.
    api.call("POST", "/loans", {"barcode": "BM-1", "card_number": dewi}, 201)
    api.call("POST", "/loans", {"barcode": "BM-2", "card_number": fajar}, 201)
    api.call("POST", "/holds", {"book_id": novel["id"], "card_number": eko}, 201)
    api.call("POST", "/returns", {"barcode": "BM-2"}, 200)
    # Fajar has the other novel; Eko waits for it too.
    api.call("POST", "/loans", {"barcode": "RD-1", "card_number": fajar}, 201)
    api.call("POST", "/holds", {"book_id": atlas["id"], "card_number": eko}, 201)

    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/meja")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    expect(page.get_by_test_id("desk-local")).to_contain_text("3 anggota, 2 pinjaman")

    page.context.set_offline(True)
    scan_like_a_scanner(page, dewi)
    expect(banner(page)).to_contain_text("Dewi Anggraini")
    scan_like_a_scanner(page, "REF-1")
    expect(banner(page)).to_contain_text("Buku referensi: baca di tempat (menurut salinan lokal)")
    scan_like_a_scanner(page, "BM-2")
    expect(banner(page)).to_contain_text("disimpan untuk pemesan lain (menurut salinan lokal)")
    # Dewi has one book; a second is queued; a third is past her category's limit of 2.
    scan_like_a_scanner(page, "X-1")
    expect(banner(page)).to_contain_text("Belum terkirim")
    scan_like_a_scanner(page, "X-2")
    expect(banner(page)).to_contain_text("batas")
    expect(banner(page)).to_contain_text("(menurut salinan lokal)")
    keep(page, "meja-luring-ditolak-lokal.png")
    # Fajar brings back the novel Eko waits for: to the hold shelf.
    page.get_by_test_id("desk-tab-kembali").click()
    # The returns panel is drawn (its scan field focused) before the scanner types into it.
    expect(page.get_by_test_id("desk-scan")).to_be_focused()
    scan_like_a_scanner(page, "RD-1")
    expect(banner(page)).to_contain_text("Taruh di rak reservasi")
    expect(page.get_by_test_id("desk-unsent")).to_have_text("2 belum terkirim")
    keep(page, "meja-luring-rak-reservasi.png")

    page.context.set_offline(False)
    expect(page.get_by_test_id("desk-unsent")).to_have_text("", timeout=REPLAY_TIMEOUT_MS)
    out = api.active_loans()
    assert out.get("X-1") == dewi and "X-2" not in out and "REF-1" not in out and "BM-2" not in out, out
    assert "RD-1" not in out, out
    holds = api.call("GET", "/holds", None, 200)["items"]
    assert sorted(h["status"] for h in holds) == ["ready", "ready"], holds
    expect(page.get_by_test_id("desk-conflict")).to_have_count(0)
