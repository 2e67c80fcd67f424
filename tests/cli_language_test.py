#!/usr/bin/env python3
"""The command line in both languages, and its conventions, run by ctest: usage:
cli_language_test.py BUILD_DIR SOURCE_DIR.

Each key output is checked in English (LC_MESSAGES=en) and in Chinese, the default, with no
language set in the environment; a Chinese line holds no English sentence. Then the
conventions: a misspelt command or option suggests the right one; exit statuses 0, 1 and 2
and never one of CLI11's own; help with examples and exit statuses; colour only on a
terminal and never with NO_COLOR; fmt keeps CRLF and names what it rewrote; test reports as
JSON and JUnit XML; the README's two-file run works with the files it names."""
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_support import CLI, EVENTS, RULES, SRC, TMP, check, environment, finish, run, run_zh, tmp  # noqa: E402

# English words strung together ("records read", "is required"): a sentence left in
# English. Paths, options, commands (rulebook run) and codes are taken out first.
ENGLISH = re.compile(r"\b[a-z]{3,} [a-z]{3,}\b")


def english_in(text):
    found = []
    for line in text.splitlines():
        line = re.sub(r"rulebook [a-z]+", "", line)
        line = " ".join(w for w in line.split() if not re.search(r"[-/._=\\]", w))
        found += ENGLISH.findall(line)
    return found


def both(name, args, status, en, zh, stream="stderr", pure=True):
    """Runs `args` in each language: the status, and the text each language must show; with
    `pure`, no English sentence in the Chinese output."""
    for lang, want in [("en", en), ("zh", zh)]:
        p = run(*args, lang=lang)
        out = getattr(p, stream).decode("utf-8", "replace")
        wants = want if isinstance(want, list) else [want]
        check(f"{name} [{lang}]", p.returncode == status and all(w in out for w in wants),
              (p.returncode, out[-400:]))
        if lang == "zh" and pure:
            check(f"{name} [zh] holds no English sentence", not english_in(out), english_in(out)[:5])


# ---- Key outputs in both languages.
both("the run summary", ["run", RULES, "--events", EVENTS], 0,
     ["6892 records read", "ignored as outside 2022-01-01 to 2022-12-31"],
     ["读取 6892 条记录", "条在 2022-01-01 至 2022-12-31 之外未计"])
rbc = tmp("y.rbc")
run("compile", RULES, "-o", rbc)
truncated = tmp("truncated.rbc")
open(truncated, "wb").write(open(rbc, "rb").read()[:100])
both("a truncated .rbc", ["run", truncated, "--events", EVENTS], 1, "error: file is truncated", "错误: 文件不完整")
bad_events = tmp("bad.jsonl")
with open(bad_events, "w", encoding="utf-8") as f:
    f.write('{"type": "leak_verified", "date": "2022-02-30", "unit": "县教育局"}\nnot json\n'
            '{"type": "leak_verifed", "date": "2022-02-03", "unit": "县教育局"}\n'
            '{"type": "leak_verified", "date": "2022-02-03", "unit": "县教育局", "x": }\n')
both("bad records", ["run", RULES, "--events", bad_events], 1,
     ["bad.jsonl:1: field 'date' is not a calendar date: '2022-02-30'", "bad.jsonl:2: not a JSON object",
      "did you mean leak_verified?", "bad.jsonl:4: not valid JSON", "4 problems in the input; no scores were computed"],
     ["bad.jsonl:1: 字段“date”不是日历上的日期：“2022-02-30”", "bad.jsonl:2: 不是 JSON 对象",
      "是否应为 leak_verified？", "bad.jsonl:4: 不是有效的 JSON：", "记录中有 4 个问题；没有计算得分"])
both("--skip-bad", ["run", RULES, "--events", bad_events, "--skip-bad"], 0, "skipped 4 bad records", "跳过了 4 条有错的记录")
both("check passes", ["check", RULES], 0, ": ok: 43 units", "：通过：43 个单位", stream="stdout")
warn_rules = os.path.join(SRC, "tests", "lang", "30_check_warnings.rules")
both("check --strict fails on warnings", ["check", "--strict", warn_rules], 1, ": not ok:", "：未通过：", stream="stdout")
# (The compiler's own messages are not checked for English here: compiler/ is translated apart.)
both("a missing rulebook", ["check", tmp("nothing.rules")], 1, "error:", "错误:", pure=False)
wrong = tmp("wrong.rules")
shutil.copy(RULES, wrong)
open(tmp("wrong.tests"), "w", encoding="utf-8").write(
    "测试 错误的预期 {\n"
    '  记录 {"type": "interp_substandard", "date": "2022-03-01", "unit": "县教育局", "level": "province"}\n'
    "  预期 县教育局 政策解读不规范 = 3\n"
    "}\n"
    "测试 记录有错 {\n"
    '  记录 {"type": "interp_substandard", "date": "2022-03-01", "unit": "县教肓局", "level": "province"}\n'
    '  预期错误 1 "未知单位"\n'
    "}\n"
    "测试 记录有错英文 {\n"
    '  记录 {"type": "interp_substandard", "date": "2022-03-01", "unit": "县教肓局", "level": "province"}\n'
    '  预期错误 1 "unknown unit"\n'
    "}\n")
both("rulebook test reports", ["test", wrong], 1,
     ["FAIL 错误的预期", "expected 3, got 5", "ok   记录有错", "ok   记录有错英文", "1 failed"],
     ["失败  错误的预期", "应为 3，实际为 5", "通过  记录有错", "通过  记录有错英文", "2 个通过，1 个失败"], stream="stdout")
both("test --coverage", ["test", RULES, "--coverage"], 0, ["coverage of", "items "], ["的测试覆盖", "条目 "], stream="stdout",
     pure=False)
both("explain suggests a unit", ["explain", RULES, "--events", EVENTS, "--unit", "县教育"], 2,
     "no unit 县教育 in the rulebook (did you mean 县教育局?)", "规则书中没有单位 县教育（是否应为 县教育局？）")
both("an unknown parameter", ["run", RULES, "--events", EVENTS, "--param", "不存在=5"], 2,
     "has no parameter 不存在", "没有参数 不存在")
both("a bad date parameter", ["run", RULES, "--events", EVENTS, "--param", "年报期限=2022-02-30"], 2,
     "expected 年报期限=YYYY-MM-DD", "应写成 年报期限=YYYY-MM-DD")
both("an output that is an input", ["run", RULES, "--events", EVENTS, "-o", EVENTS], 2,
     "it is the input file", "它是输入文件")
os.makedirs(tmp("folder.json"), exist_ok=True)
both("an output that is a folder", ["run", RULES, "--events", EVENTS, "-o", tmp("folder.json")], 2,
     "it is a folder", "这是一个文件夹")
both("an output in a missing folder", ["run", RULES, "--events", EVENTS, "-o", tmp("missing/x.json")], 1,
     "No such file or directory", "没有这个文件或文件夹")
both("an events file of no known format", ["run", RULES, "--events", os.path.join(SRC, "tests", "lang", "30_check_warnings.rules")],
     1, "unsupported input format", "不支持的输入格式")
both("compile", ["compile", RULES, "-o", tmp("both.rbc")], 0, "wrote " + tmp("both.rbc"), "已写入 " + tmp("both.rbc"))
both("template", ["template", RULES, "-o", tmp("both.xlsx")], 0, "event types", "种事件")
both("diff with records", ["diff", RULES, os.path.join(SRC, "examples", "yunhe-2023", "yunhe-2023.rules"), "--events", EVENTS],
     0, "6892 records read; old rulebook: ", "读取 6892 条记录；原规则书：")
# Records of an event type only the new rulebook knows (2023's 热线工单超期) are left out of
# the old rulebook's scores in either language, not reported as unknown (the README's example).
both("diff with records only one rulebook knows",
     ["diff", RULES, os.path.join(SRC, "examples", "yunhe-2023", "yunhe-2023.rules"), "--events", EVENTS,
      "--events", os.path.join(SRC, "examples", "yunhe-2023", "events-2023.jsonl")],
     0, "13773 records read", "读取 13773 条记录")
# ---- The diff report in English (--lang en, the environment Chinese): every run of Chinese
# in it is a name, citation or rule of one of the two rulebooks, as the rulebook writes it
# (comments aside); the words around them are English. The Chinese report, the default, is
# the one the README shows.
RULES_2023 = os.path.join(SRC, "examples", "yunhe-2023", "yunhe-2023.rules")
EVENTS_2023 = os.path.join(SRC, "examples", "yunhe-2023", "events-2023.jsonl")
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef\u201c\u201d]+")


def rulebook_text(*paths):
    return "\n".join(line.split("#", 1)[0] for p in paths for line in open(p, encoding="utf-8"))


def foreign_chinese(text, *rulebooks):
    """The runs of Chinese in `text` that are not in the rulebooks' own text."""
    own = rulebook_text(*rulebooks)
    return sorted({r for r in CJK.findall(text) if r not in own})


two_years = ["--events", EVENTS, "--events", EVENTS_2023]
for name, args, en, zh in [
    ("diff", ["diff", RULES, RULES_2023],
     ["Rulebook comparison", "1. Basic information", "5. Scoring rules",
      "period: 2022-01-01 to 2022-12-31 → 2023-01-01 to 2023-12-31",
      "removed parameter 年报期限 (was 2022-01-31)",
      "item 收件处理不及时 (附件1 依申请公开 1): 每件 app_late_processing 扣 5 → 4",
      "group 政务新媒体 (附件1 平台建设 2): new cap 20", "11 changes."],
     ["规则对比", "一、基本信息", "五、评分细则", "删除参数 年报期限（原为 2022-01-31）",
      "条目 收件处理不及时（附件1 依申请公开 1）: 每件 app_late_processing 扣 5 → 4", "共 11 处改动。"]),
    ("diff --events", ["diff", RULES, RULES_2023, *two_years],
     ["6. Effect on scores", "main moves (effect on the score; deductions negative)",
      "veto not hit → hit (弄虚作假)", "政务新媒体 (group total) -32 → -20", "热线工单超期 (new) 0 → -4",
      "县经济商务局 (was 县经商局)", "(* vetoed: the score is 0)",
      "the old rulebook has no event type gov_hotline_overdue: its 8 record(s) are scored by the new rulebook only"],
     ["六、得分影响（同一批记录分别按两个规则计分）", "一票否决 未命中 → 命中（弄虚作假）",
      "政务新媒体（分组合计） -32 → -20", "旧规则没有事件类型 gov_hotline_overdue：这类记录 8 条只按新规则计分"]),
    ("diff --events on one year", ["diff", RULES, RULES_2023, "--events", EVENTS],
     ["note: most of these records are outside the period of the new rulebook"],
     ["注意: 这些记录大多不在新规则的考核期内"]),
]:
    p = run_zh(*args, "--lang", "en")
    out = p.stdout.decode("utf-8", "replace")
    check(f"{name} --lang en: English", p.returncode == 0 and all(w in out for w in en),
          [w for w in en if w not in out] or p.stderr[-300:])
    check(f"{name} --lang en: Chinese only in the rulebooks' own words", not foreign_chinese(out, RULES, RULES_2023),
          foreign_chinese(out, RULES, RULES_2023)[:10])
    z = run_zh(*args)
    zout = z.stdout.decode("utf-8", "replace")
    check(f"{name} in Chinese", z.returncode == 0 and all(w in zout for w in zh), [w for w in zh if w not in zout])
    check(f"{name} in Chinese holds no English sentence", not english_in(zout), english_in(zout)[:5])

# The JSON's sentences (a change's text and details, the notes, a move's text) follow the
# language; its keys and codes do not.
p = run_zh("diff", RULES, RULES_2023, *two_years, "--format", "json", "--lang", "en")
j = json.loads(p.stdout)
z = json.loads(run_zh("diff", RULES, RULES_2023, *two_years, "--format", "json").stdout)
sentences = [c["text"] for c in j["changes"]] + [d for c in j["changes"] for d in c.get("details", [])]
sentences += j["impact"]["notes"] + [m[k] for u in j["impact"]["units"] for m in u["moves"] for k in ("text", "detail") if k in m]
check("diff --format json --lang en: sentences in English",
      j["changes"][2]["text"] == "removed parameter 年报期限 (was 2022-01-31)"
      and not foreign_chinese("\n".join(sentences), RULES, RULES_2023), foreign_chinese("\n".join(sentences), RULES, RULES_2023)[:10])
strip = lambda doc: [(c["section"], c["kind"], c["what"], c["name"], c.get("old"), c.get("new")) for c in doc["changes"]]
check("diff --format json: the same data in either language", strip(j) == strip(z) and len(strip(j)) == 11
      and z["changes"][2]["text"] == "删除参数 年报期限（原为 2022-01-31）")

# The README's diff example is the Chinese report, line for line.
block = re.search(r"\$ build/rulebook diff rules/yunhe-2022.rules examples/yunhe-2023/yunhe-2023.rules \\\n.*?\n```",
                  open(os.path.join(SRC, "README.md"), encoding="utf-8").read(), re.S).group(0)
shown = [l for l in block.splitlines()[2:-1] if l.strip() not in ("", "...")]
# (run where the README runs it, so that the paths it prints are the README's)
relative = [os.path.relpath(f, SRC) for f in (RULES, RULES_2023, EVENTS, EVENTS_2023)]
zout = run_zh("diff", relative[0], relative[1], "--events", relative[2], "--events", relative[3],
              cwd=SRC).stdout.decode()
check("the README's diff example is what diff prints", len(shown) > 20 and all(l in zout.splitlines() for l in shown),
      [l for l in shown if l not in zout.splitlines()][:3])
# and its English example is what diff --lang en prints.
block = re.search(r"\$ build/rulebook diff rules/yunhe-2022.rules examples/yunhe-2023/yunhe-2023.rules --lang en\n.*?\n```",
                  open(os.path.join(SRC, "README.md"), encoding="utf-8").read(), re.S).group(0)
shown = [l for l in block.splitlines()[1:-1] if l.strip() not in ("", "...")]
eout = run_zh("diff", relative[0], relative[1], "--lang", "en", cwd=SRC).stdout.decode().splitlines()
check("the README's English diff example is what diff --lang en prints", len(shown) > 5 and all(l in eout for l in shown),
      [l for l in shown if l not in eout][:3])

both("diff refuses bytecode", ["diff", rbc, RULES], 1, "diff compares rulebook sources", "diff 比较的是规则书源文件")
both("the help", ["--help"], 0, ["Usage: rulebook", "Options:", "Subcommands:", "Examples:", "Exit status"],
     ["用法: rulebook", "选项:", "命令:", "示例：", "退出状态"], stream="stdout")
both("a command's help", ["run", "--help"], 0, ["Usage: rulebook run", "Positionals:", "REQUIRED", "--as-of DATE"],
     ["用法: rulebook run", "参数:", "必填", "--as-of 日期", "--param 名称=值"], stream="stdout")
both("a missing option", ["run", RULES], 2, ["--events is required", "Run rulebook run --help"],
     ["缺少 --events", "用 rulebook run --help 查看用法"])
both("a value not among the choices", ["run", RULES, "--events", EVENTS, "--format", "pdf"], 2,
     "--format: pdf is not one of", "--format 的值 pdf 不在可选值之中")
both("an unknown encoding", ["run", RULES, "--events", EVENTS, "--encoding", "big5"], 2,
     "unknown encoding 'big5'", "未知编码“big5”")
both("a value that is not a number", ["test", RULES, "--threshold", "abc"], 2,
     "--threshold: abc is not a number", "--threshold 的值 abc 不是数值")
both("no command", [], 2, "a command is required: run, explain", "请给出一个命令：run、explain")
for fmt in ["table", "csv"]:
    both(f"--trace with --format {fmt} is a usage error", ["run", RULES, "--events", EVENTS, "--format", fmt, "--trace"], 2,
         [f"--format {fmt} has no place for a trace", "--trace goes with --format json"],
         ["--trace 只用于 --format json", f"--format {fmt} 不能附上计算过程"])
p = run("--lang", "en", "check", RULES, lang="zh")
check("--lang en overrides the default", p.returncode == 0 and b": ok:" in p.stdout, p.stdout)
p = subprocess.run([CLI, "check", RULES], capture_output=True, env={**environment("zh"), "LANG": "en_US.UTF-8"})
check("an English LANG gives English", p.returncode == 0 and b": ok:" in p.stdout, p.stdout)

# ---- A compiled rulebook explains itself in the language of the run, not the one it was
# compiled in: its descriptions are kept in both.
compiled = {"zh": tmp("compiled-zh.rbc"), "en": tmp("compiled-en.rbc")}
for made_in, path in compiled.items():
    p = run("compile", RULES, "-o", path, lang=made_in)
    check(f"compile in {made_in}", p.returncode == 0, p.stderr[-300:])
check("a compiled rulebook is the same whatever the language it was compiled in",
      open(compiled["zh"], "rb").read() == open(compiled["en"], "rb").read())


def descriptions(node, found):
    for a in node.get("accumulators", []):
        found.add(a["description"])
    for c in node.get("children", []):
        descriptions(c, found)
    return found


explain_args = ["--events", EVENTS, "--unit", "县经商局", "--item", "依申请公开"]
for made_in, path in compiled.items():
    en = run("explain", path, *explain_args).stdout.decode()
    zh = run_zh("explain", path, *explain_args).stdout.decode()
    check(f"compiled in {made_in}, explained in English", "amounts of 委托办理未反馈: 5" in en and "的分值" not in en, en[-500:])
    check(f"compiled in {made_in}, explained in Chinese", "委托办理未反馈 的分值: 5" in zh and "amounts of" not in zh, zh[-500:])
    for lang, foreign in [("en", ["的分值", "的条数", "中每个"]), ("zh", ["amounts of", "count of", "highest per", "per distinct"])]:
        out = json.loads(run("run", path, "--events", EVENTS, "--format", "json", "--trace", lang=lang).stdout)
        found = set()
        for u in out["units"]:
            descriptions(u["trace"], found)
        misplaced = sorted(d for d in found if any(f in d for f in foreign))
        check(f"compiled in {made_in}, run --trace in {lang}: descriptions in {lang}", len(found) > 20 and not misplaced,
              misplaced[:5])

# ---- Records dated before their unit was set up or after it closed: explained as such.
dated_rules, dated_events = tmp("unit-dates.rules"), tmp("unit-dates.jsonl")
with open(dated_rules, "w", encoding="utf-8") as f:
    f.write('考核 "unit dates"\n考核期 2022-01-01 至 2022-12-31\n单位 { 甲 乙 }\n设立 甲 2022-04-01\n撤销 乙 2022-09-30\n'
            '事件 late { unit: 单位 }\n扣分 类 不设上限 {\n  条目 超期 引用 "1" { 每条 late 扣 1 }\n}\n')
with open(dated_events, "w", encoding="utf-8") as f:
    f.write('{"type": "late", "date": "2022-03-01", "unit": "甲"}\n{"type": "late", "date": "2022-10-01", "unit": "乙"}\n')
both("a record before its unit was set up", ["explain", dated_rules, "--events", dated_events, "--unit", "甲"], 0,
     "1 late record(s), all dated before the unit was set up on 2022-04-01", "“late”记录 1 条，均早于本单位设立日 2022-04-01",
     stream="stdout")
both("a record after its unit closed", ["explain", dated_rules, "--events", dated_events, "--unit", "乙"], 0,
     "1 late record(s), all dated after the unit closed on 2022-09-30", "“late”记录 1 条，均晚于本单位撤销日 2022-09-30",
     stream="stdout")
for unit in ["甲", "乙"]:
    p = run_zh("explain", dated_rules, "--events", dated_events, "--unit", unit)
    check(f"{unit}'s record is not called outside the period", "考核期外" not in p.stdout.decode(), p.stdout.decode())

# ---- A misspelt command or option suggests the right one; usage errors exit 2.
both("a misspelt command", ["runn", RULES, "--events", EVENTS], 2, "there is no command runn; did you mean run?",
     "没有 runn 这个命令；是否应为 run？")
both("a misspelt command after --lang", ["--lang", "en", "chek", RULES], 2, "did you mean check?", "did you mean check?",
     pure=False)
both("a misspelt option", ["run", RULES, "--evnts", EVENTS], 2, "there is no option --evnts; did you mean --events?",
     "没有 --evnts 这个选项；是否应为 --events？")
both("an unknown option with no near name", ["check", RULES, "--zzzzzzzz"], 2, "there is no option --zzzzzzzz",
     "没有 --zzzzzzzz 这个选项")
both("an extra argument", ["check", RULES, "extra.rules"], 2, "extra.rules", "多余的参数：extra.rules")
both("an option without its value", ["run", RULES, "--events"], 2, "--events needs a value", "--events 后面缺少值")
both("--lang without its value", ["--lang"], 2, "--lang needs a value", "--lang 后面缺少值")
for args in [[], ["runn"], ["run"], ["run", RULES], ["run", RULES, "--events", EVENTS, "--format", "pdf"],
             ["check", RULES, "--bogus"], ["test", RULES, "--threshold", "x"], ["--lang", "fr", "check", RULES],
             ["run", RULES, "--events"], ["check", RULES, "a", "b"],
             ["run", RULES, "--events", EVENTS, "--format", "table", "--trace"]]:
    p = run_zh(*args)
    check(f"usage error exits 2: {' '.join(os.path.basename(a) for a in args) or '(nothing)'}",
          p.returncode == 2 and p.stdout == b"", (p.returncode, p.stderr[-200:]))
for args in [["--help"], ["-h"], ["run", "--help"], ["test", "-h"], ["--lang", "en", "fmt", "--help"]]:
    p = run_zh(*args)
    check(f"help exits 0: {' '.join(args)}", p.returncode == 0 and p.stdout and not p.stderr, (p.returncode, p.stderr))

# ---- Help lists everything, with examples; --param says dates work.
top = run_zh("--help").stdout.decode()
check("the help lists every command",
      all(re.search(rf"^  {c}\b", top, re.M) for c in
          ["run", "explain", "check", "compile", "test", "diff", "fmt", "template", "disasm"]), top)
check("the help gives the exit statuses", all(s in top for s in ["0 完成", "1 发现问题", "2 用法错误"]), top)
run_help = run_zh("run", "--help").stdout.decode()
check("run --help lists every option",
      all(o in run_help for o in ["--events", "--format", "--param", "--as-of", "--output", "--encoding", "--skip-bad",
                                   "--reject", "--trace", "--help"]), run_help)
check("run --help has examples", "示例：" in run_help and "--events examples/yunhe-2022/events.jsonl" in run_help)
for lang, want in [("zh", "名称=YYYY-MM-DD"), ("en", "NAME=YYYY-MM-DD")]:
    for command in ["run", "explain"]:
        text = run(command, "--help", lang=lang).stdout.decode()
        check(f"{command} --help says a parameter may be a date [{lang}]", want in text, text)

# ---- Exit statuses in the README.
readme = open(os.path.join(SRC, "README.md"), encoding="utf-8").read()
check("the README gives the exit statuses", re.search(r"Exit statuses: 0 .*1 .*2 a usage error", readme, re.S) is not None)

# ---- Colour on a terminal only, and never with NO_COLOR.
ESC = b"\x1b["
p = run_zh("check", tmp("nothing.rules"))
check("piped: no colour", p.returncode == 1 and ESC not in p.stderr and "错误".encode() in p.stderr, p.stderr)
p = subprocess.run([CLI, "check", tmp("nothing.rules")], capture_output=True, env={**environment("zh"), "NO_COLOR": "1"})
check("NO_COLOR and piped: no escape codes", p.returncode == 1 and ESC not in p.stderr and ESC not in p.stdout, p.stderr)


def on_terminal(*args, env):
    """Runs with stderr on a pseudo-terminal; returns what the terminal showed."""
    import pty
    leader, follower = pty.openpty()
    proc = subprocess.Popen([CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    proc.wait()
    os.close(leader)
    return proc.returncode, shown


terminal_env = {**environment("zh"), "TERM": "xterm"}
status, shown = on_terminal("check", tmp("nothing.rules"), env=terminal_env)
check("on a terminal the error label is in colour", status == 1 and b"\x1b[1;31m" + "错误".encode() in shown, shown)
status, shown = on_terminal("check", tmp("nothing.rules"), env={**terminal_env, "NO_COLOR": "1"})
check("NO_COLOR on a terminal: no colour", status == 1 and ESC not in shown and "错误".encode() in shown, shown)
status, shown = on_terminal("check", warn_rules, env=terminal_env)
check("on a terminal the warning label is in colour", status == 0 and b"\x1b[1;33m" + "警告".encode() in shown, shown)

# ---- fmt keeps CRLF and says which files it rewrote.
source = open(RULES, "rb").read()
messy = source.replace("考核期 ".encode(), "考核期   ".encode(), 1)
check("the messy copy differs from the rulebook", messy != source)
lf_file, crlf_file, done_file = tmp("lf.rules"), tmp("crlf.rules"), tmp("done.rules")
open(lf_file, "wb").write(messy)
open(crlf_file, "wb").write(messy.replace(b"\n", b"\r\n"))
open(done_file, "wb").write(source.replace(b"\n", b"\r\n"))
for lang, rewrote in [("en", "formatted "), ("zh", "已重新排版 ")]:
    open(lf_file, "wb").write(messy)
    open(crlf_file, "wb").write(messy.replace(b"\n", b"\r\n"))
    p = run("fmt", lf_file, crlf_file, done_file, lang=lang)
    err = p.stderr.decode()
    check(f"fmt names each file it rewrote [{lang}]", p.returncode == 0 and rewrote + lf_file in err
          and rewrote + crlf_file in err and done_file not in err, err)
lf_after, crlf_after = open(lf_file, "rb").read(), open(crlf_file, "rb").read()
check("fmt keeps a CRLF file CRLF", crlf_after.count(b"\n") == crlf_after.count(b"\r\n") > 100
      and crlf_after == lf_after.replace(b"\n", b"\r\n"), crlf_after[:200])
check("fmt leaves an LF file LF", b"\r" not in lf_after and lf_after == source, lf_after[:200])
check("a formatted CRLF file is left alone", open(done_file, "rb").read() == source.replace(b"\n", b"\r\n"))
p = run("fmt", "--check", crlf_file, done_file)
check("fmt --check passes formatted CRLF files", p.returncode == 0, p.stdout)
both("fmt says when nothing needed rewriting", ["fmt", done_file], 0, "1 file already formatted", "1 个文件已是标准格式")

# ---- test --format json and junit.
p = run("test", wrong, "--format", "json")
doc = json.loads(p.stdout or b"{}")
check("test --format json", p.returncode == 1 and doc.get("passed") == 2 and doc.get("failed") == 1
      and [r["ok"] for r in doc["results"]] == [False, True, True]
      and "expected 3, got 5" in doc["results"][0]["failures"][0], p.stdout[:400])
p = run("test", RULES, "--format", "json", "--coverage", "--threshold", "100")
doc = json.loads(p.stdout or b"{}")
check("test --format json with coverage", p.returncode == 0 and doc["failed"] == 0 and doc["passed"] > 10
      and doc["coverage"]["items"]["covered"] == doc["coverage"]["items"]["total"] > 0
      and doc["coverage"]["item_percent"] == 100 and doc["coverage"]["lines"], p.stdout[-400:])
junit = tmp("junit.xml")
p = run("test", wrong, "--format", "junit", "-o", junit)
root = ET.parse(junit).getroot() if os.path.exists(junit) else None
check("test --format junit writes JUnit XML", p.returncode == 1 and root is not None and root.tag == "testsuites"
      and root.get("tests") == "3" and root.get("failures") == "1"
      and [c.get("name") for c in root.iter("testcase")] == ["错误的预期", "记录有错", "记录有错英文"]
      and root.find("./testsuite/testcase/failure") is not None
      and "expected 3, got 5" in root.find("./testsuite/testcase/failure").text, p.stderr)
p = run("test", RULES, "--format", "junit", "--threshold", "100")
root = ET.fromstring(p.stdout)
check("junit counts the coverage threshold as a test", p.returncode == 0 and root.get("failures") == "0"
      and any(c.get("name") == "coverage 100.0%" or c.get("name") == "coverage 100%" for c in root.iter("testcase")),
      p.stdout[-300:])
both("test -o refuses the rulebook", ["test", wrong, "-o", wrong], 2, "it is the input file", "它是输入文件")

# ---- The README's two-file run works with files that exist.
line = next((l for l in readme.splitlines() if l.count("--events ") >= 2 and " run " in l), "")
args = line.split("#")[0].split()[1:]
check("the README has a two-file run", len(args) > 4, line)
events = [args[i + 1] for i, a in enumerate(args) if a == "--events"]
check("the README's two files exist", len(events) == 2 and all(os.path.exists(os.path.join(SRC, e)) for e in events),
      events)
if "-o" in args:
    args[args.index("-o") + 1] = tmp("two-files.out")
p = subprocess.run([CLI, *args], capture_output=True, cwd=SRC, env=environment("en"))
one = run("run", RULES, "--events", EVENTS)
check("the README's two-file run scores both files", p.returncode == 0 and b"records read" in p.stderr
      and int(p.stderr.split(b" records read")[0].split()[-1]) > int(one.stderr.split(b" records read")[0].split()[-1]),
      p.stderr[-300:])

finish()
