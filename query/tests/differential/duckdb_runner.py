"""Reference runner of the differential test (query/tests/differential.rs): loads the tables engagedb
exported as CSV into an in-memory DuckDB with explicit column types, runs every query of a query
file, and writes each result in a form the Rust side parses without any type guessing.

Usage: python3 duckdb_runner.py TABLES_DIR QUERIES_CSV OUT_CSV

TABLES_DIR holds schema.csv (table,column,type; type one of TIMESTAMP, DOUBLE, BIGINT, VARCHAR) and
one <table>.csv per table as engagedb's CSV format writes it: a header row, NULL as an empty field,
the empty string as "".

QUERIES_CSV has the records (index, sql). OUT_CSV gets, per query, either one record
(index, "E", message) or a record (index, "C", type, ...) followed by one record per row
(index, "R", cell, ...) where a cell is "N" for NULL or "V" followed by the value's text in engagedb's
CSV format (timestamps as YYYY-MM-DD HH:MM:SS[.ffffff], booleans as true/false, doubles in shortest
round-trip form, sub-second digits without trailing zeros).
"""

import csv
import datetime
import decimal
import math
import sys

import duckdb

csv.field_size_limit(1 << 30)


def load_tables(con, tables_dir):
    schema = {}
    with open(f"{tables_dir}/schema.csv", newline="", encoding="utf-8") as f:
        for table, column, ty in csv.reader(f):
            schema.setdefault(table, []).append((column, ty))
    for table, columns in schema.items():
        spec = ", ".join(f"'{name}': '{ty}'" for name, ty in columns)
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, delim = ',', quote = '\"', "
            f"escape = '\"', nullstr = '', allow_quoted_nulls = false, auto_detect = false, "
            f"columns = {{{spec}}})",
            [f"{tables_dir}/{table}.csv"],
        )


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        # Sub-second digits only when non-zero, without trailing zeros (as engagedb and DuckDB print them).
        return s + f".{v.microsecond:06d}".rstrip("0") if v.microsecond else s
    if isinstance(v, datetime.date):
        return v.strftime("%Y-%m-%d 00:00:00")
    return str(v)


def cell(v):
    return "N" if v is None else "V" + text(v)


def main():
    tables_dir, queries_path, out_path = sys.argv[1:4]
    con = duckdb.connect()
    con.execute("SET threads = 1")
    load_tables(con, tables_dir)
    with open(queries_path, newline="", encoding="utf-8") as f:
        queries = [(int(i), sql) for i, sql in csv.reader(f)]
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        for i, sql in queries:
            try:
                cur = con.execute(sql)
                rows = cur.fetchall()
                types = [str(d[1]) for d in cur.description]
            except duckdb.Error as e:
                w.writerow([i, "E", " ".join(str(e).split())])
                continue
            w.writerow([i, "C"] + types)
            for r in rows:
                w.writerow([i, "R"] + [cell(v) for v in r])


if __name__ == "__main__":
    main()
