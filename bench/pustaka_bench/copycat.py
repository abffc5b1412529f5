"""Copy cataloguing (#31): a scanned ISBN to a filled form, with a source that answers in 300 ms."""

import http.client
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .common import log
from .context import Bench

SOURCE_DELAY_S = 0.3


def isbn13(n: int) -> str:
    """The n-th ISBN-13 of the 978-602 range (Indonesia's), with its check digit."""
    body = f"978602{n:06d}"
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
    return f"{body}{check}"


class SlowSru(BaseHTTPRequestHandler):
    """An SRU 1.2 server that answers every ISBN with one MARCXML record after 300 ms."""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (the standard library's name)
        isbn = self.path.split("bath.isbn%3D", 1)[-1].split("&", 1)[0]
        time.sleep(SOURCE_DELAY_S)
        body = (
            '<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.2</zs:version>'
            "<zs:numberOfRecords>1</zs:numberOfRecords><zs:records><zs:record><zs:recordSchema>marcxml</zs:recordSchema>"
            '<zs:recordData><record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 i 4500</leader>'
            f'<datafield tag="020" ind1=" " ind2=" "><subfield code="a">{isbn}</subfield></datafield>'
            '<datafield tag="082" ind1="0" ind2="4"><subfield code="a">899.221</subfield></datafield>'
            '<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Penulis, Nama</subfield></datafield>'
            f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Buku {isbn}</subfield></datafield>'
            "</record></zs:recordData></zs:record></zs:records></zs:searchRetrieveResponse>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def copycat(b: Bench, url: str, lookups: int = 10) -> None:
    """`GET /copy-cataloguing` of ISBNs never looked up (the source asked, 300 ms) and again (kept):
    the median time of each, on MariaDB; the page fills the form from the first answer."""
    log(f"copycat: {lookups} ISBN lookups with an SRU source answering in {SOURCE_DELAY_S * 1000:.0f} ms, mariadb")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SlowSru)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port, proc = b.db.replica("copycat", url)
    token = b.db.login(port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def call(method: str, path: str, body=None) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        res = conn.getresponse()
        data = res.read()
        conn.close()
        if res.status not in (200, 201):
            sys.exit(f"bench: {method} {path} answered {res.status}: {data[:300]!r}")
        return json.loads(data)

    source = {"name": f"bench-sru-{httpd.server_address[1]}", "kind": "sru", "timeout_ms": 3000}
    source["url"] = f"http://127.0.0.1:{httpd.server_address[1]}/sru"
    call("POST", "/api/v1/catalogue-sources", source)
    fresh, kept = [], []
    base = int(time.time()) % 900_000  # ISBNs this database has not seen in an earlier run
    for i in range(lookups):
        isbn = isbn13(base + i)
        for times in (fresh, kept):
            t0 = time.monotonic()
            answer = call("GET", f"/api/v1/copy-cataloguing?isbn={isbn}")
            times.append(time.monotonic() - t0)
            found = [s for s in answer["sources"] if s["status"] == "found"]
            if not found or not found[0]["records"]:
                sys.exit(f"bench: the lookup of {isbn} found nothing: {answer}")
    b.db.stop(proc)
    httpd.shutdown()
    httpd.server_close()
    f, k = statistics.median(fresh), statistics.median(kept)
    b.out.row(
        "ISBN scanned → filled form, source answering in 300 ms",
        f"{f * 1000:.0f} ms",
        f"median of {lookups}; kept (the same ISBN again): {k * 1000:.0f} ms",
    )
    b.out.figures["copycat_lookup_s"] = round(f, 3)
    b.out.figures["copycat_kept_s"] = round(k, 3)
