"""One run: its settings, its servers and what it measured so far."""

import argparse
from pathlib import Path

from .output import Output, Scale
from .servers import Servers


class Bench:
    """A run of the benchmark: how big (from the command line), the servers it started, the results."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.books: int = args.books or (20_000 if self.quick else 1_000_000)
        self.seconds: float = args.seconds or (2.0 if self.quick else 10.0)
        self.warmup = 0.5 if self.quick else 1.0
        self.clients: int = args.clients
        self.db = Servers()
        self.work = self.db.work
        self.out = Output()
        self.sqlite_file: Path = self.work / "bench.db"
        self.sysbench_ready = False

    def report(self) -> None:
        """The goals and the JSON line; RESULTS.md too unless --no-write."""
        scale = Scale(self.quick, self.books, self.seconds, self.warmup, self.clients)
        self.out.report(scale, write=not self.args.no_write)
