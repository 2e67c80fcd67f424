#!/usr/bin/env python3
"""A record costs no heap allocation once the reader and the VM are warm.

Generates a small bench stream (bench/generate.py: 200 units, 400 accounts, 40,000 records
of all 26 event types) and runs rulebook_bench's allocations phase on it, as JSON Lines and
as CSV: after the warm-up (the first half of the records) the allocations must stay a small
constant (the last chunk, the end of the file), far below one per hundred records. Before
the symbol table kept its texts back to back, each new text cost one (about 0.16 a record).

  tests/bench_alloc_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

build, source = sys.argv[1], sys.argv[2]
bench = os.path.join(build, "rulebook_bench")
failures = 0
with tempfile.TemporaryDirectory() as out:
    subprocess.run([sys.executable, os.path.join(source, "bench", "generate.py"), "--units", "200",
                    "--accounts", "400", "--records", "40000", "--csv", "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    for events in ("events.jsonl", "events.csv"):
        run = subprocess.run([bench, os.path.join(out, "bench.rules"), os.path.join(out, events),
                              "--no-stream", "--no-vm"], capture_output=True, text=True)
        line = next((l for l in run.stdout.splitlines() if l.startswith("BENCH ")), "")
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        if run.returncode != 0 or "allocs" not in fields:
            print(f"FAIL {events}: rulebook_bench exited {run.returncode}: {run.stderr.strip()}")
            failures += 1
            continue
        allocs = int(fields["allocs"])
        warm = int(fields["warm_allocs"])
        measured = int(fields["in_period"]) - 20000
        if allocs > measured // 100 or warm == 0:
            print(f"FAIL {events}: {allocs} allocations in about {measured} records after the warm-up ({warm} in it)")
            failures += 1
        else:
            print(f"ok   {events}: {allocs} allocations in about {measured} records after the warm-up ({warm} in it)")
sys.exit(1 if failures else 0)
