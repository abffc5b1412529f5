"""The benchmark behind bench/run, one module per measurement.

Shared pieces: `common` (paths, processes, the API client), `servers` (MariaDB, pustaka replicas,
HAProxy), `data` (the generated catalogue, desks), `loadgen` (runs of bench/loadgen), `output` (the
goals, the table, RESULTS.md, the JSON line) and `context` (one run: settings, servers, results).
Measurements: `point_reads` (P1/P2), `search` (P3), `memory` (P5), `checkouts` (P6), `container`
(P5/P7, Docker), `front_page` (P8), `reports` (P9), `mixed`, `stocktake`, `labels`, `class_sets`, `imports`.
`main` is the command line and the order of a run. No module imports one that imports it back.
"""
