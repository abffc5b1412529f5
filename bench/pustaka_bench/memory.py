"""P5: peak RSS of one replica under 1,000 keep-alive connections."""

from .common import log, rss_kb
from .context import Bench
from .loadgen import lat, load


def p5_rss(b: Bench, url: str) -> None:
    log("P5: peak RSS of one replica under 1,000 keep-alive connections")
    port, proc = b.db.replica("rss", url)
    idle = rss_kb(proc.pid, "VmRSS")
    r = load(b, port, "get", 1000, threads=2)
    b.out.check_errors(r, "1,000 connections")
    peak = rss_kb(proc.pid, "VmHWM")
    b.db.stop(proc)
    b.out.row(
        "peak RSS, 1,000 keep-alive connections",
        f"{peak / 1024:.1f} MB",
        f"idle {idle / 1024:.1f} MB; {r['connected']} connected, {r['rps']:,.0f} req/s, {lat(r)}",
    )
    b.out.figures["p5_rss_mb"] = round(peak / 1024, 1)
