#!/usr/bin/env python3
"""Records as offices keep them, end to end, run by ctest with Debian's python3 (it needs
python3-openpyxl): usage: workbook_test.py BUILD_DIR SOURCE_DIR.

The bundled 2022 records in every form a county office may have them (JSON Lines, CSV in
UTF-8, GBK with CRLF, UTF-16, CR line ends, the example workbook, a workbook written by
openpyxl with Chinese sheet names and headers and real date cells) score byte for byte the
same; workbooks with merged cells, empty rows and formula cells; damaged workbooks; where
messages point."""
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import openpyxl

BUILD, SRC = sys.argv[1], sys.argv[2]
CLI = os.path.join(BUILD, "rulebook")
RULES = os.path.join(SRC, "rules", "yunhe-2022.rules")
EXAMPLE = os.path.join(SRC, "examples", "yunhe-2022")
TMP = tempfile.mkdtemp(prefix="rulebook-workbook-")
failures = []
passed = 0


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_support import environment  # noqa: E402


def run(*args, lang="en"):
    return subprocess.run([CLI, *args], capture_output=True, env=environment(lang))


def check(name, condition, detail=""):
    global passed
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    if condition:
        passed += 1
    else:
        failures.append(name)


def tmp(name):
    return os.path.join(TMP, name)


def scores(path, *extra):
    p = run("run", RULES, "--events", path, "--format", "json", *extra)
    return p.returncode, p.stdout, p.stderr.decode()


records = [json.loads(line) for line in open(os.path.join(EXAMPLE, "events.jsonl"), encoding="utf-8") if line.strip()]
code, want, err = scores(os.path.join(EXAMPLE, "events.jsonl"))
check("JSON Lines scores", code == 0 and json.loads(want)["units"], err)

# The same records as CSV in each encoding and line-end style Excel, WPS and old tools write.
csv_text = open(os.path.join(EXAMPLE, "events.csv"), encoding="utf-8").read()
forms = {
    "utf8.csv": csv_text.encode("utf-8"),
    "utf8-bom.csv": b"\xef\xbb\xbf" + csv_text.encode("utf-8"),
    "gbk-crlf.csv": csv_text.replace("\n", "\r\n").encode("gbk"),
    "utf16le.csv": csv_text.encode("utf-16"),  # Python writes the byte order mark
    "utf16be.csv": b"\xfe\xff" + csv_text.encode("utf-16-be"),
    "cr.csv": csv_text.replace("\n", "\r").encode("utf-8"),
}
for name, data in forms.items():
    open(tmp(name), "wb").write(data)
    code, got, err = scores(tmp(name))
    check(f"{name} scores byte for byte like JSON Lines", code == 0 and got == want, err[:300])
code, got, err = scores(tmp("gbk-crlf.csv"), "--encoding", "gbk")
check("--encoding gbk reads the GBK file", code == 0 and got == want, err[:300])
code, got, err = scores(tmp("gbk-crlf.csv"), "--encoding", "utf-8")
check("GBK read as UTF-8: one message with the advice, one line for the rest",
      code != 0 and err.count("invalid UTF-8") == 1 and "GB18030/GBK" in err and "CSV UTF-8" in err
      and "more rows that are not valid UTF-8" in err, err[:500])

# A template made now, filled in by another program (openpyxl), scores like JSON Lines.
template = tmp("记录模板.xlsx")
p = run("template", RULES, "-o", template, lang="zh")  # as an office makes it: in Chinese
check("rulebook template writes the workbook", p.returncode == 0 and os.path.getsize(template) > 1000, p.stderr)
filled = tmp("filled.xlsx")
filler = subprocess.run([sys.executable, os.path.join(EXAMPLE, "fill_template.py"), RULES, template,
                         os.path.join(EXAMPLE, "events.jsonl"), filled], capture_output=True)
check("fill_template.py fills it", filler.returncode == 0, filler.stderr.decode()[-500:])
code, got, err = scores(filled)
check("the template filled in by openpyxl scores byte for byte like JSON Lines", code == 0 and got == want, err[:300])
code, got, err = scores(template)
check("the empty template reads as no records", code == 0 and "0 records read" in err, err[:300])

book = openpyxl.load_workbook(template)
registry = book["名录"]
lists = {registry.cell(1, c).value: [registry.cell(r, c).value for r in range(2, registry.max_row + 1)
                                      if registry.cell(r, c).value is not None]
         for c in range(1, registry.max_column + 1)}
unit_names = [u["unit"] for u in json.loads(want)["units"]]
check("the 单位 list holds the registry's units", sorted(lists.get("单位名录", [])) == sorted(unit_names),
      f"{len(lists.get('单位名录', []))} vs {len(unit_names)}")
form = book["政策解读不规范通报"]
check("a form's headers are the display names", [c.value for c in form[1]] == ["日期", "单位", "通报级别"],
      str([c.value for c in form[1]]))
check("its header row is frozen", form.freeze_panes == "A2", str(form.freeze_panes))
validations = {str(dv.sqref): (dv.type, dv.formula1) for dv in form.data_validations.dataValidation}
check("the 单位 column's dropdown is the 单位 list", validations.get("B2:B5001") == ("list", "'名录'!$A$2:$A$44"),
      str(validations))
level_column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[list(lists).index("通报级别名录")]
check("the 通报级别 dropdown lists the members' display names",
      validations.get("C2:C5001") == ("list", f"'名录'!${level_column}$2:${level_column}$4")
      and lists["通报级别名录"] == ["省政府办公厅", "市政府办公室", "县政府办公室"], str(lists.get("通报级别名录")))
check("the date column is a date", validations.get("A2:A5001", ("",))[0] == "date"
      and form.column_dimensions["A"].number_format == "yyyy-mm-dd" if "A" in form.column_dimensions else False,
      str(validations.get("A2:A5001")))
about = book["说明"]
rows = {r[1]: r for r in about.iter_rows(min_row=2, values_only=True)}
check("说明 says which items read each event type", rows.get("portal_warning", [None] * 3)[2] is not None
      and "网站预警" in "".join(str(x) for x in rows.get("portal_warning", [])), str(rows.get("portal_warning")))
nm = book["新媒体周考核评分"]
check("a table key's columns are headed by the table's column names",
      [c.value for c in nm[1]][:3] == ["日期", "新媒体类型", "新媒体名称"], str([c.value for c in nm[1]]))

# In English the workbook's own words are English; the rulebook's names stay as written,
# and a record entered on it still reads (the date column is "date").
english = tmp("template-en.xlsx")
p = run("template", RULES, "-o", english)
book_en = openpyxl.load_workbook(english)
check("an English template names its sheets in English", {"About", "Lists"} <= set(book_en.sheetnames)
      and "说明" not in book_en.sheetnames, str(book_en.sheetnames))
form_en = book_en["政策解读不规范通报"]
check("its form heads the date column 'date' and keeps the display names",
      [c.value for c in form_en[1]] == ["date", "单位", "通报级别"], str([c.value for c in form_en[1]]))
dv_en = {str(dv.sqref): dv for dv in form_en.data_validations.dataValidation}
check("its drop-downs point at the Lists sheet and explain in English",
      dv_en["B2:B5001"].formula1 == "'Lists'!$A$2:$A$44" and dv_en["B2:B5001"].error == "Choose a value from the drop-down list"
      and dv_en["A2:A5001"].error == "Enter a date, for example 2022-03-05", str({k: (v.formula1, v.error) for k, v in dv_en.items()}))
form_en.append([datetime.date(2022, 3, 5), "县教育局", "县政府办公室"])
filled_en = tmp("template-en-filled.xlsx")
book_en.save(filled_en)
code, got, err = scores(filled_en)
check("a record entered on the English template is read", code == 0 and "1 records read, 1 scored" in err, err[:300])
zh_dv = {str(dv.sqref): dv for dv in form.data_validations.dataValidation}
check("the Chinese template explains refused cells in Chinese", zh_dv["B2:B5001"].error == "请从下拉列表中选择"
      and zh_dv["B2:B5001"].errorTitle == "不在名录中", str(zh_dv["B2:B5001"].error))

# The example workbook, made from `rulebook template`.
code, got, err = scores(os.path.join(EXAMPLE, "events.xlsx"))
check("examples/yunhe-2022/events.xlsx scores like JSON Lines", code == 0 and got == want, err[:300])


# A workbook written by another program: one sheet per event type named by its display name,
# Chinese headers, real date cells, dates typed as text, an explanation sheet, empty rows.
def display_names():
    """Event type and field display names from the rulebook's 事件 lines."""
    import re
    types, fields = {}, {}
    for line in open(RULES, encoding="utf-8"):
        m = re.match(r'事件 (\w+) "([^"]+)"', line)
        if m:
            types[m.group(1)] = m.group(2)
            for f, d in re.findall(r'(\w+) "([^"]+)":', line):
                fields[f] = d
    fields.update({"platform": "新媒体类型", "account": "新媒体名称", "date": "日期"})
    return types, fields


types, fields = display_names()
check("the bundled rulebook gives every event type a display name", len(types) == 26, str(len(types)))
wb = openpyxl.Workbook()
wb.active.title = "说明"
wb.active.append(["填表说明"])
by_type = {}
for r in records:
    by_type.setdefault(r["type"], []).append(r)
for n, (t, rs) in enumerate(by_type.items()):
    ws = wb.create_sheet(types[t])
    keys = ["date"] + sorted({k for r in rs for k in r if k not in ("type", "date")})
    ws.append([fields.get(k, k) for k in keys])
    for i, r in enumerate(rs):
        row = []
        for k in keys:
            v = r.get(k)
            if k == "date":
                d = datetime.date.fromisoformat(v)
                v = d if i % 3 else f"{d.year}年{d.month}月{d.day}日" if i % 2 else f"{d.year}/{d.month}/{d.day}"
            elif k in ("score", "avg", "points") and v is not None:
                v = float(v) if "." in str(v) else int(v)
            row.append(v)
        ws.append(row)
        if i % 50 == 7:
            ws.append([])  # an empty row
openpyxl_book = tmp("openpyxl.xlsx")
wb.save(openpyxl_book)
code, got, err = scores(openpyxl_book)
check("a workbook written by openpyxl (display-name sheets and headers, date cells) scores like JSON Lines",
      code == 0 and got == want, err[:300])


def patched(path, out, sheet_index, old, new):
    """Copies workbook `path` to `out`, replacing text in one sheet's XML."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                text = data.decode("utf-8")
                assert old in text, (old, text[:400])
                data = text.replace(old, new, 1).encode("utf-8")
            dst.writestr(item, data)


# Merged cells, empty rows and a formula cell with its saved value; one sheet with a type column.
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "记录"
ws.append(["类型", "日期", "单位", "通报级别"])
ws.append(["政策解读不规范通报", datetime.date(2022, 3, 5), "县教育局", "省政府办公厅"])
ws.append(["政策解读不规范通报", datetime.date(2022, 3, 6), None, "市政府办公室"])
ws.append([])
ws.append(["interp_substandard", "2022.3.7", None, "county"])
ws.append([None, None, None, None])
ws.append(["政策解读不规范通报", "2022-03-08 09:30", "县财政局", None])
ws.merge_cells("C2:C5")  # 县教育局 for the rows 2 to 5
ws["D7"] = "=D2"
merged = tmp("merged.xlsx")
wb.save(merged)
with_value = tmp("merged-cached.xlsx")
patched(merged, with_value, 1, "<f>D2</f><v></v>", "<f>D2</f><v>省政府办公厅</v>")
p = run("run", RULES, "--events", with_value, "--format", "json", "--trace")
doc = json.loads(p.stdout or b"{}")
units = {u["unit"]: u for u in doc.get("units", [])}
check("merged cells, empty rows, a formula's saved value: four records read", p.returncode == 0
      and b"4 records read" in p.stderr, p.stderr[:300])
edu = units.get("县教育局", {})
fin = units.get("县财政局", {})
check("the merged unit cell counts for every row it covers (5 + 3 + 0)",
      edu.get("categories", {}).get("主动公开") == 8, json.dumps(edu.get("categories"), ensure_ascii=False))
check("the formula's saved value is used (province: 5)", fin.get("categories", {}).get("主动公开") == 5,
      json.dumps(fin.get("categories"), ensure_ascii=False))
without = tmp("formula-unsaved.xlsx")
patched(merged, without, 1, "<f>D2</f><v></v>", "<f>D2</f>")
p = run("run", RULES, "--events", without)
check("a formula without a saved value is an error at its cell",
      p.returncode != 0 and "formula-unsaved.xlsx:记录!D7: the formula has no saved value" in p.stderr.decode(),
      p.stderr.decode()[:300])
p = run("run", RULES, "--events", without, lang="zh")
check("...and in Chinese", p.returncode != 0 and "formula-unsaved.xlsx:记录!D7: 公式没有保存的值" in p.stderr.decode(),
      p.stderr.decode()[:300])

# Where messages point: FILE:SHEET!CELL.
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "政策解读不规范通报"
ws.append(["日期", "单位", "通报级别"])
ws.append(["2022-03-05", "县教肓局", "省政府办公厅"])
ws.append(["5/3/2022", "县教育局", "town"])
bad = tmp("通报.xlsx")
wb.save(bad)
p = run("run", RULES, "--events", bad)
err = p.stderr.decode()
check("an unknown unit is placed at its cell", "通报.xlsx:政策解读不规范通报!B2: unknown unit '县教肓局'" in err, err)
check("a bad date is placed at its cell, with the accepted forms",
      "通报.xlsx:政策解读不规范通报!A3: field 'date' is not a date: '5/3/2022' (write 2022-03-05, 2022/3/5" in err, err)
check("a value outside the enum is placed at its cell", "通报.xlsx:政策解读不规范通报!C3: level 'town'" in err, err)
check("bad rows stop the run", p.returncode != 0 and b'"units"' not in p.stdout)
err = run("run", RULES, "--events", bad, lang="zh").stderr.decode()
check("in Chinese, the same problems at the same cells",
      "通报.xlsx:政策解读不规范通报!B2: 未知单位“县教肓局”" in err
      and "通报.xlsx:政策解读不规范通报!A3: 字段“date”不是日期：“5/3/2022”（请写成 2022-03-05" in err
      and "通报.xlsx:政策解读不规范通报!C3: level“town”不在 province、city、county" in err and "记录中有 3 个问题" in err, err)
rejects = tmp("退回.xlsx")
p = run("run", RULES, "--events", bad, "--skip-bad", "--reject", rejects)
rows = list(openpyxl.load_workbook(rejects).worksheets[0].iter_rows(values_only=True)) if os.path.exists(rejects) else []
check("an .xlsx reject file is a workbook: the sheet's columns, then 原因 and 位置",
      p.returncode == 0 and rows and rows[0] == ("日期", "单位", "通报级别", "原因", "位置") and len(rows) == 3
      and rows[1][4] == bad + ":政策解读不规范通报!B2" and rows[1][3].startswith("unknown unit"), str(rows)[:400])

# Damaged workbooks: a clear message, no crash, no scores.
good = open(merged, "rb").read()
for label, data, expect in [
    ("truncated", good[: len(good) // 2], "cannot read the workbook"),
    ("not a zip", b"PK\x03\x04 this is not really a zip file" * 10, "cannot read the workbook"),
    ("empty", b"", "cannot read the workbook"),
]:
    path = tmp(f"damaged-{label.replace(' ', '-')}.xlsx")
    open(path, "wb").write(data)
    p = run("run", RULES, "--events", path)
    check(f"a {label} workbook is a clear error", p.returncode not in (0, -11, -6, 134, 139) and p.returncode > 0
          and expect in p.stderr.decode() and b'"units"' not in p.stdout, p.stderr.decode()[:300])
broken_xml = tmp("damaged-xml.xlsx")
patched(merged, broken_xml, 1, "<sheetData>", "<sheetData><row><c")
p = run("run", RULES, "--events", broken_xml)
check("a workbook with broken sheet XML is a clear error", p.returncode > 0
      and "not a readable Excel workbook: xl/worksheets/sheet1.xml is damaged" in p.stderr.decode(),
      p.stderr.decode()[:300])
p = run("run", RULES, "--events", broken_xml, lang="zh")
check("...said in Chinese", p.returncode > 0 and "不是可以读取的 Excel 工作簿：xl/worksheets/sheet1.xml 已损坏：第 " in
      p.stderr.decode() and "XML 格式错误" in p.stderr.decode(), p.stderr.decode()[:300])
p = run("run", RULES, "--events", tmp("damaged-not-a-zip.xlsx"), lang="zh")
check("a file that is not a zip, in Chinese", p.returncode > 0 and "无法读取工作簿：" in p.stderr.decode()
      and "请用 Excel 或 WPS 打开，再另存为 .xlsx" in p.stderr.decode(), p.stderr.decode()[:300])
no_book = tmp("damaged-noworkbook.xlsx")
with zipfile.ZipFile(no_book, "w") as z:
    z.writestr("hello.txt", "hi")
p = run("run", RULES, "--events", no_book)
check("a zip that is not a workbook is a clear error",
      p.returncode > 0 and "the workbook has no xl/workbook.xml" in p.stderr.decode(), p.stderr.decode()[:300])

shutil.rmtree(TMP)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
