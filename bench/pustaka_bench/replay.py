"""The offline desk's replay (#33): queued actions sent per second on reconnect, and again.

A desk that was offline sends its queue as the page does (web/js/offline.js): one action at a
time, in order, on one connection, each a checkout or a return with its Idempotency-Key and the
time it was scanned. Measured: the queue's first sending (the work done), then the same queue sent
once more, as a tab that lost the answers would (every answer given again from the kept keys, no
work). Exactly once: each copy lent once and returned once, every second answer replayed.
"""

import http.client
import json
import time
from datetime import UTC, datetime, timedelta

from .common import Api, log
from .context import Bench


def send_queue(port: int, token: str, queue: list[tuple[str, dict, str]]) -> tuple[float, int, list[str]]:
    """Sends `queue` (path, body, key) in order on one keep-alive connection: (seconds, answers
    replayed, unexpected answers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    replayed, bad = 0, []
    started = time.perf_counter()
    for path, body, key in queue:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Idempotency-Key": key}
        conn.request("POST", "/api/v1" + path, json.dumps(body), headers)
        res = conn.getresponse()
        data = res.read()
        if res.status not in (200, 201):
            bad.append(f"{path} {res.status} {data[:120]!r}")
        replayed += res.getheader("Idempotency-Replayed") == "true"
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, replayed, bad


def replay(b: Bench, backend: str, url: str, actions: int | None = None) -> bool:
    """Queued actions per second on `backend`: `actions` / 2 copies each lent to one member and
    returned, as a queue scanned over the last hour."""
    actions = actions or (200 if b.quick else 1000)
    copies = actions // 2
    log(f"offline desk replay: {actions} queued actions sent, then sent again, {backend}")
    port, proc = b.db.replica(f"replay-{backend}", url)
    token = b.db.login(port)
    api = Api(port, token)
    api.call(
        "PUT",
        "/categories/bench-replay",
        {
            "name": "Bench replay",
            "max_loans": 5,
            "loan_days": 7,
            "max_renewals": 1,
            "fine_per_day": 0,
            "max_fine_per_loan": 0,
            "fine_limit": 0,
            "hold_pickup_days": 3,
        },
    )
    card = api.call("POST", "/members", {"name": f"Bench Replay {backend}", "category": "bench-replay"})["card_number"]
    book = api.call("POST", "/books", {"title": f"Buku replay {backend}", "authors": ["Penulis"]})["id"]
    codes = [f"REPLAY-{backend}-{i:05d}" for i in range(copies)]
    for code in codes:
        api.call("POST", f"/books/{book}/copies", {"barcode": code})
    # Scanned over the last hour, a second apart.
    start = datetime.now(UTC) - timedelta(hours=1)
    at = [(start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z") for i in range(actions)]
    # Each copy lent, then brought back a second later (so the member never holds more than one).
    queue = []
    for i, c in enumerate(codes):
        queue.append(
            ("/loans", {"barcode": c, "card_number": card, "scanned_at": at[2 * i]}, f"bench-{backend}-out-{i}")
        )
        queue.append(("/returns", {"barcode": c, "scanned_at": at[2 * i + 1]}, f"bench-{backend}-back-{i}"))

    first_s, first_replayed, first_bad = send_queue(port, token, queue)
    again_s, again_replayed, again_bad = send_queue(port, token, queue)
    api = Api(port, token)  # a fresh connection: the setup's was idle meanwhile
    loans = api.call("GET", f"/loans?status=all&barcode={codes[0]}")["total"]
    member = api.call("GET", f"/members?q={card}")["items"][0]["id"]
    member_loans = api.call("GET", f"/loans?status=all&member_id={member}&per_page=1")["total"]
    still_out = api.call("GET", f"/loans?status=active&member_id={member}&per_page=1")["total"]
    b.db.stop(proc)

    broken = first_bad + again_bad
    if first_replayed:
        broken.append(f"{first_replayed} first answers were replays")
    if again_replayed != actions:
        broken.append(f"{again_replayed} of {actions} second answers replayed")
    if (loans, member_loans, still_out) != (1, copies, 0):
        broken.append(f"loans of one copy {loans}, of the member {member_loans} (want {copies}), out {still_out}")
    once = not broken
    first_rate, again_rate = actions / first_s, actions / again_s
    suffix = "" if backend == "mariadb" else f"_{backend}"
    b.out.figures[f"replay{suffix}_actions_per_s"] = round(first_rate)
    b.out.figures[f"replay{suffix}_again_per_s"] = round(again_rate)
    b.out.figures[f"replay{suffix}_exactly_once"] = once
    b.out.row(
        f"offline desk replay, {backend}, {actions} queued actions on one connection",
        f"{first_rate:,.0f} actions/s",
        f"sent again (answers kept): {again_rate:,.0f}/s; exactly once: {'yes' if once else 'NO: ' + '; '.join(broken[:3])}",
    )
    return once
