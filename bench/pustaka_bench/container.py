"""P5/P7: the runtime image, its size and a container start to /readyz 200 (Docker)."""

import os
import re
import statistics
import time

from .common import PUSTAKA, ROOT, free_port, http_status, log, run, wait_until
from .context import Bench


def p7_image(b: Bench) -> None:
    log("P5/P7: the runtime image — size, and container start to /readyz 200")
    out = run([str(ROOT / "deploy/stack"), "images"], env=dict(os.environ, PUSTAKA_BIN=str(PUSTAKA))).stdout
    image = re.search(r"STANDIN_WEB_IMAGE=(\S+)", out).group(1)
    size = int(run(["docker", "image", "inspect", "-f", "{{.Size}}", image]).stdout.strip())
    b.out.row("runtime image (the stand-in build of the Dockerfile's runtime)", f"{size / 1e6:.1f} MB", image)
    b.out.figures["p5_image_mb"] = round(size / 1e6, 1)
    times = []
    for i in range(3):
        port = free_port()
        name = f"pustaka-bench-ready-{os.getpid()}-{i}"
        run(
            [
                "docker",
                "create",
                "--name",
                name,
                "--network",
                "host",
                "--read-only",
                "--cap-drop",
                "ALL",
                "--security-opt",
                "no-new-privileges",
                "-e",
                f"PUSTAKA_LISTEN=127.0.0.1:{port}",
                "-e",
                f"PUSTAKA_DATABASE_URL={b.db.mariadb_url()}",
                image,
                "serve",
            ]
        )
        b.db.containers.append(name)
        t0 = time.monotonic()
        run(["docker", "start", name])
        wait_until("container", lambda p=port: http_status(p, "/readyz") == 200, seconds=30)
        times.append(time.monotonic() - t0)
        run(["docker", "rm", "-f", name])
        b.db.containers.remove(name)
    b.out.row(
        "container start → /readyz 200 (median of 3)",
        f"{statistics.median(times):.2f} s",
        ", ".join(f"{t:.2f}" for t in times) + " s; host network, migrated MariaDB",
    )
    b.out.figures["p7_ready_s"] = round(statistics.median(times), 2)
