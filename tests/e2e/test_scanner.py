"""The desk at scanner speed over a slow network: every scan handled once, in order, never garbled.

A USB barcode scanner is a keyboard: it types the code a few milliseconds per key and presses
Enter, and the next scan can follow 150 ms later, long before a school Wi-Fi answers. Here the
browser's network is slowed through the Chrome DevTools Protocol (400 ms on every request), the
scans are typed like a scanner types them, and afterwards the API (not slowed) says which loans
exist. The setup (books, copies, members) goes straight through the API; everything at the desk
goes through the page's one scan field.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import log_in

LATENCY_MS = 400
KEY_DELAY_MS = 3
BETWEEN_SCANS_MS = 150
PER_MEMBER = 20
# Each scan costs one request (400 ms here), a card three: 42 scans finish in about 20 s.
SETTLE_TIMEOUT_MS = 90_000


def scan_like_a_scanner(page: Page, code: str) -> None:
    page.keyboard.type(code, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    page.wait_for_timeout(BETWEEN_SCANS_MS)


def slow_network(page: Page, latency_ms: int):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    return cdp


def history(page: Page):
    return page.get_by_test_id("desk-history").locator("li[data-scan]")


def history_entries(page: Page) -> list[tuple[str, str, str]]:
    """(scanned text, kind, line) of every history line, oldest first."""
    rows = history(page).evaluate_all("els => els.map((li) => [li.dataset.scan, li.className, li.textContent])")
    return [tuple(r) for r in reversed(rows)]


def test_scans_at_scanner_speed_over_a_slow_network(page: Page, server):
    api = Api(page, server.admin_password)
    # A category that may borrow 20 books at once (the seeded ones allow 3 or 5).
    api.call(
        "PUT",
        "/categories/uji",
        {
            "name": "Uji meja",
            "max_loans": 30,
            "loan_days": 7,
            "max_renewals": 1,
            "fine_per_day": 500,
            "max_fine_per_loan": 0,
            "fine_limit": 10000,
            "hold_pickup_days": 3,
        },
        (200, 201),
    )
    card_a = api.member("Ani Lestari", "uji")
    card_b = api.member("Bayu Pratama", "uji")
    # Barcodes that differ only in their first characters: a garbled scan would hit another copy.
    codes_a = [f"A{n:04d}" for n in range(1, PER_MEMBER + 1)]
    codes_b = [f"B{n:04d}" for n in range(1, PER_MEMBER + 1)]
    for code in codes_a + codes_b:
        api.book_with_copy(f"Buku {code}", code)

    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/meja")
    scan_field = page.get_by_test_id("desk-scan")
    expect(scan_field).to_be_focused()
    slow_network(page, LATENCY_MS)

    started = time.monotonic()
    scans = [card_a, *codes_a, card_b, *codes_b]
    for code in scans:
        scan_like_a_scanner(page, code)
    typed_s = time.monotonic() - started

    expect(history(page)).to_have_count(len(scans), timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("desk-pending")).to_have_text("")
    settled_s = time.monotonic() - started
    print(
        f"\n{len(scans)} scans typed in {typed_s:.1f} s, all answered after {settled_s:.1f} s "
        f"({LATENCY_MS} ms latency, {BETWEEN_SCANS_MS} ms between scans)"
    )

    # Through the API: exactly these loans, for exactly these members.
    expected = {**{c: card_a for c in codes_a}, **{c: card_b for c in codes_b}}
    assert api.active_loans() == expected

    # The page listed each scan once, in the order scanned, and said what happened to it.
    entries = history_entries(page)
    assert [e[0] for e in entries] == scans
    assert [e[1] for e in entries] == ["history-member"] + ["history-ok"] * PER_MEMBER + ["history-member"] + [
        "history-ok"
    ] * PER_MEMBER
    for (_scanned, _, line), code in zip(entries, scans, strict=False):
        if code in expected:
            who = "Ani Lestari" if expected[code] == card_a else "Bayu Pratama"
            assert line.endswith(f"Dipinjamkan: Buku {code} [{code}] kepada {who}"), line
        else:
            assert line.endswith(f"Anggota dipilih: {'Ani Lestari' if code == card_a else 'Bayu Pratama'} ({code})"), (
                line
            )
    expect(scan_field).to_be_focused()
    expect(scan_field).to_have_value("")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Bayu Pratama")
    expect(page.get_by_test_id("member-loan-count")).to_have_text("20 dari maks. 30")

    # The return desk at the same speed: Ani brings back her 20 books, their barcodes read in
    # lower case and with a stray space in front (matched like card numbers).
    page.get_by_test_id("desk-tab-kembali").click()
    expect(scan_field).to_be_focused()
    returns = [code.lower() for code in codes_a]
    for code in returns:
        scan_like_a_scanner(page, f" {code}")
    expect(history(page)).to_have_count(len(scans) + len(returns), timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("desk-pending")).to_have_text("")
    assert api.active_loans() == {c: card_b for c in codes_b}
    entries = history_entries(page)[len(scans) :]
    assert [e[0] for e in entries] == returns
    assert all(kind == "history-ok" for _, kind, _ in entries), entries
    for (_, _, line), code in zip(entries, codes_a, strict=False):
        assert line.endswith(f"Dikembalikan: Buku {code} [{code}] dari Ani Lestari"), line


def test_a_card_scanned_over_a_name_list_selects_its_own_member(page: Page, server):
    api = Api(page, server.admin_password)
    card_1 = api.member("Sari Wulandari", "student")
    card_2 = api.member("Sari Handayani", "student")
    card_3 = api.member("Sari Puspita", "student")
    api.book_with_copy("Negeri 5 Menara", "N5M-1")
    api.book_with_copy("Ayat-Ayat Cinta", "AAC-1")
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/meja")
    scan_field = page.get_by_test_id("desk-scan")
    expect(scan_field).to_be_focused()

    # A barcode with no member selected: refused in words, nothing lent.
    scan_like_a_scanner(page, "N5M-1")
    expect(page.get_by_test_id("desk-result")).to_have_class("desk-result desk-result-refused")
    expect(page.get_by_test_id("desk-result").locator(".desk-result-title")).to_contain_text(
        "pindai kartu anggota dulu"
    )

    # A card that passes the check digit but belongs to nobody.
    nobody = api.card_of_nobody()
    assert nobody not in (card_1, card_2, card_3)
    scan_like_a_scanner(page, nobody)
    expect(page.get_by_test_id("desk-result").locator(".desk-result-title")).to_have_text(
        f"✕ Ditolak: tidak ada anggota dengan kartu atau nama “{nobody}”"
    )

    # A name typed by hand lists three members; Enter from the keyboard does not pick one.
    page.keyboard.type("Sari")
    page.keyboard.press("Enter")
    choices = page.get_by_test_id("member-choice")
    expect(choices).to_have_count(3)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("member-summary")).to_have_count(0)

    # A button happens to have the focus (here the language toggle) when the second member's card
    # is scanned: its keys and its Enter go to the scan field, nothing is pressed, and the card's
    # own member is selected.
    page.get_by_test_id("lang-toggle").focus()
    page.keyboard.type(card_2, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Sari Handayani")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(choices).to_have_count(0)
    expect(scan_field).to_be_focused()
    scan_like_a_scanner(page, "N5M-1")
    expect(page.get_by_test_id("desk-result").locator(".desk-result-title")).to_have_text(
        "✓ Dipinjamkan: Negeri 5 Menara"
    )

    # The next student's card, scanned without Esc: selects them; their book goes to them.
    scan_like_a_scanner(page, card_3)
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text("Sari Puspita")
    scan_like_a_scanner(page, "AAC-1")
    expect(page.get_by_test_id("desk-result").locator(".desk-result-title")).to_have_text(
        "✓ Dipinjamkan: Ayat-Ayat Cinta"
    )
    assert api.active_loans() == {"N5M-1": card_2, "AAC-1": card_3}

    # Choosing from the list by keyboard: arrows, then Space (a key a scanner does not send).
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("member-summary")).to_have_count(0)
    page.keyboard.type("Sari")
    page.keyboard.press("Enter")
    expect(choices).to_have_count(3)
    names = choices.locator("strong").all_inner_texts()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(choices.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text(names[1])
    # And by a click.
    page.keyboard.press("Escape")
    page.keyboard.type("Sari")
    page.keyboard.press("Enter")
    expect(choices).to_have_count(3)
    choices.nth(2).click()
    expect(page.get_by_test_id("member-summary").get_by_role("heading", level=2)).to_have_text(names[2])
    expect(scan_field).to_be_focused()

    # Every scan and choice left one history line, in English too after the toggle.
    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_test_id("desk-history").locator("li").first).to_contain_text(f"Member selected: {names[2]}")
    expect(page.get_by_test_id("desk-result").locator(".desk-result-title")).to_have_text(f"→ Member: {names[2]}")
    assert re.search(r"Refused \[N5M-1\]: no member is selected", page.get_by_test_id("desk-history").inner_text())
