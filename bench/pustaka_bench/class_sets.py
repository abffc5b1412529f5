"""Textbook class sets (#30): a class of 32 receives one copy each of a title in one request."""

import http.client
import json
import statistics
import sys
import time
from datetime import date, timedelta

from .common import log
from .context import Bench

STUDENTS = 32


def class_sets(b: Bench, url: str, runs: int = 5) -> None:
    """`POST /class-sets` with `assign: true` for a class of 32 (a term around today, the matrix's
    textbook rule "due at the end of the term"): the request's time, median of `runs`, each with a
    title of its own (its 32 copies made here); the class returns each set before the next."""
    log(f"class_sets: a class of {STUDENTS} receives its textbook set in one request, median of {runs}, mariadb")
    port, proc = b.db.replica("class-sets", url)
    token = b.db.login(port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def call(method: str, path: str, body=None, ok=(200, 201)) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        res = conn.getresponse()
        data = res.read()
        conn.close()
        if res.status not in ok:
            sys.exit(f"bench: {method} {path} answered {res.status}: {data[:500]!r}")
        return json.loads(data) if data else {}

    stamp = int(time.time())
    grade = f"B{stamp % 100000}"  # a class of this run's own (at most 20 characters)
    today = date.today()
    terms = call("GET", "/api/v1/terms")
    if not any(t["starts_on"] <= str(today) <= t["ends_on"] for t in terms["items"]):
        call(
            "POST",
            "/api/v1/terms",
            {
                "name": "Semester bench",
                "starts_on": str(today - timedelta(days=3)),
                "ends_on": str(today + timedelta(days=90)),
            },
        )
    call("PUT", "/api/v1/loan-rules/student/paket", {"lendable": True, "due_end_of_term": True, "max_loans": 3})
    for i in range(STUDENTS):
        call("POST", "/api/v1/members", {"name": f"Siswa {grade} {i:02}", "category": "student", "grade": grade})
    times = []
    for r in range(runs):
        book = call(
            "POST",
            "/api/v1/books",
            {"title": f"Buku Paket {grade}-{r}", "authors": ["Kemendikbud"], "collection_type": "paket"},
        )
        barcodes = [f"CS{stamp}-{r}-{i:02}" for i in range(STUDENTS)]
        for bc in barcodes:
            call("POST", f"/api/v1/books/{book['id']}/copies", {"barcode": bc})
        t0 = time.monotonic()
        lent = call("POST", "/api/v1/class-sets", {"grade": grade, "book_id": book["id"], "assign": True})
        times.append(time.monotonic() - t0)
        if len(lent["items"]) != STUDENTS:
            sys.exit(f"bench: the class set lent {len(lent['items'])} copies, not {STUDENTS}")
        call("POST", "/api/v1/class-sets/return", {"grade": grade, "book_id": book["id"], "barcodes": barcodes})
    b.db.stop(proc)
    t = statistics.median(times)
    b.out.row(
        f"textbook class set, a class of {STUDENTS} in one request, mariadb",
        f"{t:.2f} s",
        f"median of {runs} ({', '.join(f'{x:.2f}' for x in times)} s)",
    )
    b.out.figures["class_set_32_s"] = round(t, 2)
