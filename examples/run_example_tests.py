#!/usr/bin/env python3
"""Runs an example rulebook's own tests with the rulebook CLI.

usage: python3 examples/run_example_tests.py --cli build/rulebook examples/yunhe-2023 [CASE ...]

DIR holds exactly one *.rules file and a tests/ folder. A test case is either a pair of
files, tests/NAME.jsonl (or .csv) with tests/NAME.expected.json, or a folder tests/NAME/
holding one or more events files (*.jsonl, *.csv) and expected.json. For each case it runs

    CLI run RULES --events EVENTS... --format json

and checks the output against the expectation, which lists only what it asserts:

    {"description": "...",
     "units": {"县教育局": {"score": 95.5, "vetoed": false,
                           "categories": {"主动公开": 3}, "items": {"政策解读不规范": 3},
                           "outputs": {"折算分": 95.5}}},
     "absent_units": ["县经商局"],
     "period": {"from": "2023-01-01", "to": "2023-12-31"}}

Numbers are compared to 0.01; every key given must be present in the output; "rulebook"
(the title) and "period", when given, must equal the output's. A bad-input
case instead says {"description": "...", "error_line": N}: the run must exit non-zero,
print no scores, and name line N of an events file on stderr (as FILE:N or 'line N').

Before any case it runs `CLI check RULES` and fails if the rulebook does not compile.
Prints `ok NAME` or `FAIL NAME: details` per case, then `N passed, N failed`; the exit
status is 1 when anything failed or no case was found.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

TOLERANCE = 0.01
TIMEOUT_SECONDS = 120
EVENT_EXTENSIONS = (".jsonl", ".csv")


def find_cases(tests_dir):
    """Returns {name: (events files, expectation file)} for every case under tests_dir."""
    cases = {}
    for path in sorted(glob.glob(os.path.join(tests_dir, "*"))):
        base = os.path.basename(path)
        if os.path.isdir(path):
            events = sorted(p for p in glob.glob(os.path.join(path, "*")) if p.endswith(EVENT_EXTENSIONS))
            cases[base] = (events, os.path.join(path, "expected.json"))
        elif path.endswith(EVENT_EXTENSIONS):
            name = os.path.splitext(base)[0]
            cases[name] = ([path], os.path.join(tests_dir, name + ".expected.json"))
    return cases


def number_problems(where, key, got, want):
    if got is None:
        return [f"{where}: {key} missing from the output"]
    if isinstance(want, bool) or not isinstance(want, (int, float)):
        return [f"{where}: {key}: the expectation {want!r} is not a number"]
    try:
        value = float(got)
    except (TypeError, ValueError):
        return [f"{where}: {key} is {got!r}, not a number"]
    if abs(value - want) > TOLERANCE:
        return [f"{where}: {key} {value:g} != {want:g}"]
    return []


def compare(expected, doc):
    """The differences between the listed expectations and the CLI's JSON output."""
    rows = {row["unit"]: row for row in doc["units"]}
    problems = []
    for key in ("rulebook", "period"):
        if key in expected and doc.get(key) != expected[key]:
            problems.append(f"{key} {doc.get(key)!r} != {expected[key]!r}")
    for unit, want in expected.get("units", {}).items():
        got = rows.get(unit)
        if got is None:
            problems.append(f"{unit}: missing from the output")
            continue
        if "score" in want:
            problems += number_problems(unit, "score", got.get("score"), want["score"])
        if "vetoed" in want and bool(got.get("vetoed")) != bool(want["vetoed"]):
            problems.append(f"{unit}: vetoed {got.get('vetoed')} != {want['vetoed']}")
        for section in ("categories", "items", "outputs"):
            values = got.get(section) or {}
            for key, value in want.get(section, {}).items():
                problems += number_problems(unit, f"{section}.{key}", values.get(key), value)
        unknown = set(want) - {"score", "vetoed", "categories", "items", "outputs"}
        if unknown:
            problems.append(f"{unit}: unknown expectation keys {sorted(unknown)}")
    for unit in expected.get("absent_units", []):
        if unit in rows:
            problems.append(f"{unit}: should not be a unit of the output")
    return problems


def run_case(cli, rules, events, expected):
    """Runs one case; returns a list of problems (empty when it passed)."""
    command = [cli, "run", rules]
    for path in events:
        command += ["--events", path]
    command += ["--format", "json"]
    try:
        p = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                           errors="replace", timeout=TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"could not run {' '.join(command)}: {e}"]

    if "error_line" in expected:
        line = int(expected["error_line"])
        files = "|".join(re.escape(path) for path in events)
        named = re.search(rf"(({files}):{line}\b)|(\bline {line}\b)", p.stderr)
        problems = []
        if p.returncode == 0:
            problems.append("exit status 0, expected a failure")
        if '"score"' in p.stdout:
            problems.append("scores were printed")
        if not named:
            problems.append(f"stderr does not name line {line}: {p.stderr.strip()[:300]!r}")
        return problems

    if p.returncode != 0:
        return [f"exit status {p.returncode}: {p.stderr.strip()[:300]}"]
    try:
        return compare(expected, json.loads(p.stdout))
    except (ValueError, KeyError, TypeError) as e:
        return [f"output is not the JSON contract: {e!r}"]


def main():
    ap = argparse.ArgumentParser(description="Run an example rulebook's tests.")
    ap.add_argument("--cli", default="build/rulebook", help="the rulebook command")
    ap.add_argument("dir", help="the example folder: one *.rules file and tests/")
    ap.add_argument("cases", nargs="*", help="run only these cases (by name)")
    a = ap.parse_args()

    rules_files = sorted(glob.glob(os.path.join(a.dir, "*.rules")))
    if len(rules_files) != 1:
        print(f"FAIL {a.dir}: expected exactly one *.rules file, found {len(rules_files)}")
        print("0 passed, 1 failed")
        return 1
    rules = rules_files[0]

    try:
        check = subprocess.run([a.cli, "check", rules], capture_output=True, text=True,
                               encoding="utf-8", errors="replace", timeout=TIMEOUT_SECONDS)
        check_problem = None if check.returncode == 0 else (check.stdout + check.stderr).strip()[:2000]
    except (OSError, subprocess.TimeoutExpired) as e:
        check_problem = f"could not run {a.cli} check: {e}"
    if check_problem is not None:
        print(f"FAIL check {rules}: {check_problem}")
        print("0 passed, 1 failed")
        return 1
    print(f"ok check {rules}")

    cases = find_cases(os.path.join(a.dir, "tests"))
    names = a.cases or sorted(cases)
    passed = failed = 0
    for name in names:
        problems = []
        if name not in cases:
            problems = ["no such case"]
        else:
            events, expected_path = cases[name]
            if not events:
                problems = ["no events file"]
            else:
                try:
                    with open(expected_path, encoding="utf-8") as f:
                        expected = json.load(f)
                except (OSError, ValueError) as e:
                    expected = None
                    problems = [f"cannot read {expected_path}: {e}"]
                if expected is not None:
                    if "units" not in expected and "error_line" not in expected:
                        problems = [f"{expected_path} has neither \"units\" nor \"error_line\""]
                    else:
                        problems = run_case(a.cli, rules, events, expected)
        if problems:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"ok {name}")
    if not names:
        print(f"FAIL {a.dir}: no test cases in {os.path.join(a.dir, 'tests')}")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
