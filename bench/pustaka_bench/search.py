"""P3: catalogue search p95, one client at a time."""

from .common import TERMS, log
from .context import Bench
from .loadgen import lat, load


def p3(b: Bench, ports: dict[str, int]) -> None:
    log("P3: catalogue search p95, limit 20, one client at a time")
    result = {}
    for backend, port in ports.items():
        result[backend] = {}
        for kind, term in TERMS.items():
            r = load(b, port, "search", 1, threads=1, terms=term, seconds=min(b.seconds, 5))
            b.out.check_errors(r, f"search {term}")
            result[backend][kind] = round(r["latency_ms"]["p95"], 2)
            b.out.row(
                f"search {kind} ({term!r}), {backend}, {b.books:,} books",
                f"{r['latency_ms']['p95']:.2f} ms",
                f"p95; {lat(r)}; {r['requests']} requests",
            )
    b.out.figures["p3_search_p95_ms"] = result
