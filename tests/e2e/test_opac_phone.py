"""The public catalogue on a phone (issue #34), at 375 px: the front page's lists, a search narrowed
by facets and sorted, a book opened cold from its shared link with its cover, availability per
location and a proper title, a hold placed from the phone, the member's own history (and switching
it off), and the web app manifest.

Measured and printed (Lighthouse-like, over a throttled connection through CDP's
Network.emulateNetworkConditions: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, as
Lighthouse's mobile profile): the bytes transferred to open the catalogue cold and to run a
search, and the time to the first result for each. Only generous budgets are asserted, so a slow
machine does not fail it; the numbers are for the task doc and for review."""

from __future__ import annotations

import secrets
import struct
import time
import zlib

from playwright.sync_api import Page, expect

from api_client import Api
from test_layout import keep

WIDTH, HEIGHT = 375, 740
THROTTLE = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG of one colour (a cover for the test)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class Traffic:
    """Bytes received (encoded, as transferred) per CDP's Network events, since the last reset."""

    def __init__(self, page: Page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        self.bytes = 0
        self.requests = 0
        self.cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))
        self.requests += 1

    def throttle(self) -> None:
        self.cdp.send("Network.emulateNetworkConditions", THROTTLE)

    def reset(self) -> None:
        self.bytes = 0
        self.requests = 0


def catalogue(api: Api) -> dict[str, int]:
    """A small catalogue with types, classes, years, languages, copies at two places and a cover."""
    books = {}
    for title, extra in [
        ("Laskar Pelangi", {"year": 2005, "language": "id", "classification": "899.221", "collection_type": "fiksi"}),
        ("Sang Pemimpi", {"year": 2006, "language": "id", "classification": "899.221", "collection_type": "fiksi"}),
        (
            "Atlas Pelangi Dunia",
            {"year": 2019, "language": "en", "classification": "912", "collection_type": "referensi"},
        ),
        (
            "Pelangi Sains Kelas 7",
            {"year": 2021, "language": "id", "classification": "507", "collection_type": "paket"},
        ),
    ]:
        book = api.call("POST", "/books", {"title": title, "authors": ["Penulis Uji"], **extra}, 201)
        books[title] = book["id"]
    copies = [
        ("Laskar Pelangi", "OPAC-1", "Rak Fiksi"),
        ("Laskar Pelangi", "OPAC-2", "Rak Fiksi"),
        ("Laskar Pelangi", "OPAC-3", "Pojok Baca Kelas 7"),
        ("Sang Pemimpi", "OPAC-4", "Rak Fiksi"),
        ("Atlas Pelangi Dunia", "OPAC-5", "Rak Referensi"),
        ("Pelangi Sains Kelas 7", "OPAC-6", "Rak Paket"),
    ]
    for title, barcode, location in copies:
        api.call("POST", f"/books/{books[title]}/copies", {"barcode": barcode, "location": location}, 201)
    r = api.request.put(
        f"/api/v1/books/{books['Laskar Pelangi']}/cover",
        data=png(120, 170, (200, 60, 40)),
        headers={**api.headers, "Content-Type": "image/png"},
    )
    assert r.status == 204, r.text()
    return books


def test_the_catalogue_on_a_phone(browser, server):
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        api = Api(page, server.admin_password)
        books = catalogue(api)
        password = secrets.token_urlsafe(12)
        member = api.call(
            "POST",
            "/members",
            {"name": "Sari Dewi", "category": "student", "username": "sari", "password": password},
            201,
        )
        other = api.member("Teman Sekelas", "student")
        # The one copy of Sang Pemimpi is out (a hold waits for it); Laskar Pelangi was lent and returned.
        api.call("POST", "/loans", {"barcode": "OPAC-4", "card_number": other}, 201)
        api.call("POST", "/loans", {"barcode": "OPAC-1", "card_number": other}, 201)
        api.call("POST", "/returns", {"barcode": "OPAC-1"}, 200)
        # Sari read Laskar Pelangi at home and the atlas in the library.
        api.call("POST", "/loans", {"barcode": "OPAC-2", "card_number": member["card_number"]}, 201)
        api.call("POST", "/returns", {"barcode": "OPAC-2"}, 200)
        api.call("POST", "/in-library-uses", {"barcode": "OPAC-5", "card_number": member["card_number"]}, 201)

        # ---- the catalogue opened cold over a slow connection: bytes and time to the first result
        traffic = Traffic(page)
        traffic.throttle()
        start = time.monotonic()
        page.goto("/#/katalog")
        expect(page.get_by_test_id("catalog-item").first).to_be_visible()
        first_result_ms = (time.monotonic() - start) * 1000
        page.wait_for_load_state("networkidle")
        page_bytes, page_requests = traffic.bytes, traffic.requests
        expect(page.get_by_test_id("popular")).to_contain_text("Laskar Pelangi")
        expect(page.get_by_test_id("result-count")).to_have_text("Koleksi terbaru (4 buku)")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
        keep(page, "katalog-375-depan.png")

        # ---- a search, narrowed by facets and sorted
        traffic.reset()
        start = time.monotonic()
        page.get_by_test_id("catalog-search").fill("pelangi")
        page.get_by_test_id("catalog-search").press("Enter")
        expect(page.get_by_test_id("result-count")).to_have_text("3 buku ditemukan untuk “pelangi”")
        search_ms = (time.monotonic() - start) * 1000
        page.wait_for_load_state("networkidle")
        search_bytes = traffic.bytes
        expect(page.get_by_test_id("popular")).to_have_count(0)
        facets = page.get_by_test_id("facets")
        facets.locator("summary").click()
        expect(page.get_by_test_id("facet-collection_type-fiksi")).to_have_text("Fiksi 1")
        expect(page.get_by_test_id("facet-ddc-9")).to_contain_text("900 Sejarah & geografi")
        expect(page.get_by_test_id("facet-available-1")).to_have_text("Tersedia sekarang 3")
        keep(page, "katalog-375-saringan.png")
        page.get_by_test_id("facet-language-id").click()
        expect(page.get_by_test_id("result-count")).to_have_text("2 buku ditemukan untuk “pelangi”")
        expect(page.get_by_test_id("facets").locator("summary")).to_have_text("Saring hasil (1 aktif)")
        page.get_by_test_id("catalog-sort").select_option("year")
        items = page.get_by_test_id("catalog-item").locator(".book-title")
        expect(items).to_have_text(["Pelangi Sains Kelas 7", "Laskar Pelangi"])
        page.get_by_test_id("catalog-sort").select_option("title")
        expect(items).to_have_text(["Laskar Pelangi", "Pelangi Sains Kelas 7"])
        assert "language=id" in page.url and "sort=title" in page.url
        # The filtered link is shareable: opened again, the same results.
        page.reload()
        expect(items).to_have_text(["Laskar Pelangi", "Pelangi Sains Kelas 7"])
        thumb = page.get_by_test_id("catalog-item").first.locator("img.cover-thumb")
        expect(thumb).to_have_attribute("loading", "lazy")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH

        # ---- a book opened cold from its shared link: title, cover, availability per location
        book = page.context.new_page()
        book.goto(f"/#/buku/{books['Laskar Pelangi']}")
        detail = book.get_by_test_id("book-detail")
        expect(detail.get_by_role("heading", level=1)).to_have_text("Laskar Pelangi")
        expect(book).to_have_title("Laskar Pelangi — Pustaka")
        cover = book.get_by_test_id("book-cover")
        expect(cover).to_be_visible()
        book.wait_for_function("() => document.querySelector('[data-testid=book-cover]').naturalWidth > 0")
        where = book.get_by_test_id("availability-by-location").locator("li")
        expect(where).to_have_text(["Rak Fiksi: 2 dari 2 tersedia", "Pojok Baca Kelas 7: 1 dari 1 tersedia"])
        assert book.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
        keep(book, "buku-375-sampul.png")
        book.close()

        # ---- a hold from the phone, as the member
        page.goto("/#/masuk")
        page.get_by_test_id("login-username").fill("sari")
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("user-badge")).to_have_text("sari Anggota")
        page.goto(f"/#/buku/{books['Sang Pemimpi']}")
        page.get_by_test_id("hold-button").click()
        expect(page.locator(".hold-result")).to_have_text("Pesanan dibuat. Posisi antrean: 1.")
        keep(page, "buku-375-pesan.png")
        holds = api.call("GET", f"/members/{member['id']}/holds", None, 200)
        assert [h["book_id"] for h in holds["items"]] == [books["Sang Pemimpi"]], holds

        # ---- the member's own history, and switching it off
        page.goto("/#/akun")
        history = page.get_by_test_id("history").locator("li")
        expect(history).to_have_count(2)
        # Newest first; the loan and the read in the library may share a second, so either order.
        read = history.filter(has_text="Atlas Pelangi Dunia")
        expect(read).to_have_count(1)
        expect(read).to_contain_text("dibaca di perpustakaan")
        expect(history.filter(has_text="Laskar Pelangi")).to_have_count(1)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
        page.get_by_test_id("history").scroll_into_view_if_needed()
        keep(page, "akun-375-riwayat.png")
        page.get_by_test_id("privacy-keep_history").uncheck()
        expect(page.get_by_test_id("history-off")).to_be_visible()
        expect(page.get_by_test_id("privacy-keep_history")).not_to_be_checked()
        page.get_by_test_id("privacy-keep_history").check()
        expect(page.get_by_test_id("history").locator("li")).to_have_count(2)

        # ---- installable: the manifest, with the page's own icon
        manifest = page.request.get("/manifest.webmanifest")
        assert manifest.ok
        assert manifest.json()["icons"][0]["src"] == "/favicon.svg"
        assert page.locator("link[rel=manifest]").count() == 1

        print(
            f"\n[opac-phone] throttled (150 ms RTT, 1.6 Mbit/s): catalogue cold {page_bytes} bytes in "
            f"{page_requests} requests, first result {first_result_ms:.0f} ms; search {search_bytes} bytes, "
            f"results {search_ms:.0f} ms"
        )
        # Generous budgets: a phone on a slow connection still gets the catalogue in seconds.
        assert page_bytes < 250_000, page_bytes
        assert search_bytes < 60_000, search_bytes
        assert first_result_ms < 15_000 and search_ms < 8_000
    finally:
        context.close()
