"""P8: the catalogue's front page against one book by id."""

from .common import log
from .context import Bench
from .loadgen import lat, load


def p8_list(b: Bench, ports: dict[str, int], baselines: dict[str, int] | None = None) -> None:
    """The catalogue's front page (`GET /books?page=1&per_page=20`, no query: what the OPAC
    asks for first) against `GET /books/{id}` on the same replica with the same connections,
    alternating, best of two each (one with --quick). `baselines` (backend -> port of a replica
    of another binary on the same database) are measured the same way in the same rounds."""
    log("P8: the catalogue's front page vs one book by id, same replica, same connections")
    t = b.clients
    servers = [(backend, port, "") for backend, port in ports.items()]
    servers += [(backend, port, " (baseline binary)") for backend, port in (baselines or {}).items()]
    runs = {server: ([], []) for server in servers}
    for _ in range(1 if b.quick else 2):
        for server in servers:  # the rounds alternate between servers too
            gets, lists = runs[server]
            gets.append(load(b, server[1], "get", t))
            lists.append(load(b, server[1], "first-page", t))
    for (backend, _, which), (gets, lists) in runs.items():
        for r in gets + lists:
            b.out.check_errors(r, f"P8 {backend}{which}")
        best_get = max(gets, key=lambda r: r["rps"])
        best_list = max(lists, key=lambda r: r["rps"])
        ratio = round(best_list["rps"] / best_get["rps"], 3)
        b.out.row(
            f"GET /books/{{id}}, {backend}{which}, {t} connections", f"{best_get['rps']:,.0f} req/s", lat(best_get)
        )
        b.out.row(
            f"  GET /books?page=1&per_page=20 (front page), {b.books:,} books",
            f"{best_list['rps']:,.0f} req/s",
            f"{lat(best_list)}; list ÷ get {ratio}",
        )
        key = "p8_list_vs_get" if backend == "mariadb" else f"p8_{backend}_list_vs_get"
        if which:
            key = key.replace("p8_", "p8_baseline_", 1)
        b.out.figures[key] = ratio
