#!/usr/bin/env python3
"""Load an Education Insights activity export into DuckDB, for comparison with `engagedb bench import`.

    python3 benches/import_vs_duckdb.py ACTIVITY.csv[.gz] [--db PATH] [--threads N]

Loads the headerless 32-column file with `read_csv` (explicit column names and types, no sniffing)
into a table of a file-backed DuckDB database, checkpoints it to disk, and prints one JSON line:
{"duckdb": VERSION, "seconds": S, "rows": N, "threads": T}.

What DuckDB does here is less than what engagedb's import does: no SignalId de-duplication, no
collection rules (teachers and guests are loaded too), no roster resolution, and one checkpoint at
the end instead of a durable (fsynced) write per batch. It uses all its threads by default.

Exit status 2 (with a message on stderr) if the `duckdb` module is not installed: `pip install duckdb`.
"""

import argparse
import json
import os
import sys
import tempfile
import time

# The 32 columns of schema 1.6, in file order, with the types the export documents.
COLUMNS = [
    ("SignalType", "VARCHAR"),
    ("StartTime", "TIMESTAMP"),
    ("UserAgent", "VARCHAR"),
    ("SignalId", "VARCHAR"),
    ("SisClassId", "VARCHAR"),
    ("ClassId", "VARCHAR"),
    ("ChannelId", "VARCHAR"),
    ("AppName", "VARCHAR"),
    ("ActorId", "VARCHAR"),
    ("ActorRole", "VARCHAR"),
    ("SchemaVersion", "VARCHAR"),
    ("AssignmentId", "VARCHAR"),
    ("SubmissionId", "VARCHAR"),
    ("SubmissionCreatedTime", "TIMESTAMP"),
    ("Action", "VARCHAR"),
    ("DueDate", "TIMESTAMP"),
    ("ClassCreationDate", "TIMESTAMP"),
    ("Grade", "DOUBLE"),
    ("SourceFileExtension", "VARCHAR"),
    ("MeetingDuration", "VARCHAR"),
    ("MeetingSessionId", "VARCHAR"),
    ("MeetingType", "VARCHAR"),
    ("ReadingSubmissionWordsPerMinute", "BIGINT"),
    ("ReadingSubmissionAccuracyScore", "VARCHAR"),
    ("ReadingSubmissionMispronunciationCount", "BIGINT"),
    ("ReadingSubmissionRepetitionsCount", "BIGINT"),
    ("ReadingSubmissionInsertionsCount", "BIGINT"),
    ("ReadingSubmissionObmissionCount", "BIGINT"),
    ("ReadingSubmissionAttemptNumber", "BIGINT"),
    ("ReadingAssignmentWordCount", "BIGINT"),
    ("ReadingAssignmentFleschKincaidGradeLevel", "VARCHAR"),
    ("ReadingAssignmentLanguage", "VARCHAR"),
]


def load(path, db_path, threads):
    """Loads `path` into table `activity` of a new database at `db_path`; returns (seconds, rows, threads)."""
    import duckdb

    con = duckdb.connect(db_path)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    used = con.execute("SELECT current_setting('threads')").fetchone()[0]
    columns = ", ".join(f"'{name}': '{ty}'" for name, ty in COLUMNS)
    sql = (
        "CREATE TABLE activity AS SELECT * FROM read_csv(?, header = false, delim = ',', quote = '\"', "
        f"escape = '\"', auto_detect = false, columns = {{{columns}}})"
    )
    started = time.perf_counter()
    con.execute(sql, [path])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM activity").fetchone()[0]
    con.close()
    return seconds, rows, used


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activity", help="headerless 32-column activity export (.csv or .csv.gz)")
    parser.add_argument("--db", help="DuckDB database file to create (default: a temporary one, deleted after)")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: DuckDB's own choice)")
    args = parser.parse_args()
    try:
        import duckdb
    except ImportError:
        print("duckdb is not installed for this python3 (pip install duckdb); no comparison", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.db or args.activity))) as tmp:
        db_path = args.db or os.path.join(tmp, "activity.duckdb")
        if os.path.exists(db_path):
            os.remove(db_path)
        seconds, rows, threads = load(args.activity, db_path, args.threads)
    print(json.dumps({"duckdb": duckdb.__version__, "seconds": seconds, "rows": rows, "threads": threads}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
