"""P9: reports over ten years of generated history."""

import datetime as dt
import math
import statistics
import time

from .common import Api, log
from .context import Bench

REPORTS = [
    "loans-per-month",
    "loans-per-day",
    "loans-by-category",
    "loans-by-class",
    "top-titles",
    "active-members",
    "acquisitions",
    "collection",
    "overdue",
    "fines",
    "visitors",
]


def p9_reports(b: Bench, port: int) -> None:
    """Reports (issue 15) over ten years of history: 1M loans (50k with --quick), one copy per
    book, 10,000 members, a fine on every 20th loan, paid, waived or still owed, a visit for
    every 5th loan (a quarter of them guests); each report
    over the last semester of that history, p95 of 20 requests one at a time."""
    loans = 50_000 if b.quick else 1_000_000
    log(f"P9: reports over {loans:,} loans — generating the history in MariaDB")
    span = 10 * 365 * 86400
    b.db.sql(
        f"""
        UPDATE books SET classification = CONCAT(id % 10, LPAD(id % 100, 2, '0'), '.', id % 7);
        INSERT INTO copies (book_id, barcode, status, created_at, updated_at, ddc_class)
            SELECT id, CONCAT('RPT', id), 'available', created_at, created_at,
                   IF(ASCII(classification) BETWEEN 48 AND 57, ASCII(classification) - 48, NULL)
            FROM books;
        INSERT INTO members (card_number, name, category, created_at, updated_at)
            SELECT CONCAT('RPT', seq), CONCAT('Anggota ', seq), ELT(1 + seq % 3, 'student', 'staff', 'public'),
                   NOW(), NOW() FROM seq_1_to_10000;
        SET @c = (SELECT MIN(id) FROM copies WHERE barcode LIKE 'RPT%'),
            @n = (SELECT COUNT(*) FROM copies WHERE barcode LIKE 'RPT%'),
            @m = (SELECT MIN(id) FROM members WHERE card_number LIKE 'RPT%');
        INSERT INTO loans (copy_id, member_id, loaned_at, due_at, returned_at, book_id, member_category, ddc_class)
            SELECT c.id, m.id,
                   TIMESTAMP('2016-11-01') + INTERVAL (seq * {span // loans}) SECOND,
                   TIMESTAMP('2016-11-08') + INTERVAL (seq * {span // loans}) SECOND,
                   TIMESTAMP('2016-11-06') + INTERVAL (seq * {span // loans}) SECOND,
                   c.book_id, m.category, c.ddc_class
            FROM seq_1_to_{loans} JOIN copies c ON c.id = @c + (seq * 7919) % @n JOIN members m ON m.id = @m + seq % 10000;
        INSERT INTO fines (member_id, loan_id, amount, reason, status, created_at, resolved_at, paid)
            SELECT member_id, id, 1500, 'overdue', ELT(1 + id % 3, 'unpaid', 'paid', 'waived'), returned_at,
                   IF(id % 3 = 0, NULL, returned_at), IF(id % 3 = 1, 1500, 0)
            FROM loans WHERE id % 20 = 0 AND returned_at IS NOT NULL;
        INSERT INTO fine_payments (fine_id, amount, paid_at, received_by)
            SELECT id, 1500, resolved_at, 'bench' FROM fines WHERE status = 'paid' AND resolved_at IS NOT NULL;
        INSERT INTO visits (client_id, visited_at, member_id, category, guest_name, recorded_by, created_at)
            SELECT CONCAT('rpt-', seq), TIMESTAMP('2016-11-01') + INTERVAL (seq * {span // (loans // 5)}) SECOND,
                   IF(seq % 4 = 0, NULL, @m + seq % 10000), IF(seq % 4 = 0, 'guest', 'student'),
                   IF(seq % 4 = 0, 'Tamu', NULL), 'kiosk', NOW()
            FROM seq_1_to_{loans // 5};
        ANALYZE TABLE books, copies, members, loans, fines, fine_payments;
    """,
        db="pt_bench",
    )
    end = dt.date(2016, 11, 1) + dt.timedelta(seconds=span)
    start = dt.date(end.year if end.month > 6 else end.year - 1, (end.month - 6 - 1) % 12 + 1, 1)
    api = Api(port, b.db.login(port))
    result = {}
    for name in REPORTS:
        path = f"/reports/{name}?from={start}&to={end}"
        times = []
        for i in range(22):
            t0 = time.perf_counter()
            api.call("GET", path)
            if i >= 2:  # two to warm the caches
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[math.ceil(0.95 * len(times)) - 1]
        result[name] = round(p95, 1)
        b.out.row(
            f"report {name}, {loans:,} loans, {start}..{end}",
            f"{p95:.1f} ms",
            f"p95 of {len(times)}; median {statistics.median(times):.1f} ms",
        )
    b.out.figures["p9_reports_p95_ms"] = {"mariadb": result}
