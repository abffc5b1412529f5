"""P6's ceiling: the statements one checkout + return pair sends to MariaDB (read from its general
log), and the same transactions driven alone against the same MariaDB, with the same number of
desks, each with its own copy and member (sysbench running a Lua script made from them)."""

import re
from pathlib import Path
from typing import Any

from .common import Api, run
from .context import Bench
from .data import desk_pairs


def capture_pair(b: Bench, port: int, token: str, tag: str) -> list[tuple[str, str]]:
    """The statements of one checkout and one return, as (part, statement), in the order the
    general log has them. A first pair warms the connections (their prepared statements), the
    second one is logged. Prepared statements are logged with their `?`: see [`fill`]."""
    api = Api(port, token)
    barcode, card = desk_pairs(b, port, token, 1, f"log-{tag}").read_text().split()
    for logged in (False, True):
        if logged:
            b.db.sql("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1;")
        api.call("POST", "/loans", {"barcode": barcode, "card_number": card})
        if logged:
            b.db.sql("SET GLOBAL general_log = 0;")  # ends the checkout's part, starts the return's
            b.db.sql("SET GLOBAL general_log = 1;")
        api.call("POST", "/returns", {"barcode": barcode})
    b.db.sql("SET GLOBAL general_log = 0;")
    rows = b.db.sql("SELECT thread_id, command_type, HEX(argument) FROM mysql.general_log")
    logged = [(t, c, bytes.fromhex(x).decode()) for t, c, x in (line.split("\t") for line in rows.splitlines())]
    # The mariadb client's own connections (switching the log) are not the pair's.
    mine = {t for t, _, s in logged if "general_log" in s}
    out, part = [], "checkout"
    for thread, command, statement in logged:
        if "general_log = 0" in statement:
            part = "return"
        if thread in mine or command not in ("Query", "Execute"):
            continue
        out.append((part, " ".join(statement.split())))
    return out


# The value of a `?` by what comes before it (as Lua fills them in: see LUA's `fill`).
BY_CONTEXT = [
    (r"token_hash = $", "'{token}'"),
    (r"expires_at > $", "'{now}'"),
    (r"barcode = $", "'{barcode}'"),
    (r"card_number = $", "'{card}'"),
    (r"(copy_id|c\.id) = $", "{copy}"),
    (r"(starts_on <=|ends_on >=|day >=) $", "'{today}'"),
    (r"m\.id = $", "{member}"),
    (r"book_id = $", "{book}"),
    (r"category = $", "'{category}'"),
]

# Statements whose `?` are values written, in order.
BY_STATEMENT = [
    (r"^INSERT INTO loans ", ["{member}", "'{now}'", "'{due}'", "'{category}'", "{copy}"]),
    (r"^UPDATE copies SET status = \?, updated_at = \? WHERE id = \? AND status = \?$", None),
    (r"^INSERT INTO audit_log ", ["'{now}'", "'admin'", "'{action}'", "'loan'", "{loan}", "'{barcode}'"]),
    (r"^INSERT INTO commit_marks ", ["{mark}"]),
    (r"^UPDATE loans (FORCE INDEX \(PRIMARY\) )?SET returned_at = \? WHERE id = \?", ["'{now}'", "{loan}"]),
]


def fill(part: str, statement: str) -> str:
    """`statement` with each `?` replaced by the hole Lua fills in for the desk and the moment."""
    for pattern, values in BY_STATEMENT:
        if re.search(pattern, statement):
            if values is None:  # a copy's status: lent, or back on the shelf
                to, was = ("on_loan", "available") if part == "checkout" else ("available", "on_loan")
                values = [f"'{to}'", "'{now}'", "{copy}", f"'{was}'"]
            pieces = statement.split("?")
            if len(pieces) - 1 != len(values):
                raise SystemExit(f"bench: the pair's statement changed shape: {statement}")
            return "".join(p + v for p, v in zip(pieces, [*values, ""], strict=True))
    out = ""
    for piece in statement.split("?")[:-1]:
        out += piece
        value = next((v for pattern, v in BY_CONTEXT if re.search(pattern, out)), None)
        if value is None:
            raise SystemExit(f"bench: a `?` of the pair's statements this harness cannot fill: {out}?")
        out += value
    return out + statement.split("?")[-1]


def loan_column(statement: str) -> int | None:
    """Where a return's first read of its loan has the loan's id (1-based), if it reads it."""
    if not re.search(r"(FROM|JOIN) loans", statement):
        return None
    select = statement[len("SELECT ") : statement.index(" FROM ")] if statement.startswith("SELECT ") else ""
    columns, depth, cur = [], 0, ""
    for ch in select:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            columns.append(cur.strip())
            cur = ""
        else:
            cur += ch
    columns.append(cur.strip())
    for i, c in enumerate(columns, 1):
        if c in ("id", "l.id", "l.id AS loan_id") and (c != "id" or " FROM loans " in f" {statement} "):
            return i
    return None


def per_pair(statements: list[tuple[str, str]]) -> dict[str, int]:
    """Statements (round trips of a statement: BEGIN and COMMIT count) and commits in one pair."""
    commits = sum(1 for _, s in statements if s.upper() == "COMMIT")
    return {"statements": len(statements), "commits": commits}


LUA = """-- Made by bench/pustaka_bench/desk_db.py: one event is one checkout + return pair.
local desks = {%(desks)s}
local token = %(token)s
local checkout = {%(checkout)s}
local giveback = {%(giveback)s}
local function fill(s, d, loan, action)
  local now = os.date("!%%Y-%%m-%%d %%H:%%M:%%S")
  local t = {copy = d.copy, member = d.member, barcode = d.barcode, card = d.card, book = d.book,
    category = d.category, token = token, now = now, today = now:sub(1, 10),
    due = os.date("!%%Y-%%m-%%d 16:59:59", os.time() + 14 * 86400), loan = loan, action = action,
    mark = string.format("%%d", math.random(1, 2^52))}
  return (s:gsub("{(%%w+)}", t))
end
deadlocks = 0
function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  desk = desks[sysbench.tid + 1]
  math.randomseed(os.time() * 100 + sysbench.tid)
end
function thread_done()
  if deadlocks > 0 then print("deadlocks run again: " .. deadlocks) end
  con:disconnect()
end
-- One transaction's statements; a deadlock rolls it back and runs it again, as Pustaka does.
local function run(statements, action, opened)
  while true do
    local loan = nil
    local ok = pcall(function()
      for _, s in ipairs(statements) do
        if loan == nil and s[2] > 0 then
          local rs = con:query(fill(s[1], desk, "0", action))
          loan = rs:fetch_row()[s[2]]
        else
          con:query(fill(s[1], desk, opened or loan or "0", action))
        end
      end
    end)
    if ok then return end
    deadlocks = deadlocks + 1
    if deadlocks > 10000 then error("the pair's statements keep failing") end
    con:query("ROLLBACK")
  end
end
function event()
  -- The checkout's statements name the new loan by LAST_INSERT_ID() (in the statement, as
  -- Pustaka's use the id the INSERT answered; a subquery on loans would take shared next-key
  -- locks that Pustaka's statements do not); the return's read it where Pustaka does.
  run(checkout, "loan.create", "LAST_INSERT_ID()")
  run(giveback, "loan.return", nil)
end
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ceiling(b: Bench, statements: list[tuple[str, str]], desks: list[dict[str, Any]], tag: str) -> float:
    """Pairs per second of `statements` driven by sysbench, one thread per desk, for b.seconds."""
    # The return's first statement that reads the loan's id.
    first = next((i for i, (p, s) in enumerate(statements) if p == "return" and loan_column(s)), -1)
    script = LUA % {
        "desks": ", ".join("{" + ", ".join(f"{k} = {lua_string(str(v))}" for k, v in d.items()) + "}" for d in desks),
        "token": lua_string(
            b.db.sql("SELECT token_hash FROM sessions ORDER BY id DESC LIMIT 1", db="pt_bench").strip()
        ),
        "checkout": ", ".join(f"{{{lua_string(fill(p, s))}, 0}}" for p, s in statements if p == "checkout"),
        "giveback": ", ".join(
            f"{{{lua_string(fill(p, s))}, {(loan_column(s) or 0) if i == first else 0}}}"
            for i, (p, s) in enumerate(statements)
            if p == "return"
        ),
    }
    path = Path(b.work / f"desk-{tag}.lua")
    path.write_text(script)
    out = sysbench_script(b, path, len(desks), "--mysql-ignore-errors=1213,1205")
    total = float(re.search(r"total time:\s+([\d.]+)s", out).group(1))
    events = int(re.search(r"total number of events:\s+(\d+)", out).group(1))
    return events / total


def sysbench_script(b: Bench, script: Path, threads: int, *flags: str) -> str:
    """What sysbench printed running the Lua `script` against the bench's database (pt_bench) for
    b.seconds, with `threads` threads and more `flags`."""
    return run(
        [
            "sysbench",
            str(script),
            "--db-driver=mysql",
            "--mysql-host=127.0.0.1",
            f"--mysql-port={b.db.db_port}",
            f"--mysql-user={b.db.db_user}",
            f"--mysql-password={b.db.db_password}",
            "--mysql-db=pt_bench",
            *flags,
            f"--threads={threads}",
            f"--time={int(b.seconds)}",
            "run",
        ]
    ).stdout


def ceiling_desks(b: Bench, port: int, token: str, count: int, tag: str) -> list[dict[str, Any]]:
    """`count` desks for the ceiling (made through the API like the load's), with their ids."""
    path = desk_pairs(b, port, token, count, f"ceiling-{tag}")
    desks = []
    for line in path.read_text().splitlines():
        barcode, card = line.split()
        copy, book, member, category = b.db.sql(
            f"SELECT c.id, c.book_id, m.id, m.category FROM copies c, members m "
            f"WHERE c.barcode = '{barcode}' AND m.card_number = '{card}'",
            db="pt_bench",
        ).split()
        desks.append(
            {"copy": copy, "book": book, "member": member, "category": category, "barcode": barcode, "card": card}
        )
    return desks
