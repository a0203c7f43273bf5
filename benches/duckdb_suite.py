#!/usr/bin/env python3
"""DuckDB reference for `engagedb bench query`: loads the tables engagedb exported as CSV into a DuckDB
database (once, cached next to the export) and times each query the same way engagedb does (warm-up
runs, then the median of timed runs). Prints one JSON object per query on stdout:
{"name": ..., "median_ms": ..., "min_ms": ..., "rows": ..., "csv": ...}.

Benchmark tooling only; engagedb itself never depends on Python."""

import argparse
import json
import os
import statistics
import sys
import time

TYPES = {
    "events": [
        ("time", "TIMESTAMP"), ("signal_id", "VARCHAR"), ("signal", "VARCHAR"), ("app", "VARCHAR"),
        ("action", "VARCHAR"), ("student", "VARCHAR"), ("class", "VARCHAR"), ("school", "VARCHAR"),
        ("assignment", "VARCHAR"), ("submission", "VARCHAR"), ("due", "TIMESTAMP"), ("grade", "DOUBLE"),
        ("file_ext", "VARCHAR"), ("meeting", "VARCHAR"), ("meeting_seconds", "BIGINT"), ("reading_wpm", "BIGINT"),
        ("reading_accuracy", "VARCHAR"), ("reading_mispronunciations", "BIGINT"), ("reading_repetitions", "BIGINT"),
        ("reading_insertions", "BIGINT"), ("reading_omissions", "BIGINT"), ("reading_attempt", "BIGINT"),
        ("reading_word_count", "BIGINT"), ("reading_grade_level", "VARCHAR"), ("reading_language", "VARCHAR"),
    ],
    "assignments": [("id", "VARCHAR"), ("class", "VARCHAR"), ("due", "TIMESTAMP"), ("assigned_at", "TIMESTAMP")],
    "orgs": [("id", "VARCHAR"), ("name", "VARCHAR"), ("type", "VARCHAR"), ("parent", "VARCHAR")],
    "classes": [("id", "VARCHAR"), ("name", "VARCHAR"), ("school", "VARCHAR")],
    "people": [("id", "VARCHAR"), ("role", "VARCHAR")],
    "enrollments": [("class", "VARCHAR"), ("person", "VARCHAR"), ("role", "VARCHAR")],
}


def load(con, export_dir):
    for table, cols in TYPES.items():
        pattern = os.path.join(export_dir, "events_*.csv" if table == "events" else f"{table}.csv")
        columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in cols) + "}"
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv('{pattern}', header=true, columns={columns}, "
            f"nullstr='', quote='\"', escape='\"', auto_detect=false)"
        )


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--export", required=True, help="folder with the CSVs engagedb exported")
    ap.add_argument("--db", required=True, help="DuckDB database file (created and loaded if absent)")
    ap.add_argument("--queries", required=True, help="JSON file: list of {name, sql}")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    import duckdb

    fresh = not os.path.exists(args.db)
    con = duckdb.connect(args.db)
    if fresh:
        started = time.perf_counter()
        load(con, args.export)
        print(json.dumps({"loaded_s": time.perf_counter() - started}), flush=True)
    with open(args.queries) as f:
        queries = json.load(f)
    for q in queries:
        for _ in range(args.warmup):
            con.execute(q["sql"]).fetchall()
        times = []
        rows = None
        for _ in range(args.runs):
            started = time.perf_counter()
            rows = con.execute(q["sql"]).fetchall()
            times.append((time.perf_counter() - started) * 1e3)
        csv = "\n".join(",".join(fmt(v) for v in r) for r in rows)
        print(json.dumps({"name": q["name"], "median_ms": statistics.median(times), "min_ms": min(times),
                          "rows": len(rows), "csv": csv}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
