#!/usr/bin/env python3
"""Checks the editor support in editors/: the VS Code TextMate grammar, the extension
manifest, the language configuration, the example task with its problem matcher, and the
diagnostics converter.

    python3 tests/editor_grammar_test.py SOURCE_DIR

The grammar is validated (structure, every regex compiles with Python's `re`, no syntax
that Oniguruma and Python read differently), then every bundled rulebook (rules/,
examples/, tests/lang/) is tokenized with a small TextMate tokenizer that follows
vscode-textmate (top-level patterns, `#repository` includes, begin/end with nested
patterns, captures; the earliest match wins, ties go to the end pattern and then to the
pattern listed first). No character may be `invalid.illegal` or left unmatched, and
particular spans must get the expected scopes. Python 3 standard library only.

Prints `N passed, N failed` and exits non-zero when anything failed.
"""

import importlib.util
import io
import json
import os
import re
import sys
import tempfile
import traceback
from contextlib import redirect_stdout

sys.dont_write_bytecode = True  # importing editors/vscode/*.py must leave no __pycache__ behind

# ----------------------------------------------------------------------------- results

PASSED = 0
FAILED = 0


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    return ok


def run(name, fn, *args):
    """Runs one test function; an exception counts as one failure."""
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - report and go on with the other tests
        check(name, False, "raised\n" + traceback.format_exc())


# --------------------------------------------------------------------- regex portability

# Escapes that Oniguruma and Python read differently, or that only one of them knows:
# \d \w \s \b are Unicode-aware in Python but their reach differs in Oniguruma; \h, \G,
# \K, \R, \X, \z, \p{...}, \x{...} and \u do not exist (or mean something else) in Python.
NON_PORTABLE_ESCAPES = set("dDwWsSbBhHGKRXzZpPuUNkgAQE")


def portability_problems(regex):
    problems = []
    i, in_class, after_quantifier = 0, False, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            nxt = regex[i + 1: i + 2]
            if nxt in NON_PORTABLE_ESCAPES:
                problems.append(f"\\{nxt}")
            if nxt == "x" and regex[i + 2: i + 3] == "{":
                problems.append("\\x{...}")
            i, after_quantifier = i + 2, False
            continue
        if in_class:
            if c == "[":
                problems.append("nested character class")
            in_class = c != "]"
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 2 if regex[i + 1: i + 2] == "^" else 1
            if regex[i: i + 1] == "]":
                i += 1  # a literal ] first in the class
            after_quantifier = False
            continue
        if c == "+" and after_quantifier:
            problems.append("possessive quantifier")
        for opening, what in (("(?>", "atomic group"), ("(?~", "absent operator"), ("(?P", "Python named group")):
            if regex.startswith(opening, i):
                problems.append(what)
        if regex.startswith("(?<", i) and regex[i + 3: i + 4] not in ("=", "!"):
            problems.append("named group")
        if re.match(r"\(\?[imxsuaL-]+[:)]", regex[i:]):
            problems.append("inline flags")
        # A quantifier: * + ? (not the ? of a group opening) or the } of {n,m}.
        after_quantifier = (c in "*+}" or (c == "?" and regex[i - 1: i] != "(")) and not (
            c == "+" and after_quantifier)
        i += 1
    return problems


# --------------------------------------------------------------------------- grammar

RULE_KEYS = {"comment", "name", "contentName", "match", "begin", "end", "captures", "beginCaptures",
             "endCaptures", "patterns", "include", "applyEndPatternLast", "disabled"}
SCOPE_RE = re.compile(r"^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*\.rulebook$")


class GrammarError(Exception):
    pass


class Grammar:
    def __init__(self, data):
        self.data = data
        self.repository = data.get("repository", {})
        self.regexes = {}
        self.flat = {}

    def regex(self, source):
        if source not in self.regexes:
            self.regexes[source] = re.compile(source)
        return self.regexes[source]

    def resolve(self, ref):
        if ref in ("$self", "$base"):
            return self.data
        if ref.startswith("#") and ref[1:] in self.repository:
            return self.repository[ref[1:]]
        raise GrammarError(f"include {ref!r} does not resolve")

    def flatten(self, patterns, seen=frozenset()):
        """The match and begin rules of a pattern list, with includes and pattern-only
        containers expanded in place (as vscode-textmate does)."""
        key = id(patterns)
        if not seen and key in self.flat:
            return self.flat[key]
        out = []
        for p in patterns:
            if "include" in p:
                target = self.resolve(p["include"])
                if id(target) in seen:
                    continue
                if "match" in target or "begin" in target:
                    out.append(target)
                else:
                    out.extend(self.flatten(target.get("patterns", []), seen | {id(target)}))
            elif "match" in p or "begin" in p:
                out.append(p)
            else:
                out.extend(self.flatten(p.get("patterns", []), seen | {id(p)}))
        if not seen:
            self.flat[key] = out
        return out

    # ------------------------------------------------------------------- validation

    def validate(self):
        """Every problem with the grammar's structure, as a list of strings."""
        problems = []
        d = self.data
        if d.get("scopeName") != "source.rulebook":
            problems.append(f"scopeName is {d.get('scopeName')!r}, expected 'source.rulebook'")
        if not isinstance(d.get("patterns"), list) or not d["patterns"]:
            problems.append("no top-level patterns")
        if not isinstance(self.repository, dict):
            problems.append("repository is not an object")
            return problems
        reached = set()

        def visit(rule, where):
            if not isinstance(rule, dict):
                problems.append(f"{where}: a pattern must be an object")
                return
            unknown = set(rule) - RULE_KEYS
            if unknown:
                problems.append(f"{where}: unknown keys {sorted(unknown)}")
            for key in ("name", "contentName"):
                if key in rule:
                    for scope in str(rule[key]).split():
                        if not SCOPE_RE.match(scope):
                            problems.append(f"{where}: scope {scope!r} is not NAME.….rulebook")
            if "include" in rule:
                if set(rule) - {"include", "comment"}:
                    problems.append(f"{where}: include with other keys")
                ref = rule["include"]
                try:
                    target = self.resolve(ref)
                except GrammarError as e:
                    problems.append(f"{where}: {e}")
                    return
                if ref.startswith("#"):
                    reached.add(ref[1:])
                return
            has_match, has_begin, has_end = "match" in rule, "begin" in rule, "end" in rule
            if has_match and (has_begin or has_end or "patterns" in rule):
                problems.append(f"{where}: match together with begin/end/patterns")
            if has_begin != has_end:
                problems.append(f"{where}: begin without end or end without begin")
            if not (has_match or has_begin or has_end or "patterns" in rule):
                problems.append(f"{where}: neither match, begin/end, patterns nor include")
            groups = {}
            for key in ("match", "begin", "end"):
                if key not in rule:
                    continue
                source = rule[key]
                if not isinstance(source, str) or not source:
                    problems.append(f"{where}.{key}: empty or not a string")
                    continue
                for p in portability_problems(source):
                    problems.append(f"{where}.{key}: {p} is not portable between Oniguruma and Python")
                try:
                    groups[key] = self.regex(source).groups
                except re.error as e:
                    problems.append(f"{where}.{key}: does not compile: {e}")
                if key == "match" and key in groups and self.regex(source).fullmatch("") is not None:
                    problems.append(f"{where}.match: can match the empty string")
            for key, regex_key in (("captures", "match" if has_match else "begin"),
                                   ("beginCaptures", "begin"), ("endCaptures", "end")):
                if key not in rule:
                    continue
                if not isinstance(rule[key], dict):
                    problems.append(f"{where}.{key}: not an object")
                    continue
                for number, capture in rule[key].items():
                    if not number.isdigit():
                        problems.append(f"{where}.{key}: key {number!r} is not a group number")
                    elif regex_key in groups and int(number) > groups[regex_key]:
                        problems.append(f"{where}.{key}: group {number} does not exist")
                    if not isinstance(capture, dict) or set(capture) - {"name", "comment"}:
                        problems.append(f"{where}.{key}.{number}: only a name is supported in captures")
                    elif "name" in capture:
                        for scope in capture["name"].split():
                            if not SCOPE_RE.match(scope):
                                problems.append(f"{where}.{key}.{number}: scope {scope!r} is not NAME.….rulebook")
            for i, p in enumerate(rule.get("patterns", [])):
                visit(p, f"{where}.patterns[{i}]")

        for i, p in enumerate(d.get("patterns", [])):
            visit(p, f"patterns[{i}]")
        for name, rule in self.repository.items():
            visit(rule, f"repository.{name}")
        for name in self.repository:
            if name not in reached:
                problems.append(f"repository.{name} is never included")
        return problems

    # ---------------------------------------------------------------- tokenizer

    def tokenize(self, lines):
        """Tokenizes a document. Returns, for every line, a list with one entry per
        character: (scopes, token_number); scopes is the tuple of scope names from the
        outside in, token_number tells tokens apart."""
        root = self.data["scopeName"]
        stack = [{"rule": self.data, "scopes": (root,), "content": (root,), "end": None}]
        result = []
        token = [0]

        def new_token():
            token[0] += 1
            return token[0]

        for text in lines:
            line = text + "\n"
            n = len(text)
            chars = [((root,), 0)] * n

            def fill(start, end, scopes):
                if start < min(end, n):
                    t = new_token()
                    for i in range(start, min(end, n)):
                        chars[i] = (scopes, t)

            def fill_match(m, base, name, captures):
                outer = base + tuple((name or "").split())
                numbered = sorted((int(k), v.get("name", "")) for k, v in (captures or {}).items())
                prev, t = None, 0
                for i in range(m.start(), min(m.end(), n)):
                    scopes = outer
                    for g, cname in numbered:
                        if g <= (m.re.groups) and m.start(g) != -1 and m.start(g) <= i < m.end(g):
                            scopes = scopes + tuple(cname.split())
                    if scopes != prev:
                        t, prev = new_token(), scopes
                    chars[i] = (scopes, t)

            pos, stalled = 0, 0
            while pos <= n:
                top = stack[-1]
                best = None
                if top["end"] is not None:
                    m = top["end"].search(line, pos)
                    if m:
                        best = ("end", None, m)
                for rule in self.flatten(top["rule"].get("patterns", [])):
                    m = self.regex(rule["match"] if "match" in rule else rule["begin"]).search(line, pos)
                    if m and (best is None or m.start() < best[2].start()):
                        best = ("rule", rule, m)
                if best is None:
                    break
                kind, rule, m = best
                fill(pos, m.start(), top["content"])
                if kind == "end":
                    r = top["rule"]
                    fill_match(m, top["scopes"], None, r.get("endCaptures", r.get("captures")))
                    stack.pop()
                elif "match" in rule:
                    if m.end() == m.start():
                        raise GrammarError(f"rule {rule.get('name') or rule['match']!r} matched nothing "
                                           f"at {pos} of {text!r}: the tokenizer would stop here")
                    fill_match(m, top["content"], rule.get("name"), rule.get("captures"))
                else:
                    scopes = top["content"] + tuple((rule.get("name") or "").split())
                    fill_match(m, top["content"], rule.get("name"), rule.get("beginCaptures", rule.get("captures")))
                    stack.append({"rule": rule, "scopes": scopes,
                                  "content": scopes + tuple((rule.get("contentName") or "").split()),
                                  "end": self.regex(rule["end"])})
                stalled = stalled + 1 if m.end() == pos else 0
                if stalled > 2 * len(stack) + 4:
                    raise GrammarError(f"no progress at {pos} of {text!r}: begin/end rules loop")
                pos = m.end()
                if pos >= len(line):
                    break
            fill(pos, n, stack[-1]["content"])
            result.append(chars)
        return result


def split_lines(text):
    return re.split(r"\r\n|\r|\n", text)


# ------------------------------------------------------------------------- documents

class Doc:
    """A tokenized document and ways to ask about spans of it."""

    def __init__(self, grammar, text, name="<sample>"):
        self.name = name
        self.lines = split_lines(text)
        self.chars = grammar.tokenize(self.lines)

    def find(self, needle, nth=1, line_contains=None, in_comments=False):
        """(line index, start, end) of the nth occurrence of needle, counting only lines
        that contain line_contains when given, and only outside comments unless asked."""
        count = 0
        for li, line in enumerate(self.lines):
            if line_contains is not None and line_contains not in line:
                continue
            start = 0
            while True:
                i = line.find(needle, start)
                if i < 0:
                    break
                start = i + 1
                if not in_comments and has(self.chars[li][i][0], "comment"):
                    continue
                count += 1
                if count == nth:
                    return li, i, i + len(needle)
        raise AssertionError(f"{needle!r} (occurrence {nth}) not found in {self.name}")

    def scopes(self, li, i):
        return self.chars[li][i][0]

    def describe(self, li, start, end):
        parts, prev = [], None
        for i in range(start, end):
            s, t = self.chars[li][i]
            if t != prev:
                parts.append(f"{self.lines[li][i]!r}@{i}:{' '.join(s[1:]) or '-'}")
                prev = t
        return "; ".join(parts)

    def invalid_spans(self, prefix="invalid.illegal"):
        """(line number, column, text, scopes) of every character with a scope starting with
        prefix, or left unmatched although it is not blank."""
        found = []
        for li, chars in enumerate(self.chars):
            for i, (scopes, _) in enumerate(chars):
                ch = self.lines[li][i]
                bad = any(matches(s, prefix) for s in scopes)
                unmatched = len(scopes) == 1 and ch not in " \t\f\v\u3000"
                if bad or unmatched:
                    found.append((li + 1, i + 1, ch, "unmatched" if unmatched and not bad else " ".join(scopes[1:])))
        return found


def matches(scope, selector):
    return scope == selector or scope.startswith(selector + ".")


def has(scopes, selector):
    return any(matches(s, selector) for s in scopes)


def expect(doc, label, needle, selector, nth=1, line_contains=None, token=True, exact=True, absent=()):
    """Every character of the span has a scope matching selector; with token=True the span
    is exactly one token; with exact=True the characters just outside the span do not have
    the selector; none of the span's characters has a scope in absent."""
    try:
        li, start, end = doc.find(needle, nth, line_contains, in_comments=selector.startswith(("comment", "punctuation.definition.comment")))
    except AssertionError as e:
        return check(label, False, str(e))
    chars = doc.chars[li]
    problems = []
    if not all(has(chars[i][0], selector) for i in range(start, end)):
        problems.append(f"not all {selector}")
    if token and len({chars[i][1] for i in range(start, end)}) != 1:
        problems.append("more than one token")
    if token and start > 0 and chars[start - 1][1] == chars[start][1]:
        problems.append("the token starts before the span")
    if token and end < len(chars) and chars[end][1] == chars[end - 1][1]:
        problems.append("the token goes on after the span")
    if exact and start > 0 and has(chars[start - 1][0], selector):
        problems.append(f"{selector} starts before the span")
    if exact and end < len(chars) and has(chars[end][0], selector):
        problems.append(f"{selector} goes on after the span")
    for a in absent:
        if any(has(chars[i][0], a) for i in range(start, end)):
            problems.append(f"has {a}")
    return check(f"{label}: {needle!r} is {selector}", not problems,
                 f"{', '.join(problems)} [{doc.describe(li, max(start - 1, 0), min(end + 1, len(chars)))}]")


# ------------------------------------------------------------------------------ tests

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_structure(grammar):
    problems = grammar.validate()
    for p in problems:
        check("grammar structure", False, p)
    check("grammar structure: valid", not problems)


def test_generated(source_dir, grammar_path):
    builder = load_module(os.path.join(source_dir, "editors", "vscode", "build_grammar.py"), "build_grammar")
    with open(grammar_path, encoding="utf-8") as f:
        text = f.read()
    check("grammar JSON is what editors/vscode/build_grammar.py writes", text == builder.render(),
          "run python3 editors/vscode/build_grammar.py")
    return builder


def test_keywords(source_dir, grammar, builder):
    """Every reserved word of grammar/rulebook_grammar.hpp, and nothing else, is a keyword,
    and only as a whole word."""
    with open(os.path.join(source_dir, "grammar", "rulebook_grammar.hpp"), encoding="utf-8") as f:
        hpp = f.read()
    reserved = set()
    for m in re.finditer(r"struct\s+kw_\w+\s*:\s*keyword<([^>]*)>", hpp):
        reserved.add("".join(re.findall(r"U'(.)'", m.group(1))))
    check("keywords: found the reserved words in rulebook_grammar.hpp", len(reserved) > 60, f"{len(reserved)}")
    listed = set(builder.ALL_KEYWORDS)
    check("keywords: every reserved word is highlighted", not reserved - listed, f"missing {sorted(reserved - listed)}")
    check("keywords: no other word is highlighted as a keyword", not listed - reserved,
          f"not reserved: {sorted(listed - reserved)}")
    keyword_scopes = ("keyword", "storage", "support.function", "variable.language")
    for word in sorted(reserved):
        doc = Doc(grammar, f"{word}\nx {word} y\n（{word}）\n{word}x x{word} {word}_ 1{word}\n")
        # The word alone on a line, between blanks, between wide punctuation.
        ok = True
        for li, start in ((0, 0), (1, 2), (2, 1)):
            chars = doc.chars[li]
            span = range(start, start + len(word))
            toks = {chars[i][1] for i in span}
            if len(toks) != 1 or not any(has(chars[i][0], k) for i in span for k in keyword_scopes) \
                    or any(has(chars[i][0], "variable.other") or has(chars[i][0], "invalid") for i in span):
                ok = False
                check(f"keyword {word} alone", False, doc.describe(li, 0, len(doc.lines[li])))
        # Glued to a name character, it is part of a name (or of a bad literal).
        line = doc.lines[3]
        for piece in line.split(" "):
            start = line.index(piece)
            chars = doc.chars[3]
            expected = "invalid.illegal" if piece[0].isdigit() else "variable.other.name"
            span = range(start, start + len(piece))
            if len({chars[i][1] for i in span}) != 1 or not all(has(chars[i][0], expected) for i in span):
                ok = False
                check(f"keyword {word} glued: {piece!r} is one {expected}", False,
                      doc.describe(3, start, start + len(piece)))
        check(f"keyword {word}: a keyword alone, a name when glued", ok)


def bundled_rulebooks(source_dir):
    found = []
    for folder in ("rules", "examples", os.path.join("tests", "lang")):
        for dirpath, dirnames, filenames in os.walk(os.path.join(source_dir, folder)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(".rules"):
                    found.append(os.path.join(dirpath, f))
    return sorted(set(found))


def read_rulebook(path):
    with open(path, encoding="utf-8-sig") as f:
        return f.read()


def test_bundled(source_dir, grammar):
    files = bundled_rulebooks(source_dir)
    names = {os.path.relpath(f, source_dir).replace(os.sep, "/") for f in files}
    for required in ("rules/yunhe-2022.rules", "examples/yunhe-2023/yunhe-2023.rules",
                     "tests/lang/01_per_record_by_value.rules"):
        check(f"bundled rulebooks include {required}", required in names)
    check("bundled rulebooks: more than 10 found", len(files) > 10, f"{len(files)}")
    for path in files:
        rel = os.path.relpath(path, source_dir)
        doc = Doc(grammar, read_rulebook(path), rel)
        bad = doc.invalid_spans("invalid.illegal")
        check(f"tokenizes {rel} without invalid or unmatched characters", not bad,
              "; ".join(f"{rel}:{l}:{c} {ch!r} {s}" for l, c, ch, s in bad[:10]))


def test_yunhe_2022(source_dir, grammar):
    path = os.path.join(source_dir, "rules", "yunhe-2022.rules")
    doc = Doc(grammar, read_rulebook(path), "rules/yunhe-2022.rules")
    e = lambda *a, **k: expect(doc, "yunhe-2022", *a, **k)  # noqa: E731
    # Comments.
    e("# 2022年云和县政务公开工作考核办法 (云政办发[2022]48号) 及其附件 1-4.", "comment.line.number-sign", token=False)
    e("#", "punctuation.definition.comment", line_contains="2022年云和县政务公开工作考核办法", exact=False)
    e("# 考评总分100分 (最终得分超过100分的按100分计)", "comment.line", token=False)
    # Header.
    e("考核", "keyword.declaration", line_contains='考核 "2022年')
    e('"2022年云和县政务公开工作考核"', "string.quoted.double", token=False)
    e("考核期", "keyword.declaration")
    e("2022-01-01", "constant.numeric.date", line_contains="考核期")
    e("至", "keyword.other", line_contains="考核期")
    e("2022-12-31", "constant.numeric.date")
    e("基础分", "keyword.declaration")
    e("得分范围", "keyword.declaration", absent=("variable.language",))
    e("100", "constant.numeric.decimal", line_contains="得分范围")
    e("参数", "keyword.declaration", line_contains="折算分值 = 100")
    e("折算分值", "variable.other.constant.parameter", line_contains="参数 折算分值")
    e("=", "keyword.operator.equals", line_contains="参数 折算分值")
    e("2022-01-31", "constant.numeric.date", line_contains="参数 年报期限")
    # Registries.
    e("单位", "keyword.declaration", line_contains="单位 {")
    e("{", "punctuation.section.braces.begin", line_contains="单位 {")
    e("县教育局", "variable.other.name", line_contains="县发改局", absent=("keyword",))
    e("县教育局", "variable.other.name", line_contains="云和县教育局", nth=2, absent=("keyword",))
    e("云和县教育局", "variable.other.name", absent=("keyword",))
    e("单位组", "keyword.declaration")
    e('"乡镇(街道)"', "string.quoted.double", line_contains="单位组", token=False,
      absent=("string.quoted.citation", "string.quoted.double.display"))
    e("别名", "keyword.declaration")
    e("县行政复议局", "variable.other.name", line_contains="别名")
    e("枚举", "keyword.declaration", line_contains="通报级别")
    e("通报级别", "entity.name.type.enum", line_contains="枚举 通报级别")
    e("province", "variable.other.name", line_contains="枚举 通报级别")
    e('"省政府办公厅"', "string.quoted.double.display", line_contains="枚举 通报级别", token=False)
    e('"县政府办公室"', "string.quoted.double.display", line_contains="枚举 通报级别", token=False)
    e("}", "punctuation.section.braces.end", line_contains="枚举 通报级别")
    e("表", "keyword.declaration", line_contains="表 新媒体账号")
    e("新媒体账号", "entity.name.type.table", line_contains="表 新媒体账号")
    e("(", "punctuation.section.parens.begin", line_contains="表 新媒体账号")
    e(",", "punctuation.separator.comma", line_contains="表 新媒体账号")
    e("->", "keyword.operator.arrow", line_contains="表 新媒体账号")
    e("->", "keyword.operator.arrow", line_contains="云和县教育局")
    e(",", "punctuation.separator.comma", line_contains="社会救助")
    # Events.
    e("事件", "keyword.declaration", line_contains="interp_substandard ")
    e("interp_substandard", "entity.name.type.event", line_contains="事件 interp_substandard")
    e('"政策解读不规范通报"', "string.quoted.double.display", token=False)
    e("unit", "variable.other.name", line_contains="事件 interp_substandard")
    e('"单位"', "string.quoted.double.display", line_contains="事件 interp_substandard", token=False)
    e(":", "punctuation.separator.colon", line_contains="事件 interp_substandard")
    e("单位", "keyword.declaration", line_contains="事件 interp_substandard", nth=2)
    e('"通报级别"', "string.quoted.double.display", line_contains="事件 interp_substandard", token=False)
    e("文本", "support.type.builtin", line_contains="事件 app_case ")
    e("数值", "support.type.builtin", line_contains="事件 prev_year_eval")
    e("唯一", "storage.modifier")
    e("记录", "keyword.declaration", line_contains="记录 网站预警")
    e("网站预警", "entity.name.function.stream", line_contains="记录 网站预警")
    e("排除", "keyword.control")
    e("同", "keyword.other", line_contains="排除 同")
    e("的", "keyword.other", line_contains="排除 同")
    # Categories, groups, items, citations.
    e("否决项", "keyword.declaration", line_contains="否决项 一票否决项")
    e("一票否决项", "entity.name.type.category", line_contains="否决项 一票否决项 {")
    e("扣分", "keyword.declaration", line_contains="扣分 主动公开")
    e("主动公开", "entity.name.type.category", line_contains="扣分 主动公开")
    e("上限", "storage.modifier", line_contains="扣分 主动公开")
    e("30", "constant.numeric.decimal", line_contains="扣分 主动公开")
    e("条目", "keyword.declaration", line_contains="政策解读不规范")
    e("政策解读不规范", "entity.name.function.item", line_contains="条目 政策解读不规范")
    e("引用", "keyword.other.citation", line_contains="政策解读不规范")
    e('"附件1 主动公开 1(1)"', "string.quoted.citation", token=False)
    e('1(1)', "string.quoted.citation", token=False, exact=False, absent=("punctuation", "invalid"))
    e('"附件1 平台建设 2(4)"', "string.quoted.citation", token=False)
    e("自", "keyword.other", line_contains="周评分低于平均 引用")
    e("2022-08-01", "constant.numeric.date")
    e("分组", "keyword.declaration", line_contains="门户网站")
    e("门户网站", "entity.name.type.group", line_contains="分组 门户网站")
    e("加分", "keyword.declaration")
    e("工作亮点", "entity.name.type.category")
    e("不设上限", "storage.modifier", absent=("keyword",))
    # Rules.
    e("每条", "keyword.operator.aggregate", line_contains="每条 interp_substandard")
    e("扣", "keyword.other.verb", line_contains="每条 interp_substandard")
    e("按", "keyword.other", line_contains="每条 interp_substandard")
    e("province", "variable.other.name", line_contains="每条 interp_substandard")
    e("每件", "keyword.operator.aggregate")
    e("每次", "keyword.operator.aggregate")
    e("每个不同", "keyword.operator.aggregate", line_contains="review_filed")
    e("取最高", "keyword.operator.aggregate", line_contains="review_filed")
    e("有", "keyword.operator.aggregate", line_contains="有 leak_verified")
    e("leak_verified", "variable.other.name", line_contains="有 leak_verified")
    e("条数", "keyword.operator.aggregate", line_contains="serious_error_flagged >")
    e(">", "keyword.operator.comparison", line_contains="serious_error_flagged >")
    e("适用", "keyword.control", line_contains="单位 属于 重点领域")
    e("属于", "keyword.control", line_contains="单位 属于 重点领域")
    e("否则取平均", "keyword.control", line_contains="单位 属于 重点领域")
    e("排名", "keyword.operator.aggregate", line_contains="排名 条数")
    e("从高到低", "keyword.other", line_contains="网站预警 从高到低")
    e("并列同名次", "keyword.other", line_contains="网站预警 从高到低")
    e("不排", "keyword.other", line_contains="网站预警 从高到低")
    e("每个", "keyword.operator.aggregate", line_contains="nm_post 间隔")
    e("间隔", "keyword.operator.aggregate")
    e("每超", "keyword.other")
    e("天", "keyword.other", line_contains="每超 14 天")
    e("每", "keyword.other", line_contains="每 7 天", nth=2)
    e("连续", "keyword.operator.aggregate")
    e("次", "keyword.other", line_contains="连续 2 次")
    e("<", "keyword.operator.comparison", line_contains="score < avg")
    e("若", "keyword.control", line_contains="无 annual_report_published")
    e("无", "keyword.operator.aggregate", line_contains="无 annual_report_published")
    e("其中", "keyword.control", line_contains="无 annual_report_published")
    e("日期", "variable.language", line_contains="无 annual_report_published")
    e("<=", "keyword.operator.comparison", line_contains="无 annual_report_published")
    e("年报期限", "variable.other.name", line_contains="无 annual_report_published")
    e("则", "keyword.control", line_contains="无 annual_report_published")
    e("否则", "keyword.control", line_contains="无 annual_report_published")
    e("或", "keyword.control", line_contains="有 review_filed 或")
    e("个数", "keyword.operator.aggregate")
    e("不同", "keyword.other", line_contains="个数 不同")
    e(">=", "keyword.operator.comparison", line_contains="个数 不同")
    e("不属于", "keyword.control")
    e("加", "keyword.other.verb", line_contains="不属于")
    # Output.
    e("输出", "keyword.declaration")
    e("折算分", "entity.name.function.output", line_contains="输出 折算分")
    e("得分", "variable.language", line_contains="输出 折算分")
    e("*", "keyword.operator.arithmetic", line_contains="输出 折算分")
    e("/", "keyword.operator.arithmetic", line_contains="输出 折算分")


SAMPLES = """\
条目 办件 引用 "F3" { 若 有app_case 则 5 否则 0 }
条目 办件二 引用 "F3" { 若 有 app_case 则 5 否则 0 }
扣分 扣分项 上限 10 { 条目 年报未按时公开 引用 "x" { 我的号 } }
若 无annual_report_published 其中 日期 <= 2023-01-31 则5 否则 0
每件 late 扣 5分
考核期 2022-01-01分 至 2022-12-31
其中 日期 <= 2023-1-31
单位组 乡镇（街道） { 甲 }
按 level {province：5，city:3}
a ≤ 1 且 b ≥ 2 且 c ≠ 3 且 d != 4 或 非 e = 5
x　y
最大(得分, -1.5) + 最小(1, 2)
条目 x 引用
  "附件1 1" {
条目 y 引用 # 条款见下
  "附件1 2" { 1 }
条目 "扣分" 引用 "x" { 1 }
名称 "a\\"b\\\\c" "d\\ne" "未结束
条目 z 引用 "未结束 {
a#b
长度 1. 宽度
每个 账号 的 post 每 7 天 连续 2 次 score < avg 扣 2
"""


def test_samples(grammar):
    doc = Doc(grammar, SAMPLES)
    e = lambda *a, **k: expect(doc, "sample", *a, **k)  # noqa: E731
    # Keywords stand alone; a keyword glued to a name is part of the name.
    e("有app_case", "variable.other.name", absent=("keyword",))
    e("有", "keyword.operator.aggregate", line_contains="若 有 app_case")
    e("app_case", "variable.other.name", line_contains="若 有 app_case")
    e("扣分", "keyword.declaration", line_contains="扣分 扣分项")
    e("扣分项", "entity.name.type.category", absent=("keyword",))
    e("年报未按时公开", "entity.name.function.item", absent=("keyword",))
    e("我的号", "variable.other.name", absent=("keyword",))
    e("无annual_report_published", "variable.other.name", absent=("keyword",))
    e("则5", "variable.other.name", absent=("keyword",))
    e("2023-01-31", "constant.numeric.date")
    # Literals that run into a name, and a date with one-digit parts.
    e("5分", "invalid.illegal.literal-runs-into-name")
    e("2022-01-01分", "invalid.illegal.literal-runs-into-name")
    e("2022-12-31", "constant.numeric.date", line_contains="2022-01-01分")
    e("2023-1-31", "invalid.deprecated.date-like-subtraction")
    # Full-width punctuation: ： and ， are accepted, （ ） are not; U+3000 is a blank.
    e("（", "invalid.illegal")
    e("）", "invalid.illegal")
    e("街道", "variable.other.name", line_contains="（")
    e("：", "punctuation.separator.colon")
    e("，", "punctuation.separator.comma")
    li, start, _ = doc.find("\u3000")
    check("sample: U+3000 is a blank", doc.scopes(li, start) == ("source.rulebook",), str(doc.scopes(li, start)))
    e("x", "variable.other.name", line_contains="x\u3000y")
    # Operators.
    e("≤", "keyword.operator.comparison")
    e("≥", "keyword.operator.comparison")
    e("≠", "keyword.operator.comparison")
    e("!=", "keyword.operator.comparison")
    e("=", "keyword.operator.equals", line_contains="非 e = 5", nth=2)
    e("且", "keyword.control", line_contains="a ≤ 1")
    e("非", "keyword.control")
    e("最大", "support.function.builtin")
    e("最小", "support.function.builtin")
    e("得分", "variable.language", line_contains="最大(")
    e("-", "keyword.operator.arithmetic", line_contains="最大(")
    e("1.5", "constant.numeric.decimal")
    e("+", "keyword.operator.arithmetic", line_contains="最大(")
    # A citation on the next line, also after a comment.
    e('"附件1 1"', "string.quoted.citation", token=False)
    e("{", "punctuation.section.braces.begin", line_contains='"附件1 1"', absent=("string",))
    e("# 条款见下", "comment.line", token=False)
    e('"附件1 2"', "string.quoted.citation", token=False)
    e("1", "constant.numeric.decimal", line_contains='"附件1 2" { 1 }', nth=2, absent=("string",))
    # A quoted name is a string, even a keyword.
    e('"扣分"', "string.quoted.double", token=False, absent=("keyword", "string.quoted.citation"))
    # Escapes, a bad escape, unterminated strings.
    e('"a\\"b\\\\c"', "string.quoted.double", token=False, absent=("invalid",))
    e('\\"', "constant.character.escape")
    e('\\\\', "constant.character.escape")
    e('\\n', "invalid.illegal.unknown-escape")
    e('"未结束', "invalid.illegal.unterminated-string", line_contains="名称")
    e('"未结束 {', "invalid.illegal.unterminated-string", line_contains="条目 z")
    e("#b", "comment.line", line_contains="a#b", token=False)
    e("a", "variable.other.name", line_contains="a#b")
    e(".", "invalid.illegal", line_contains="长度")
    e("1", "constant.numeric.decimal", line_contains="长度")
    # Streaks and gaps.
    e("每个", "keyword.operator.aggregate", line_contains="每 7 天")
    e("的", "keyword.other", line_contains="每 7 天")
    e("每", "keyword.other", line_contains="每 7 天", nth=2)
    e("连续", "keyword.operator.aggregate", line_contains="每 7 天")
    e("次", "keyword.other", line_contains="每 7 天")


def test_negative(grammar):
    """The checks that guard the bundled files do see a stray character."""
    doc = Doc(grammar, "事件 e { unit: 单位 } @\n扣分 a 上限 3 { 条目 b 引用 \"1\" { 每条 e 扣 1 } }\n")
    bad = doc.invalid_spans()
    check("negative: a stray '@' is invalid.illegal", [(b[0], b[1], b[2]) for b in bad] == [(1, 19, "@")], str(bad))
    expect(doc, "negative", "@", "invalid.illegal.unexpected-character")
    for sample, char in (("a 【b】", "【"), ("a；b", "；"), ("a.b", "."), ("a ! b", "!"), ("a & b", "&"),
                         ("“a”", "“"), ("a%", "%"), ("x'y'", "'")):
        d = Doc(grammar, sample)
        li, start, _ = d.find(char)
        check(f"negative: {char!r} in {sample!r} is invalid.illegal", has(d.scopes(li, start), "invalid.illegal"),
              d.describe(li, 0, len(sample)))


# ------------------------------------------------------------- the VS Code extension

def test_extension(source_dir, grammar):
    base = os.path.join(source_dir, "editors", "vscode")
    pkg = load_json(os.path.join(base, "package.json"))
    for key in ("name", "displayName", "publisher", "version", "engines"):
        check(f"package.json has {key}", key in pkg)
    contributes = pkg.get("contributes", {})
    languages = [l for l in contributes.get("languages", []) if l.get("id") == "rulebook"]
    check("package.json contributes the language rulebook", len(languages) == 1)
    lang = languages[0] if languages else {}
    check("package.json: .rules files are rulebooks", ".rules" in lang.get("extensions", []))
    config_path = os.path.join(base, lang.get("configuration", "-"))
    check("package.json: the language configuration exists", os.path.isfile(config_path), config_path)
    grammars = [g for g in contributes.get("grammars", []) if g.get("language") == "rulebook"]
    check("package.json contributes one grammar for rulebook", len(grammars) == 1)
    g = grammars[0] if grammars else {}
    check("package.json: the grammar's scopeName matches", g.get("scopeName") == grammar.data["scopeName"])
    check("package.json: the grammar path is the tested grammar",
          os.path.normpath(os.path.join(base, g.get("path", "-"))) ==
          os.path.normpath(os.path.join(base, "syntaxes", "rulebook.tmLanguage.json")))

    config = load_json(config_path) if os.path.isfile(config_path) else {}
    check("language configuration: line comment is #", config.get("comments", {}).get("lineComment") == "#")
    brackets = [tuple(b) for b in config.get("brackets", [])]
    check("language configuration: brackets {} and ()", ("{", "}") in brackets and ("(", ")") in brackets, str(brackets))
    pairs = {(p["open"], p["close"]) if isinstance(p, dict) else tuple(p) for p in config.get("autoClosingPairs", [])}
    for pair in (("{", "}"), ("(", ")"), ('"', '"')):
        check(f"language configuration: auto-closes {pair[0]}{pair[1]}", pair in pairs, str(pairs))
    word = re.compile(config.get("wordPattern", "(?!)"))
    for text in ("县教育局", "有app_case", "interp_substandard", "2022-01-31", "每个不同"):
        m = word.search(f" {text} ")
        check(f"language configuration: {text} is one word", bool(m) and m.group(0) == text, m and m.group(0))
    m = word.search("乡镇（街道）")
    check("language configuration: （ ends a word", bool(m) and m.group(0) == "乡镇", m and m.group(0))
    return pkg


# Sample output of `rulebook check`, as it prints it, and as rulebook_problems.py prints it.
TEXT_OUTPUT = """\
rules/x.rules:6:20: error: unknown event type or stream ee
    条目 b 引用 "1" { 每条 ee 扣 1 }
                           ^^
  hint: did you mean e?
C:\\work\\y.rules:3:1: warning: a ranking must say how ties rank
  排名 条数 w { 1: 3 }
  ^^^^
2 errors
"""


def matcher_patterns(matcher):
    pattern = matcher.get("pattern")
    return pattern if isinstance(pattern, list) else [pattern]


def apply_matcher(matcher, line):
    """What a one-line VS Code problem matcher reads from a line (None when no match)."""
    pattern = matcher_patterns(matcher)[0]
    m = re.search(pattern["regexp"], line)
    if not m:
        return None
    out = {}
    for key in ("file", "line", "column", "endLine", "endColumn", "severity", "message", "code"):
        if key in pattern and m.group(pattern[key]) is not None:
            out[key] = m.group(pattern[key])
    return out


def test_tasks(source_dir, pkg):
    base = os.path.join(source_dir, "editors", "vscode")
    tasks = load_json(os.path.join(base, "tasks.json.example"))
    check("tasks.json.example: version 2.0.0", tasks.get("version") == "2.0.0")
    all_tasks = tasks.get("tasks", [])
    json_tasks = [t for t in all_tasks if "--format json" in t.get("command", "")]
    text_tasks = [t for t in all_tasks if "check" in t.get("command", "") and "--format" not in t.get("command", "")]
    check("tasks.json.example: a task runs rulebook check --format json", len(json_tasks) >= 1)
    check("tasks.json.example: a task runs rulebook check (text form)", len(text_tasks) >= 1)
    contributed = {m.get("name"): m for m in pkg.get("contributes", {}).get("problemMatchers", [])}
    check("package.json contributes the problem matcher rulebook", "rulebook" in contributed)
    matchers = [("package.json $rulebook", contributed.get("rulebook", {}))]
    for t in all_tasks:
        pm = t.get("problemMatcher")
        check(f"task {t.get('label')!r} has an inline problem matcher", isinstance(pm, dict))
        if isinstance(pm, dict):
            matchers.append((f"task {t.get('label')!r}", pm))
            check(f"task {t.get('label')!r}: same pattern as the contributed matcher",
                  pm.get("pattern") == contributed.get("rulebook", {}).get("pattern"))
            check(f"task {t.get('label')!r}: files are found relative or absolute",
                  pm.get("fileLocation", [None])[0] == "autoDetect")
    for where, matcher in matchers:
        if not matcher:
            continue
        try:
            re.compile(matcher_patterns(matcher)[0]["regexp"])
        except (re.error, KeyError, TypeError) as e:
            check(f"{where}: the regexp compiles", False, str(e))
            continue
        lines = TEXT_OUTPUT.splitlines()
        got = [apply_matcher(matcher, l) for l in lines]
        check(f"{where}: reads the text form", got[0] == {
            "file": "rules/x.rules", "line": "6", "column": "20", "severity": "error",
            "message": "unknown event type or stream ee"}, str(got[0]))
        check(f"{where}: reads a Windows path and a warning", got[4] == {
            "file": "C:\\work\\y.rules", "line": "3", "column": "1", "severity": "warning",
            "message": "a ranking must say how ties rank"}, str(got[4]))
        check(f"{where}: source, caret, hint and summary lines are not problems",
              all(g is None for i, g in enumerate(got) if i not in (0, 4)), str(got))
        converted = "rules/x.rules:6:20:6:22: error: unknown event type or stream ee (hint: did you mean e?)"
        check(f"{where}: reads the converter's form with the end position", apply_matcher(matcher, converted) == {
            "file": "rules/x.rules", "line": "6", "column": "20", "endLine": "6", "endColumn": "22",
            "severity": "error", "message": "unknown event type or stream ee (hint: did you mean e?)"},
            str(apply_matcher(matcher, converted)))


def test_converter(source_dir):
    conv = load_module(os.path.join(source_dir, "editors", "vscode", "rulebook_problems.py"), "rulebook_problems")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "x.rules")
        with open(src, "w", encoding="utf-8") as f:
            f.write('考核 "x"\n\n\n\n\n    条目 b 引用 "1" { 每条 ee 扣 1 }\n\U0001F600 a\n')
        line6 = '    条目 b 引用 "1" { 每条 ee 扣 1 }'
        byte_col = len(line6[: line6.index("ee")].encode("utf-8")) + 1  # 32, as older builds counted
        char_col = line6.index("ee") + 1  # 20, as rulebook and VS Code count

        def convert(text, *args):
            inp = os.path.join(tmp, "in.txt")
            with open(inp, "w", encoding="utf-8") as f:
                f.write(text)
            out = io.StringIO()
            with redirect_stdout(out):
                status = conv.main([inp, *args])
            return out.getvalue().splitlines(), status

        doc = {"file": src, "errors": 1, "warnings": 1, "diagnostics": [
            {"file": src, "line": 6, "column": char_col, "end_line": 6, "end_column": char_col + 2,
             "severity": "error", "message": "unknown event type or stream ee", "hint": "did you mean e?"},
            {"file": src, "line": 7, "column": 3, "end_line": 7, "end_column": 4, "severity": "warning",
             "message": "after an emoji", "hint": ""},
            {"file": src, "line": 1, "column": 1, "severity": "warning", "message": "no end"},
        ]}
        out, status = convert(json.dumps(doc, ensure_ascii=False))
        check("converter: JSON character columns stay character columns", out[:1] == [
            f"{src}:6:{char_col}:6:{char_col + 2}: error: unknown event type or stream ee (hint: did you mean e?)"],
            str(out))
        check("converter: a character outside the BMP counts two UTF-16 units",
              out[1:2] == [f"{src}:7:4:7:5: warning: after an emoji"], str(out))
        check("converter: a diagnostic without an end gets one character",
              out[2:3] == [f"{src}:1:1:1:2: warning: no end"], str(out))
        check("converter: exit status 1 when there are errors", status == 1, str(status))
        out, status = convert(json.dumps({"file": src, "diagnostics": [], "errors": 0, "warnings": 0}))
        check("converter: no diagnostics, no output, status 0", out == [] and status == 0, f"{out} {status}")
        in_bytes = json.loads(json.dumps(doc))
        in_bytes["diagnostics"][0].update(column=byte_col, end_column=byte_col + 2)
        in_bytes["diagnostics"][1].update(column=6, end_column=7)
        out, _ = convert(json.dumps(in_bytes, ensure_ascii=False), "--columns", "bytes")
        check("converter: --columns bytes converts byte columns",
              out[:2] == [f"{src}:6:{char_col}:6:{char_col + 2}: error: unknown event type or stream ee "
                          f"(hint: did you mean e?)", f"{src}:7:4:7:5: warning: after an emoji"], str(out))
        text = (f"{src}:6:{char_col}: error: unknown event type or stream ee\n  {line6}\n"
                f"  {' ' * (len(line6[:char_col - 1]) + 6)}^^\n  hint: did you mean e?\n"
                f"{src}:1:1: warning: w\n1 error\n{src}: ok: 1 units\n")
        out, status = convert(text)
        check("converter: the text form, with the hint and the caret's end", out == [
            f"{src}:6:{char_col}:6:{char_col + 2}: error: unknown event type or stream ee (hint: did you mean e?)",
            f"{src}:1:1:1:2: warning: w", f"{src}: ok: 1 units"], str(out))
        check("converter: text form with an error exits 1", status == 1)
        chinese = (f"{src}:6:{char_col}: 错误: 没有名为 ee 的事件类型或 记录\n  {line6}\n"
                   f"  {' ' * (len(line6[:char_col - 1]) + 6)}^^\n  提示: 是不是想写 e？\n共 1 个错误\n")
        out, status = convert(chinese)
        check("converter: the Chinese text form, written as the matcher reads it", out == [
            f"{src}:6:{char_col}:6:{char_col + 2}: error: 没有名为 ee 的事件类型或 记录 (hint: 是不是想写 e？)"]
            and status == 1, str(out))


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} SOURCE_DIR")
        return 2
    source_dir = os.path.abspath(argv[1])
    grammar_path = os.path.join(source_dir, "editors", "vscode", "syntaxes", "rulebook.tmLanguage.json")
    try:
        grammar = Grammar(load_json(grammar_path))
    except (OSError, ValueError) as e:
        check("grammar loads", False, str(e))
        print(f"{PASSED} passed, {FAILED} failed")
        return 1
    check("grammar loads", True)
    run("grammar structure", test_structure, grammar)
    builder = None
    try:
        builder = test_generated(source_dir, grammar_path)
    except Exception:  # noqa: BLE001
        check("grammar generator", False, traceback.format_exc())
    if builder is not None:
        run("keywords", test_keywords, source_dir, grammar, builder)
    run("bundled rulebooks", test_bundled, source_dir, grammar)
    run("yunhe-2022", test_yunhe_2022, source_dir, grammar)
    run("samples", test_samples, grammar)
    run("negative", test_negative, grammar)
    pkg = {}
    try:
        pkg = test_extension(source_dir, grammar)
    except Exception:  # noqa: BLE001
        check("extension", False, traceback.format_exc())
    run("tasks", test_tasks, source_dir, pkg)
    run("converter", test_converter, source_dir)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
