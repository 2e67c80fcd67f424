#!/usr/bin/env python3
"""Reports that read and print right, run by ctest with Debian's python3 (python3-openpyxl),
Chromium and poppler-utils: usage: report_test.py BUILD_DIR SOURCE_DIR.

The HTML report is printed to PDF by headless Chromium and read back with pdftotext and
pdfinfo: A4 pages, the ranking's header row on every page it runs over, unit names whole,
each unit on a page of its own, the derivation printed, signs (−N, +N, 命中, never −0),
paths relative to the working folder. The workbook is opened with openpyxl (a reader other
than ours): signs as number formats over numbers, widths for every column, A4 landscape
fitted to the width, the header row repeated, the filter, a title row, one ranking sheet per
unit group and the month-by-month sheet. Also the table and CSV one ranking per group."""
import csv
import io
import os
import re
import shutil
import subprocess
import sys

import openpyxl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_support  # noqa: E402
from cli_support import TMP, check, finish, run  # noqa: E402

SRC = os.path.abspath(cli_support.SRC)
cli_support.CLI = os.path.abspath(cli_support.CLI)
XF = os.path.join(SRC, "examples", "xinfang-2022")
RULES = os.path.join(XF, "xinfang-2022.rules")
EVENTS = os.path.join(XF, "events.jsonl")
os.chdir(SRC)  # the inputs lie inside the working folder: reports show them relative to it


TOWNS = ["城关镇", "东岭镇", "西山乡", "南溪乡"]
DEPTS = ["县住建局", "县人社局", "县教育局", "县自然资源局", "县数据局"]

# ---------------------------------------------------------------- table and CSV by group
p = run("run", RULES, "--events", EVENTS, "--format", "table", "--by-group")
table = p.stdout.decode()
check("table --by-group: exit 0", p.returncode == 0, p.stderr.decode()[:300])
town_at, dept_at = table.find("乡镇（4 个单位）"), table.find("县直部门（5 个单位）")
check("table --by-group: one ranking per unit group, in rulebook order", 0 < town_at < dept_at, table[:400])
town_part, dept_part = table[town_at:dept_at], table[dept_at:]
check("table --by-group: each group's ranking has its own units only",
      all(u in town_part for u in TOWNS) and not any(u in town_part for u in DEPTS)
      and all(u in dept_part for u in DEPTS) and not any(u in dept_part for u in TOWNS))
check("table --by-group: ranks start at 1 in each group",
      re.search(r"^\s+1\s+\S+", town_part, re.M) and re.search(r"^\s+1\s+\S+", dept_part, re.M))

p = run("run", RULES, "--events", EVENTS, "--format", "csv", "--by-group")
rows = list(csv.reader(io.StringIO(p.stdout.decode("utf-8-sig"))))
check("csv --by-group: a 单位组 column first", rows and rows[0][:3] == ["单位组", "名次", "单位"], rows[:1])
by_group = {}
for r in rows[1:]:
    by_group.setdefault(r[0], []).append(r)
check("csv --by-group: every unit once, under its group",
      sorted(r[2] for r in by_group.get("乡镇", [])) == sorted(TOWNS)
      and sorted(r[2] for r in by_group.get("县直部门", [])) == sorted(DEPTS), by_group.keys())
check("csv --by-group: the rank is within the group",
      [r[1] for r in by_group.get("乡镇", [])][:1] == ["1"] and [r[1] for r in by_group.get("县直部门", [])][:1] == ["1"])
not_assessed = [r for r in rows[1:] if r[2] == "县自然资源局"]
check("csv: a unit not assessed has no rank, no score and no category amounts",
      not_assessed and not_assessed[0][1] == "-" and not_assessed[0][3] == "不参与考核"
      and all(c == "" for c in not_assessed[0][5:8]), not_assessed)

# ---------------------------------------------------------------- the HTML report printed
report = os.path.join(TMP, "报告.html")
p = run("run", RULES, "--events", EVENTS, "--format", "html", "--by-group", "--monthly", "-o", report)
check("html written", p.returncode == 0 and os.path.exists(report), p.stderr.decode()[:300])
page = open(report, encoding="utf-8").read()
check("html: paths relative to the working folder", "examples/xinfang-2022/events.jsonl" in page and SRC not in page)
check("html: one ranking per group besides the overall one",
      'id="ranking"' in page and "乡镇排名" in page and "县直部门排名" in page)
check("html: the month-by-month view", 'id="monthly"' in page and page.count("<th class=\"num\">2022-") >= 12)
check("html: deductions as −N with 扣分 in the header, bonuses +N with 加分",
      "源头治理<br>扣分" in page and "工作创新<br>加分" in page and re.search(r'class="num ded">−\d', page)
      and re.search(r'class="num bonus">\+\d', page))
check("html: no −0", not re.search(r">[−+]0(\.0+)?<", page))
check("html: a veto that hit shows as 命中", "命中：群体性事件" in page and ">命中<" in page)

browser = shutil.which("chromium") or shutil.which("chromium-browser")
check("chromium is installed", browser is not None)
check("pdftotext and pdfinfo are installed", shutil.which("pdftotext") and shutil.which("pdfinfo"))
if browser and shutil.which("pdftotext"):
    pdf = os.path.join(TMP, "report.pdf")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + os.path.join(TMP, "chromium"), "--no-pdf-header-footer"]
    subprocess.run([browser, *flags, "--print-to-pdf=" + pdf, "file://" + report], capture_output=True, timeout=180)
    check("the report prints to PDF", os.path.exists(pdf) and os.path.getsize(pdf) > 10000)
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    check("the PDF pages are A4", re.search(r"Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info), info)
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True).stdout
    pages = text.split("\f")
    units = TOWNS + DEPTS
    # A unit's page: its section starts the page with the unit's name and standing.
    unit_pages = {u: [i for i, pg in enumerate(pages) if pg.strip().startswith(u + " ")] for u in units}
    check("each unit starts a page of its own", all(unit_pages[u] for u in units),
          {u: v for u, v in unit_pages.items() if not v})
    check("unit names are never broken", all(u in text for u in units))
    first_unit_page = min(v[0] for v in unit_pages.values() if v) if all(unit_pages.values()) else len(pages)
    monthly_pages = [i for i in range(first_unit_page) if re.search(r"2022-0[1-9]\s+2022-", pages[i])]
    heads = [i for i in range(first_unit_page) if re.search(r"单位\s+2022-01\s+2022-02", pages[i])]
    check("the month-by-month table's header row is on every page it runs over",
          monthly_pages and monthly_pages == heads, (monthly_pages, heads))
    check("the derivation is printed", "examples/xinfang-2022/events.jsonl:" in text)
    check("the printed report names no absolute path", SRC not in text)

# ---------------------------------------------------------------- every unit's notice in one file
notices_md = os.path.join(TMP, "通报.md")
p = run("explain", RULES, "--events", EVENTS, "--all", "-o", notices_md, "--lang", "zh")
check("explain --all -o 通报.md: exit 0", p.returncode == 0 and os.path.exists(notices_md), p.stderr.decode()[:300])
md = open(notices_md, encoding="utf-8").read() if os.path.exists(notices_md) else ""
sections = re.findall(r"^## (.+)$", md, re.M)
check("通报.md: one section per unit", sorted(sections) == sorted(TOWNS + DEPTS), sections)
check("通报.md: the head gives the final score, rank and grade",
      re.search(r"^县住建局：得分 [\d.]+ 分，在 8 个参与考核的单位中排第 1 名，等级为“良好”。$", md, re.M), md[:300])
west = md[md.find("## 西山乡"):].split("\n## ")[0]
check("通报.md: a vetoed unit gets the veto and its reason only",
      "实行一票否决" in west and "2022年8月16日 发生群体性事件" in west and "扣分事项" not in west, west)
check("通报.md: a unit not assessed says so, with the reason", "县自然资源局：不参与考核（" in md)
check("通报.md: deductions say when and what, with display names, never codes",
      "重复信访" in md and "repeat_petition" not in md and "（满意度：不满意）" in md and "unsatisfied" not in md)
check("通报.md: sub-periods as a notice writes them", "按期计分：" in md and "2022年第" in md and "季度" in md)
notices_html = os.path.join(TMP, "通报.html")
p = run("explain", RULES, "--events", EVENTS, "--all", "-o", notices_html)
doc = open(notices_html, encoding="utf-8").read() if os.path.exists(notices_html) else ""
check("explain --all -o 通报.html: a page per unit, in Chinese", p.returncode == 0 and doc.startswith("<!DOCTYPE html>")
      and doc.count('<section class="unit">') == 9 and 'lang="zh-CN"' in doc)
p = run("explain", RULES, "--events", EVENTS, "--all", "--lang", "en")
check("explain --all --lang en: the notices in English",
      p.returncode == 0 and "score" in p.stdout.decode() and "扣分事项" not in p.stdout.decode())
p = run("explain", RULES, "--events", EVENTS)
check("explain without --unit or --all: a usage error", p.returncode == 2 and b"--all" in p.stderr)

# ---------------------------------------------------------------- the workbook, read by openpyxl
book_path = os.path.join(TMP, "报告.xlsx")
p = run("run", RULES, "--events", EVENTS, "--format", "xlsx", "--by-group", "--monthly", "-o", book_path)
check("xlsx written", p.returncode == 0 and os.path.exists(book_path), p.stderr.decode()[:300])
wb = openpyxl.load_workbook(book_path)
check("xlsx: the sheets", wb.sheetnames == ["排名", "排名-乡镇", "排名-县直部门", "逐月得分", "条目", "来源"], wb.sheetnames)
for ws in wb.worksheets:
    name = ws.title
    check(f"{name}: a title row", isinstance(ws["A1"].value, str) and "信访" in ws["A1"].value, ws["A1"].value)
    # fitToWidth absent is 1 (its default in OOXML); fitToHeight 0: as many pages as it takes.
    check(f"{name}: A4 landscape, fitted to the page width",
          ws.page_setup.paperSize in (9, "9") and ws.page_setup.orientation == "landscape"
          and ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
          and ws.page_setup.fitToWidth in (1, "1", None) and ws.page_setup.fitToHeight in (0, "0"),
          (ws.page_setup.paperSize, ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight))
    check(f"{name}: the header row repeats on every page", ws.print_title_rows in ("2:2", "$2:$2"), ws.print_title_rows)
    check(f"{name}: a filter over the header and data", ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:"),
          ws.auto_filter.ref)
    letters = [openpyxl.utils.get_column_letter(c) for c in range(1, ws.max_column + 1)]
    check(f"{name}: a width for every column",
          all(ws.column_dimensions[c].width and ws.column_dimensions[c].width >= 6 for c in letters),
          {c: ws.column_dimensions[c].width for c in letters})

rank = wb["排名"]
header = [c.value for c in rank[2]]
check("xlsx: 扣分 and 加分 in the headers", "源头治理\n扣分" in header and "工作创新\n加分" in header, header)
ded_col, bonus_col = header.index("源头治理\n扣分") + 1, header.index("工作创新\n加分") + 1
ded_cells = [rank.cell(row=r, column=ded_col) for r in range(3, rank.max_row + 1)]
numbers = [c for c in ded_cells if isinstance(c.value, (int, float))]
check("xlsx: deductions are numbers shown as −N, and 0 without a sign",
      numbers and all(c.number_format.startswith('"−"') and c.number_format.endswith(";0.00") for c in numbers)
      and any(c.value > 0 for c in numbers), [(c.value, c.number_format) for c in ded_cells[:3]])
bonus_cells = [rank.cell(row=r, column=bonus_col) for r in range(3, rank.max_row + 1)]
check("xlsx: bonuses shown as +N",
      all(c.number_format.startswith('"+"') for c in bonus_cells if isinstance(c.value, (int, float))))
check("xlsx: the ranking starts with the top score",
      rank.cell(row=3, column=3).value == max(rank.cell(row=r, column=3).value for r in range(3, rank.max_row + 1)
                                              if isinstance(rank.cell(row=r, column=3).value, (int, float))))
towns = wb["排名-乡镇"]
check("xlsx: a group's sheet ranks its units only",
      sorted(towns.cell(row=r, column=2).value for r in range(3, towns.max_row + 1)) == sorted(TOWNS))
items = wb["条目"]
vetoes = [items.cell(row=r, column=5).value for r in range(3, items.max_row + 1)
          if items.cell(row=r, column=3).value == "群体性事件"]
check("xlsx: veto items show 命中 / 未命中", "命中" in vetoes and "未命中" in vetoes, vetoes[:5])
monthly = wb["逐月得分"]
check("xlsx: the month-by-month sheet has every month",
      [monthly.cell(row=2, column=c).value for c in range(2, 14)] == [f"2022-{m:02}" for m in range(1, 13)])
data = [monthly.cell(row=r, column=1).value for r in range(3, monthly.max_row + 1)]
row_of = {u: r + 3 for r, u in enumerate(data)}
check("xlsx: a unit set up in July has no score before it",
      "县数据局" in row_of and monthly.cell(row=row_of["县数据局"], column=2).value == "-"
      and isinstance(monthly.cell(row=row_of["县数据局"], column=13).value, (int, float)))
source = wb["来源"]
cells = " ".join(str(c.value) for row in source.iter_rows() for c in row if c.value)
check("xlsx: inputs relative to the working folder", "examples/xinfang-2022/events.jsonl" in cells and SRC not in cells)

# The month-by-month December column is the year's score.
final = {rank.cell(row=r, column=2).value: rank.cell(row=r, column=3).value for r in range(3, rank.max_row + 1)}
check("xlsx: December's score is the year's",
      all(monthly.cell(row=row_of[u], column=13).value == final[u] for u in row_of if isinstance(final.get(u), (int, float))))

shutil.rmtree(TMP, ignore_errors=True)
finish()
