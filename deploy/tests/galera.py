"""The Galera option of compose (deploy/cluster): its nodes, their states and the proxy's view, as
the tests read them (deploy/cluster's own functions, for the pytest suites)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from deploylib import dc, dc_ids, docker, inspect, wait_until

NODES = ("galera1", "galera2", "galera3")


def service_of(node: str) -> str:
    """The compose service of a node (galera1 is `db`)."""
    return "db" if node == "galera1" else node


def container_of(node: str) -> str:
    ids = dc_ids(service_of(node))
    return ids[0] if ids else ""


def node_state(node: str) -> str:
    """ "galera2 ready=ON state=4(Synced) cluster=Primary size=3 seqno=123", or "galera2 down"."""
    cid = container_of(node)
    if not cid or inspect("{{.State.Running}}", cid) != "true":
        return f"{node} down"
    r = docker("exec", cid, "bash", "/opt/galera/node.sh", "state", timeout=30)
    return r.stdout.strip() if r.returncode == 0 else f"{node} no-answer"


def synced(node: str) -> bool:
    return "ready=ON state=4(" in node_state(node)


class Engine:
    """The engine's network events while the run lasts. A Docker Swarm joined or left on this engine
    (another project's test) makes Docker 20.10 disconnect every container from its networks, which
    would be counted as the cluster's failure: such a run is void. Swarm's join and leave create and
    destroy the `ingress` and `docker_gwbridge` networks."""

    def __init__(self, path: Path):
        self.path = path
        self.file = open(path, "w")  # noqa: SIM115 - closed by stop()
        self.proc: subprocess.Popen | None = subprocess.Popen(
            [
                "docker",
                "events",
                "--filter",
                "type=network",
                "--filter",
                "event=create",
                "--filter",
                "event=destroy",
                "--format",
                "{{.Time}} {{.Action}} {{.Actor.Attributes.name}}",
            ],
            stdout=self.file,
            stderr=subprocess.DEVNULL,
        )

    def swarm_events(self) -> list[str]:
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        return [ln for ln in lines if len(f := ln.split()) >= 3 and f[2] in ("ingress", "docker_gwbridge")]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
            self.file.close()


def wait_synced(seconds: float, *nodes: str, engine: Engine | None = None) -> bool:
    """Until every NODE is Synced; False after SECONDS, or at once when the run is void (a swarm seen)."""
    void = [False]

    def done() -> bool:
        if all(synced(n) for n in nodes):
            return True
        if engine is not None and engine.swarm_events():
            void[0] = True
            return True
        return False

    return bool(wait_until(done, seconds)) and not void[0]


PROXIES = ("dbproxy", "dbproxy2")


def proxy_csv(proxy: str = "") -> list[str]:
    """A proxy's stats: "server,status,current sessions" of the galera backend; without PROXY, both
    proxies' rows added up ("galera1,UP/UP,5": each proxy's status, their sessions together)."""
    if not proxy:
        return merged_rows([proxy_csv(p) for p in PROXIES])
    ids = dc_ids(proxy)
    if not ids:
        return []
    text = docker("exec", ids[0], "bash", "-c", PROXY_STATS, timeout=30).stdout
    return galera_rows(text)


def merged_rows(per_proxy: list[list[str]]) -> list[str]:
    """The rows of several proxies as one: a server's statuses joined by "/", its sessions added."""
    servers: dict[str, tuple[list[str], int]] = {}
    for rows in per_proxy:
        for row in rows:
            name, st, sessions = row.split(",")
            statuses, total = servers.get(name, ([], 0))
            servers[name] = ([*statuses, st], total + int(sessions or 0))
    return [f"{name},{'/'.join(st)},{n}" for name, (st, n) in sorted(servers.items())]


def all_up(rows: list[str], proxies: int = len(PROXIES)) -> bool:
    """Every node UP in every proxy (merged rows)."""
    return len(rows) == 3 and all(r.split(",")[1] == "/".join(["UP"] * proxies) for r in rows)


def writers_of(rows: list[str]) -> list[str]:
    """The nodes that hold any of the replicas' connections: one, unless two proxies chose two."""
    return [r.split(",")[0] for r in rows if int(r.split(",")[2] or 0) > 0]


# Asks the proxy's stats listener for its CSV, from inside the proxy's container.
PROXY_STATS = 'exec 3<>/dev/tcp/127.0.0.1/8405 && printf "GET /;csv HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3'


def galera_rows(csv: str) -> list[str]:
    """The galera backend's servers in HAProxy's CSV stats, as "server,status,current sessions"."""
    rows = []
    for line in csv.splitlines():
        f = line.split(",")
        if len(f) > 17 and f[0] == "galera" and re.fullmatch(r"galera[0-9]", f[1]):
            rows.append(f"{f[1]},{f[17]},{f[4]}")
    return rows


def writer_of(rows: list[str]) -> str:
    """The node holding the replicas' connections (most current sessions), if any."""
    fields = sorted((r.split(",") for r in rows), key=lambda f: -int(f[2] or 0))
    return next((f[0] for f in fields if int(f[2] or 0) > 0), "")


def writer() -> str:
    """The writer as the compose deployment's proxies see it (their sessions added up)."""
    return writer_of(proxy_csv())


def status() -> str:
    return "\n".join([*(node_state(n) for n in NODES), f"proxy (server,status,sessions): {' '.join(proxy_csv())}"])


_CLIENT = (
    'exec mariadb --defaults-extra-file=<(printf "[client]\\nuser=pustaka\\npassword=%s\\n" '
    '"$(cat /run/secrets/db_password)") --connect-timeout=3 -h "$0" -N -B pustaka'
)


def cluster_sql(host: str, sql: str) -> str | None:
    """SQL as the application user on HOST (dbproxy, galera1, galera2, galera3), from a one-off
    client container on the backend network (the nodes' image, the secrets volume); None on failure."""
    project = os.environ.get("COMPOSE_PROJECT_NAME", "pustaka")
    image = inspect("{{.Config.Image}}", container_of("galera1"))
    if not image:
        return None
    r = docker(
        "run",
        "--rm",
        "-i",
        "--network",
        f"{project}_backend",
        "-v",
        f"{project}_secrets:/run/secrets:ro",
        "--user",
        "mysql",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--entrypoint",
        "bash",
        image,
        "-c",
        _CLIENT,
        host,
        input=sql,
    )
    return r.stdout if r.returncode == 0 else None


def resolve(name: str) -> list[str]:
    """The addresses NAME has on the backend network, as a container there looks it up."""
    project = os.environ.get("COMPOSE_PROJECT_NAME", "pustaka")
    image = inspect("{{.Config.Image}}", container_of("galera1"))
    r = docker("run", "--rm", "--network", f"{project}_backend", "--entrypoint", "getent", image, "ahostsv4", name)
    return sorted({line.split()[0] for line in r.stdout.splitlines() if line.strip()})


def db_sql(sql: str) -> str | None:
    """The application's view, through the proxy."""
    return cluster_sql("dbproxy", sql)


def root_sql_galera1(sql: str) -> str | None:
    """As root inside galera1 (root exists on localhost only; its password is in galera1's secrets)."""
    script = (
        'exec mariadb --defaults-extra-file=<(printf "[client]\\nuser=root\\npassword=%s\\n" '
        '"$(cat /run/secrets/db_root_password)") -N -B'
    )
    r = dc("exec", "-T", "db", "bash", "-c", script, input=sql)
    return r.stdout.strip() if r.returncode == 0 else None


def health_answer(node: str) -> str:
    """The status line of NODE's :9200 responder, asked from inside NODE."""
    script = 'exec 3<>/dev/tcp/127.0.0.1/9200 && printf "GET /health HTTP/1.0\\r\\n\\r\\n" >&3 && head -n 1 <&3'
    r = docker("exec", container_of(node), "timeout", "5", "bash", "-c", script, timeout=30)
    return r.stdout.replace("\r", "").strip()


def dc_up(*args: str) -> bool:
    """`up -d --no-build ARGS`, once more when the first fails (see [`up_reason`])."""
    reason = up_reason(*args)
    if reason:
        print(reason)
    return reason is None


def up_reason(*args: str) -> str | None:
    """`up -d --no-build ARGS`: None when it succeeded, else why, in a line. Right after `stop`,
    docker-compose 1.29 may read a node's health the moment it restarts, when Docker (20.10) still
    shows the `unhealthy` a stopped container keeps, and give up ("Container ... is unhealthy"); a
    dependency may also turn unhealthy for a moment while a state transfer loads the machine. `up`
    starts only what is not running yet, so the same command once more goes on; its second failure
    is the answer (a CI run failed once within 45 s of the first start, without saying why)."""
    why = ""
    for attempt in (1, 2):
        r = dc("up", "-d", "--no-build", *args, timeout=600)
        if r.returncode == 0:
            return None
        lines = [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]
        why = f"`up` failed (attempt {attempt}, status {r.returncode}): " + " | ".join(lines[-3:])
        print(why, flush=True)
    return why


def rows_equal_at_one_seqno(sql_on: Callable[[str, str], str | None], tables: str, log: Callable[[str], None]) -> bool:
    """Whether every node holds the same rows of TABLES (CHECKSUM TABLE), compared when every node
    was read at one and the same last committed write set. The replicas' minute chores still write
    with the load stopped (each write transaction with its commit mark), and the nodes are read one
    after another, seconds apart: a write between two reads once made a clean-clone CI run see
    different rows. So each node is read with its `wsrep_last_committed` just before and just
    after, and all are read again (for up to 60 s) until they were read at one seqno.
    SQL_ON(node, sql) runs SQL on a node and returns its output (-N -B), None on failure."""
    last = "SHOW GLOBAL STATUS LIKE 'wsrep_last_committed';"
    verdict: list[bool] = []

    def read_all() -> bool:
        seqnos, sums = set(), set()
        for n in NODES:
            lines = (
                (sql_on(n, f"{last} SELECT COUNT(*) FROM books; CHECKSUM TABLE {tables}; {last}") or "")
                .strip()
                .splitlines()
            )
            if len(lines) < 3:
                log(f"{n}: no answer; reading again")
                return False
            before, after = lines[0].split()[-1], lines[-1].split()[-1]
            seqnos.add(before if before == after else f"moved {before}..{after}")
            sums.add(tuple(lines[2:-1]))
            log(
                f"{n}: {lines[1].strip()} books at seqno {before}..{after}, tables' checksum {hash(tuple(lines[2:-1])) & 0xFFFFFFFF:08x}"
            )
        if len(seqnos) != 1 or next(iter(seqnos)).startswith("moved"):
            log(f"reading again: the nodes were not read at one seqno ({', '.join(sorted(seqnos))})")
            return False
        verdict.append(len(sums) == 1)
        return True

    wait_until(read_all, 60, interval=1)
    return verdict == [True]
