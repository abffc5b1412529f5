"""The servers of a run, all on loopback: MariaDB, pustaka replicas, HAProxy."""

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from .common import (
    PUSTAKA,
    ROOT,
    Api,
    free_port,
    http_status,
    raise_nofile,
    run,
    wait_until,
)


class Servers:
    """The processes of a run on loopback: one MariaDB server (its own directory under the run's
    work directory), pustaka replicas, HAProxy; and the containers of the image measurement."""

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="pustaka-bench-"))
        self.work.chmod(0o755)  # the database server runs as `mysql`
        self.procs: list[subprocess.Popen[bytes]] = []
        self.containers: list[str] = []
        self.admin_password = secrets.token_urlsafe(18)
        self.db_env = dict(os.environ, PUSTAKA_TEST_MARIADB_DIR=str(self.work / "mariadb"))

    def start_mariadb(self) -> None:
        # The stack's database settings (durable commits, no binary log), with a buffer pool
        # that holds the generated catalogue.
        env = dict(
            self.db_env,
            PUSTAKA_TEST_MARIADB_ARGS="--innodb-buffer-pool-size=1G "
            "--innodb-flush-log-at-trx-commit=1 --max-connections=2000",
        )
        out = run([str(ROOT / "scripts/mariadb-test-server"), "start"], env=env).stdout
        self.db_url = re.search(r"PUSTAKA_TEST_MARIADB_URL=(\S+)", out).group(1)
        u = urllib.parse.urlparse(self.db_url)
        self.db_port, self.db_user, self.db_password = u.port, u.username, u.password
        self.sql("CREATE DATABASE pt_bench; CREATE DATABASE pt_sbtest;")

    def sql(self, statements: str, db: str = "", local_infile: bool = False) -> str:
        cmd = ["mariadb", "--no-defaults", f"--socket={self.work}/mariadb/sock", "-uroot", "-N", "-B"]
        if local_infile:
            cmd.append("--local-infile=1")
        return run([*cmd, *([db] if db else []), "-e", statements]).stdout

    def mariadb_url(self) -> str:
        return f"{self.db_url}/pt_bench"

    def pustaka(self, args: list[str], url: str, binary: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PUSTAKA_DATABASE_URL=url, RUST_LOG="warn")
        return run([str(binary or PUSTAKA), *args], env=env)

    def replica(
        self, name: str, url: str, extra_env: dict[str, str] | None = None, binary: str | None = None
    ) -> tuple[int, subprocess.Popen[bytes]]:
        """Starts a pustaka replica (of `binary`, by default PUSTAKA) on a free port; returns (port, pid)."""
        port = free_port()
        env = dict(
            os.environ,
            PUSTAKA_LISTEN=f"127.0.0.1:{port}",
            PUSTAKA_DATABASE_URL=url,
            PUSTAKA_ADMIN_PASSWORD=self.admin_password,
            PUSTAKA_LOG_FORMAT="json",
            PUSTAKA_INSTANCE=name,
            PUSTAKA_TRUST_FORWARDED_FOR="1",
            PUSTAKA_WEB_DIR=str(ROOT / "web"),
            **(extra_env or {}),
        )
        logf = open(self.work / f"{name}.log", "w")
        p = subprocess.Popen(
            [str(binary or PUSTAKA), "serve"], env=env, stdout=logf, stderr=logf, preexec_fn=lambda: raise_nofile()
        )
        self.procs.append(p)
        try:
            wait_until(f"replica {name}", lambda: http_status(port, "/readyz") == 200)
        except SystemExit as e:
            log_tail = (self.work / f"{name}.log").read_text()[-3000:]
            sys.exit(f"{e}; its log ends:\n{log_tail}")
        return port, p

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.procs.remove(proc)

    def haproxy(self, backends: list[int]) -> tuple[int, subprocess.Popen[bytes]]:
        """HAProxy with the stack's own deploy/haproxy/haproxy.cfg, pointed at these ports."""
        cfg = (ROOT / "deploy/haproxy/haproxy.cfg").read_text()
        port, stats = free_port(), free_port()
        servers = "\n".join(f"    server web{i} 127.0.0.1:{p}" for i, p in enumerate(backends, 1))
        edits = [
            (r"\nresolvers docker\n(    .*\n)+", "\n"),  # Docker's DNS: not here
            (r"bind :8080\n", f"bind 127.0.0.1:{port}\n"),
            (r"    bind :8443 ssl .*\n", ""),  # HTTPS: its certificate lives in the stack's volume
            (r"bind :8404\n", f"bind 127.0.0.1:{stats}\n"),
            (r"bind :8405\n", f"bind 127.0.0.1:{free_port()}\n"),  # its Prometheus exporter
            (r"    server-template web .*\n", servers + "\n"),
        ]
        for pattern, new in edits:
            cfg, n = re.subn(pattern, new, cfg)
            if n != 1:
                sys.exit(f"bench: deploy/haproxy/haproxy.cfg changed shape ({pattern!r}): update bench/run")
        path = self.work / f"haproxy-{port}.cfg"
        path.write_text(cfg)
        p = subprocess.Popen(
            ["haproxy", "-db", "-f", str(path)], stdout=subprocess.DEVNULL, stderr=open(self.work / "haproxy.log", "a")
        )
        self.procs.append(p)
        wait_until("haproxy", lambda: http_status(port, "/readyz") == 200)
        return port, p

    def login(self, port: int) -> str:
        body = {"username": "admin", "password": self.admin_password}
        return Api(port).call("POST", "/auth/login", body)["token"]

    def cleanup(self) -> None:
        for p in self.procs:
            with contextlib.suppress(ProcessLookupError):
                p.kill()
            p.wait()
        for name in self.containers:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        subprocess.run([str(ROOT / "scripts/mariadb-test-server"), "stop"], env=self.db_env, capture_output=True)
        shutil.rmtree(self.work, ignore_errors=True)
