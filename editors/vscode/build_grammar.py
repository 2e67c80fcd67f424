#!/usr/bin/env python3
"""Writes syntaxes/rulebook.tmLanguage.json, the TextMate grammar of rulebook files.

The grammar repeats the same few character classes in almost every rule (a keyword is
only a keyword when no name character touches it), so it is generated here rather than
edited by hand. Edit this file, run `python3 editors/vscode/build_grammar.py`, and commit
both; tests/editor_grammar_test.py fails when the JSON and this script disagree.

The lexical rules follow grammar/rulebook_grammar.hpp:
- a name character is an ASCII letter, digit or '_', or any non-ASCII code point except
  the Chinese punctuation ，。：；（）【】、“”‘’《》！？, the ideographic space U+3000 and the
  signs ≤ ≥ ≠;
- a keyword is a reserved word with no name character right before or after it, so
  `有app_case` and `扣分项` are names and `有 app_case` is the keyword 有 and a name;
- a number or a date must not run into a name (`5分` is an error);
- a string is double-quoted on one line, with \\" and \\\\ as its only escapes.

Every regex sticks to syntax that Oniguruma (VS Code) and Python's `re` read the same
way: no \\d \\w \\s \\b (their Unicode reach differs), no possessive or atomic groups, no
\\h, \\G, \\x{...} or \\u escapes (non-ASCII characters are written literally).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "syntaxes", "rulebook.tmLanguage.json")

# ------------------------------------------------------------------ character classes

# Non-ASCII code points that end a name (grammar: wide_punctuation).
WIDE_PUNCTUATION = "，。：；（）【】、“”‘’《》！？\u3000≤≥≠"
# A name character: everything except ASCII other than [0-9A-Za-z_], and the wide punctuation.
NAME_CHAR = "[^\\x00-\\x2F\\x3A-\\x40\\x5B-\\x5E\\x60\\x7B-\\x7F" + WIDE_PUNCTUATION + "]"
NOT_AFTER_NAME = "(?<!" + NAME_CHAR + ")"
NOT_BEFORE_NAME = "(?!" + NAME_CHAR + ")"
# A name written without quotes: a run of name characters not starting with a digit.
WORD = "(?![0-9])" + NAME_CHAR + "+"
# Blanks inside one line (the grammar also skips newlines and comments, which a
# line-based tokenizer cannot look across).
BLANKS = "[ \\t\\u3000]+".replace("\\u3000", "\u3000")

# ------------------------------------------------------------------------- keywords

# Every reserved word of the grammar (any_keyword), by role. The test checks this list
# against the kw_* rules of grammar/rulebook_grammar.hpp.
KEYWORDS = [
    # Words that start a declaration, and the header words.
    ("keyword.declaration.rulebook",
     ["考核", "考核期", "基础分", "得分范围", "参数", "单位", "单位组", "别名", "枚举", "表",
      "事件", "记录", "否决项", "扣分", "加分", "计分", "分组", "条目", "输出", "指标", "不参与考核", "等级",
      "设立", "撤销", "小数位数"]),
    # Conditions and filters.
    ("keyword.control.rulebook",
     ["若", "则", "否则", "且", "或", "非", "属于", "不属于", "其中", "排除", "适用", "否则取平均"]),
    # Rules that read records: per record, per distinct value, counts, gaps, streaks, ranks.
    ("keyword.operator.aggregate.rulebook",
     ["每条", "每件", "每次", "每篇", "每个不同", "每个", "取最高", "条数", "个数", "有", "无", "仅",
      "间隔", "连续", "排名", "平均", "最高", "最低", "合计", "单位数"]),
    # 扣 / 加 / 计 introduce an amount.
    ("keyword.other.verb.rulebook", ["扣", "加", "计"]),
    # Modifiers of declarations.
    ("storage.modifier.rulebook", ["上限", "不设上限", "可选", "唯一", "来自", "满分", "按周", "按月", "按季", "按半年",
                                   "每期上限", "取各期平均", "仅有记录的期", "仅存续的期"]),
    # The other words of the constructs above.
    ("keyword.other.rulebook",
     ["至", "自", "同", "的", "按", "其他", "每超", "每", "不同", "天", "次",
      "从高到低", "从低到高", "并列同名次", "并列密集", "不排", "本类", "本类内", "不含否决单位",
      "分母为零时"]),
    ("support.function.builtin.rulebook", ["最大", "最小", "四舍五入", "向上取整", "向下取整"]),
    # 得分 (the final score, in outputs) and 日期 (a record's date; the date field type).
    ("variable.language.rulebook", ["得分", "日期"]),
]
CITE = "引用"  # handled by the citation rule, which also scopes the quoted text after it

ALL_KEYWORDS = [w for _, words in KEYWORDS for w in words] + [CITE]


def alternation(words):
    # Longest first, so a reader never has to think about prefixes (the boundary
    # lookarounds already make the order irrelevant to the result).
    return "|".join(sorted(words, key=lambda w: (-len(w), w)))


def keyword_regex(words):
    return NOT_AFTER_NAME + "(?:" + alternation(words) + ")" + NOT_BEFORE_NAME


ANY_KEYWORD_AHEAD = "(?:" + alternation(ALL_KEYWORDS) + ")" + NOT_BEFORE_NAME

# -------------------------------------------------------------------------- strings


def string_rules(scope, kind):
    """An unterminated string first (it wins the tie at the same '"'), then a string
    that closes on its line, with its escapes."""
    return [
        {
            "comment": "A " + kind + " with no closing quote before the end of the line.",
            "name": "invalid.illegal.unterminated-string.rulebook",
            "match": '"(?:[^"\\\\\\n]|\\\\.)*\\\\?$',
        },
        {
            "name": scope,
            "begin": '"',
            "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.rulebook"}},
            "end": '"',
            "endCaptures": {"0": {"name": "punctuation.definition.string.end.rulebook"}},
            "patterns": [{"include": "#string-escapes"}],
        },
    ]


# ----------------------------------------------------------------- declared names


def declared_name(keywords, keyword_scope, name_scope, comment):
    """KEYWORD NAME on one line: the keyword and the unquoted name it declares."""
    return {
        "comment": comment,
        "match": NOT_AFTER_NAME + "(" + alternation(keywords) + ")" + NOT_BEFORE_NAME
        + "(?:(" + BLANKS + ")(?!" + ANY_KEYWORD_AHEAD + ")(" + WORD + "))?",
        "captures": {"1": {"name": keyword_scope}, "3": {"name": name_scope}},
    }


DECL = "keyword.declaration.rulebook"
DISPLAY = "string.quoted.double.display.rulebook"
QUOTED_ON_LINE = '"(?:[^"\\\\\\n]|\\\\["\\\\])*"'


def display_after_name(lookahead, comment):
    """A display name: a quoted string right after a name (blanks between)."""
    return {
        "comment": comment,
        "match": "(?<=" + NAME_CHAR + ")(" + BLANKS + ")?(" + QUOTED_ON_LINE + ")" + lookahead,
        "captures": {"2": {"name": DISPLAY}},
    }


def grammar():
    repository = {
        "comments": {
            "comment": "'#' starts a comment that runs to the end of the line.",
            "match": "(#).*$",
            "name": "comment.line.number-sign.rulebook",
            "captures": {"1": {"name": "punctuation.definition.comment.rulebook"}},
        },
        "string-escapes": {
            "patterns": [
                {"name": "constant.character.escape.rulebook", "match": '\\\\["\\\\]'},
                {
                    "comment": 'Only \\" and \\\\ may follow a backslash.',
                    "name": "invalid.illegal.unknown-escape.rulebook",
                    "match": "\\\\.?",
                },
            ]
        },
        "string": {"patterns": string_rules("string.quoted.double.rulebook", "string")},
        "citation": {
            "comment": "引用 \"...\": the clause an item or group cites. The quoted text may "
            "follow on a later line.",
            "begin": NOT_AFTER_NAME + "(" + CITE + ")" + NOT_BEFORE_NAME,
            "beginCaptures": {"1": {"name": "keyword.other.citation.rulebook"}},
            "end": '(?<=")|(?=[^ \\t\\n\\r\\f\\v\u3000"#])',
            "patterns": [
                {"include": "#comments"},
                *string_rules("string.quoted.citation.rulebook", "citation"),
            ],
        },
        "declarations": {
            "patterns": [
                declared_name(["条目"], DECL, "entity.name.function.item.rulebook",
                              "条目 NAME: an item."),
                declared_name(["扣分", "加分", "计分", "否决项"], DECL, "entity.name.type.category.rulebook",
                              "扣分/加分/计分/否决项 NAME: a category."),
                declared_name(["分组"], DECL, "entity.name.type.group.rulebook", "分组 NAME: a group."),
                {
                    "comment": "事件 NAME [\"显示名\"]: an event type and the name forms and records may use.",
                    "match": declared_name(["事件"], DECL, "", "")["match"] + "(?:(" + BLANKS + ")(" + QUOTED_ON_LINE
                    + "))?",
                    "captures": {"1": {"name": DECL}, "3": {"name": "entity.name.type.event.rulebook"},
                                 "5": {"name": DISPLAY}},
                },
                declared_name(["枚举"], DECL, "entity.name.type.enum.rulebook", "枚举 NAME: an enum."),
                declared_name(["表"], DECL, "entity.name.type.table.rulebook", "表 NAME: a table."),
                declared_name(["单位组"], DECL, "entity.name.type.unit-group.rulebook",
                              "单位组 NAME: a unit group."),
                declared_name(["记录"], DECL, "entity.name.function.stream.rulebook",
                              "记录 NAME: a named stream."),
                declared_name(["参数"], DECL, "variable.other.constant.parameter.rulebook",
                              "参数 NAME: a parameter."),
                declared_name(["输出"], DECL, "entity.name.function.output.rulebook", "输出 NAME: an output."),
                declared_name(["指标"], DECL, "entity.name.function.indicator.rulebook",
                              "指标 NAME: an indicator."),
            ]
        },
        "display-name": display_after_name(
            "(?=(?:" + BLANKS + ")?[:：])",
            "FIELD \"显示名\": the name forms and records may use for a field."),
        "enum": {
            "comment": "枚举 NAME { MEMBER \"显示名\" ... }: an enum, its members and their display names "
            "(a bare 枚举 NAME is left to the declarations).",
            "begin": NOT_AFTER_NAME + "(枚举)" + NOT_BEFORE_NAME + "(?:(" + BLANKS + ")(?!" + ANY_KEYWORD_AHEAD
            + ")(" + WORD + "))(" + BLANKS + ")?(\\{)",
            "beginCaptures": {"1": {"name": DECL}, "3": {"name": "entity.name.type.enum.rulebook"},
                              "5": {"name": "punctuation.section.braces.begin.rulebook"}},
            "end": "\\}",
            "endCaptures": {"0": {"name": "punctuation.section.braces.end.rulebook"}},
            "patterns": [
                {"include": "#comments"},
                display_after_name("", "A member's display name."),
                {"include": "#string"},
                {"include": "#identifier"},
                {"include": "#punctuation"},
                {"include": "#invalid"},
            ],
        },
        "field-type": {
            "comment": "The built-in field types after ':' in an event type (文本 and 数值 are "
            "not keywords, so only this position marks them).",
            "match": "([:：])(" + BLANKS + ")?(文本|数值)" + NOT_BEFORE_NAME,
            "captures": {
                "1": {"name": "punctuation.separator.colon.rulebook"},
                "3": {"name": "support.type.builtin.rulebook"},
            },
        },
        "literals": {
            "patterns": [
                {
                    "name": "constant.numeric.date.rulebook",
                    "match": NOT_AFTER_NAME + "[0-9]{4}-[0-9]{2}-[0-9]{2}" + NOT_BEFORE_NAME,
                },
                {
                    "comment": "A grade band's bound with 以上 written against it (90以上, 80分以上).",
                    "match": NOT_AFTER_NAME + "([0-9]+(?:\\.[0-9]+)?)(分?以上)" + NOT_BEFORE_NAME,
                    "captures": {
                        "1": {"name": "constant.numeric.decimal.rulebook"},
                        "2": {"name": "keyword.other.rulebook"},
                    },
                },
                {
                    "comment": "A number or a date running into a name (5分): an error.",
                    "name": "invalid.illegal.literal-runs-into-name.rulebook",
                    "match": NOT_AFTER_NAME + "(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]+(?:\\.[0-9]+)?(?![0-9]))"
                    + NAME_CHAR + "+",
                },
                {
                    "comment": "2023-1-31 is not a date: inside a condition it is read as the "
                    "subtraction 2023 - 1 - 31 without any message (docs/language.en.md 13.2).",
                    "name": "invalid.deprecated.date-like-subtraction.rulebook",
                    "match": NOT_AFTER_NAME + "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}" + NOT_BEFORE_NAME,
                },
                {
                    "name": "constant.numeric.decimal.rulebook",
                    "match": NOT_AFTER_NAME + "[0-9]+(?:\\.[0-9]+)?" + NOT_BEFORE_NAME,
                },
            ]
        },
        "keywords": {
            "patterns": [{"name": scope, "match": keyword_regex(words)} for scope, words in KEYWORDS]
        },
        "identifier": {
            "comment": "A name: a run of name characters not starting with a digit.",
            "name": "variable.other.name.rulebook",
            "match": NOT_AFTER_NAME + WORD,
        },
        "operators": {
            "patterns": [
                {"name": "keyword.operator.arrow.rulebook", "match": "->"},
                {"name": "keyword.operator.comparison.rulebook", "match": "<=|>=|!=|≤|≥|≠|<|>"},
                {
                    "comment": "'=' gives a value (参数, 别名, 记录, 输出) or compares.",
                    "name": "keyword.operator.equals.rulebook",
                    "match": "=",
                },
                {"name": "keyword.operator.arithmetic.rulebook", "match": "[-+*/]"},
                {"comment": "后10%: the last tenth of the ranked units.",
                 "name": "keyword.operator.percent.rulebook", "match": "(?<=[0-9])%"},
            ]
        },
        "punctuation": {
            "patterns": [
                {"name": "punctuation.section.braces.begin.rulebook", "match": "\\{"},
                {"name": "punctuation.section.braces.end.rulebook", "match": "\\}"},
                {"name": "punctuation.section.parens.begin.rulebook", "match": "\\("},
                {"name": "punctuation.section.parens.end.rulebook", "match": "\\)"},
                {"comment": "The full-width ： is accepted like ':'.",
                 "name": "punctuation.separator.colon.rulebook", "match": "[:：]"},
                {"comment": "The full-width ， is accepted like ','.",
                 "name": "punctuation.separator.comma.rulebook", "match": "[,，]"},
            ]
        },
        "invalid": {
            "comment": "Anything else is not part of the language: '@', '.', other full-width "
            "punctuation such as （ ） in an unquoted name, ...",
            "name": "invalid.illegal.unexpected-character.rulebook",
            "match": "[^ \\t\\n\\r\\f\\v\u3000]",
        },
    }
    order = ["comments", "citation", "enum", "declarations", "display-name", "string", "field-type", "literals",
             "keywords",
             "identifier", "operators", "punctuation", "invalid"]
    assert sorted(order + ["string-escapes"]) == sorted(repository)
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "Rulebook",
        "scopeName": "source.rulebook",
        "fileTypes": ["rules"],
        "comment": "Generated by editors/vscode/build_grammar.py from the lexical rules of "
        "grammar/rulebook_grammar.hpp; edit that script, not this file.",
        "patterns": [{"include": "#" + name} for name in order],
        "repository": repository,
    }


def render():
    text = json.dumps(grammar(), ensure_ascii=False, indent=2)
    # The ideographic space is invisible in most editors: keep it as an escape in the JSON.
    return text.replace("\u3000", "\\u3000") + "\n"


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        with open(OUTPUT, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{OUTPUT} is out of date: run python3 {os.path.relpath(__file__)}")
                return 1
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
