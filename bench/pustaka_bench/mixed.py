"""The mixed desk + catalogue workload through the balancer: peak, then 50% of peak open loop."""

from pathlib import Path

from .common import TERMS, log
from .context import Bench
from .loadgen import lat, load


def mixed(b: Bench, lb: int, token: str, pairs: Path) -> None:
    log("Mixed desk + catalogue workload through the balancer: peak, then 50% of peak")
    terms = ",".join(TERMS.values())
    peak = load(b, lb, "mixed", 64, terms=terms, token=token, pairs=pairs)
    b.out.check_errors(peak, "mixed peak", allowed=(409,))
    b.out.row("mixed 80/15/5 via HAProxy → 2 replicas, closed loop", f"{peak['rps']:,.0f} req/s", f"peak; {lat(peak)}")
    half = load(b, lb, "mixed", 64, rate=peak["rps"] / 2, terms=terms, token=token, pairs=pairs)
    b.out.check_errors(half, "mixed at 50%", allowed=(409,))
    b.out.row(
        "  at 50% of peak, open loop",
        f"{half['latency_ms']['p99']:.2f} ms",
        f"p99 from each request's due time; {lat(half)}; {half['rps']:,.0f} req/s",
    )
    b.out.figures["mixed_p99_ms"] = round(half["latency_ms"]["p99"], 2)
    b.out.figures["mixed_peak_rps"] = round(peak["rps"])
