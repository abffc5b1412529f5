"""A school on one small box (issue #36): the real compose stack (deploy/stack, stand-in images) held
to 1 CPU and 1 GiB in total by bench/small-box.compose.yaml, a school's catalogue in it, and a school's
peak through HAProxy, open loop, all at once: 40 desks scanning every 3 s, 500 catalogue users every
10 s, 10 staff pages every 5 s. The p50/p95/p99 and errors of each, then every container's OOM kills,
restarts and peak memory. The stack and its volumes are removed afterwards, whatever happened."""

import contextlib
import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .common import PUSTAKA, ROOT, TERMS, free_port, log, run
from .context import Bench
from .data import desk_pairs
from .loadgen import command

OVERRIDE = "bench/small-box.compose.yaml"
BOOKS, MEMBERS = 20_000, 1_500
DESKS, DESK_EVERY_S = 40, 3.0
OPAC_USERS, OPAC_EVERY_S = 500, 10.0
STAFF, STAFF_EVERY_S = 10, 5.0
# Opening a book is two requests (the book and its copies, as the page asks for them) and a search
# one: half the catalogue users' actions are each, so a third of the requests are each kind.
OPAC_REQUESTS_PER_ACTION = 1.5


class Stack:
    """One compose project of the real compose.yaml (deploy/stack), with the small box's limits."""

    def __init__(self, b: Bench) -> None:
        self.project = f"pustakasmallbox{os.getpid()}"
        self.http, self.db_port = free_port(), free_port()
        password_file = b.work / "admin_password"
        password_file.write_text(b.db.admin_password)
        password_file.chmod(0o644)  # the secrets service reads it as a root without CAP_DAC_OVERRIDE
        self.env = dict(
            os.environ,
            COMPOSE_PROJECT_NAME=self.project,
            PUSTAKA_HTTP_PORT=str(self.http),
            PUSTAKA_HTTPS_PORT=str(free_port()),
            PUSTAKA_STATS_PORT=str(free_port()),
            PUSTAKA_DB_PORT=str(self.db_port),
            PUSTAKA_BIN=str(PUSTAKA),
            PUSTAKA_STACK_OVERRIDES=OVERRIDE,
            PUSTAKA_ADMIN_PASSWORD_FILE=str(password_file),
        )
        self.db_password = ""
        v2 = run(["docker", "compose", "version"], check=False).returncode == 0
        self.dc = ["docker", "compose"] if v2 else ["docker-compose"]  # as deploy/lib.sh's dc

    def stack(self, *args: str) -> str:
        return run([str(ROOT / "deploy/stack"), *args], cwd=ROOT, env=self.env).stdout

    def up(self) -> None:
        images = self.stack("images")
        self.env.update(re.findall(r"^(STANDIN_\w+)=(\S+)$", images, re.M))
        self.env["COMPOSE_FILE"] = f"compose.yaml:deploy/standin/compose.override.yaml:{OVERRIDE}"
        log(f"deploy/stack up (project {self.project}, http://127.0.0.1:{self.http})")
        self.stack("up")
        self.db_password = self.compose("exec", "-T", "db", "cat", "/run/secrets/db_password").strip()

    def compose(self, *args: str) -> str:
        return run([*self.dc, *args], cwd=ROOT, env=self.env).stdout

    def sql(self, statements: str, local_infile: bool = False) -> str:
        """Statements as the application's user, from the host on the published database port."""
        cmd = ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{self.db_port}", "-upustaka", "-N", "-B"]
        if local_infile:
            cmd.append("--local-infile=1")
        env = dict(os.environ, MYSQL_PWD=self.db_password)
        return run([*cmd, "pustaka", "-e", statements], env=env).stdout

    def containers(self) -> list[dict[str, Any]]:
        ids = run(
            ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}"]
        ).stdout.split()
        return json.loads(run(["docker", "inspect", *ids]).stdout) if ids else []

    def down(self) -> None:
        log(f"deploy/stack down (project {self.project}, volumes too)")
        subprocess.run([str(ROOT / "deploy/stack"), "down"], cwd=ROOT, env=self.env, capture_output=True)


def load_school(b: Bench, stack: Stack) -> None:
    """A school's library: 20,000 books (bench/catalogue.py), 35,000 copies (one a book, a second for three
    books in four), 1,500 members in 24 classes and a few staff, a year of returned loans (20,000), 1,200
    loans out (about half of them overdue) and fines on a twentieth of the returned ones."""
    log(f"loading a school: {BOOKS:,} books, 35,000 copies, {MEMBERS:,} members, a year of loans")
    t0 = time.monotonic()
    tsv = b.work / "books.tsv"
    run([sys.executable, str(ROOT / "bench/catalogue.py"), "--books", str(BOOKS), "--tsv", str(tsv)])
    stack.sql(
        f"LOAD DATA LOCAL INFILE '{tsv}' INTO TABLE books CHARACTER SET utf8mb4 (id, isbn, title, authors, "
        "subjects, publisher, year, language, created_at, updated_at);",
        local_infile=True,
    )
    stack.sql(
        """
        UPDATE books SET classification = CONCAT(id % 10, LPAD(id % 100, 2, '0'), '.', id % 7);
        INSERT INTO copies (book_id, barcode, status, created_at, updated_at, ddc_class)
            SELECT id, CONCAT('SB', LPAD(id, 6, '0')), 'available', created_at, created_at, id % 10 FROM books;
        INSERT INTO copies (book_id, barcode, status, created_at, updated_at, ddc_class)
            SELECT id, CONCAT('SC', LPAD(id, 6, '0')), 'available', created_at, created_at, id % 10
            FROM books WHERE id % 4 <> 0;
        INSERT INTO members (card_number, name, category, grade, created_at, updated_at)
            SELECT CONCAT('S', LPAD(seq, 5, '0')),
                   CONCAT(ELT(1 + seq % 10, 'Budi', 'Siti', 'Agus', 'Dewi', 'Rudi', 'Ayu', 'Joko', 'Rina', 'Eko',
                              'Putri'), ' ', ELT(1 + seq % 7, 'Santoso', 'Wijaya', 'Saputra', 'Hidayat', 'Kusuma',
                              'Lubis', 'Nasution'), ' ', seq),
                   IF(seq % 25 = 0, 'staff', 'student'),
                   IF(seq % 25 = 0, NULL, CONCAT(7 + seq % 3, ELT(1 + seq % 8, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'))),
                   NOW(), NOW()
            FROM seq_1_to_1500;
        SET @m = (SELECT MIN(id) FROM members);  -- one statement's ids: no gaps (copies' have one)
        INSERT INTO loans (copy_id, member_id, loaned_at, due_at, returned_at, book_id, member_category, ddc_class)
            SELECT c.id, m.id, NOW() - INTERVAL (seq * 1576) SECOND,
                   NOW() - INTERVAL (seq * 1576) SECOND + INTERVAL 7 DAY,
                   NOW() - INTERVAL (seq * 1576) SECOND + INTERVAL 5 DAY, c.book_id, m.category, c.ddc_class
            FROM seq_300_to_20299 JOIN copies c ON c.barcode = CONCAT('SB', LPAD(1 + (seq * 7919) % 20000, 6, '0'))
            JOIN members m ON m.id = @m + seq % 1500;
        INSERT INTO loans (copy_id, member_id, loaned_at, due_at, book_id, member_category, ddc_class)
            SELECT c.id, m.id, NOW() - INTERVAL (seq * 1000) SECOND,
                   NOW() - INTERVAL (seq * 1000) SECOND + INTERVAL 7 DAY, c.book_id, m.category, c.ddc_class
            FROM seq_1_to_1200 JOIN copies c ON c.barcode = CONCAT('SB', LPAD(seq * 16, 6, '0'))
            JOIN members m ON m.id = @m + (seq * 7) % 1500;
        UPDATE copies c JOIN loans l ON l.copy_id = c.id AND l.returned_at IS NULL SET c.status = 'on_loan';
        INSERT INTO fines (member_id, loan_id, amount, reason, status, created_at, resolved_at, paid)
            SELECT member_id, id, 1000, 'overdue', IF(id % 3 = 0, 'unpaid', 'paid'), returned_at,
                   IF(id % 3 = 0, NULL, returned_at), IF(id % 3 = 0, 0, 1000)
            FROM loans WHERE id % 20 = 0 AND returned_at IS NOT NULL;
        ANALYZE TABLE books, copies, members, loans, fines;
        """
    )
    tsv.unlink()
    # Books loaded with SQL are indexed for search the way an operator would after an import.
    stack.compose("run", "--rm", "--no-deps", "-T", "migrate", "reindex")
    stack.sql("ANALYZE TABLE book_words;")
    counts = stack.sql(
        "SELECT (SELECT COUNT(*) FROM books), (SELECT COUNT(*) FROM copies), (SELECT COUNT(*) FROM members), "
        "(SELECT COUNT(*) FROM loans), (SELECT COUNT(*) FROM loans WHERE returned_at IS NULL)"
    ).split()
    b.out.row(
        "small box: the school's data, loaded",
        f"{time.monotonic() - t0:.0f} s",
        f"{int(counts[0]):,} books, {int(counts[1]):,} copies, {int(counts[2]):,} members, "
        f"{int(counts[3]):,} loans ({int(counts[4]):,} out); SQL into the stack's MariaDB, then `pustaka reindex`",
    )


def staff_pages(b: Bench) -> Path:
    """The pages the staff open (a loadgen --paths file): the loan lists, members, fines, the desk's
    totals, the overdue contacts and three reports over the last six months."""
    today = dt.date.today()
    since = today - dt.timedelta(days=182)
    term = f"from={since}&to={today}"
    paths = [
        "/api/v1/loans?status=active&page=1&per_page=50",
        "/api/v1/loans?status=overdue&page=1&per_page=50",
        "/api/v1/members?page=1&per_page=50",
        "/api/v1/members?q=Siti&page=1&per_page=50",
        "/api/v1/members?grade=8B&page=1&per_page=50",
        "/api/v1/fines?status=unpaid&page=1&per_page=50",
        "/api/v1/stats",
        "/api/v1/notices/overdue-contacts",
        f"/api/v1/reports/loans-per-day?{term}",
        f"/api/v1/reports/top-titles?{term}",
        f"/api/v1/reports/loans-by-class?{term}",
    ]
    path = b.work / "staff-pages.txt"
    path.write_text("\n".join(paths) + "\n")
    return path


def cgroup_file(pid: int, controller: str, name: str) -> Path | None:
    """A cgroup v1 file of the container whose first process is `pid`, if this host shows it."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                for root in (f"/sys/fs/cgroup/{controller}", f"/sys/fs/cgroup/{controllers}"):
                    f = Path(root + path) / name
                    if f.exists():
                        return f
    return None


class Watch:
    """Each running container's peak memory since it started (cgroup v1's memory.max_usage_in_bytes
    where this host shows it, else the largest `docker stats` sample, taken in a thread while the load
    runs) and its CPU throttling during the load (cgroup v1's cpu.stat, before and after)."""

    def __init__(self, stack: Stack) -> None:
        self.running = [c for c in stack.containers() if c["State"]["Running"]]
        self.sampled: dict[str, float] = {}
        self.throttled_before = {c["Id"]: self.cpu_stat(c) for c in self.running}
        self.done = threading.Event()
        self.thread: threading.Thread | None = None
        self.throttled: dict[str, tuple[int, int]] = {}  # by container id: (throttled, periods)
        self.peaks: dict[str, tuple[float | None, str]] = {}  # by container id: (MiB, how known)

    @staticmethod
    def cpu_stat(c: dict[str, Any]) -> dict[str, int]:
        f = cgroup_file(c["State"]["Pid"], "cpu", "cpu.stat")
        return {k: int(v) for k, v in (line.split() for line in f.read_text().splitlines())} if f else {}

    @staticmethod
    def max_usage_mib(c: dict[str, Any]) -> float | None:
        f = cgroup_file(c["State"]["Pid"], "memory", "memory.max_usage_in_bytes")
        return int(f.read_text()) / 2**20 if f else None

    def start(self) -> None:
        if all(self.max_usage_mib(c) is not None for c in self.running):
            return  # the kernel keeps the peak: no sampling, which would cost the shared machine CPU
        names = [c["Name"].lstrip("/") for c in self.running]
        units = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}

        def sample() -> None:
            while not self.done.is_set():
                out = subprocess.run(
                    ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *names],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout
                for m in re.finditer(r"^(\S+) ([\d.]+)(B|KiB|MiB|GiB) /", out, re.M):
                    mib = float(m.group(2)) * units[m.group(3)] / 2**20
                    self.sampled[m.group(1)] = max(self.sampled.get(m.group(1), 0.0), mib)
                self.done.wait(1)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        if self.thread:
            self.thread.join()
        for c in self.running:
            before, after = self.throttled_before[c["Id"]], self.cpu_stat(c)
            if before and after:
                self.throttled[c["Id"]] = (
                    after["nr_throttled"] - before["nr_throttled"],
                    after["nr_periods"] - before["nr_periods"],
                )
        for c in self.running:
            peak = self.max_usage_mib(c)
            self.peaks[c["Id"]] = (peak, "cgroup") if peak is not None else (self.sampled.get(c["Name"][1:]), "sampled")


def run_load(
    b: Bench, stack: Stack, token: str, pairs: Path, pages: Path, seconds: float
) -> tuple[dict[str, Any], tuple[dt.datetime, dt.datetime]]:
    """The three loads at once, each open loop through the balancer; their JSON lines by kind, and the
    measured window (UTC, about: each load starts its own clock once its connections are open)."""
    opac_rate = OPAC_USERS / OPAC_EVERY_S * OPAC_REQUESTS_PER_ACTION
    loads = {
        "desk": command(
            b, stack.http, "circulation", DESKS, 1, DESKS / DESK_EVERY_S, seconds, token=token, pairs=pairs
        ),
        "opac": command(b, stack.http, "opac", OPAC_USERS, 1, opac_rate, seconds, terms=",".join(TERMS.values())),
        "staff": command(b, stack.http, "pages", STAFF, 1, STAFF / STAFF_EVERY_S, seconds, token=token, paths=pages),
    }
    started = dt.datetime.now(dt.UTC)
    procs = {
        kind: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for kind, cmd in loads.items()
    }
    results = {}
    for kind, p in procs.items():
        out, err = p.communicate()
        if p.returncode != 0:
            sys.exit(f"bench: the {kind} load failed ({p.returncode}):\n{err}")
        results[kind] = json.loads(out.strip().splitlines()[-1])
    measured_from = started + dt.timedelta(seconds=b.warmup)
    return results, (measured_from, measured_from + dt.timedelta(seconds=seconds))


# HAProxy's httplog line: [date the request came in] frontend backend/server TR/Tw/Tc/Tr/Ta status ... "METHOD path
LB_LOG = re.compile(
    r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] \S+ \S+ -?\d+/-?\d+/-?\d+/-?\d+/(-?\d+) \d{3} .*\"(\w+) (\S+) HTTP"
)


def at_balancer(stack: Stack, window: tuple[dt.datetime, dt.datetime]) -> dict[str, list[float]]:
    """Each kind's times as HAProxy logged them in the window (Ta: the request's first byte in to the
    answer's last byte out, ms), sorted: the stack's own share of the latency, without the load
    generator's (it runs on the same shared machine)."""
    lb = next(c["Id"] for c in stack.containers() if c["Config"]["Labels"].get("com.docker.compose.service") == "lb")
    times: dict[str, list[float]] = {"desk": [], "opac": [], "staff": []}
    for m in LB_LOG.finditer(run(["docker", "logs", lb]).stdout):
        at = dt.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S.%f").replace(tzinfo=dt.UTC)
        if not window[0] <= at < window[1] or int(m.group(2)) < 0:
            continue
        method, path = m.group(3), m.group(4)
        kind = "desk" if method == "POST" else "opac" if path.startswith("/api/v1/books") else "staff"
        times[kind].append(float(m.group(2)))
    return {k: sorted(v) for k, v in times.items()}


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile of sorted, non-empty `values` (nearest rank)."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def small_box(b: Bench) -> None:
    """Issue #36's "a school on one small box"; figures small_box_*."""
    seconds = b.args.seconds or (15.0 if b.quick else 60.0)
    log(f"A school on one small box: the compose stack in 1 CPU and 1 GiB, a school's peak for {seconds:g} s")
    books, warmup = b.books, b.warmup
    b.books, b.warmup = BOOKS, 5.0  # the book ids of the desks' copies and the OPAC's; 500 connections to open
    stack = Stack(b)
    try:
        stack.up()
        load_school(b, stack)
        token = b.db.login(stack.http)
        pairs = desk_pairs(b, stack.http, token, DESKS, "smallbox")
        pages = staff_pages(b)
        watch = Watch(stack)
        watch.start()
        try:
            results, window = run_load(b, stack, token, pairs, pages, seconds)
        finally:
            watch.stop()
        report(b, stack, watch, results, at_balancer(stack, window), seconds)
    finally:
        stack.down()
        b.books, b.warmup = books, warmup


def report(
    b: Bench, stack: Stack, watch: Watch, results: dict[str, Any], lb: dict[str, list[float]], seconds: float
) -> None:
    what = {
        "desk": f"{DESKS} desks, a checkout or return each every {DESK_EVERY_S:g} s",
        "opac": f"{OPAC_USERS} catalogue users, a search or a book (and its copies) each every {OPAC_EVERY_S:g} s",
        "staff": f"{STAFF} staff, a list, report or the desk's totals each every {STAFF_EVERY_S:g} s",
    }
    errors = 0
    for kind, r in results.items():
        m = r["latency_ms"]
        bad = {s: n for s, n in r["status"].items() if not s.startswith("2")}
        errors += sum(bad.values()) + r["transport_errors"] + (r["unsent"] or 0)
        kinds = "; ".join(f"{k} {v['requests']} p99 {v['p99']:.1f}" for k, v in r["by_kind"].items())
        b.out.row(
            f"small box: {kind}, p99 (open loop, via HAProxy)",
            f"{m['p99']:.1f} ms",
            f"{what[kind]}: {r['requests']:,} requests in {seconds:g} s ({r['rps']:.1f}/s); p50 {m['p50']:.1f} / "
            f"p95 {m['p95']:.1f} / p99 {m['p99']:.1f} / max {m['max']:.1f} ms; errors {bad or 0} transport "
            f"{r['transport_errors']} unsent {r['unsent']}; {kinds}",
        )
        b.out.figures[f"small_box_{kind}_p99_ms"] = round(m["p99"], 1)
        b.out.figures[f"small_box_{kind}_p95_ms"] = round(m["p95"], 1)
        b.out.figures[f"small_box_{kind}_p50_ms"] = round(m["p50"], 1)
        at = lb[kind]
        if not at:
            b.out.row(f"  {kind} as HAProxy timed it", "–", "no lines of HAProxy's log in the window")
            continue
        b.out.row(
            f"  {kind} as HAProxy timed it (no load generator)",
            f"{percentile(at, 0.99):.0f} ms",
            f"p99 of Ta (the request's first byte in to the answer's last out), {len(at):,} requests logged in "
            f"the window; p50 {percentile(at, 0.5):.0f} / p95 {percentile(at, 0.95):.0f} / max "
            f"{at[-1]:.0f} ms",
        )
        b.out.figures[f"small_box_{kind}_lb_p99_ms"] = percentile(at, 0.99)
    b.out.figures["small_box_errors"] = errors
    b.out.row("small box: errors (non-2xx, transport, unsent)", str(errors), "all three loads")

    oom, restarts, lines = 0, 0, []
    limits_cpu, limits_mem = 0.0, 0
    for c in stack.containers():
        name = c["Config"]["Labels"].get("com.docker.compose.service", c["Name"])
        number = c["Config"]["Labels"].get("com.docker.compose.container-number", "1")
        label = f"{name}{'-' + number if name == 'web' else ''}"
        state, host = c["State"], c["HostConfig"]
        oom += bool(state["OOMKilled"])
        restarts += c["RestartCount"]
        peak, source = watch.peaks.get(c["Id"], (None, ""))
        throttled = ""
        if c["Id"] in watch.throttled:
            n, periods = watch.throttled[c["Id"]]
            throttled = f", CPU throttled in {n} of {periods} periods of 100 ms during the load"
        if state["Running"]:
            limits_cpu += host["NanoCpus"] / 1e9
            limits_mem += host["Memory"]
        lines.append(
            f"{label} {state['Status']}, OOM {state['OOMKilled']}, restarts {c['RestartCount']}, "
            f"limit {host['NanoCpus'] / 1e9:g} CPU / {host['Memory'] // 2**20} MiB"
            + (f", peak {peak:.0f} MiB since start ({source})" if peak else "")
            + throttled
        )
    b.out.figures["small_box_oom_killed"] = oom
    b.out.figures["small_box_restarts"] = restarts
    b.out.row(
        "small box: containers OOM-killed / restarted",
        f"{oom} / {restarts}",
        f"running containers' limits sum to {limits_cpu:g} CPU / {limits_mem // 2**20} MiB; " + "; ".join(lines),
    )
