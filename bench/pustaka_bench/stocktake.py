"""Stock take (#16): scans per second by 16 scanners at once, each copy counted once."""

import threading
import time

from .common import Api, log
from .context import Bench
from .data import shelf_barcodes, shelf_copies


def stocktake(b: Bench, url: str, copies: int | None = None, scanners: int = 16) -> bool:
    """Stock-take scans per second on MariaDB: `scanners` librarians scan `copies` copies at
    once, each copy twice (by two scanners), through one replica; afterwards each copy must
    have been counted exactly once (one `seen` answer and one `already_seen`)."""
    copies = copies or (2_000 if b.quick else 20_000)
    log(f"stock take: {scanners} scanners, {copies:,} copies scanned twice each, mariadb")
    shelf_copies(b, copies)
    port, proc = b.db.replica("stocktake", url)
    token = b.db.login(port)
    st = Api(port, token).call("POST", "/stocktakes", {"name": "bench", "classes": []})
    codes = shelf_barcodes(copies)
    # Every copy twice, by two different scanners: half the scans race for the same copy.
    plan = [codes[i::scanners] for i in range(scanners)]
    work = [plan[i] + plan[(i + 1) % scanners] for i in range(scanners)]
    results, errors, lock = {}, [], threading.Lock()

    def scanner(mine: list[str]) -> None:
        api = Api(port, token)
        seen = {}
        for code in mine:
            try:
                r = api.call(
                    "POST", f"/stocktakes/{st['id']}/scans", {"barcode": code, "location": "Rak 1"}, expect=(200,)
                )
                seen[code] = seen.get(code, ()) + (r["result"],)
            except SystemExit as e:  # Api.call exits on an unexpected status
                with lock:
                    errors.append(str(e))
                return
        with lock:
            for k, v in seen.items():
                results[k] = results.get(k, ()) + v

    threads = [threading.Thread(target=scanner, args=(w,)) for w in work]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    counts = Api(port, token).call("GET", f"/stocktakes/{st['id']}")["counts"]
    b.db.stop(proc)
    scans = sum(len(w) for w in work)
    once = (
        not errors
        and len(results) == copies
        and counts["seen"] == copies
        and all(sorted(v) == ["already_seen", "seen"] for v in results.values())
    )
    rate = scans / elapsed
    b.out.row(
        f"stock-take scans, mariadb, {scanners} scanners",
        f"{rate:,.0f} scans/s",
        f"{scans:,} scans of {copies:,} copies in {elapsed:.1f} s; each copy counted once: "
        f"{'yes' if once else 'NO'}{'; errors ' + errors[0][:200] if errors else ''}",
    )
    b.out.figures["stocktake_scans_per_s"] = round(rate)
    b.out.figures["stocktake_exactly_once"] = once
    return once
