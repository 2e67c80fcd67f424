#!/usr/bin/env python3
"""Command-line behaviour of `rulebook`, run by ctest: usage: cli_test.py BUILD_DIR SOURCE_DIR.

Each check runs the real binary and asserts on its exit status, stdout, stderr and files."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_support import CLI, EVENTS, RULES, SRC, TMP, WINDOWS, check, environment, finish, run, run_zh, tmp  # noqa: E402


# A compiled file scores byte for byte like its source.
rbc = tmp("yunhe.rbc")
p = run("compile", RULES, "-o", rbc)
check("compile writes a .rbc", p.returncode == 0 and os.path.getsize(rbc) > 100, p.stderr)
from_source = run("run", RULES, "--events", EVENTS, "--format", "json")
from_rbc = run("run", rbc, "--events", EVENTS, "--format", "json")
check("run X.rbc equals run X.rules", from_source.returncode == 0 and from_source.stdout == from_rbc.stdout)
doc = json.loads(from_source.stdout)
check("json has the contract's keys", set(doc) >= {"rulebook", "period", "units"} and len(doc["units"]) == 43)
check("the summary goes to stderr", b"records read" in from_source.stderr and b"ignored" in from_source.stderr)

# Damaged bytecode is rejected with a clear message and no scores.
data = open(rbc, "rb").read()
for label, damaged, expect in [
    ("truncated", data[: len(data) // 2], b"truncated"),
    ("flipped byte", data[:40] + bytes([data[40] ^ 0xFF]) + data[41:], b"corrupted"),
    ("newer version", data[:4] + (99).to_bytes(4, "little") + data[8:], b"newer"),
    ("older version", data[:4] + (1).to_bytes(4, "little") + data[8:], b"older"),
    ("not bytecode", b"hello world, not a rulebook", b"magic"),
]:
    bad = tmp("bad.rbc")
    open(bad, "wb").write(damaged)
    p = run("run", bad, "--events", EVENTS)
    check(f"{label} .rbc is rejected", p.returncode != 0 and expect in p.stderr and b'"score"' not in p.stdout,
          p.stderr[:200])

# CSV for Excel: UTF-8 with a byte order mark; table for people.
p = run_zh("run", RULES, "--events", EVENTS, "--format", "csv")  # report labels: Chinese, the default
check("csv starts with a BOM", p.stdout.startswith(b"\xef\xbb\xbf") and "单位".encode() in p.stdout[:60])
p = run_zh("run", RULES, "--events", EVENTS, "--format", "table")
lines = p.stdout.decode().splitlines()
check("table ranks units by score", len(lines) > 43 and "名次" in lines[2] and lines[4].split()[0] == "1")

# Parameters.
p = run("run", RULES, "--events", EVENTS, "--param", "折算分值=5")
u = json.loads(p.stdout)["units"][0]
check("--param changes the conversion", abs(u["outputs"]["折算分"] - round(u["score"] * 5 / 100, 2)) < 0.011)
p = run("run", RULES, "--events", EVENTS, "--param", "不存在=5")
check("an unknown parameter is an error", p.returncode == 2 and "折算分值".encode() in p.stderr)

# Bad records: by default nothing is scored; --skip-bad writes them to the reject file.
bad_events = tmp("bad.jsonl")
good = open(EVENTS, encoding="utf-8").read().splitlines()[:50]
bad_lines = ['{"type": "leak_verified", "date": "2022-02-30", "unit": "县教育局"}', "not json"]
open(bad_events, "w", encoding="utf-8").write("\n".join(good[:10] + bad_lines + good[10:]) + "\n")
out = tmp("scores.json")
p = run("run", RULES, "--events", bad_events, "-o", out)
check("bad input: exit 1, lines named, no output file",
      p.returncode == 1 and b"bad.jsonl:11:" in p.stderr and b"bad.jsonl:12:" in p.stderr and not os.path.exists(out),
      p.stderr[:300])
reject = tmp("rejected.jsonl")
p = run("run", RULES, "--events", bad_events, "--skip-bad", "--reject", reject, "-o", out)
check("--skip-bad scores the rest and says how many", p.returncode == 0 and b"skipped 2 bad records" in p.stderr
      and os.path.exists(out), p.stderr[:300])
rejected = [json.loads(line) for line in open(reject, encoding="utf-8")] if os.path.exists(reject) else []
check("the .jsonl reject file holds the bad records as JSON Lines, each with its reason and place",
      len(rejected) == 2 and rejected[0]["type"] == "leak_verified" and rejected[0]["date"] == "2022-02-30"
      and rejected[0]["原因"] == "field 'date' is not a calendar date: '2022-02-30'"
      and rejected[0]["位置"] == bad_events + ":11" and rejected[1]["记录"] == "not json"
      and rejected[1]["位置"] == bad_events + ":12", str(rejected))
reject_csv = tmp("rejected.csv")
p = run("run", RULES, "--events", bad_events, "--skip-bad", "--reject", reject_csv, "-o", out)
csv_bytes = open(reject_csv, "rb").read() if os.path.exists(reject_csv) else b""
check("a .csv reject file is CSV with a byte order mark and 原因, 位置 columns",
      csv_bytes.startswith("\ufeff原因,位置,记录\r\n".encode("utf-8")) and b"bad.jsonl:12" in csv_bytes, csv_bytes[:200])

# check: every problem, with file:line:col and a caret.
broken = tmp("broken.rules")
src = open(RULES, encoding="utf-8").read()
src = src.replace("每件 app_late_processing 扣 5", "每件 app_late_procesing 扣 5")
src = src.replace("-> 县教育局", "-> 县教育厅", 1)
open(broken, "w", encoding="utf-8").write(src)
p = run("check", broken)
err = p.stderr.decode()
check("check reports every error with a hint", p.returncode == 1 and err.count("error:") >= 2
      and "did you mean app_late_processing?" in err and "did you mean 县教育局?" in err and "^" in err, err[:500])
p = run("check", RULES)
check("check passes the 2022 rulebook", p.returncode == 0, p.stderr)
p = run("check", "--format", "json", broken)
diag = json.loads(p.stdout)
check("check --format json lists the diagnostics as data",
      p.returncode == 1 and diag["errors"] >= 2 and all({"file", "line", "column", "severity", "message"} <= set(d)
                                                        for d in diag["diagnostics"]))
typo = next(d for d in diag["diagnostics"] if "县教育厅" in d["message"])
typo_line = src.splitlines()[typo["line"] - 1]
check("check --format json counts columns in characters, as an editor does",
      typo["column"] == typo_line.index("县教育厅") + 1 and typo["end_column"] == typo["column"] + len("县教育厅"), typo)
p = run("--lang", "zh", "check", broken)
err = p.stderr.decode()
check("check --lang zh gives the messages and hints in Chinese",
      p.returncode == 1 and "错误: 没有名为 县教育厅 的单位" in err and "提示: 是不是想写 县教育局？" in err
      and "error:" not in err and "did you mean" not in err, err[:500])
warn_rules = os.path.join(SRC, "tests", "lang", "30_check_warnings.rules")
p = run("check", warn_rules)
check("warnings alone exit 0", p.returncode == 0 and b"warning:" in p.stderr, p.stderr[:200])
p = run("check", "--strict", warn_rules)
check("--strict makes warnings fail", p.returncode == 1)
check("a failing --strict does not say ok", b": ok:" not in p.stdout and b": not ok:" in p.stdout, p.stdout)
p = run("check", "--strict", RULES)
check("the 2022 rulebook passes --strict", p.returncode == 0, p.stderr[:300])

# rulebook test: a wrong expectation fails with expected vs got and the item's trace.
import shutil as _sh
wrong_rules = tmp("wrong.rules")
_sh.copy(RULES, wrong_rules)
open(tmp("wrong.tests"), "w", encoding="utf-8").write(
    "测试 错误的预期 {\n"
    '  记录 {"type": "interp_substandard", "date": "2022-03-01", "unit": "县教育局", "level": "province"}\n'
    "  预期 县教育局 政策解读不规范 = 3\n"
    "  预期 县教育局 不否决\n"
    "}\n")
p = run("test", wrong_rules)
out = p.stdout.decode()
check("rulebook test reports expected vs got with the trace",
      p.returncode == 1 and "expected 3, got 5" in out and "amounts of 政策解读不规范通报: 5" in out and "0 passed, 1 failed" in out, out[:600])
open(tmp("wrong.tests"), "w", encoding="utf-8").write("测试 缺括号 {\n  预期 县教育局 得分 = \n")
p = run("test", wrong_rules)
check("a malformed tests file names its line", p.returncode == 1 and b"wrong.tests:3:" in p.stderr, p.stderr[:300])

# explain: golden derivations and notices of units of the bundled example (paths as given,
# from SRC), in Chinese (the default) and English: a normal unit (县公安局), one with a
# capped category and substituted items (县经商局), a vetoed one (县统计局).
GOLDEN = os.path.join(SRC, "tests", "golden")
for name, args in [
    ("explain-县教育局-平台建设.txt", ["--unit", "县教育局", "--item", "平台建设"]),
    ("explain-县经商局.txt", ["--unit", "县经商局"]),
    ("prose-县公安局.txt", ["--unit", "县公安局", "--prose"]),
    ("prose-县经商局.txt", ["--unit", "县经商局", "--prose"]),
    ("prose-县统计局.txt", ["--unit", "县统计局", "--prose"]),
    ("prose-县经商局.en.txt", ["--unit", "县经商局", "--prose", "--lang", "en"]),
]:
    lang = [] if "--lang" in args else ["--lang", "zh"]
    p = subprocess.run([CLI, "explain", "rules/yunhe-2022.rules", "--events", "examples/yunhe-2022/events.jsonl", *args,
                        *lang], capture_output=True, cwd=SRC, env=environment("en"))
    want = open(os.path.join(GOLDEN, name), "rb").read()
    check(f"explain golden {name}", p.returncode == 0 and p.stdout == want, p.stderr[:300] or "output differs")
p = run("explain", RULES, "--events", EVENTS, "--unit", "县教育")
check("explain suggests a unit", p.returncode == 2 and "did you mean 县教育局?".encode() in p.stderr)
p = run("explain", RULES, "--events", EVENTS, "--unit", "县教育局", "--item", "年报雷")
check("explain suggests an item", p.returncode == 2 and "did you mean 年报雷同?".encode() in p.stderr)
p = run("run", RULES, "--events", EVENTS, "--trace")
traced = json.loads(p.stdout)
check("--trace adds a trace per unit", all("trace" in u for u in traced["units"])
      and traced["units"][0]["trace"]["kind"] == "score")
plain = json.loads(from_source.stdout)
for u in traced["units"]:
    u.pop("trace")
check("--trace changes nothing else", traced == plain)

# The HTML report, rendered by a real browser: the ranking on the page is the JSON's.
import html.parser
import re
import shutil
import zipfile

report = tmp("report.html")
p = run("run", RULES, "--events", EVENTS, "--format", "html", "-o", report)
check("html report written", p.returncode == 0 and os.path.getsize(report) > 10000, p.stderr[:300])
page = open(report, encoding="utf-8").read()
check("html report is self-contained", not re.search(r'(src|href)="(https?:)?//', page) and "<link" not in page)
import hashlib
events_sha = hashlib.sha256(open(EVENTS, "rb").read()).hexdigest()
check("html report names rulebook and inputs by SHA-256", "events.jsonl" in page and "SHA-256" in page
      and events_sha in page and "FNV" not in page)
browser = shutil.which("chromium") or shutil.which("chromium-browser")
check("chromium is installed", browser is not None, "apt-get install chromium")
if browser:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"]
    dom = subprocess.run([browser, *flags, "--dump-dom", "file://" + report], capture_output=True, timeout=120)

    class Ranking(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.in_table, self.cell, self.row = [], False, None, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "table" and attrs.get("id") == "ranking":
                self.in_table = True
            elif self.in_table and tag == "tr" and "data-unit" in attrs:
                self.row = {}
            elif self.in_table and self.row is not None and tag == "td":
                self.cell = attrs.get("class", "")
                self.row.setdefault("_text", {})[self.cell] = ""

        def handle_data(self, data):
            if self.row is not None and self.cell is not None:
                self.row["_text"][self.cell] += data

        def handle_endtag(self, tag):
            if tag == "td":
                self.cell = None
            elif tag == "tr" and self.row is not None:
                t = self.row["_text"]
                self.rows.append((t["unit"].strip(), float(t["num score"]), int(t["num rank"])))
                self.row = None
            elif tag == "table":
                self.in_table = False

    parser = Ranking()
    parser.feed(dom.stdout.decode())
    expected = sorted(((u["unit"], u["score"]) for u in doc["units"]), key=lambda x: -x[1])
    check("rendered ranking matches the JSON",
          [(u, s) for u, s, _ in parser.rows] == expected and len(parser.rows) == 43,
          f"{len(parser.rows)} rows rendered")
    check("rendered ranks are competition ranks",
          all(r == 1 + sum(1 for _, s2, _ in parser.rows if s2 > s) for _, s, r in parser.rows))
    png = tmp("report.png")
    subprocess.run([browser, *flags, "--screenshot=" + png, "file://" + report], capture_output=True, timeout=120)
    check("the report renders to a PNG", os.path.exists(png) and os.path.getsize(png) > 20000)

# The Excel workbook: ranking, items and sources sheets, with the JSON's numbers.
xlsx = tmp("report.xlsx")
p = run_zh("run", RULES, "--events", EVENTS, "--format", "xlsx", "-o", xlsx)
check("xlsx written", p.returncode == 0 and zipfile.is_zipfile(xlsx), p.stderr[:300])
if zipfile.is_zipfile(xlsx):
    z = zipfile.ZipFile(xlsx)
    wb = z.read("xl/workbook.xml").decode()
    strings = z.read("xl/sharedStrings.xml").decode()
    check("xlsx has the three sheets", all(f'name="{n}"' in wb for n in ["排名", "条目", "来源"]))
    check("xlsx names every unit and the rulebook", all(u["unit"] in strings for u in doc["units"]) and "yunhe-2022.rules" in strings)
    sheet1 = z.read("xl/worksheets/sheet1.xml").decode()
    top = max(doc["units"], key=lambda u: u["score"])
    check("xlsx ranking starts with the top score (under the title and header rows)", re.search(r'<c r="C3"[^>]*><v>([0-9.]+)</v>', sheet1) is not None
          and float(re.search(r'<c r="C3"[^>]*><v>([0-9.]+)</v>', sheet1).group(1)) == top["score"])

# Output files never cost an input, never survive half-written, never leave temporaries.
safe = tmp("safe")
os.makedirs(safe)
ev = os.path.join(safe, "ev.jsonl")
shutil.copy(EVENTS, ev)
rules_copy = os.path.join(safe, "c.rules")
shutil.copy(RULES, rules_copy)
ev_bytes, rules_bytes = open(ev, "rb").read(), open(rules_copy, "rb").read()
os.link(ev, os.path.join(safe, "hard.json"))
os.symlink("ev.jsonl", os.path.join(safe, "to-input.json"))
for label, args in [
    ("run -o the events file", ["run", rules_copy, "--events", ev, "-o", ev]),
    ("run -o a hard link to the events", ["run", rules_copy, "--events", ev, "-o", os.path.join(safe, "hard.json")]),
    ("run -o a symlink to the events", ["run", rules_copy, "--events", ev, "-o", os.path.join(safe, "to-input.json")]),
    ("run -o the rulebook", ["run", rules_copy, "--events", ev, "--format", "csv", "-o", rules_copy]),
    ("run --reject the events", ["run", rules_copy, "--events", ev, "--skip-bad", "--reject", ev]),
    ("compile -o the rulebook", ["compile", rules_copy, "-o", rules_copy]),
    ("diff -o the new rulebook", ["diff", RULES, rules_copy, "-o", rules_copy]),
]:
    p = run(*args)
    check(f"{label} is refused before reading", p.returncode == 2 and b"input file" in p.stderr
          and b"records read" not in p.stderr and open(ev, "rb").read() == ev_bytes
          and open(rules_copy, "rb").read() == rules_bytes, p.stderr[-300:])
check("refusals leave only the files that were there",
      sorted(os.listdir(safe)) == ["c.rules", "ev.jsonl", "hard.json", "to-input.json"], os.listdir(safe))

target = os.path.join(safe, "real.json")
open(target, "w").write("old")
os.symlink("real.json", os.path.join(safe, "link.json"))
if not WINDOWS:  # a Linux symbolic link is a plain file to a Windows program under Wine
    p = run("run", rules_copy, "--events", ev, "-o", os.path.join(safe, "link.json"))
    check("-o through a symlink writes its target", p.returncode == 0 and os.path.islink(os.path.join(safe, "link.json"))
          and json.load(open(target))["units"], p.stderr[-300:])
os.makedirs(os.path.join(safe, "outdir.json"))
for fmt_name in ["json", "xlsx"]:
    p = run("run", rules_copy, "--events", ev, "--format", fmt_name, "-o", os.path.join(safe, "outdir.json"))
    check(f"-o naming a folder is a clear error ({fmt_name})", p.returncode == 2 and b"is a folder" in p.stderr, p.stderr[-300:])
for label, args in [
    ("run", ["run", rules_copy, "--events", ev, "-o", os.path.join(safe, "missing", "x.json")]),
    ("xlsx", ["run", rules_copy, "--events", ev, "--format", "xlsx", "-o", os.path.join(safe, "missing", "x.xlsx")]),
    ("compile", ["compile", rules_copy, "-o", os.path.join(safe, "missing", "x.rbc")]),
]:
    p = run(*args)
    check(f"{label} into a missing folder fails with the reason", p.returncode == 1 and b"No such file" in p.stderr, p.stderr[-300:])
check("no temporary file survives a failure",
      sorted(os.listdir(safe)) == ["c.rules", "ev.jsonl", "hard.json", "link.json", "outdir.json", "real.json", "to-input.json"]
      and os.listdir(os.path.join(safe, "outdir.json")) == [], os.listdir(safe))

# A run killed at any moment (reading, scoring or writing a 13 MB traced output) leaves the
# previous output whole and no partial or temporary file beside it.
killed = os.path.join(safe, "killed")
os.makedirs(killed)
out = os.path.join(killed, "scores.json")
subprocess.run([CLI, "run", rules_copy, "--events", ev, "--param", "折算分值=5", "-o", out], check=True, capture_output=True)
previous = open(out, "rb").read()
complete = subprocess.run([CLI, "run", rules_copy, "--events", ev, "--trace"], check=True, capture_output=True).stdout
kept = replaced = 0
for delay in [0, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.09, 0.12, 0.15, 0.2]:
    proc = subprocess.Popen([CLI, "run", rules_copy, "--events", ev, "--trace", "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    now = open(out, "rb").read()
    kept, replaced = kept + (now == previous), replaced + (now == complete)
    if now != previous and now != complete or os.listdir(killed) != ["scores.json"]:
        break
    if now == complete:
        open(out, "wb").write(previous)
check("SIGKILL leaves the previous output or the complete new one, nothing else",
      kept + replaced == 12 and kept > 0, f"kept {kept}, replaced {replaced}, files {os.listdir(killed)}")

# Hostile input: every command ends with a message and status 0, 1 or 2, never an abort
# (134) or a signal. GBK file names are common on Chinese Windows shares.
hostile = os.path.join(TMP, "hostile").encode()
os.makedirs(hostile)
gbk = lambda name: os.path.join(hostile, name.encode("gbk"))
gbk_events, gbk_rules = gbk("事件.jsonl"), gbk("规则.rules")
shutil.copy(EVENTS, gbk_events)
shutil.copy(RULES, gbk_rules)
shutil.copy(RULES.replace(".rules", ".tests"), gbk("规则.tests"))
for label, args in [
    ("run --trace, events named in GBK", ["run", RULES, "--events", gbk_events, "--trace"]),
    ("run --format html, events named in GBK", ["run", RULES, "--events", gbk_events, "--format", "html"]),
    ("check --format json, rulebook named in GBK", ["check", gbk_rules, "--format", "json"]),
    ("diff --format json, rulebook named in GBK", ["diff", RULES, gbk_rules, "--events", gbk_events, "--format", "json"]),
    ("test, rulebook named in GBK", ["test", gbk_rules]),
]:
    p = subprocess.run([CLI.encode(), *[a if isinstance(a, bytes) else a.encode() for a in args]], capture_output=True)
    check(f"{label} succeeds", p.returncode == 0, p.stderr[-300:])
    if b"json" in args:
        check(f"{label} writes valid JSON", json.loads(p.stdout) is not None)

# A compiled file whose unit name is not UTF-8, with a valid checksum, is refused on load.
import struct
data = open(rbc, "rb").read()
name = "县教育局".encode()
body = data[24:].replace(name, b"\xb2\xe2" * (len(name) // 2), 1)
checksum = 0xCBF29CE484222325
for byte in body:
    checksum = ((checksum ^ byte) * 0x100000001B3) % (1 << 64)
non_utf8_rbc = tmp("non-utf8.rbc")
open(non_utf8_rbc, "wb").write(data[:16] + struct.pack("<Q", checksum) + body)
for trace in [[], ["--trace"]]:
    p = run("run", non_utf8_rbc, "--events", EVENTS, *trace)
    check(f"a .rbc with a non-UTF-8 name is refused {trace}", p.returncode == 1 and b"not valid UTF-8" in p.stderr, p.stderr[-300:])

garbage = tmp("garbage.bin")
open(garbage, "wb").write(bytes(range(256)) * 64)
commands = [
    ["run", garbage, "--events", EVENTS], ["run", rbc, "--events", garbage, "--trace"],
    ["run", RULES, "--events", garbage, "--format", "csv"], ["run", non_utf8_rbc, "--events", garbage],
    ["check", garbage], ["check", garbage, "--format", "json"], ["compile", garbage, "-o", tmp("g.rbc")],
    ["disasm", garbage], ["disasm", non_utf8_rbc], ["fmt", "--check", garbage], ["test", RULES, "--tests", garbage],
    ["explain", RULES, "--events", garbage, "--unit", "县教育局"], ["diff", garbage, RULES, "--format", "json"],
    ["diff", RULES, RULES, "--events", garbage, "--format", "json"],
]
for args in commands:
    p = run(*args)
    check(f"hostile: {' '.join(os.path.basename(a) for a in args)} exits 1 or 2 with a message",
          p.returncode in (1, 2) and (p.stderr.strip() != b"" or json.loads(p.stdout)["errors"] > 0),
          (p.returncode, p.stderr[-300:]))

# A decimal with more places than exact sums can carry (issue #11: 18 places made the whole
# run fail, blamed on line 0 of the rulebook) is refused at read time, at its file and line.
many_places = tmp("many-places.jsonl")
events_text = open(EVENTS, encoding="utf-8").read()
target = '"unit": "县气象局", "points": "0.5"}'
places_line = events_text[:events_text.index(target)].count("\n") + 1
open(many_places, "w", encoding="utf-8").write(events_text.replace(
    target, '"unit": "县气象局", "points": "0.123456789012345678"}', 1))
for trace in [[], ["--trace"]]:
    p = run("run", RULES, "--events", many_places, *trace)
    check(f"a value with 18 decimals is refused at its file and line {trace}",
          p.returncode == 1 and f"many-places.jsonl:{places_line}:".encode() in p.stderr
          and b"too many decimals" in p.stderr and b":0:" not in p.stderr and p.stdout == b"", p.stderr[-300:])
p = run_zh("run", RULES, "--events", many_places)
check("the decimals message in Chinese", "最多保留 6 位小数".encode() in p.stderr, p.stderr[-300:])

# Integers the reader accepts whose sum leaves 64 bits are added exactly (the fraction widens
# beyond 64 bits): 9·10^18 twice is 1.8·10^19, shown whole in the explanation; the score
# stays in its range and the other units' scores are untouched.
huge = tmp("huge.jsonl")
huge_record = '"unit": "县气象局", "points": 9000000000000000000}'
open(huge, "w", encoding="utf-8").write(events_text.replace(target, huge_record, 1) + "\n".join(
    ['{"type": "prev_year_eval", "date": "2022-03-04", ' + huge_record]) + "\n")
for trace in [[], ["--trace"]]:
    p = run("run", RULES, "--events", huge, "--format", "json", *trace)
    ok = p.returncode == 0
    if ok:
        scores = {u["unit"]: u["score"] for u in json.loads(p.stdout)["units"]}
        plain = {u["unit"]: u["score"] for u in json.loads(from_source.stdout)["units"]}
        ok = scores["县气象局"] == 0 and all(v == plain[k] for k, v in scores.items() if k != "县气象局")
    check(f"sums beyond 64 bits are exact, not run errors {trace}", ok, p.stderr[-400:])
p = run("explain", RULES, "--events", huge, "--unit", "县气象局", "--item", "第三方评估扣分")
check("the explanation shows the sum beyond 64 bits whole",
      p.returncode == 0 and b"18000000000000000000" in p.stdout, p.stdout[-600:] + p.stderr[-300:])
# A run error that remains (a division by zero) names the rule's line, the unit and the rule.
zero_rules = tmp("zero.rules")
open(zero_rules, "w", encoding="utf-8").write(
    '考核 "零"\n考核期 2022-01-01 至 2022-12-31\n单位 { 甲 }\n事件 x { unit: 单位  v: 数值 }\n'
    '扣分 类 不设上限 {\n  条目 比 引用 "1" { 每条 x 扣 1 / v }\n}\n')
zero_events = tmp("zero.jsonl")
open(zero_events, "w", encoding="utf-8").write('{"type": "x", "date": "2022-01-05", "unit": "甲", "v": 0}\n')
p = run("run", zero_rules, "--events", zero_events)
check("a division by zero names the rule's line, the unit, the rule and the record",
      p.returncode == 1 and b"zero.rules:6: error while scoring" in p.stderr and "unit 甲, 比, record ".encode() in p.stderr
      and b"zero.jsonl:1)" in p.stderr and p.stdout == b"", p.stderr[-400:])

finish()
