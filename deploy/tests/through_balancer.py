"""The checks every deployment passes through its balancer, whatever runs it: compose
(`deploy/stack test`), the Swarm (`deploy/swarm/swarm test`) and the Galera option
(`deploy/cluster test`). One definition, run by each suite on the deployment it brought up, so that
the three cannot drift apart: the page and its licences, health and readiness, the admin's log in,
the librarian's flow (a book, a copy, a member, a loan, its return), the book read back and found,
the request id, and the requests spread over the replicas."""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote

from deploylib import Api, Checks, request


def book_found(base: str, title: str) -> bool:
    """The book is found by a search through the balancer (no token)."""
    r = request(base, "GET", f"/api/v1/books?q={quote(title, safe='')}")
    data = r.json() if r.status == 200 else None
    return (
        isinstance(data, dict)
        and isinstance(data.get("total"), int)
        and data["total"] >= 1
        and bool(data.get("items"))
        and data["items"][0].get("title") == title
    )


def librarian_flow(base: str, check: Checks, password: str, *, title: str, replicas: int) -> str:
    """The checks through the balancer at BASE, logged in as the admin with PASSWORD; the book is
    titled TITLE and a random tag. Returns the book's title (later checks look for it)."""
    api, tag = Api(base), f"{secrets.randbelow(10**9)}"
    check("GET /healthz through the balancer", api("GET", "/healthz") == 200)
    check("GET /readyz through the balancer (the database answers)", api("GET", "/readyz") == 200)
    page = request(base, "GET", "/")
    check("page: GET / is 200 HTML", page.status == 200 and "<html" in page.text.lower())
    lic = request(base, "GET", "/licenses")
    check(
        "licences: GET /licenses is 200 text/plain and lists the crates and Swagger UI",
        lic.status == 200
        and lic.header("Content-Type") == "text/plain; charset=utf-8"
        and re.search(r"^axum ", lic.text, re.M)
        and re.search(r"^Swagger UI ", lic.text, re.M),
    )
    check("librarian flow: log in as admin", api.login(password))
    title = f"{title} {tag}"
    book = None
    if api("POST", "/api/v1/books", {"title": title, "authors": ["Eka Kurniawan"], "isbn": "9786020332956"}) == 201:
        book = api.field("id")
    check("librarian flow: add a book (201)", book is not None)
    code = api("GET", f"/api/v1/books/{book or 0}", auth=False)
    check(
        "librarian flow: read it back (GET /books/{id}): 200 with its title",
        code == 200 and api.field("title") == title,
    )
    check(
        "librarian flow: add a copy (201)",
        api("POST", f"/api/v1/books/{book or 0}/copies", {"barcode": f"B{tag}"}) == 201,
    )
    member = None
    if api("POST", "/api/v1/members", {"name": "Budi Santoso", "category": "student"}) == 201:
        member = api.field("card_number")
    check("librarian flow: register a member (201)", member is not None)
    check(
        "librarian flow: lend the copy (201)",
        api("POST", "/api/v1/loans", {"barcode": f"B{tag}", "card_number": member or "x"}) == 201,
    )
    check("librarian flow: take it back (200)", api("POST", "/api/v1/returns", {"barcode": f"B{tag}"}) == 200)
    check("librarian flow: search finds the book", book_found, base, title)
    echoed = request(base, "GET", "/healthz", headers={"X-Request-Id": "deploy-test-42"})
    check("X-Request-Id passed through and echoed", echoed.header("X-Request-Id") == "deploy-test-42")
    made = request(base, "GET", "/healthz")
    check("X-Request-Id made by the balancer when absent", bool(made.header("X-Request-Id")))
    served = {request(base, "GET", "/healthz", timeout=5).header("X-Served-By").strip() for _ in range(20)} - {""}
    check(
        f"requests spread over the replicas (X-Served-By: {len(served)} different of {replicas})",
        len(served) >= min(2, replicas),
    )
    return title
