#!/usr/bin/env python3
"""Fills a workbook made by `rulebook template` with records from a JSON Lines file, as an
office would by hand, with another program than Rulebook (openpyxl, Debian's
python3-openpyxl): dates as date cells, numbers as numbers, enum values by their display
names.

    python3 fill_template.py RULES TEMPLATE.xlsx EVENTS.jsonl OUT.xlsx

examples/yunhe-2022/events.xlsx was made this way from the bundled records:
    build/rulebook template rules/yunhe-2022.rules -o /tmp/模板.xlsx
    python3 examples/yunhe-2022/fill_template.py rules/yunhe-2022.rules /tmp/模板.xlsx \\
        examples/yunhe-2022/events.jsonl examples/yunhe-2022/events.xlsx
"""
import datetime
import json
import re
import sys

import openpyxl


def display_names(rules_path):
    """Display names from the rulebook: event types, fields, enum members, table columns."""
    types, fields, members, keys = {}, {}, {}, {}
    tables = {}
    for line in open(rules_path, encoding="utf-8"):
        m = re.match(r'表 (\S+) \(([^)]*)\)', line)
        if m:
            tables[m.group(1)] = [c.strip() for c in m.group(2).split(",")]
        m = re.match(r'枚举 \S+ \{(.*)\}', line)
        if m:
            members.update(re.findall(r'(\w+) "([^"]+)"', m.group(1)))
        m = re.match(r'事件 (\w+)(?: "([^"]+)")?', line)
        if m:
            types[m.group(1)] = m.group(2) or m.group(1)
            fields.update(re.findall(r'(\w+) "([^"]+)":', line))
            for table, key_fields in re.findall(r': (\S+)\(([^)]*)\)', line):
                for code, column in zip([k.strip() for k in key_fields.split(",")], tables.get(table, [])):
                    keys[code] = column
    fields.update(keys)
    fields["date"] = "日期"  # the date column of a template made in Chinese (in English: "date")
    return types, fields, members


def main():
    rules, template, events, out = sys.argv[1:5]
    types, fields, members = display_names(rules)
    book = openpyxl.load_workbook(template)
    for line in open(events, encoding="utf-8"):
        if not line.strip():
            continue
        record = json.loads(line)
        sheet = book[types[record["type"]]]
        header = [c.value for c in sheet[1]]
        row = [None] * len(header)
        for code, value in record.items():
            if code == "type" or fields.get(code, code) not in header:
                continue
            if code == "date":
                value = datetime.date.fromisoformat(value)
            elif isinstance(value, str):
                value = members.get(value, value)
            row[header.index(fields.get(code, code))] = value
        sheet.append(row)
    book.save(out)


if __name__ == "__main__":
    main()
