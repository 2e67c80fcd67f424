#!/usr/bin/env python3
"""Keeps the language reference in step: docs/language.md (Chinese) and
docs/language.en.md (English) must have the same headings (level, order, section
number), the same code blocks byte for byte in the same order, and the Chinese
file's prose must be Chinese.

A section whose Chinese text is not written yet carries the line
"（本节中文版待补）" and keeps its English text; such sections are listed, not failed.

Usage: docs_test.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path

PENDING = "（本节中文版待补）"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
HEADING = re.compile(r"(#{1,6}) (.*)")
NUMBER = re.compile(r"(\d+[a-z]?(?:\.\d+)*\.?)(?=\s)")


def parse(text):
    """Returns (headings, code blocks, prose sections).

    headings: [(level, number or None, line)]; code blocks: [text];
    prose: [(heading line, [paragraph text])] with code blocks removed."""
    headings, blocks, sections = [], [], [("(before the first heading)", [])]
    lines = text.split("\n")
    i = 0
    para = []

    def end_para():
        if para:
            sections[-1][1].append("\n".join(para))
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end_para()
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            blocks.append("\n".join(lines[i:j + 1]))
            i = j + 1
            continue
        m = HEADING.fullmatch(line)
        if m:
            end_para()
            title = m.group(2)
            n = NUMBER.match(title)
            headings.append((len(m.group(1)), n.group(1).rstrip(".") if n else None, line))
            sections.append((line, []))
        elif line.strip():
            para.append(line)
        else:
            end_para()
        i += 1
    end_para()
    return headings, blocks, sections


def prose_without_code(paragraph):
    text = re.sub(r"`[^`]*`", "", paragraph)
    text = re.sub(r"\]\([^)]*\)", "]", text)     # link targets
    return text


def is_code_only_table_row(line):
    s = line.strip()
    if not s.startswith("|"):
        return False
    cells = [c.strip() for c in s.strip("|").split("|")]
    return all(not c or re.fullmatch(r":?-+:?", c) or not re.search(r"[A-Za-z]", prose_without_code(c))
               for c in cells)


def slug(title):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def broken_links(headings, text):
    anchors = {slug(line.split(" ", 1)[1]) for _, _, line in headings}
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    return [a for a in re.findall(r"\]\(#([^)]*)\)", outside) if a not in anchors]


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    zh_path, en_path = root / "docs" / "language.md", root / "docs" / "language.en.md"
    failures = 0

    def report(ok, what, detail=""):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what + (": " + detail if detail else ""))
        if not ok:
            failures += 1

    for p in (zh_path, en_path):
        if not p.is_file():
            report(False, f"{p} exists")
            return 1
    zh_text, en_text = zh_path.read_text(encoding="utf-8"), en_path.read_text(encoding="utf-8")
    zh_h, zh_b, zh_s = parse(zh_text)
    en_h, en_b, en_s = parse(en_text)

    # Headings: the same levels and numbers in the same order.
    bad = []
    for k in range(max(len(zh_h), len(en_h))):
        a = zh_h[k] if k < len(zh_h) else None
        b = en_h[k] if k < len(en_h) else None
        if a is None or b is None or a[:2] != b[:2]:
            bad.append(f"heading {k + 1}: {a[2] if a else '(none)'!r} vs {b[2] if b else '(none)'!r}")
    report(not bad and len(zh_h) == len(en_h),
           f"headings in step ({len(zh_h)} Chinese, {len(en_h)} English)", "; ".join(bad[:5]))

    # Code blocks: byte for byte, in order.
    bad = []
    for k in range(max(len(zh_b), len(en_b))):
        a = zh_b[k] if k < len(zh_b) else None
        b = en_b[k] if k < len(en_b) else None
        if a != b:
            first = (a or "(none)").split("\n")[:2]
            bad.append(f"code block {k + 1} differs (Chinese file: {first!r})")
    report(not bad, f"code blocks identical ({len(zh_b)} Chinese, {len(en_b)} English)", "; ".join(bad[:5]))

    # Links to sections (#...) lead to a heading of the same file.
    for name, h, text in (("docs/language.md", zh_h, zh_text), ("docs/language.en.md", en_h, en_text)):
        bad = broken_links(h, text)
        report(not bad, f"links to sections in {name} lead to headings", ", ".join("#" + a for a in bad[:5]))

    # Prose in the Chinese file is Chinese.
    pending, english = [], []
    for title, paras in zh_s:
        if any(PENDING in p for p in paras):
            pending.append(title)
            continue
        for p in paras:
            lines = [l for l in p.split("\n") if not is_code_only_table_row(l)]
            rest = prose_without_code("\n".join(lines))
            if not re.search(r"[A-Za-z0-9]", rest):
                continue                       # punctuation, rules, links only
            if not CJK.search(rest):
                english.append(f"{title}: {p.splitlines()[0][:60]!r}")
        if not CJK.search(title) and title != "(before the first heading)":
            english.append(f"heading without Chinese: {title!r}")
    report(not english, "Chinese prose in docs/language.md", "; ".join(english[:8]))
    translated = len(zh_h) - len(pending)
    print(f"ok   {translated} of {len(zh_h)} sections in Chinese"
          + (f"; {len(pending)} pending translation ({PENDING}): "
             + ", ".join(t.lstrip('# ').split(' ')[0] for t in pending) if pending else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
