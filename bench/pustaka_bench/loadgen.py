"""Driving bench/loadgen: one run of the load generator, its JSON report."""

import json
from typing import Any

from .common import LOADGEN, run
from .context import Bench


def load(
    b: Bench,
    port: int,
    scenario: str,
    connections: int,
    threads: int = 2,
    rate: float | None = None,
    seconds: float | None = None,
    **opts: object,
) -> dict[str, Any]:
    """One run of bench/loadgen against 127.0.0.1:`port` (`opts`: more flags, `terms=` is `--terms`); its JSON line.
    The measured window is `seconds` (by default the run's), after the run's warm-up."""
    cmd = command(b, port, scenario, connections, threads, int(rate) if rate else None, seconds, **opts)
    out = run(cmd).stdout.strip().splitlines()
    return json.loads(out[-1])


def command(
    b: Bench,
    port: int,
    scenario: str,
    connections: int,
    threads: int = 2,
    rate: float | None = None,
    seconds: float | None = None,
    **opts: object,
) -> list[str]:
    """The command line of `load` (`rate` as given: fractions of a request per second too), for
    running several loads at once."""
    cmd = [
        str(LOADGEN),
        "--url",
        f"http://127.0.0.1:{port}",
        "--scenario",
        scenario,
        "--connections",
        str(connections),
        "--threads",
        str(threads),
        "--duration",
        str(seconds or b.seconds),
        "--warmup",
        str(b.warmup),
        "--max-id",
        str(b.books),
    ]
    if rate:
        cmd += ["--rate", str(rate)]
    for k, v in opts.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    return cmd


def lat(r: dict[str, Any]) -> str:
    """The latency percentiles of a loadgen report, for the table."""
    m = r["latency_ms"]
    return f"p50 {m['p50']:.2f} / p95 {m['p95']:.2f} / p99 {m['p99']:.2f} ms"
