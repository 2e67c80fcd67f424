#!/usr/bin/env python3
"""The general constructs at the command line, run by ctest: usage: cli_general_test.py BUILD_DIR SOURCE_DIR.

--as-of (the year so far), a run error that names the unit and rule, and the JSON fields of
indicators, ranks, grades, sub-periods and units not assessed."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_support import EVENTS, RULES, SRC, TMP, check, finish, run, run_zh  # noqa: E402

LANG = os.path.join(SRC, "tests", "lang")


def events_of(rules_file):
    """The records written in a language test as `#> {...}` lines, as a JSON Lines file."""
    path = os.path.join(TMP, os.path.basename(rules_file) + ".jsonl")
    with open(rules_file, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for line in f:
            if line.startswith("#> "):
                out.write(line[3:])
    return path


def units(stdout):
    return {u["unit"]: u for u in json.loads(stdout)["units"]}


sub = os.path.join(LANG, "50_sub_periods.rules")
sub_events = events_of(sub)

# --as-of: the period ends that day; later records are ignored, means run over the months so far.
p = run("run", sub, "--events", sub_events, "--as-of", "2022-01-31", "--format", "json")
check("--as-of runs", p.returncode == 0, p.stderr[-300:])
if p.returncode == 0:
    doc = json.loads(p.stdout)
    u = units(p.stdout)
    check("--as-of ends the period on that day", doc["period"]["to"] == "2022-01-31", doc["period"])
    check("--as-of: only January's records count", u["甲"]["items"]["每月超期"] == 2 and u["甲"]["score"] == 95,
          u["甲"]["items"])
    check("--as-of: the mean runs over the months so far", u["甲"]["indicators"]["全年月均"] == 50, u["甲"]["indicators"])
    check("--as-of: the summary counts the later records as outside", b"8 ignored as outside 2022-01-01" in p.stderr,
          p.stderr[-300:])
whole = run("run", sub, "--events", sub_events, "--format", "json")
check("without --as-of the whole year counts", whole.returncode == 0 and units(whole.stdout)["甲"]["items"]["每月超期"] == 4)
check("the summary counts records outside a unit's dates",
      b"1 ignored as dated before their unit was set up" in whole.stderr, whole.stderr[-300:])

# --as-of before a clause starts: the clause (自 2022-08-01) gives nothing yet.
p = run("run", RULES, "--events", EVENTS, "--as-of", "2022-06-30", "--format", "json")
check("--as-of before a clause starts", p.returncode == 0 and
      all(u["items"]["周评分低于平均"] == 0 for u in json.loads(p.stdout)["units"]), p.stderr[-300:])
full = json.loads(run("run", RULES, "--events", EVENTS, "--format", "json").stdout)
check("...while the whole year has the clause", any(u["items"]["周评分低于平均"] != 0 for u in full["units"]))

for bad, why in [("2022-13-01", "expected a date"), ("2021-12-31", "before the assessment period starts")]:
    p = run("run", sub, "--events", sub_events, "--as-of", bad)
    check(f"--as-of {bad} is refused", p.returncode == 2 and why.encode() in p.stderr and p.stdout == b"", p.stderr)

# A division by zero at run time names the unit and the rule, and prints no scores.
div = os.path.join(TMP, "div.rules")
with open(div, "w", encoding="utf-8") as f:
    f.write('考核 "div"\n考核期 2022-01-01 至 2022-12-31\n单位 { 甲 }\n事件 x { unit: 单位 }\n'
            '指标 率 = 条数 x / 条数 x\n')
empty = os.path.join(TMP, "empty.jsonl")
open(empty, "w").close()
p = run("run", div, "--events", empty)
check("a run error names the unit and the rule", p.returncode == 1 and b"div.rules:5" in p.stderr and
      "division by zero (unit 甲, 率)".encode() in p.stderr and p.stdout == b"", p.stderr[-300:])

# JSON of the general constructs.
ranks = os.path.join(LANG, "42_rank_general.rules")
u = units(run("run", ranks, "--events", events_of(ranks), "--format", "json").stdout)
check("ranks within a unit group are in the JSON", u["A区"]["ranks"]["分类排名"] == {"rank": 1, "of": 4, "within": "区"},
      u["A区"].get("ranks"))
check("a vetoed unit left out of a ranking has no rank", u["乙"]["ranks"]["分类排名"]["rank"] == 0, u["乙"].get("ranks"))
assessed = os.path.join(LANG, "44_not_assessed.rules")
p = run("run", assessed, "--events", events_of(assessed), "--format", "json")
u = units(p.stdout)
check("a unit not assessed has no score and says why", u["丁"]["score"] is None and u["丁"]["assessed"] is False and
      u["丁"]["not_assessed_reason"] == "二、考核对象：无 order", u["丁"])
table = run_zh("run", assessed, "--events", events_of(assessed), "--format", "table").stdout.decode()
check("the table shows 不参与考核 and ranks only assessed units",
      any(line.startswith("   -  丁") and "不参与考核" in line for line in table.splitlines()), table)
grades = os.path.join(LANG, "46_grades.rules")
u = units(run("run", grades, "--events", events_of(grades), "--format", "json").stdout)
check("grades are in the JSON", [u[x]["grade"] for x in ["甲", "乙", "丙", "丁"]] == ["优秀", "优秀", "良好", "不合格"])
csv = run_zh("run", grades, "--events", events_of(grades), "--format", "csv").stdout.decode("utf-8-sig")
check("grades are a CSV column", csv.splitlines()[0].split(",")[3] == "等级" and ",不合格," in csv, csv[:200])
p = run("run", sub, "--events", sub_events, "--format", "json", "--trace")
trace = units(p.stdout)["甲"]["trace"]
item = trace["children"][0]["children"][0]
check("the trace gives each month's value", item["name"] == "每月超期" and item["periods"]["2022-01"] == 2 and
      item["periods"]["2022-02"] == 1 and len(item["periods"]) == 12, item.get("periods"))
ind = units(p.stdout)["甲"]["indicator_traces"][0]
check("indicators have their own trace", ind["name"] == "有记录月均" and ind["combined"] == "mean of the sub-periods with records",
      ind)
cross = os.path.join(LANG, "41_cross_unit.rules")
p = run("run", cross, "--events", events_of(cross), "--format", "json", "--trace")
ind = {t["name"]: t for t in units(p.stdout)["东镇"]["indicator_traces"]}
over = ind["本类平均"]["across_units"][0]
check("a value across units lists the units and their values", over["what"] == "平均(完成数, 本类)" and
      over["over"] == {"东镇": 2, "西镇": 3} and over["value"] == 2.5, over)

# The reports show grades and indicators too.
import zipfile
html = os.path.join(TMP, "grades.html")
p = run_zh("run", grades, "--events", events_of(grades), "--format", "html", "-o", html)
text = open(html, encoding="utf-8").read() if p.returncode == 0 else ""
check("the HTML ranking has the grade column", "<th>等级</th>" in text and "<td>不合格</td>" in text, p.stderr[-300:])
xlsx = os.path.join(TMP, "cross.xlsx")
p = run("run", cross, "--events", events_of(cross), "--format", "xlsx", "-o", xlsx)
strings = zipfile.ZipFile(xlsx).read("xl/sharedStrings.xml").decode() if p.returncode == 0 else ""
check("the workbook's ranking has the indicator columns", "全体平均" in strings and "本类有完成最高" in strings, p.stderr[-300:])

# 小数位数: the outputs show the rulebook's number of decimals.
one = os.path.join(TMP, "one-decimal.rules")
with open(one, "w", encoding="utf-8") as f:
    f.write('考核 "decimals"\n考核期 2022-01-01 至 2022-12-31\n小数位数 1\n单位 { 甲 }\n事件 x { unit: 单位 }\n'
            '扣分 类 上限 10 {\n  条目 项 引用 "1" { 每条 x 扣 0.25 }\n}\n')
rec = os.path.join(TMP, "one-decimal.jsonl")
with open(rec, "w") as f:
    f.write('{"type": "x", "date": "2022-02-01", "unit": "甲"}\n')
u = units(run("run", one, "--events", rec, "--format", "json").stdout)
check("小数位数 1: JSON scores with one decimal", u["甲"]["score"] == 99.8 and u["甲"]["items"]["项"] == 0.3, u["甲"])
table = run("run", one, "--events", rec, "--format", "table").stdout.decode()
check("小数位数 1: the table shows one decimal", " 99.8 " in table, table)
bad = os.path.join(TMP, "bad-decimals.rules")
with open(bad, "w", encoding="utf-8") as f:
    f.write(open(one, encoding="utf-8").read().replace("小数位数 1", "小数位数 9"))
p = run("check", bad)
check("小数位数 beyond 6 is an error", p.returncode == 1 and b"from 0 to 6" in p.stderr, p.stderr[-200:])


# A folder with a Chinese name, as offices name them, and files saved on Windows (CRLF line
# ends): the rulebook, its bytecode, the records and every output are read and written there.
folder = os.path.join(TMP, "考核 2022", "细则与记录")
os.makedirs(folder)
crlf_rules = os.path.join(folder, "云和细则.rules")
with open(RULES, "rb") as f, open(crlf_rules, "wb") as out:
    out.write(f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
crlf_events = os.path.join(folder, "通报记录.csv")
with open(os.path.join(SRC, "examples", "yunhe-2022", "events.csv"), "rb") as f, open(crlf_events, "wb") as out:
    out.write(f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
expected = run("run", RULES, "--events", EVENTS, "--format", "json")
scores = os.path.join(folder, "得分.json")
p = run("run", crlf_rules, "--events", crlf_events, "--format", "json", "-o", scores)
check("a Chinese folder: run reads the rulebook and records and writes the scores there",
      p.returncode == 0 and os.path.exists(scores), p.stderr[-300:])
if p.returncode == 0:
    got = json.load(open(scores, encoding="utf-8"))
    check("...with the scores of the LF files", got["units"] == json.loads(expected.stdout)["units"])
rbc = os.path.join(folder, "云和细则.rbc")
p = run("compile", crlf_rules, "-o", rbc)
check("a Chinese folder: compile writes the bytecode there", p.returncode == 0 and os.path.exists(rbc), p.stderr[-300:])
p = run("run", rbc, "--events", crlf_events, "--format", "table")
check("a Chinese folder: run reads the bytecode", p.returncode == 0 and "县教育局" in p.stdout.decode(), p.stderr[-300:])
report = os.path.join(folder, "报告.xlsx")
p = run("run", crlf_rules, "--events", crlf_events, "--format", "xlsx", "-o", report)
check("a Chinese folder: the workbook is written there", p.returncode == 0 and zipfile.is_zipfile(report), p.stderr[-300:])
p = run("test", crlf_rules, "--tests", os.path.join(SRC, "rules", "yunhe-2022.tests"))
check("a Chinese folder: test runs the rulebook's tests", p.returncode == 0, p.stdout[-300:] + p.stderr[-300:])

# Coverage of caps per sub-period, ranks within each unit group and items for one group only
# (仅): all reached by the 信访 example's tests, and not reached by its first test alone.
xf = os.path.join(SRC, "examples", "xinfang-2022", "xinfang-2022.rules")
xf_tests = os.path.join(SRC, "examples", "xinfang-2022", "xinfang-2022.tests")
p = run("test", xf, "--coverage", "--format", "json")
check("test --coverage on the 信访 example", p.returncode == 0, p.stdout[-300:] + p.stderr[-300:])
if p.returncode == 0:
    cov = json.loads(p.stdout)["coverage"]
    check("...counts the caps per sub-period and the groups", cov["period_caps"] == {"covered": 2, "total": 2}
          and cov["groups"] == {"covered": 3, "total": 3}, cov)
    lines = [r["what"] for r in cov["lines"]]
    check("...one line per group a ranking runs within", "重复信访排名: a rank is awarded within 乡镇" in lines
          and "重复信访排名: a rank is awarded within 县直部门" in lines, lines)
    check("...and a line for the records of units outside 仅",
          "越级上访 (仅 乡镇): a unit outside it has records, which do not count" in lines, lines)
with open(xf_tests, encoding="utf-8") as f:
    first = f.read().split("\n测试 ")[1]
one = os.path.join(TMP, "xinfang-first.tests")
with open(one, "w", encoding="utf-8") as f:
    f.write("测试 " + first)
p = run("test", xf, "--tests", one, "--coverage", "--format", "json")
check("test --coverage with the first test only", p.returncode == 0, p.stdout[-300:] + p.stderr[-300:])
if p.returncode == 0:
    cov = json.loads(p.stdout)["coverage"]
    check("...reaches no cap per sub-period and not every group", cov["period_caps"] == {"covered": 0, "total": 2}
          and cov["groups"]["covered"] < 3, cov)
    missed = [r["what"] for r in cov["lines"] if not r["covered"]]
    check("...and lists them as not covered", "重复信访: a sub-period reaches its cap 3" in missed, missed)
p = run_zh("test", xf, "--tests", one, "--coverage")
check("...in Chinese by default", "重复信访：有一期达到每期上限 3" in p.stdout.decode() and "每期上限 0/2" in p.stdout.decode(),
      p.stdout.decode()[-600:])

# Each warning is printed once by run, test and diff (also when diff is given one file twice
# or records to measure the impact with).
warned = os.path.join(TMP, "warned.rules")
with open(os.path.join(LANG, "30_check_warnings.rules"), encoding="utf-8") as f:
    warned_text = f.read()
with open(warned, "w", encoding="utf-8") as f:
    f.write(warned_text)
with open(os.path.join(TMP, "warned.tests"), "w", encoding="utf-8") as f:
    f.write('测试 一条 {\n  记录 {"type": "a", "date": "2022-02-01", "unit": "甲"}\n  预期 甲 乙 = 1\n}\n')
warned_events = os.path.join(TMP, "warned.jsonl")
with open(warned_events, "w", encoding="utf-8") as f:
    f.write('{"type": "a", "date": "2022-02-01", "unit": "甲"}\n')
for name, args in [("run", ["run", warned, "--events", warned_events, "-o", os.path.join(TMP, "warned.json")]),
                   ("test", ["test", warned]),
                   ("diff of one file with itself", ["diff", warned, warned]),
                   ("diff with records", ["diff", warned, warned, "--events", warned_events])]:
    p = run(*args)
    lines = [l for l in p.stderr.decode().splitlines() if ": warning: " in l]
    check(f"{name} prints each warning once", p.returncode == 0 and len(lines) >= 6 and len(lines) == len(set(lines)),
          p.stderr.decode()[-800:])

# --threads: the same bytes with any number of threads (JSON Lines, CSV, several files, the
# reject file); a value that is not 1..256 is a usage error, in either language.
extra_csv = os.path.join(SRC, "examples", "yunhe-2022", "events-extra.csv")
events_csv = os.path.join(SRC, "examples", "yunhe-2022", "events.csv")
bad_events = os.path.join(TMP, "threads-bad.jsonl")
with open(EVENTS, encoding="utf-8") as f, open(bad_events, "w", encoding="utf-8") as out:
    for i, line in enumerate(f):
        out.write(line)
        if i % 500 == 7:
            out.write('{"type": "nm_pst", "date": "2022-05-01"}\n')
outputs = {}
for threads in ("1", "4"):
    reject = os.path.join(TMP, f"threads-{threads}-rejects.csv")
    p = run("run", RULES, "--events", EVENTS, "--events", events_csv, "--events", extra_csv, "--events", bad_events,
            "--skip-bad", "--reject", reject, "--threads", threads, "--format", "json")
    check(f"run --threads {threads}", p.returncode == 0 and p.stdout.startswith(b"{"), p.stderr[-300:])
    outputs[threads] = (p.stdout, p.stderr.replace(os.path.basename(reject).encode(), b"REJECT"),
                        open(reject, "rb").read() if os.path.exists(reject) else b"")
check("--threads 4 gives the bytes --threads 1 gives (scores, messages, reject file)",
      outputs["1"] == outputs["4"] and len(outputs["1"][2]) > 0, outputs["1"][1][-300:])
p = run("run", RULES, "--events", EVENTS, "--format", "json")
check("...and the default (the machine's cores) too", p.returncode == 0 and p.stdout == run(
    "run", RULES, "--events", EVENTS, "--format", "json", "--threads", "1").stdout)
p = run("explain", RULES, "--events", EVENTS, "--unit", "县公安局", "--threads", "3")
check("explain takes --threads", p.returncode == 0 and p.stdout == run(
    "explain", RULES, "--events", EVENTS, "--unit", "县公安局", "--threads", "1").stdout, p.stderr[-300:])
for bad in ("0", "257", "two", "-1", ""):
    p = run("run", RULES, "--events", EVENTS, "--threads", bad)
    check(f"--threads {bad!r} is refused", p.returncode == 2 and b"--threads" in p.stderr and p.stdout == b"",
          p.stderr[-300:])
p = run_zh("run", RULES, "--events", EVENTS, "--threads", "0")
check("...and said in Chinese", p.returncode == 2 and "应为 1 至 256 之间的整数" in p.stderr.decode(), p.stderr[-300:])

finish()
