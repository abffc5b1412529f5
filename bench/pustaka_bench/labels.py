"""Barcode labels (#17): the PDF of 1,000 copies."""

import http.client
import json
import statistics
import sys
import time

from .common import log
from .context import Bench
from .data import shelf_barcodes, shelf_copies


def labels(b: Bench, url: str, copies: int = 1000) -> None:
    """`POST /print/labels` of `copies` copies by barcode (the stock take's ST- copies, made here
    if missing): the PDF's time, median of three, on MariaDB."""
    log(f"labels: the barcode labels PDF of {copies:,} copies, mariadb")
    shelf_copies(b, copies, if_missing=True)
    port, proc = b.db.replica("labels", url)
    token = b.db.login(port)
    body = json.dumps({"barcodes": shelf_barcodes(copies)})
    times, size = [], 0
    for _ in range(3):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        t0 = time.monotonic()
        conn.request(
            "POST",
            "/api/v1/print/labels",
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        res = conn.getresponse()
        data = res.read()
        times.append(time.monotonic() - t0)
        conn.close()
        if res.status != 200 or not data.startswith(b"%PDF"):
            sys.exit(f"bench: POST /print/labels answered {res.status}: {data[:300]!r}")
        size = len(data)
    b.db.stop(proc)
    t = statistics.median(times)
    b.out.row(
        f"barcode labels PDF, {copies:,} copies, mariadb",
        f"{t:.2f} s",
        f"median of 3 ({', '.join(f'{x:.2f}' for x in times)} s); {size / 1e6:.1f} MB",
    )
    b.out.figures["labels_1000_s"] = round(t, 2)
