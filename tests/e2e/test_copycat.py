"""Cataloguing a new book with one scan (issue #31).

Three local catalogues answer as the real ones would (no machine here reaches the internet): Open
Library's books API with a cover, a slow SRU server and a broken SLiMS OPAC. The librarian scans
an ISBN on the new-book page: every source's status shows (found, too slow, failed), the Open
Library record fills the form, the book is saved with two copies whose barcodes are made, and the
labels open as a PDF. With every source stopped, the same ISBN is answered from what was kept.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api_client import Api
from test_desk import flash, log_in
from test_layout import keep

ISBN = "9780140328721"
PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "photo.jpg"


class Sources(BaseHTTPRequestHandler):
    """Open Library at /ol, a slow SRU at /slow, a broken SLiMS at /slims."""

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass  # the slow source's caller gave up, as it should

    def do_GET(self):  # noqa: N802 (the standard library's name)
        port = self.server.server_address[1]
        if self.path.startswith("/ol/search.json"):
            doc = {
                "title": "Fantastic Mr. Fox",
                "author_name": ["Roald Dahl"],
                "isbn": [ISBN],
                "first_publish_year": 1970,
            }
            self._send(200, json.dumps({"numFound": 1, "docs": [doc]}).encode(), "application/json")
        elif self.path.startswith("/ol/api/books"):
            body = {
                f"ISBN:{ISBN}": {
                    "title": "Fantastic Mr. Fox",
                    "authors": [{"name": "Roald Dahl"}],
                    "identifiers": {"isbn_13": [ISBN]},
                    "publishers": [{"name": "Puffin"}],
                    "publish_date": "October 1, 1988",
                    "number_of_pages": 96,
                    "subjects": [{"name": "Foxes"}],
                    "classifications": {"dewey_decimal_class": ["823.914"]},
                    "cover": {"medium": f"http://127.0.0.1:{port}/cover.jpg"},
                }
            }
            self._send(200, json.dumps(body).encode(), "application/json")
        elif self.path.startswith("/cover.jpg"):
            self._send(200, PHOTO.read_bytes(), "image/jpeg")
        elif self.path.startswith("/slow"):
            time.sleep(2)  # past the source's 600 ms limit; bounded
            self._send(200, b"<searchRetrieveResponse/>", "text/xml")
        else:
            self._send(500, b"<html><body>Fatal error: Uncaught mysqli_sql_exception</body></html>", "text/html")


@pytest.fixture
def sources():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Sources)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_scanned_isbn_becomes_a_book_with_copies_and_labels(page: Page, server, sources):
    base = f"http://127.0.0.1:{sources.server_address[1]}"
    api = Api(page, server.admin_password)
    api.call("POST", "/catalogue-sources", {"name": "Open Library", "kind": "openlibrary", "url": f"{base}/ol/"}, 201)
    api.call(
        "POST",
        "/catalogue-sources",
        {"name": "SRU Lambat", "kind": "sru", "url": f"{base}/slow", "timeout_ms": 600},
        201,
    )
    api.call("POST", "/catalogue-sources", {"name": "SLiMS Rusak", "kind": "slims", "url": f"{base}/slims/"}, 201)
    log_in(page, "admin", server.admin_password, "Admin")

    page.goto("/#/koleksi/baru")
    isbn = page.get_by_test_id("copycat-isbn")
    expect(isbn).to_be_focused()
    # The scanner types the ISBN and presses Enter.
    isbn.fill(ISBN)
    isbn.press("Enter")
    sources_list = page.get_by_test_id("copycat-source")
    expect(sources_list).to_have_count(3)
    expect(page.locator("[data-testid=copycat-source][data-status=found]")).to_contain_text("Open Library")
    expect(page.locator("[data-testid=copycat-source][data-status=timed_out]")).to_contain_text("SRU Lambat")
    expect(page.locator("[data-testid=copycat-source][data-status=failed]")).to_contain_text("SLiMS Rusak")
    expect(page.locator("[data-testid=copycat-source][data-status=timed_out]")).to_contain_text("terlalu lama")

    record = page.get_by_test_id("copycat-record")
    expect(record).to_have_count(1)
    expect(record).to_contain_text("Fantastic Mr. Fox")
    keep(page, "salin-katalog-hasil.png")
    # The first record's button has the focus: Enter takes it.
    expect(record.get_by_test_id("copycat-use")).to_be_focused()
    page.keyboard.press("Enter")
    expect(flash(page)).to_contain_text("Open Library")
    form = page.get_by_test_id("book-form")
    expect(form.locator("input[name=title]")).to_have_value("Fantastic Mr. Fox")
    expect(form.locator("input[name=authors]")).to_have_value("Roald Dahl")
    expect(form.locator("input[name=isbn]")).to_have_value(ISBN)
    expect(form.get_by_test_id("book-classification")).to_have_value("823.914")
    # The call number is suggested from the class, the author and the title when saved.
    page.get_by_test_id("book-copies").fill("2")
    page.get_by_test_id("book-location").fill("Rak A")
    page.get_by_test_id("book-save").click()

    created = page.get_by_test_id("book-created")
    expect(created).to_contain_text("tersimpan dengan 2 eksemplar")
    barcodes = page.get_by_test_id("book-barcodes").inner_text().strip().split(", ")
    assert len(barcodes) == 2, barcodes
    # The scan field is ready for the next book.
    expect(isbn).to_be_focused()
    keep(page, "salin-katalog-tersimpan.png")
    # The labels of the two copies, as a PDF.
    with page.context.expect_page() as popup:
        page.get_by_test_id("book-labels").click()
    popup.value.close()
    expect(page.get_by_test_id("print-open")).to_be_visible()

    books = api.call("GET", f"/books?q={ISBN}", None, 200)["items"]
    assert len(books) == 1 and books[0]["call_number"] == "823.914 DAH f", books
    copies = api.call("GET", f"/books/{books[0]['id']}/copies", None, 200)["items"]
    assert sorted(c["barcode"] for c in copies) == sorted(barcodes)
    assert all(c["location"] == "Rak A" for c in copies)

    # The cover was kept: the book's page shows it.
    deadline = time.monotonic() + 10
    while page.request.get(f"/api/v1/covers/{ISBN}").status != 200:
        assert time.monotonic() < deadline, "no cover kept within 10 s"
        time.sleep(0.1)
    page.goto(f"/#/buku/{books[0]['id']}")
    cover = page.get_by_test_id("book-cover")
    expect(cover).to_be_visible()
    # The image loads lazily: wait (bounded) until it has been decoded, then it has a width.
    page.wait_for_function(
        "(() => { const i = document.querySelector('[data-testid=book-cover]'); return i && i.complete && i.naturalWidth > 0; })()",
        timeout=10_000,
    )
    keep(page, "salin-katalog-sampul.png")

    # A title typed instead of an ISBN: a search by words.
    page.goto("/#/koleksi/baru")
    page.get_by_test_id("copycat-isbn").fill("fantastic fox")
    page.get_by_test_id("copycat-isbn").press("Enter")
    expect(page.locator("[data-testid=copycat-record][data-source='Open Library']")).to_contain_text("Roald Dahl")
    expect(page.get_by_test_id("copycat-local")).to_have_text("Fantastic Mr. Fox")

    # Every source stopped: the same ISBN is answered from what was kept.
    sources.shutdown()
    sources.server_close()
    page.goto("/#/koleksi/baru")
    page.get_by_test_id("copycat-isbn").fill(ISBN)
    page.get_by_test_id("copycat-isbn").press("Enter")
    expect(page.locator("[data-testid=copycat-source][data-status=found]")).to_contain_text("dari simpanan")
    expect(page.get_by_test_id("copycat-local")).to_have_text("Fantastic Mr. Fox")
    expect(page.get_by_test_id("copycat-cover")).to_be_visible()


def test_the_admin_sets_the_sources_in_the_page(page: Page, server):
    log_in(page, "admin", server.admin_password, "Admin")
    page.goto("/#/admin/sumber")
    new = page.get_by_test_id("source-new")
    new.locator("input[name=name]").fill("SLiMS SMA 1")
    new.locator("select[name=kind]").select_option("slims")
    new.locator("input[name=url]").fill("ftp://opac.example")
    new.get_by_role("button", name="Tambah sumber").click()
    expect(new.locator(".field-error:visible")).to_be_visible()
    new.locator("input[name=url]").fill("https://opac.example.sch.id")
    new.get_by_role("button", name="Tambah sumber").click()
    expect(flash(page)).to_have_text("Tersimpan.")
    expect(page.get_by_test_id("sources-table")).to_contain_text("https://opac.example.sch.id/")
    keep(page, "salin-katalog-sumber.png")
