#!/usr/bin/env python3
"""Makes events-2023.jsonl, a year of records for the imagined 2023 rulebook, from the
2022 example's records (../yunhe-2022/events.jsonl): the same year of activity one year
later, so that `rulebook diff` can show what the 2023 changes do to the same activity.

Deterministic (no randomness): running it twice writes the same bytes.

  * Every record of the 2022 period moves one year later: 2022-03-02 becomes 2023-03-02.
    The 2022 file's records outside its period (2021-12 and 2023-01) are not carried
    over, so that no shifted record lands back in the 2022 period (2021-12 would become
    2022-12) and the two files can be read together.
  * Ids that contain a year move with it (YJ-2022-0168 becomes YJ-2023-0168), all by the
    same +1, so records that share an id still share it.
  * Weekly new-media scores (nm_weekly_score) are dated on the week's last day, a Sunday.
    The Sundays of 2022 are Mondays in 2023, so each one moves to the nearest Sunday (one
    day earlier); weeks stay 7 days apart, so streaks of weeks below the average are kept.
    A score whose new date the 2022 file already has for the same account (the 2022 file
    holds the scores of the week ending 2023-01-01 for three accounts) is left out, so
    that the two files together never break 唯一 (账号, date).
  * Unit names are left as they are: records still say 县经商局, which the 2023 rulebook
    reads as its alias of 县经济商务局 and the 2022 rulebook as the unit itself.
  * A few records of the event type that 2023 adds (gov_hotline_overdue, for the new item
    热线工单超期) are appended, including one work order reported twice and one record
    filed under the unit's new name 县经济商务局. The 2022 rulebook cannot read these; the
    diff scores them with the 2023 rulebook only and says so.

Comparing the rulebooks on the same activity (each scores the records of its own period):

  build/rulebook diff rules/yunhe-2022.rules examples/yunhe-2023/yunhe-2023.rules \
      --events examples/yunhe-2022/events.jsonl --events examples/yunhe-2023/events-2023.jsonl

Read together, the 2023 rulebook also scores the 2022 file's eight records dated
2023-01-01 to 2023-01-06 (among them a falsification_verified record of 安溪畲族乡, a
veto); the diff shows that too.

Usage: python3 examples/yunhe-2023/shift_events.py   (writes examples/yunhe-2023/events-2023.jsonl)
"""

import datetime as dt
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "yunhe-2022", "events.jsonl")
TARGET = os.path.join(HERE, "events-2023.jsonl")

PERIOD = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
YEAR_IN_ID = re.compile(r"(?<!\d)(20\d\d)(?!\d)")

HOTLINE = [
    # (date, unit, work order id)
    ("2023-03-14", "县教育局", "RX-2023-0101"),
    ("2023-03-20", "县教育局", "RX-2023-0101"),  # the same order reported again: counted once
    ("2023-07-05", "县教育局", "RX-2023-0230"),
    ("2023-05-09", "县住建局", "RX-2023-0188"),
    ("2023-08-21", "县住建局", "RX-2023-0342"),
    ("2023-10-30", "县住建局", "RX-2023-0415"),
    ("2023-09-12", "县经济商务局", "RX-2023-0377"),  # the unit's new name
    ("2023-11-02", "浮云街道", "RX-2023-0456"),
]


def one_year_later(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


OLD_PERIOD = (dt.date(2022, 1, 1), dt.date(2022, 12, 31))


def in_period(day, period=PERIOD):
    return period[0] <= day <= period[1]


def nearest_sunday(day):
    back = (day.weekday() + 1) % 7   # days back to the previous Sunday (0 on a Sunday)
    ahead = (6 - day.weekday()) % 7  # days on to the next Sunday
    return day - dt.timedelta(days=back) if back <= ahead else day + dt.timedelta(days=ahead)


def account(r):
    return (r["platform"].strip(), r["account"].strip())


def main():
    with open(SOURCE, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    # The weekly scores the 2022 file already has, per account: the shifted ones must not
    # repeat them when both files are read together.
    weekly_taken = {}
    for r in records:
        if r["type"] == "nm_weekly_score":
            weekly_taken.setdefault(account(r), set()).add(dt.date.fromisoformat(r["date"]))
    out = []
    dropped = 0
    for r in records:
        day = dt.date.fromisoformat(r["date"])
        if not in_period(day, OLD_PERIOD):
            continue
        r = dict(r)
        day = one_year_later(day)
        if r["type"] == "nm_weekly_score":
            day = nearest_sunday(day)
            taken = weekly_taken.setdefault(account(r), set())
            if not in_period(day) or day in taken:
                dropped += 1
                continue
            taken.add(day)
        r["date"] = day.isoformat()
        if isinstance(r.get("id"), str):
            r["id"] = YEAR_IN_ID.sub(lambda m: str(int(m.group(1)) + 1), r["id"])
        out.append(r)
    for date, unit, order in HOTLINE:
        out.append({"type": "gov_hotline_overdue", "date": date, "unit": unit, "id": order})
    with open(TARGET, "w", encoding="utf-8", newline="\n") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(TARGET)}: {len(out)} records ({dropped} weekly scores left out)")


if __name__ == "__main__":
    main()
