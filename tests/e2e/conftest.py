"""Fixtures for the browser end-to-end tests of Pustaka's page.

Each test gets its OWN server process and its own fresh SQLite database in a temp dir
(function scope): the binary starts in well under a second, and no test can see another's
data. A test marked ``@pytest.mark.seed_demo`` gets the demo catalogue loaded first, by the
binary's own ``seed-demo`` command.

The browser is Debian's Chromium (/usr/bin/chromium), launched once per session; every test
gets a new browser context (no cookies or localStorage carried over).
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Per action / per assertion. The whole file stays well under two minutes.
ACTION_TIMEOUT_MS = 5_000
NAVIGATION_TIMEOUT_MS = 10_000
STARTUP_TIMEOUT_S = 20.0

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SERVING = re.compile(r"Pustaka is serving; open (http://127\.0\.0\.1:\d+)/")

expect.set_options(timeout=ACTION_TIMEOUT_MS)


def _binary() -> Path:
    path = Path(os.environ.get("PUSTAKA_BIN", "target/debug/pustaka"))
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file():
        pytest.fail(f"Pustaka binary not found at {path}; build it with `cargo build` or set PUSTAKA_BIN")
    return path


def _serve(binary: Path, env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str, list[str]]:
    """Starts `pustaka serve` and waits for the line with its address: (process, base URL, log)."""
    proc = subprocess.Popen(
        [str(binary), "serve"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    log: list[str] = []
    lines: queue.Queue[str | None] = queue.Queue()

    def drain():
        # Keeps reading for the server's whole life, so a full pipe can never block it.
        for line in proc.stderr:
            line = ANSI.sub("", line.rstrip("\n"))
            log.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("server did not log its address in time:\n" + "\n".join(log))
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"server exited ({proc.wait()}) before serving:\n" + "\n".join(log))
            if m := SERVING.search(line):
                return proc, m.group(1), log
    except BaseException:
        _stop(proc)
        raise


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class Server:
    base_url: str
    admin_password: str
    db_path: Path
    log: list[str] = field(default_factory=list)
    _binary: Path | None = field(default=None, repr=False)
    _env: dict[str, str] = field(default_factory=dict, repr=False)
    _cwd: Path | None = field(default=None, repr=False)
    _proc: subprocess.Popen | None = field(default=None, repr=False)

    def restart(self, **env: str) -> None:
        """Stops the server (SIGTERM: a clean shutdown) and starts it again on the same address and
        database, with `env` added to its environment (kept for later restarts). The browser's
        origin and its login stay valid; `log` is the new process's."""
        _stop(self._proc)
        self._env.update(env)
        env = dict(self._env, PUSTAKA_LISTEN=self.base_url.removeprefix("http://"))
        self._proc, base_url, log = _serve(self._binary, env, self._cwd)
        assert base_url == self.base_url, (base_url, self.base_url)
        self.log = log


@pytest.fixture
def server(request, tmp_path) -> Server:
    binary = _binary()
    db_path = tmp_path / "pustaka.db"
    env = dict(os.environ)
    env.update(
        PUSTAKA_LISTEN="127.0.0.1:0",
        PUSTAKA_WEB_DIR=str(REPO / "web"),
        PUSTAKA_ADMIN_PASSWORD=secrets.token_urlsafe(18),
        PUSTAKA_DATABASE_URL=f"sqlite://{db_path}?mode=rwc",
        PUSTAKA_LOG_FORMAT="text",
        RUST_LOG="info",  # the readiness line is logged at INFO
    )
    for key in ("PUSTAKA_ADMIN_PASSWORD_FILE", "PUSTAKA_DATABASE_PASSWORD", "PUSTAKA_DATABASE_PASSWORD_FILE"):
        env.pop(key, None)

    if request.node.get_closest_marker("seed_demo"):
        seeded = subprocess.run(
            [str(binary), "seed-demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
        )
        assert seeded.returncode == 0, f"seed-demo failed:\n{seeded.stderr}"

    proc, base_url, log = _serve(binary, env, tmp_path)
    srv = Server(
        base_url=base_url,
        admin_password=env["PUSTAKA_ADMIN_PASSWORD"],
        db_path=db_path,
        log=log,
        _binary=binary,
        _env=env,
        _cwd=tmp_path,
        _proc=proc,
    )
    try:
        yield srv
    finally:
        _stop(srv._proc)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()
