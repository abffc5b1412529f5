"""What the deploy test suites share: commands (compose, docker, the database), HTTP with a bearer
token, waits bounded in time, soft checks, and the fault load of bench/loadgen.

The suites run from the repository's root, started by the operator tools (`deploy/stack test`,
`deploy/stack faults`, ...), which set the environment: COMPOSE_PROJECT_NAME, COMPOSE_FILE, the
ports (PORT, HTTPS_PORT, STATS_PORT, DB_PORT) and the stand-in images (STANDIN_*_IMAGE).
Python 3.11 standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
# The network and firewall checks of `deploy/stack test` and a Swarm's life (which adds firewall
# rules of the engine's own) take turns on this lock.
NETWORK_LOCK = Path("/run/lock/pustaka-stack-test.lock")


def log(message: str) -> None:
    """A step of the run, in bold on stderr (as deploy/lib.sh's `log`)."""
    print(f"\033[1m== {message}\033[0m", file=sys.stderr, flush=True)


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"{name} is not set: run the suite through its tool (deploy/stack test, ...)")
    return value


# ---- commands -----------------------------------------------------------------------------------


def run(
    args: list[str], *, input: str | None = None, timeout: float = 120, env_add: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """ARGS run from the repository's root, output captured as text; a timeout is an exit code of 124."""
    environ = {**os.environ, **(env_add or {})}
    try:
        return subprocess.run(
            args,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            env=environ,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return subprocess.CompletedProcess(args, 124, out, f"timed out after {timeout} s")


def ok(args: list[str], **kw: Any) -> bool:
    """ARGS succeed (exit code 0)."""
    return run(args, **kw).returncode == 0


def out(args: list[str], **kw: Any) -> str:
    """ARGS' standard output, stripped ('' when they fail)."""
    r = run(args, **kw)
    return r.stdout.strip() if r.returncode == 0 else ""


def docker(*args: str, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run(["docker", *args], timeout=timeout, input=input)


def inspect(fmt: str, *ids: str) -> str:
    """`docker inspect -f FMT IDS`, '' when it fails."""
    return out(["docker", "inspect", "-f", fmt, *ids]) if ids else ""


_DC: list[str] | None = None
# docker-compose 1.29 warns on every call that the admin password's secret file /dev/null is
# "undefined" (compose.yaml: no file chosen); it is meant to be empty, and the warning is left out.
_NOISE = re.compile(r".*uses an undefined secret file \"/dev/null\".*\n?")


def dc(*args: str, timeout: float = 300, input: str | None = None, env_add: dict[str, str] | None = None):
    """`docker compose ARGS`, else docker-compose (1.x): the CompletedProcess."""
    global _DC
    if _DC is None:
        _DC = ["docker", "compose"] if ok(["docker", "compose", "version"]) else ["docker-compose"]
    r = run([*_DC, *args], timeout=timeout, input=input, env_add=env_add)
    r.stderr = _NOISE.sub("", r.stderr or "")
    return r


def dc_ids(*services: str) -> list[str]:
    """The ids of the project's containers (of SERVICES, or all)."""
    return dc("ps", "-q", *services).stdout.split()


def wait_until(predicate: Callable[[], Any], seconds: float, interval: float = 0.5) -> Any:
    """Calls PREDICATE until it returns something true or SECONDS have passed; its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_healthy(seconds: float) -> bool:
    """Until every running container of the project is healthy, and the balancer too (lib.sh)."""

    def healthy() -> bool:
        ids = dc_ids()
        if not ids:
            return False
        states = [
            s
            for s in inspect(
                "{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", *ids
            ).split()
            if not s.startswith("exited/")
        ]
        if any(re.search(r"starting|unhealthy|restarting|created", s) for s in states):
            return False
        return inspect("{{.State.Health.Status}}", *dc_ids("lb")) == "healthy"

    if wait_until(healthy, seconds, 2):
        return True
    print(f"not healthy after {seconds} s", file=sys.stderr)
    print(dc("ps").stdout, file=sys.stderr)
    return False


def admin_password() -> str:
    """The first admin password, from the `secrets` service."""
    return re.sub(r"[\r\n]", "", dc("run", "--rm", "-T", "secrets", "show-admin-password", timeout=120).stdout)


# mariadb with the application's password from the container's secrets, never on a command line
_CLIENT = (
    'exec mariadb --defaults-extra-file=<(printf "[client]\\nuser=pustaka\\npassword=%s\\n" '
    '"$(cat /run/secrets/db_password)") -N -B pustaka'
)


def db_sql(sql: str) -> str | None:
    """SQL as the application user in the `db` container: its output, None when it failed."""
    r = dc("exec", "-T", "db", "bash", "-c", _CLIENT, input=sql, timeout=120)
    return r.stdout if r.returncode == 0 else None


def fingerprint(sql: Callable[[str], str | None] = db_sql) -> str | None:
    """A checksum of every table of the application's database (None when it cannot be read)."""
    tables = (
        sql(
            "SELECT GROUP_CONCAT(CONCAT('`', table_name, '`') ORDER BY table_name) FROM information_schema.tables "
            "WHERE table_schema = 'pustaka' AND table_type = 'BASE TABLE'"
        )
        or ""
    ).strip()
    if not tables or tables == "NULL":
        return None
    return sql(f"CHECKSUM TABLE {tables}")


def web_ids() -> list[str]:
    """The running web replicas' container ids."""
    ids = dc_ids("web")
    return [i for i in inspect("{{if .State.Running}}{{.Id}}{{end}}", *ids).split() if i] if ids else []


def up_servers(stats_port: str) -> int:
    """How many web servers the balancer's stats page shows UP."""
    r = request(f"http://127.0.0.1:{stats_port}", "GET", "/;csv", timeout=3)
    lines = r.text.splitlines() if r.status == 200 else []
    return sum(1 for line in lines if (f := line.split(",")) and len(f) > 17 and f[0] == "web" and f[17] == "UP")


def health_of(container: str) -> str:
    """Its health status (starting, healthy, unhealthy), or its state when it does not run."""
    return inspect("{{if .State.Running}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", container)


def replicas_ready(n: int, seconds: float, stats_port: str) -> bool:
    """N web containers healthy and N servers UP in the balancer, within SECONDS."""

    def ready() -> bool:
        healthy = inspect("{{.State.Health.Status}}", *dc_ids("web")).split().count("healthy")
        return healthy >= n and up_servers(stats_port) >= n

    if wait_until(ready, seconds):
        return True
    print(f"PROBLEM  not {n} healthy replicas up in the balancer after {seconds} s ({up_servers(stats_port)} up)")
    return False


def stack_up(replicas: int = 3, seconds: float = 240) -> bool:
    """compose up with REPLICAS web replicas, until all healthy; the logs' tail when not."""
    r = dc("up", "-d", "--no-build", "--scale", f"web={replicas}", timeout=seconds)
    if r.returncode == 0 and wait_healthy(seconds):
        return True
    print("\n".join((r.stdout + r.stderr).splitlines()[-5:]))
    print("\n".join(dc("logs", "--tail=20").stdout.splitlines()[-60:]))
    return False


def down(volumes: bool = True) -> None:
    args = ["down", "-v", "--remove-orphans"] if volumes else ["down"]
    dc(*args, timeout=300)


def anonymous_volumes() -> list[str]:
    """The engine's anonymous volumes (64 hex digits)."""
    return [v for v in docker("volume", "ls", "-q").stdout.split() if re.fullmatch(r"[0-9a-f]{64}", v)]


def docker_time(text: str) -> float:
    """Docker's time stamp (2026-12-06T17:20:01.123456789Z) as epoch seconds (0.0 when it is none)."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?", text.strip())
    if not m:
        return 0.0
    whole = datetime.fromisoformat(m.group(1) + "+00:00").timestamp()
    return whole + float(m.group(2) or 0)


def random_password() -> str:
    """18 random bytes in URL-safe base64 (the chosen admin passwords of the tests)."""
    return secrets.token_urlsafe(18)


# ---- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int  # 0: no answer (refused, reset, timed out)
    headers: http.client.HTTPMessage | None = None
    body: bytes = b""
    error: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str:
        return (self.headers.get(name) or "") if self.headers else ""


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ADDRESS, named as the host given (curl's --resolve): SNI, Host and the check of the name."""

    def __init__(self, host: str, port: int, address: str, **kw: Any):
        super().__init__(host, port, **kw)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
    cafile: str | Path | None = None,
) -> Response:
    """One request on a connection of its own, redirects not followed. BODY: JSON (a dict or list),
    or str/bytes sent as application/json. HTTPS trusts only CAFILE and connects to 127.0.0.1."""
    url = urlsplit(base)
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    data: bytes | None = None
    if body is not None:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        hdrs.setdefault("Content-Type", "application/json")
    port = url.port or (443 if url.scheme == "https" else 80)
    if url.scheme == "https":
        ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the self-signed certificate is its own anchor (as curl)
        conn: http.client.HTTPConnection = _PinnedHTTPS(
            url.hostname or "", port, "127.0.0.1", timeout=timeout, context=ctx
        )
    else:
        conn = http.client.HTTPConnection(url.hostname or "", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    except (OSError, http.client.HTTPException) as e:
        return Response(0, error=str(e))
    finally:
        conn.close()


class Api:
    """The service through the balancer at BASE, with a bearer token once logged in."""

    def __init__(self, base: str):
        self.base = base
        self.token: str | None = None
        self.last = Response(0)

    def __call__(self, method: str, path: str, body: Any = None, *, auth: bool = True, **kw: Any) -> int:
        """The status code (0: no answer); the response in .last."""
        self.last = request(self.base, method, path, body, token=self.token if auth else None, **kw)
        return self.last.status

    def field(self, key: str) -> Any:
        data = self.last.json()
        return data.get(key) if isinstance(data, dict) else None

    def login(self, password: str) -> bool:
        self.token = None
        if self("POST", "/api/v1/auth/login", {"username": "admin", "password": password}) == 200:
            token = self.field("token")
            self.token = token if isinstance(token, str) and token else None
        return self.token is not None


# ---- TCP ----------------------------------------------------------------------------------------


def answers_local(port: int | str, timeout: float = 3) -> bool:
    """A TCP connection to 127.0.0.1:PORT succeeds within TIMEOUT."""
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout):
            return True
    except OSError:
        return False


def bash_connects(prefix: list[str], host: str, port: int | str) -> bool:
    """A TCP connection from bash's /dev/tcp, run by PREFIX (ip netns exec NS, docker exec ID), in 3 s."""
    return ok([*prefix, "timeout", "3", "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"], timeout=10)


# ---- soft checks --------------------------------------------------------------------------------


class Checks:
    """Named checks inside one test, as the bash suites' `check`: each prints PASS or FAIL with its
    name, a failed one does not stop the test, and the test fails at its end if any did (conftest's
    pytest_runtest_call). A check is a value, or a callable whose exception is a failure."""

    def __init__(self, tally: Counter | None = None) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.tally = tally if tally is not None else Counter()

    def __call__(self, name: str, condition: Any, *args: Any) -> bool:
        detail = ""
        if callable(condition):
            try:
                condition = condition(*args)
            except Exception as e:  # noqa: BLE001 - any error of a check is its failure
                detail, condition = f"      {type(e).__name__}: {e}", False
        passed = bool(condition)
        print(f"{'PASS' if passed else 'FAIL'}  {name}", flush=True)
        if detail:
            print(detail, flush=True)
        (self.passed if passed else self.failed).append(name)
        self.tally["passed" if passed else "failed"] += 1
        return passed


@contextlib.contextmanager
def flock(path: Path, seconds: float):
    """Holds an exclusive lock on PATH for the block; TimeoutError after SECONDS of waiting."""
    with open(path, "w") as f:
        got = wait_until(lambda: _try_lock(f), seconds, 1)
        if not got:
            raise TimeoutError(f"another test held {path} for {seconds:.0f} s")
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _try_lock(f) -> bool:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


# ---- the fault load (bench/loadgen's `pustaka-loadgen faults`) -----------------------------------


def build_loadgen() -> Path:
    """The load generator: PUSTAKA_LOADGEN, else built from bench/loadgen (the path from cargo, so
    that a CARGO_TARGET_DIR elsewhere is found too)."""
    if os.environ.get("PUSTAKA_LOADGEN"):
        path = Path(os.environ["PUSTAKA_LOADGEN"])
    else:
        log("cargo build --release --locked (bench/loadgen)")
        p = subprocess.run(
            ["cargo", "build", "--release", "--locked", "--message-format=json-render-diagnostics"],
            cwd=REPO / "bench" / "loadgen",
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        exes = [
            m["executable"]
            for line in p.stdout.splitlines()
            if line.startswith("{")
            and (m := json.loads(line)).get("reason") == "compiler-artifact"
            and m.get("target", {}).get("name") == "pustaka-loadgen"
            and m.get("executable")
        ]
        path = Path(exes[-1]) if exes else Path("/nonexistent")
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(f"no load generator: bench/loadgen did not build (or PUSTAKA_LOADGEN={path} is no program)")
    return path


@dataclass
class FaultLoad:
    """`pustaka-loadgen faults run` through the balancer (readers and writers, every request recorded
    with the phase it started in), and its reckoning (`faults report`). The ONE copy of starting,
    readiness, phases, stopping and reckoning for every suite."""

    loadgen: Path
    workdir: Path
    run_id: str
    proc: subprocess.Popen | None = None
    report: dict = field(default_factory=dict)

    @property
    def records(self) -> Path:
        return self.workdir / "records.jsonl"

    def phase(self, name: str) -> None:
        """From now on requests are recorded as phase NAME (the phase file replaced atomically)."""
        new = self.workdir / "phase.new"
        new.write_text(name + "\n")
        new.replace(self.workdir / "phase")
        log(f"{time.strftime('%T')} phase {name}")

    def start(self, base: str, password: str, *, max_seconds: float = 400, ready_within: float = 40) -> None:
        """Starts the load (phase warmup), waits for its ready file within READY_WITHIN seconds, then a
        few seconds of warm-up. RuntimeError when it did not start."""
        self.records.write_text("")
        ready = self.workdir / "ready"
        ready.unlink(missing_ok=True)
        self.phase("warmup")
        self.log_file = open(self.workdir / "load.log", "w")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [
                str(self.loadgen),
                "faults",
                "run",
                "--base",
                base,
                "--run-id",
                self.run_id,
                "--phase-file",
                str(self.workdir / "phase"),
                "--out",
                str(self.records),
                "--ready-file",
                str(ready),
                "--max-seconds",
                str(max_seconds),
            ],
            env={**os.environ, "FAULTS_ADMIN_PASSWORD": password},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        proc = self.proc
        if not wait_until(lambda: ready.exists() or proc.poll() is not None, ready_within) or not ready.exists():
            tail = (self.workdir / "load.log").read_text(errors="replace").splitlines()[-5:]
            self.stop()
            raise RuntimeError("the load generator did not start: " + " | ".join(tail))
        time.sleep(5)  # warm-up: every task past its first requests

    def stop(self) -> None:
        """SIGTERM, at most 20 s to finish writing its records, then SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log_file.close()

    def end(self) -> None:
        """The run's last phase: `end` marked, a second for the requests in flight, the load stopped."""
        self.phase("end")
        time.sleep(1)
        self.stop()

    @property
    def titles_sql(self) -> str:
        """The query for the titles this run wrote, to reckon against."""
        return f"SELECT title FROM books WHERE title LIKE '{self.run_id}-%'"

    def reckon(self, db_titles: str) -> dict:
        """Stops the load, then `faults report` against the titles found in the database (this run's,
        one a line): the per-phase figures (also in workdir/report.json). Its summary goes to stderr."""
        self.stop()
        titles = self.workdir / "db-titles"
        titles.write_text(db_titles)
        log("requests per phase (reads: 200 is success; writes: 201 is acknowledged)")
        p = subprocess.run(
            [str(self.loadgen), "faults", "report", "--records", str(self.records), "--db-titles", str(titles)],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if p.returncode != 0:
            raise RuntimeError("the load report failed")
        (self.workdir / "report.json").write_text(p.stdout)
        self.report = json.loads(p.stdout)
        return self.report

    def phases(self) -> dict[str, dict]:
        return self.report.get("phases", {})

    def figure(self, phase: str, *keys: str) -> int | float | None:
        """The sum of these figures of PHASE (None: no such phase)."""
        ph = self.phases().get(phase)
        return None if ph is None else sum(ph[k] for k in keys)

    def total(self, *keys: str, phases: Callable[[str], bool] = lambda _: True) -> int:
        """The sum of these figures over the phases PHASES selects."""
        return sum(ph[k] for name, ph in self.phases().items() if phases(name) for k in keys)

    def statuses(self, pattern: str, phase: str | None = None) -> int:
        """How many answers had a status matching PATTERN ("read 500"-like keys), in PHASE or in all."""
        rx = re.compile(pattern)
        chosen = [self.phases().get(phase) or {}] if phase else list(self.phases().values())
        return sum(n for ph in chosen for k, n in (ph.get("statuses") or {}).items() if rx.search(k))

    def rows(self) -> list[dict]:
        """The records, one dict per request."""
        rows = []
        for line in self.records.read_text().splitlines():
            with contextlib.suppress(ValueError):
                rows.append(json.loads(line))
        return rows


@contextlib.contextmanager
def background(args: list[str]):
    """ARGS running in the background for the block (output discarded), then terminated."""
    p = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield p
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---- a Galera writer killed under the load (deploy/cluster faults, deploy/swarm/swarm --galera test) --


def g1_recovery(rows: list[dict], kill: float, phase: str = "g1") -> float | None:
    """Seconds from the kill until writes are acknowledged again for good: the later of the end of
    the first acknowledged write that started after the last failed request, and the end of the
    longest wait between two acknowledged writes (a write may be acknowledged just after the kill,
    before the others notice the node is gone and stop committing until it is evicted). Of the
    phase PHASE (g1, or another fault's)."""
    g1 = [r for r in rows if r.get("phase") == phase]
    last_fail = max((r["t1"] for r in g1 if r.get("status") not in (200, 201)), default=kill)
    acked = [r for r in g1 if r.get("kind") == "write" and r.get("status") == 201]
    first_ok = min((r["t1"] for r in acked if r["t0"] >= last_fail and r["t0"] >= kill), default=None)
    acks = [kill, *sorted(r["t1"] for r in acked if r["t1"] >= kill)]
    gaps = [(acks[i] - acks[i - 1], acks[i]) for i in range(1, len(acks))]
    longest_end = max(gaps)[1] if gaps else kill
    return None if first_ok is None else round(max(first_ok, longest_end) - kill, 2)


def g1_write_gap(rows: list[dict], kill: float, phase: str = "g1") -> float | None:
    """The longest wait between two acknowledged writes from the kill on, in seconds (of PHASE)."""
    acks = [
        kill,
        *sorted(
            r["t1"]
            for r in rows
            if r.get("phase") == phase and r.get("kind") == "write" and r.get("status") == 201 and r["t1"] >= kill
        ),
    ]
    gaps = [acks[i] - acks[i - 1] for i in range(1, len(acks))]
    return round(max(gaps), 2) if gaps else None


def transfer_of(log_text: str) -> str:
    """How a node that joined caught up, from its log since its start: "SST" (a full copy: it
    prepares to receive write sets from seqno 0 of an empty history), "IST" (only the write sets it
    missed, from its own last seqno), or "none"."""
    if "IST uuid:00000000-0000-0000-0000-000000000000" in log_text:
        return "SST"
    return "IST" if "IST received" in log_text else "none"
