"""P5: peak RSS of one replica under 1,000 keep-alive connections."""

import statistics
from typing import Any

from .common import log, rss_kb
from .context import Bench
from .loadgen import lat, load

CONNECTIONS = 1000

# The measurement serves all 1,000 connections at once: the admission bound of a replica
# (PUSTAKA_MAX_OPEN_CONNECTIONS, 512 by default) would otherwise leave the rest in the listen
# backlog, and the figure would be the RSS at 512 connections.
SERVE_ALL = {"PUSTAKA_MAX_OPEN_CONNECTIONS": str(CONNECTIONS + 24)}


def rss_once(b: Bench, url: str, binary: str | None = None, tag: str = "rss") -> tuple[float, float, dict[str, Any]]:
    """A fresh replica (of `binary`, by default PUSTAKA) under the load: (idle MB, peak MB, loadgen report)."""
    port, proc = b.db.replica(tag, url, extra_env=SERVE_ALL, binary=binary)
    idle = rss_kb(proc.pid, "VmRSS")
    r = load(b, port, "get", CONNECTIONS, threads=2)
    b.out.check_errors(r, f"{CONNECTIONS:,} connections")
    peak = rss_kb(proc.pid, "VmHWM")
    # Where the memory is after the load (not at its peak: the kernel keeps no peak of each): the
    # heap and stacks (anonymous) against the binary's own pages mapped from its file.
    r["rss_after_mb"] = {k: round(rss_kb(proc.pid, f) / 1024, 1) for k, f in (("anon", "RssAnon"), ("file", "RssFile"))}
    b.db.stop(proc)
    return idle / 1024, peak / 1024, r


def p5_rss(b: Bench, url: str) -> None:
    log(f"P5: peak RSS of one replica under {CONNECTIONS:,} keep-alive connections")
    idle, peak, r = rss_once(b, url)
    b.out.row(
        f"peak RSS, {CONNECTIONS:,} keep-alive connections",
        f"{peak:.1f} MB",
        f"idle {idle:.1f} MB; after the load {r['rss_after_mb']['anon']} MB anonymous, "
        f"{r['rss_after_mb']['file']} MB of the binary's file; {r['connected']} connected, "
        f"{r['rps']:,.0f} req/s, {lat(r)}",
    )
    b.out.figures["p5_rss_mb"] = round(peak, 1)


def p5_side_by_side(b: Bench, url: str, baseline_url: str, baseline: str | None) -> None:
    """P5 for this binary (on `url`) and, with `baseline`, another one (on `baseline_url`, the same
    books): three rounds, alternating binaries within each (the order flips every round), the
    median of each."""
    log(f"P5 alone: peak RSS under {CONNECTIONS:,} keep-alive connections, three rounds")
    binaries = [("", None, url)] + ([(" (baseline binary)", baseline, baseline_url)] if baseline else [])
    for _, binary, db_url in binaries:
        # The first start on a database hashes the admin's password (Argon2, 19 MiB): not measured.
        _, proc = b.db.replica("rss-first-start", db_url, binary=binary)
        b.db.stop(proc)
    runs: dict[str, list[tuple[float, float, dict[str, Any]]]] = {which: [] for which, _, _ in binaries}
    for n in range(1 if b.quick else 3):
        for which, binary, db_url in binaries[:: 1 if n % 2 == 0 else -1]:
            runs[which].append(rss_once(b, db_url, binary, tag=f"rss-{n}-{'b' if binary else 'n'}"))
    for which, results in runs.items():
        peak = statistics.median(p for _, p, _ in results)
        b.out.row(
            f"peak RSS, {CONNECTIONS:,} keep-alive connections{which}, median of {len(results)}",
            f"{peak:.1f} MB",
            "; ".join(
                f"{p:.1f} (idle {i:.1f}, {r['connected']} connected, {r['rps']:,.0f} req/s)" for i, p, r in results
            ),
        )
        b.out.figures["p5_baseline_rss_mb" if which else "p5_rss_mb"] = round(peak, 1)
