"""Paths, process and HTTP helpers every part of the benchmark uses."""

import contextlib
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

LOADGEN = ROOT / "bench/loadgen/target/release/pustaka-loadgen"

PUSTAKA = Path(os.environ.get("PUSTAKA_BIN", ROOT / "target/release/pustaka"))

TERMS = {"rare": "nusantara", "medium": "kimia", "common": "sejarah", "prefix": "sejar"}


def log(msg: str) -> None:
    print(f"\033[1m== {msg}\033[0m", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Runs a command, failing loudly with its output."""
    kw.setdefault("check", True)
    kw.setdefault("text", True)
    kw.setdefault("capture_output", True)
    try:
        return subprocess.run(cmd, **kw)
    except subprocess.CalledProcessError as e:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed ({e.returncode}):\n{e.stdout or ''}{e.stderr or ''}")


def wait_until(what: str, check: Callable[[], bool], seconds: float = 60) -> None:
    """Polls `check` (a readiness probe, not a timed sleep) until it is true or time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if check():
                return
        time.sleep(0.02)
    sys.exit(f"bench: {what} not ready after {seconds} s")


def http_status(port: int, path: str) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        c.request("GET", path)
        return c.getresponse().status
    finally:
        c.close()


class Api:
    """A keep-alive JSON client for setting up data through the API."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.conn.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
        res = self.conn.getresponse()
        data = res.read()
        if res.status not in expect:
            sys.exit(f"bench: {method} {path} answered {res.status}: {data[:300]!r}")
        return json.loads(data) if data else None


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")
