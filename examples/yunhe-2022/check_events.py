#!/usr/bin/env python3
"""Validate examples/yunhe-2022/events.jsonl (and events.csv) against the
input rules of /work/shared/spec/yunhe-2022.md section 2 and the invariants the
generator promises.  Python 3 standard library only.  Exits non-zero (an
AssertionError) at the first broken invariant; prints a per-type summary.

Usage: check_events.py [events.jsonl [events.csv]]
"""

import collections
import csv
import datetime as dt
import json
import os
import sys
from decimal import Decimal, InvalidOperation

HERE = os.path.dirname(os.path.abspath(__file__))
JSONL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "events.jsonl")
CSVF = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "events.csv")

import yunhe_registry  # noqa: E402

UNITS = set(yunhe_registry.UNITS)
ALIAS = yunhe_registry.ALIAS
ACCOUNTS = {(p, a): u for p, a, u in yunhe_registry.ACCOUNTS}

# type -> required fields besides type/date (spec section 2 table)
SCHEMA = {
    "leak_verified": ["unit"], "lawsuit_lost_bad_info": ["unit"],
    "falsification_verified": ["unit"], "serious_error_flagged": ["unit"],
    "interp_substandard": ["unit", "level"], "interp_unlinked": ["unit", "level", "id"],
    "key_area_incomplete": ["unit", "level"], "app_case": ["unit", "id"],
    "app_late_processing": ["unit", "id"], "app_no_feedback": ["unit", "id"],
    "review_filed": ["unit", "id"], "review_lost": ["unit", "id"],
    "portal_warning": ["unit", "level", "id"], "portal_late_fix": ["unit"],
    "nm_unfiled": ["platform", "account"], "nm_warning": ["platform", "account"],
    "nm_finding": ["platform", "account", "id", "kind"],
    "nm_exposed": ["platform", "account", "id"], "nm_post": ["platform", "account"],
    "nm_weekly_score": ["platform", "account", "score", "avg"],
    "annual_report_published": ["unit"], "annual_report_missing_element": ["unit", "element"],
    "annual_report_similar": ["unit"], "experience_adopted": ["unit", "id", "outlet"],
    "interp_method": ["unit", "method"], "prev_year_eval": ["unit", "points"],
}
assert len(SCHEMA) == 26
LEVELS = {"province", "city", "county"}
OUTLETS = {"national", "provincial"}
NUMERIC = {"score", "avg", "points"}
P0, P1 = dt.date(2022, 1, 1), dt.date(2022, 12, 31)


def fail(where, msg):
    raise AssertionError(f"{where}: {msg}")


def check_record(where, rec):
    """Validate one record; return (date, unit) with names resolved."""
    t = rec.get("type")
    if t not in SCHEMA:
        fail(where, f"unknown type {t!r}")
    try:
        day = dt.date.fromisoformat(rec.get("date", ""))
        assert len(rec["date"]) == 10
    except Exception:
        fail(where, f"bad date {rec.get('date')!r}")
    for k in SCHEMA[t]:
        v = rec.get(k)
        if v is None or (isinstance(v, str) and v.strip() == ""):
            fail(where, f"{t}: missing {k}")
        if k in NUMERIC:
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                fail(where, f"{k} not a number: {v!r}")
            try:
                Decimal(str(v).strip())
            except InvalidOperation:
                fail(where, f"{k} not a number: {v!r}")
            if "." in str(v):
                assert 1 <= len(str(v).split(".")[1]) <= 2, (where, k, v)
        elif not isinstance(v, str):
            fail(where, f"{k} must be a string: {v!r}")
    if "level" in SCHEMA[t] and rec["level"] not in LEVELS:
        fail(where, f"bad level {rec['level']!r}")
    if "outlet" in SCHEMA[t] and rec["outlet"] not in OUTLETS:
        fail(where, f"bad outlet {rec['outlet']!r}")
    if t.startswith("nm_"):
        if "unit" in rec:
            fail(where, "nm_* record carries a unit")
        key = (rec["platform"].strip(), rec["account"].strip())
        if key not in ACCOUNTS:
            fail(where, f"unknown account {key}")
        unit = ACCOUNTS[key]
    else:
        name = rec["unit"].strip()
        unit = ALIAS.get(name, name)
        if unit not in UNITS:
            fail(where, f"unknown unit {rec['unit']!r}")
    return day, unit


def main():
    recs = []
    with open(JSONL, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            assert line.endswith("\n") and line.strip(), f"{JSONL}:{n}: blank/unterminated line"
            recs.append(json.loads(line))
    assert 6000 <= len(recs) <= 10000, len(recs)

    per_type = collections.Counter()
    in_period = collections.Counter()
    units_seen = set()
    weekly = set()
    vetoes = collections.defaultdict(collections.Counter)
    posts = collections.defaultdict(set)
    out_of_period = 0
    alias_used = 0
    stray = 0
    for n, rec in enumerate(recs, 1):
        where = f"{JSONL}:{n}"
        day, unit = check_record(where, rec)
        t = rec["type"]
        per_type[t] += 1
        units_seen.add(unit)
        for k in ("unit", "platform", "account"):
            if k in rec and rec[k] != rec[k].strip():
                stray += 1
        if rec.get("unit", "").strip() in ALIAS:
            alias_used += 1
        if t == "nm_weekly_score":
            key = (rec["platform"].strip(), rec["account"].strip(), rec["date"])
            assert key not in weekly, f"{where}: duplicate weekly score {key}"
            weekly.add(key)
            assert day.weekday() == 6, f"{where}: weekly score not on a Sunday"
        if not (P0 <= day <= P1):
            out_of_period += 1
            continue
        in_period[t] += 1
        if t in ("leak_verified", "lawsuit_lost_bad_info", "falsification_verified",
                 "serious_error_flagged"):
            vetoes[unit][t] += 1
        if t == "nm_post":
            posts[(rec["platform"].strip(), rec["account"].strip())].add(day)

    missing_types = set(SCHEMA) - set(per_type)
    assert not missing_types, f"types never used: {sorted(missing_types)}"
    assert units_seen == UNITS, f"units without records: {sorted(UNITS - units_seen)}"
    assert set(posts) == set(ACCOUNTS), "an account has no nm_post in 2022"
    weekly_accounts = collections.Counter((p, a) for p, a, d in weekly if d.startswith("2022"))
    assert all(weekly_accounts[k] == 52 for k in ACCOUNTS), weekly_accounts
    assert out_of_period > 0 and alias_used >= 1 and stray > 0
    dates = [r["date"] for r in recs]
    assert dates != sorted(dates), "records are date-sorted; expected a shuffled order"

    vetoed = {u: c for u, c in vetoes.items()
              if c["leak_verified"] or c["lawsuit_lost_bad_info"]
              or c["falsification_verified"] or c["serious_error_flagged"] > 3}
    assert len(vetoed) == 2, vetoed

    # no-double-count pairs: interp_unlinked ids equal to a same-unit portal_warning id
    def key(r):
        u = r["unit"].strip()
        return ALIAS.get(u, u), r["id"]
    pw = {key(r) for r in recs if r["type"] == "portal_warning" and r["date"].startswith("2022")}
    iu = {key(r) for r in recs if r["type"] == "interp_unlinked" and r["date"].startswith("2022")}
    shared = sorted(pw & iu)
    assert shared, "no interp_unlinked shares an id with a portal_warning"

    # CSV: same records, same order
    with open(CSVF, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(recs), (len(rows), len(recs))
    for n, (row, rec) in enumerate(zip(rows, recs), 2):
        got = {k: v for k, v in row.items() if v != ""}
        want = {k: str(v) for k, v in rec.items()}
        assert got == want, f"{CSVF}:{n}: {got} != {want}"

    print(f"{len(recs)} records, {out_of_period} out of period, "
          f"{stray} names with stray spaces, {alias_used} alias use(s); CSV matches")
    print(f"{'type':32} {'total':>6} {'in 2022':>8}")
    for t in SCHEMA:
        print(f"{t:32} {per_type[t]:6} {in_period[t]:8}")
    for u, c in sorted(vetoed.items()):
        print(f"vetoed: {u}: {dict(c)}")
    for u, c in sorted(vetoes.items()):
        if u not in vetoed:
            print(f"not vetoed: {u}: {dict(c)}")
    print(f"interp_unlinked ids shared with a portal_warning: {shared}")
    gaps = {}
    for acc, ds in posts.items():
        seq = [dt.date(2021, 12, 31)] + sorted(ds) + [dt.date(2023, 1, 1)]
        g = sum(((b - a).days - 1) // 14 for a, b in zip(seq, seq[1:]))
        if g:
            gaps[acc] = g
    print(f"nm_post update-gap findings per account: {gaps}")
    print("OK")


if __name__ == "__main__":
    main()
