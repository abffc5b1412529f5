"""Fixtures of the deploy test suites (`deploy/stack test`, `deploy/stack faults`, ...).

Every fixture undoes what it did at teardown, also when a test fails or the run is interrupted
(Ctrl-C, SIGTERM), as the EXIT traps of the bash suites did: the compose project is taken down
(volumes too; KEEP=1 keeps it), the test's network namespace and veth pair are deleted, the
firewall rules removed, the listeners and the load generator stopped.

Figures (results as data): a test puts them into the `results` fixture; at the end they are
written as one JSON object to --results FILE (if given) and printed as the last line.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploylib import (
    NETWORK_LOCK,
    Checks,
    FaultLoad,
    anonymous_volumes,
    build_loadgen,
    down,
    env,
    flock,
    ok,
    out,
    run,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--results", metavar="FILE", help="write the run's figures there as one JSON object")
    parser.addoption("--quick", action="store_true", help="the short run (CI): fewer replicas, shorter waits")
    parser.addoption("--no-swarm", action="store_true", help="deploy/cluster faults: without the Swarm part")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESULTS] = {}
    # SIGTERM as Ctrl-C: the fixtures' teardown runs (the bash suites trapped TERM too)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


RESULTS = pytest.StashKey[dict]()


def pytest_unconfigure(config: pytest.Config) -> None:
    figures = config.stash.get(RESULTS, {})
    if not figures:
        return
    line = json.dumps(figures, separators=(",", ":"))
    if config.getoption("--results", None):
        Path(config.getoption("--results")).write_text(line + "\n")
    print(line, flush=True)  # the last line, as the bash suites printed it (deploy/cluster reads it)


@pytest.fixture(scope="session")
def results(pytestconfig: pytest.Config) -> dict:
    """The run's figures (JSON values), in the order they are set."""
    return pytestconfig.stash[RESULTS]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test with failed soft checks (the `check` fixture) fails at its end."""
    outcome = yield
    check = getattr(item, "funcargs", {}).get("check")
    if isinstance(check, Checks) and check.failed:
        pytest.fail(f"{len(check.failed)} check(s) failed: " + "; ".join(check.failed), pytrace=False)
    return outcome


@pytest.fixture
def check(tally: Counter) -> Checks:
    """check(NAME, CONDITION, *ARGS): a named check that does not stop the test (see Checks)."""
    return Checks(tally)


@pytest.fixture(scope="session")
def tally() -> Counter:
    """The checks of the whole run: how many passed and failed."""
    return Counter()


@pytest.fixture(scope="session")
def workdir():
    """A private directory for the run's files (the bash suites' $T), removed at the end."""
    with tempfile.TemporaryDirectory(prefix="pustaka-deploy-test.") as d:
        yield Path(d)


@dataclass
class Ports:
    http: str = field(default_factory=lambda: env("PORT", "8080"))
    https: str = field(default_factory=lambda: env("HTTPS_PORT", "8443"))
    stats: str = field(default_factory=lambda: env("STATS_PORT", "8404"))
    db: str = field(default_factory=lambda: env("DB_PORT", "3306"))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    @property
    def https_base(self) -> str:
        return f"https://localhost:{self.https}"


@pytest.fixture(scope="session")
def ports() -> Ports:
    return Ports()


@pytest.fixture(scope="session")
def project() -> str:
    return env("COMPOSE_PROJECT_NAME", "pustaka")


@pytest.fixture(scope="module")
def compose(project: str):
    """The compose project: taken down (volumes too) before the module and again after it, whatever
    happened (KEEP=1 keeps it at the end). Yields the anonymous volumes that existed before."""
    env("STANDIN_WEB_IMAGE")  # the tool made the images
    down()
    before = set(anonymous_volumes())
    try:
        yield before
    finally:
        if os.environ.get("KEEP") != "1":
            down()


# ---- a network namespace of the test's own -------------------------------------------------------


@dataclass
class Netns:
    """A namespace NS joined to the host by a veth pair (VH on the host, VN in NS): IPv4 /30 and IPv6
    /126 addresses, H4/H6 the host's end."""

    ns: str
    vh: str
    vn: str
    h4: str = ""
    n4: str = ""
    h6: str = ""
    n6: str = ""

    def answers(self, addr: str, port: int | str) -> bool:
        """A TCP connection from the namespace to ADDR:PORT succeeds within 3 s."""
        return ok(["ip", "netns", "exec", self.ns, "timeout", "3", "bash", "-c", f"exec 3<>/dev/tcp/{addr}/{port}"])

    def silent(self, addr: str, port: int | str) -> bool:
        return not self.answers(addr, port)


@pytest.fixture(scope="class")
def netns():
    """The namespace and veth pair (a free /30 in 10.213.77.0/24, a /126 in fd7a:7a3b:5e0e::/48),
    made while holding the network lock (two stack tests on one machine take turns; a Swarm test
    holds it too); deleted at teardown, then the lock released."""
    pid = os.getpid()
    n = Netns(ns=f"pustaka-t{pid}", vh=f"pk{pid}h", vn=f"pk{pid}n")
    with flock(NETWORK_LOCK, 600):
        try:
            used = out(["ip", "-o", "addr", "show"])
            for i in range(64):
                if f" 10.213.77.{i * 4 + 1}/" not in used:
                    n.h4, n.n4 = f"10.213.77.{i * 4 + 1}", f"10.213.77.{i * 4 + 2}"
                    n.h6, n.n6 = f"fd7a:7a3b:5e0e:{i}::1", f"fd7a:7a3b:5e0e:{i}::2"
                    break
            else:
                raise RuntimeError("no free test addresses in 10.213.77.0/24")
            for cmd in (
                ["ip", "netns", "add", n.ns],
                ["ip", "link", "add", n.vh, "type", "veth", "peer", "name", n.vn, "netns", n.ns],
                ["ip", "addr", "add", f"{n.h4}/30", "dev", n.vh],
                ["ip", "-6", "addr", "add", f"{n.h6}/126", "dev", n.vh, "nodad"],
                ["ip", "link", "set", n.vh, "up"],
                ["ip", "-n", n.ns, "addr", "add", f"{n.n4}/30", "dev", n.vn],
                ["ip", "-n", n.ns, "-6", "addr", "add", f"{n.n6}/126", "dev", n.vn, "nodad"],
                ["ip", "-n", n.ns, "link", "set", n.vn, "up"],
                ["ip", "-n", n.ns, "link", "set", "lo", "up"],
            ):
                r = run(cmd)
                if r.returncode != 0:
                    raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
            yield n
        finally:
            run(["ip", "netns", "del", n.ns])
            run(["ip", "link", "del", n.vh])


# ---- the fault load ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def loadgen() -> Path:
    """bench/loadgen's binary (built unless PUSTAKA_LOADGEN names one)."""
    return build_loadgen()


@pytest.fixture(scope="module")
def load(loadgen: Path, workdir: Path, request: pytest.FixtureRequest):
    """The fault load of a module (`pustaka-loadgen faults run`), not started yet: .start(base,
    password), .phase(name), .reckon(db_titles); stopped at teardown whatever happened."""
    suite = getattr(request.module, "RUN_ID_PREFIX", "faults")
    d = workdir / f"load-{request.module.__name__}"
    d.mkdir()
    fl = FaultLoad(loadgen, d, f"{suite}-{int(time.time())}-{os.getpid()}")
    try:
        yield fl
    finally:
        fl.stop()
