#!/usr/bin/python3
"""A libpq client (psycopg2) that inserts one row every INTERVAL ms into whichever node is primary and
records every acknowledged id, one per line, in ACKED_FILE. Stops after SECONDS or on SIGTERM.

    acked_writer.py HOSTS PORTS ACKED_FILE [INTERVAL_MS] [SECONDS]
    acked_writer.py --check HOSTS PORTS ACKED_FILE      # prints: acknowledged N lost M (exit 1 if M > 0)
"""
import os
import signal
import sys
import time

import psycopg2


def connect(hosts, ports):
    return psycopg2.connect(host=hosts, port=ports, dbname="postgres", user="postgres",
                            password=os.environ["PGPASSWORD"], target_session_attrs="read-write",
                            connect_timeout=1, options="-c statement_timeout=5000")


def write(hosts, ports, acked_file, interval_ms, seconds):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    conn = connect(hosts, ports)
    conn.autocommit = True
    conn.cursor().execute("CREATE TABLE IF NOT EXISTS bench_acked (id bigint PRIMARY KEY, at timestamptz DEFAULT now())")
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM bench_acked")
        next_id = cur.fetchone()[0] + 1
    end = time.monotonic() + seconds
    with open(acked_file, "a", buffering=1) as out:
        while not stop and time.monotonic() < end:
            due = time.monotonic() + interval_ms / 1000.0
            try:
                if conn is None:
                    conn = connect(hosts, ports)
                    conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO bench_acked (id) VALUES (%s)", (next_id,))
                out.write(f"{next_id} {time.time():.3f}\n")
            except psycopg2.Error:
                try:
                    if conn is not None:
                        conn.close()
                except psycopg2.Error:
                    pass
                conn = None
            next_id += 1   # an id whose insert failed may or may not be there: it is never acknowledged
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)


def check(hosts, ports, acked_file):
    acked = set()
    with open(acked_file) as f:
        for line in f:
            if line.strip():
                acked.add(int(line.split()[0]))
    conn = connect(hosts, ports)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM bench_acked")
        present = {row[0] for row in cur.fetchall()}
    lost = sorted(acked - present)
    print(f"acknowledged {len(acked)} lost {len(lost)}" + (f" first lost ids {lost[:10]}" if lost else ""))
    return 1 if lost else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--check":
        sys.exit(check(*args[1:4]))
    if len(args) < 3:
        sys.exit(__doc__)
    write(args[0], args[1], args[2], int(args[3]) if len(args) > 3 else 10, int(args[4]) if len(args) > 4 else 3600)
