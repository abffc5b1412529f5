#!/usr/bin/env python3
"""Load generator and reckoning for `deploy/stack faults` (standard library only).

  faults-load.py run --base URL --run-id ID --phase-file F --out F --ready-file F
      Logs in as admin (password in $FAULTS_ADMIN_PASSWORD), adds a few seed books, then runs
      reader threads (GET /api/v1/books?q=ID, GET /api/v1/books/{id}) and writer threads
      (POST /api/v1/books {"title": "ID-n"}) until SIGTERM or --max-seconds. Every request is
      one JSON line in --out: start/end time (epoch seconds), kind, phase (the content of
      --phase-file when the request started), status (HTTP code, or "error: ...") and, for
      writes, the title. A write is acknowledged only on 201. Writes are never retried.
  faults-load.py report --records F --db-titles F
      Compares the acknowledged titles with the titles found in the database (one a line)
      and prints per-phase figures as one JSON object (failures_from/until: when the first
      failed request of the phase started and the last one ended); a summary goes to stderr.
"""
import argparse
import collections
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

TIMEOUT = 8.0  # seconds per request; a request not answered by then counts as hung


def request(base, method, path, body=None, token=None):
    """(status, parsed JSON body or None); status is an int or 'error: <what>'."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as res:
            raw = res.read()
            status = res.status
    except urllib.error.HTTPError as e:
        try:
            e.read()
        except Exception:  # noqa: BLE001 - the status is what counts
            pass
        return e.code, None
    except Exception as e:  # noqa: BLE001 - every failure is an outcome to record
        reason = getattr(e, "reason", None)
        return "error: %s" % (type(reason or e).__name__ + (" " + str(reason) if reason else "")), None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


class Load:
    def __init__(self, args):
        self.args = args
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.out = open(args.out, "a", buffering=1)
        self.book_ids = []
        self.counter = 0
        self.phase = "start"
        self.token = None

    def current_phase(self):
        try:
            with open(self.args.phase_file) as f:
                p = f.read().strip()
            if p:
                self.phase = p
        except OSError:
            pass
        return self.phase

    def record(self, **rec):
        with self.lock:
            self.out.write(json.dumps(rec, separators=(",", ":")) + "\n")

    def timed(self, kind, method, path, body=None, token=None, **extra):
        phase = self.current_phase()
        t0 = time.time()
        status, doc = request(self.args.base, method, path, body, token)
        t1 = time.time()
        self.record(t0=round(t0, 3), t1=round(t1, 3), kind=kind, phase=phase, status=status, **extra)
        return status, doc

    def login(self):
        password = os.environ.get("FAULTS_ADMIN_PASSWORD", "")
        deadline = time.time() + 30
        while time.time() < deadline:
            status, doc = request(self.args.base, "POST", "/api/v1/auth/login",
                                  {"username": "admin", "password": password})
            if status == 200 and doc and doc.get("token"):
                self.token = doc["token"]
                return True
            print("login: %s" % status, file=sys.stderr)
            if status in (401, 429):
                return False
            time.sleep(2)
        return False

    def write(self):
        with self.lock:
            self.counter += 1
            title = "%s-%d" % (self.args.run_id, self.counter)
        status, doc = self.timed("write", "POST", "/api/v1/books",
                                 {"title": title, "authors": ["Fault Test"]}, self.token, title=title)
        if status == 201 and doc and "id" in doc:
            with self.lock:
                self.book_ids.append(doc["id"])
        return status

    def writer(self):
        while not self.stop.is_set():
            self.write()
            self.stop.wait(self.args.pause)

    def reader(self, n):
        rnd = random.Random(n)
        while not self.stop.is_set():
            if rnd.random() < 0.5:
                self.timed("read", "GET", "/api/v1/books?q=%s&per_page=5" % self.args.run_id)
            else:
                with self.lock:
                    book = rnd.choice(self.book_ids)
                self.timed("read", "GET", "/api/v1/books/%d" % book)
            self.stop.wait(self.args.pause)

    def run(self):
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        if not self.login():
            print("faults-load: cannot log in as admin", file=sys.stderr)
            return 1
        for _ in range(10):
            self.write()
        if not self.book_ids:
            print("faults-load: no seed book could be added", file=sys.stderr)
            return 1
        threads = [threading.Thread(target=self.reader, args=(i,), daemon=True) for i in range(self.args.readers)]
        threads += [threading.Thread(target=self.writer, daemon=True) for _ in range(self.args.writers)]
        for t in threads:
            t.start()
        with open(self.args.ready_file, "w") as f:
            f.write("ready\n")
        self.stop.wait(self.args.max_seconds)
        self.stop.set()
        for t in threads:
            t.join(TIMEOUT + 2)
        self.out.close()
        return 0


def report(args):
    records = []
    with open(args.records) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass  # a line cut short when the generator was stopped
    in_db = collections.Counter()
    with open(args.db_titles) as f:
        for line in f:
            if line.strip():
                in_db[line.rstrip("\n")] += 1
    phases = collections.OrderedDict()
    for r in records:
        p = phases.setdefault(r["phase"], {
            "reads": 0, "failed_reads": 0, "writes": 0, "acked_writes": 0, "failed_writes": 0,
            "lost_writes": 0, "duplicate_writes": 0, "unacked_in_db": 0, "hung": 0,
            "max_latency_s": 0.0, "statuses": collections.Counter(), "failures_from": None, "failures_until": None})
        latency = r["t1"] - r["t0"]
        hung = latency >= TIMEOUT - 0.5 or any(w in str(r["status"]) for w in ("imeout", "timed out"))
        p["hung"] += hung
        p["max_latency_s"] = round(max(p["max_latency_s"], latency), 3)
        p["statuses"]["%s %s" % (r["kind"], r["status"])] += 1
        if r["status"] != (200 if r["kind"] == "read" else 201):
            p["failures_from"] = min(p["failures_from"] or r["t0"], r["t0"])
            p["failures_until"] = max(p["failures_until"] or r["t1"], r["t1"])
        if r["kind"] == "read":
            p["reads"] += 1
            p["failed_reads"] += r["status"] != 200
        else:
            p["writes"] += 1
            n = in_db.get(r["title"], 0)
            p["duplicate_writes"] += n > 1
            if r["status"] == 201:
                p["acked_writes"] += 1
                p["lost_writes"] += n == 0
            else:
                p["failed_writes"] += 1
                p["unacked_in_db"] += n > 0
    for name, p in phases.items():
        print("  %-10s %4d reads (%d failed), %4d writes (%d acknowledged, %d failed, %d lost, %d duplicated, "
              "%d unacknowledged but stored), %d hung, slowest %.2f s; %s" % (
                  name, p["reads"], p["failed_reads"], p["writes"], p["acked_writes"], p["failed_writes"],
                  p["lost_writes"], p["duplicate_writes"], p["unacked_in_db"], p["hung"], p["max_latency_s"],
                  ", ".join("%s: %d" % kv for kv in sorted(p["statuses"].items()))), file=sys.stderr)
        p["statuses"] = dict(p["statuses"])
    written = {r["title"] for r in records if r["kind"] == "write"}
    unknown = sum(1 for t in in_db if t not in written)
    print(json.dumps({"phases": phases, "titles_in_db_not_written": unknown}, separators=(",", ":")))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--run-id", required=True)
    r.add_argument("--phase-file", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--ready-file", required=True)
    r.add_argument("--readers", type=int, default=4)
    r.add_argument("--writers", type=int, default=2)
    r.add_argument("--pause", type=float, default=0.05, help="seconds between a thread's requests")
    r.add_argument("--max-seconds", type=float, default=330)
    p = sub.add_parser("report")
    p.add_argument("--records", required=True)
    p.add_argument("--db-titles", required=True)
    args = ap.parse_args()
    return Load(args).run() if args.cmd == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
