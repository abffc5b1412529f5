"""Setup and checks through the API, beside the page: members (and their cards, as the API issues
them), books with a copy, the open loans."""

from __future__ import annotations

from playwright.sync_api import Page


class Api:
    """Setup and checks through the API with a bearer token (never slowed, never through the page)."""

    def __init__(self, page: Page, password: str):
        self.request = page.context.request
        r = self.request.post("/api/v1/auth/login", data={"username": "admin", "password": password})
        assert r.ok, r.text()
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}
        # The login also set the browser context's session cookie; the page logs in on its own.
        page.context.clear_cookies()

    def call(self, method: str, path: str, body=None, expect_status: int | tuple[int, ...] | None = None):
        r = self.request.fetch(f"/api/v1{path}", method=method, data=body, headers=self.headers)
        if expect_status is not None:
            wanted = expect_status if isinstance(expect_status, tuple) else (expect_status,)
            assert r.status in wanted, f"{method} {path}: {r.status} {r.text()}"
        return r.json() if r.status != 204 else None

    def member(self, name: str, category: str) -> str:
        return self.call("POST", "/members", {"name": name, "category": category}, 201)["card_number"]

    def card_of_nobody(self) -> str:
        """A card number the API issued that now belongs to no member: the card of a member made and
        deleted again (a member who never borrowed may be deleted)."""
        member = self.call("POST", "/members", {"name": "Kartu Lepas", "category": "student"}, 201)
        self.call("DELETE", f"/members/{member['id']}", None, 204)
        return member["card_number"]

    def book_with_copy(self, title: str, barcode: str) -> None:
        book = self.call("POST", "/books", {"title": title, "authors": ["Penulis Uji"]}, 201)
        self.call("POST", f"/books/{book['id']}/copies", {"barcode": barcode}, 201)

    def active_loans(self) -> dict[str, str]:
        """barcode -> card number of every loan not yet returned."""
        loans: dict[str, str] = {}
        for page in range(1, 10):
            data = self.call("GET", f"/loans?status=active&per_page=100&page={page}", None, 200)
            for loan in data["items"]:
                assert loan["barcode"] not in loans, f"two open loans of {loan['barcode']}"
                loans[loan["barcode"]] = loan["card_number"]
            if page * 100 >= data["total"]:
                break
        return loans
