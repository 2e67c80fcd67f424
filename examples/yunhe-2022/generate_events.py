#!/usr/bin/env python3
"""Deterministic generator of a realistic year of events for the 2022 Yunhe
government-disclosure assessment (see /work/shared/spec/yunhe-2022.md).

Writes, next to this script:
  events.jsonl  one JSON object per line (UTF-8, not ASCII-escaped)
  events.csv    the same records, same order, as CSV with a header row

Python 3 standard library only; the random seed is fixed, so two runs produce
byte-identical files.

What the data set contains (all names are the exact strings of the seed's
annexes 2 and 4, plus the 10 towns and streets):
  * every one of the 26 event types of the spec's table;
  * every one of the 43 assessed units has at least one record;
  * nm_post for every registered account, mostly every few days, with a few
    silences longer than two weeks;
  * nm_weekly_score once per account per week (dated on Sundays, the week's
    last day) for the whole year, never twice for the same account and date;
  * exactly two vetoed units in the period: one leak_verified (县统计局) and
    four serious_error_flagged (县供销联社); a few other units have one or two
    serious_error_flagged (no veto).  The types lawsuit_lost_bad_info and
    falsification_verified appear only OUT of the period (2021-12 / 2023-01),
    so they are present in the file but must be ignored;
  * a few records dated 2021-12 and 2023-01 (out of period), a few names with
    stray leading/trailing spaces, and one use of the alias 县行政复议局;
  * records written in a shuffled order.
"""

import csv
import datetime as dt
import json
import os
import random

SEED = 20221231
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_JSONL = os.path.join(HERE, "events.jsonl")
OUT_CSV = os.path.join(HERE, "events.csv")

CSV_FIELDS = ["type", "date", "unit", "platform", "account", "level", "id",
              "kind", "outlet", "element", "method", "score", "avg", "points"]

from yunhe_registry import ACCOUNTS, ALIAS, ANNEX4, TOWNS, UNITS  # noqa: E402

# Annex 3, rows of type 重点领域 only: the units responsible for a key area.
KEY_AREA_UNITS = sorted(set([
    "县人力社保局", "县农业农村局", "县民政局", "县卫健局", "市生态环境局云和分局",
    "县教育局", "县市场监管局", "县行政服务中心", "县公安局", "县司法局", "县财政局",
    "县自然资源和规划局", "县综合执法局", "县征收中心", "县住建局", "县文广旅体局",
    "县应急管理局", "县税务局", "县发改局", "县水利局", "崇头镇",
] + TOWNS))

Y0 = dt.date(2022, 1, 1)
Y1 = dt.date(2022, 12, 31)
ONE = dt.timedelta(days=1)

rng = random.Random(SEED)
records = []


def iso(d):
    return d.isoformat()


def add(rtype, date, **fields):
    rec = {"type": rtype, "date": iso(date) if isinstance(date, dt.date) else date}
    rec.update(fields)
    records.append(rec)


def rand_day(start=Y0, end=Y1, workday=True):
    """A random date in [start, end], on a weekday when `workday`."""
    span = (end - start).days
    for _ in range(100):
        d = start + dt.timedelta(days=rng.randint(0, span))
        if not workday or d.weekday() < 5:
            return d
    return d


def d(s):
    return dt.date.fromisoformat(s)


def number_or_string(value, decimals):
    """A decimal as a JSON number or (sometimes) a string holding one."""
    text = f"{value:.{decimals}f}"
    if rng.random() < 0.35:
        return text
    return float(text) if "." in text else int(text)


def maybe_rounded(value):
    return number_or_string(value, rng.choice([1, 1, 2]))


# ---------------------------------------------------------------------------
# E: annual reports (年报).  Most in January, a few late, two never.
NEVER_PUBLISHED = ["云和工业园区", "县电力公司"]
LATE = {
    "县退役军人局": "2022-02-01",      # one day after the deadline
    "县气象局": "2022-02-16",
    "市公积金中心云和分中心": "2022-03-08",
    "雾溪畲族乡": "2022-02-23",
}
ON_DEADLINE = "县供销联社"                 # published exactly on 2022-01-31
for unit in UNITS:
    if unit in NEVER_PUBLISHED:
        continue
    if unit in LATE:
        add("annual_report_published", d(LATE[unit]), unit=unit)
    elif unit == ON_DEADLINE:
        add("annual_report_published", d("2022-01-31"), unit=unit)
    else:
        add("annual_report_published", rand_day(d("2022-01-10"), d("2022-01-28")), unit=unit)
# a corrected re-publication later in the year (does not matter for E1)
add("annual_report_published", d("2022-04-12"), unit="县交通运输局")

ELEMENTS = ["收到和处理政府信息公开申请情况", "主动公开政府信息情况",
            "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况",
            "其他需要报告的事项", "总体情况"]
missing = {
    "县气象局": ["收到和处理政府信息公开申请情况", "存在的主要问题及改进情况"],
    "赤石乡": ["政府信息公开行政复议、行政诉讼情况"],
    "县电力公司": ["收到和处理政府信息公开申请情况", "主动公开政府信息情况",
               "其他需要报告的事项"],
    "县科技局": ["存在的主要问题及改进情况", "存在的主要问题及改进情况"],  # same element twice
    "石塘镇": ["总体情况"],
}
for unit, elems in missing.items():
    for e in elems:
        add("annual_report_missing_element", rand_day(d("2022-02-07"), d("2022-04-29")),
            unit=unit, element=e)
for unit, n in {"县电力公司": 1, "云和工业园区": 2, "县供销联社": 1}.items():
    for _ in range(n):
        add("annual_report_similar", rand_day(d("2022-02-14"), d("2022-05-31")), unit=unit)

# ---------------------------------------------------------------------------
# Vetoes.  In period: one leak (县统计局), four serious errors (县供销联社).
add("leak_verified", d("2022-09-14"), unit="县统计局")
for s in ["2022-03-09", "2022-05-17", "2022-08-02", "2022-11-23"]:
    add("serious_error_flagged", d(s), unit="县供销联社")
for unit, dates in {"县医保局": ["2022-06-21"],
                    "白龙山街道": ["2022-04-07", "2022-10-19"],
                    "县交通运输局": ["2022-07-12"],
                    # three flagged errors: the most that does not veto
                    "县审计局": ["2022-02-22", "2022-06-08", "2022-12-13"]}.items():
    for s in dates:
        add("serious_error_flagged", d(s), unit=unit)
# Out of period only: present in the file, must be ignored.
add("lawsuit_lost_bad_info", d("2021-12-17"), unit="县住建局")
add("falsification_verified", d("2023-01-06"), unit="安溪畲族乡")
add("serious_error_flagged", d("2021-12-28"), unit="县医保局")  # would make 2 in-period + 1

# ---------------------------------------------------------------------------
# D1: portal warnings (门户网站日常预警) and late fixes.
portal_mu = {u: 4.0 for u in UNITS}
for u in ["县自然资源和规划局", "县住建局", "县农业农村局", "县卫健局", "县教育局",
          "县人力社保局", "县民政局", "县市场监管局"]:
    portal_mu[u] = 9.0
for u in TOWNS:
    portal_mu[u] = 6.0
for u in ["县电力公司", "县气象局", "县税务局", "市公积金中心云和分中心"]:
    portal_mu[u] = 1.0
portal_mu["县综合执法局"] = 17.0     # the worst offender of the year
portal_mu["紧水滩镇"] = 13.0

yj_seq = [0]


def next_yj():
    yj_seq[0] += 1
    return f"YJ-2022-{yj_seq[0]:04d}"


def pick_level(p_prov, p_city):
    x = rng.random()
    return "province" if x < p_prov else ("city" if x < p_prov + p_city else "county")


portal_ids = {u: [] for u in UNITS}
portal_plan = []
for unit in UNITS:
    mu = portal_mu[unit] * 1.4
    n = max(0, int(round(rng.gauss(mu, mu / 2.5))))
    for _ in range(n):
        portal_plan.append((rand_day(), unit))
portal_plan.sort()                       # ids follow the date order, as a register would
for day, unit in portal_plan:
    yid = next_yj()
    portal_ids[unit].append((yid, day))
    add("portal_warning", day, unit=unit, level=pick_level(0.05, 0.2), id=yid)

for unit in UNITS:
    ids = portal_ids[unit]
    for yid, day in ids:
        if rng.random() < 0.07:
            add("portal_late_fix", min(day + dt.timedelta(days=rng.randint(8, 30)), Y1), unit=unit)
# out of period warnings (ignored)
add("portal_warning", d("2021-12-21"), unit="县住建局", level="county", id="YJ-2021-0388")
add("portal_warning", d("2023-01-04"), unit="县综合执法局", level="city", id="YJ-2023-0002")

# ---------------------------------------------------------------------------
# B: policy interpretation and key areas.
interp_sub = [("县卫健局", "province"), ("县人力社保局", "city"), ("县住建局", "city"),
              ("县教育局", "county"), ("县发改局", "city"), ("浮云街道", "county"),
              ("县经商局", "city"), ("县医保局", "city"), ("县自然资源和规划局", "province")]
for unit, level in interp_sub:
    add("interp_substandard", rand_day(), unit=unit, level=level)

jd_seq = [0]
# interp_unlinked: some with their own id, some sharing the id of one of the
# unit's portal warnings (the same problem reported twice: no double count).
unlinked_units = ["县农业农村局", "县民政局", "县应急管理局", "崇头镇", "县水利局",
                  "元和街道", "县综合执法局", "县财政局", "县医保局"]
shared_pairs = []
for unit in unlinked_units:
    for _ in range(rng.randint(1, 2)):
        level = pick_level(0.1, 0.3)
        if portal_ids[unit] and rng.random() < 0.25:
            yid, day = rng.choice(portal_ids[unit])
            if yid in [p[1] for p in shared_pairs]:
                continue
            shared_pairs.append((unit, yid))
            add("interp_unlinked", day, unit=unit, level=level, id=yid)
        else:
            jd_seq[0] += 1
            add("interp_unlinked", rand_day(), unit=unit, level=level, id=f"JD-2022-{jd_seq[0]:03d}")
# make sure there are at least three shared ids
for unit in ["县综合执法局", "紧水滩镇", "县卫健局"]:
    if any(u == unit for u, _ in shared_pairs) or not portal_ids[unit]:
        continue
    yid, day = portal_ids[unit][0]
    shared_pairs.append((unit, yid))
    add("interp_unlinked", day, unit=unit, level="county", id=yid)

key_area = [("县住建局", "city"), ("县自然资源和规划局", "province"), ("县征收中心", "city"),
            ("县民政局", "city"), ("石塘镇", "city"), ("县农业农村局", "county"),
            ("县卫健局", "city"), ("县市场监管局", "province"), ("县住建局", "county"),
            # a unit with no key area of its own: its B2 is replaced by the mean
            ("县交通运输局", "city")]
for unit, level in key_area:
    add("key_area_incomplete", rand_day(), unit=unit, level=level)

# ---------------------------------------------------------------------------
# C / F3: disclosure applications (依申请公开).
app_counts = {
    "县自然资源和规划局": 12, "县征收中心": 11, "县住建局": 9, "县公安局": 7,
    "县人力社保局": 6, "县农业农村局": 5, "县市场监管局": 4, "县综合执法局": 5,
    "县民政局": 3, "县教育局": 3, "县卫健局": 2, "县发改局": 2, "县财政局": 2,
    "县交通运输局": 1, "县水利局": 1, "县医保局": 2, "县应急管理局": 1, "县司法局": 2,
    "市生态环境局云和分局": 3, "县税务局": 1, "浮云街道": 6, "元和街道": 4,
    "白龙山街道": 5, "凤凰山街道": 1, "紧水滩镇": 2,
}
ysq_seq = [0]
app_ids = {}
for unit, n in app_counts.items():
    ids = []
    for _ in range(n):
        ysq_seq[0] += 1
        cid = f"YSQ-2022-{ysq_seq[0]:04d}"
        day = rand_day()
        ids.append((cid, day))
        add("app_case", day, unit=unit, id=cid)
        if rng.random() < 0.08:   # the same case logged again (e.g. on reply)
            add("app_case", min(day + dt.timedelta(days=rng.randint(5, 20)), Y1), unit=unit, id=cid)
    app_ids[unit] = ids

for unit, k in [("县征收中心", 2), ("县自然资源和规划局", 1), ("浮云街道", 1), ("县住建局", 1)]:
    for cid, day in rng.sample(app_ids[unit], k):
        add("app_late_processing", min(day + dt.timedelta(days=rng.randint(16, 25)), Y1),
            unit=unit, id=cid)
for unit, cid in [("县住建局", None), ("县人力社保局", None),
                  # delegated by the county government to a unit with no cases of
                  # its own: the unit's C is the mean, its own record is replaced
                  ("县经商局", "YSQ-XZF-2022-0031")]:
    if cid is None:
        cid, day = rng.choice(app_ids[unit])
        day = min(day + dt.timedelta(days=10), Y1)
    else:
        day = d("2022-06-15")
    add("app_no_feedback", day, unit=unit, id=cid)

# reviews / suits: some filed only, some filed and lost, one lost only
review_plan = [("县自然资源和规划局", 0, True, True), ("县自然资源和规划局", 3, True, False),
               ("县征收中心", 1, True, True), ("县住建局", 2, True, False),
               ("浮云街道", 0, True, False), ("县公安局", 4, False, True)]
for unit, i, filed, lost in review_plan:
    cid, day = app_ids[unit][i]
    fday = min(day + dt.timedelta(days=rng.randint(20, 60)), Y1)
    if filed:
        add("review_filed", fday, unit=unit, id=cid)
    if lost:
        add("review_lost", min(fday + dt.timedelta(days=rng.randint(30, 90)), Y1), unit=unit, id=cid)

# ---------------------------------------------------------------------------
# F1 / F2: highlights.
exp = [("县教育局", "JY-2022-01", ["provincial", "national"]),
       ("县教育局", "JY-2022-02", ["provincial"]),
       ("县大数据中心", "JY-2022-03", ["provincial"]),
       ("元和街道", "JY-2022-04", ["national"]),
       ("县医保局", "JY-2022-05", ["provincial", "provincial"]),
       ("县行政服务中心", "JY-2022-06", ["provincial", "national"]),
       ("县卫健局", "JY-2022-07", ["provincial"])]
for unit, eid, outlets in exp:
    day = rand_day()
    for o in outlets:
        add("experience_adopted", day, unit=unit, id=eid, outlet=o)
        day = min(day + dt.timedelta(days=rng.randint(0, 12)), Y1)

BASIC = ["text", "graphic", "audio"]
RICH = ["短视频", "在线访谈", "新闻发布会", "媒体专访", "政策进社区", "答记者问"]
for unit in UNITS:
    n = rng.randint(4, 12) if unit in TOWNS else rng.randint(6, 30)
    richness = rng.random()
    if unit in ("县卫健局", "县教育局", "县人力社保局", "县大数据中心"):
        richness = 0.6
    for _ in range(n):
        if rng.random() < richness * 0.5:
            m = rng.choice(RICH)
        else:
            m = rng.choices(BASIC, weights=[6, 6, 1])[0]
        add("interp_method", rand_day(), unit=unit, method=m)

# ---------------------------------------------------------------------------
# P: last year's third-party evaluation.
for unit, pts in [("县水利局", 1), ("县气象局", 0.5), ("县住建局", 1.5), ("县综合执法局", 1),
                  ("赤石乡", 0.5), ("县住建局", 0.5)]:
    add("prev_year_eval", rand_day(d("2022-03-01"), d("2022-04-30")), unit=unit,
        points=number_or_string(pts, 1) if pts != int(pts) else rng.choice([pts, str(pts)]))

# ---------------------------------------------------------------------------
# D2: new media.
add("nm_unfiled", d("2022-05-18"), platform="抖音", account="云和文旅")
add("nm_unfiled", d("2022-05-18"), platform="微信视频号", account="云和公安")

warn_w = {("微信订阅号", "云和县教育局"): 3, ("微信订阅号", "云和公安"): 4,
          ("微信视频号", "云和公安"): 2, ("抖音", "云和交警"): 6,
          ("微信订阅号", "云和人社"): 5, ("微信订阅号", "云和文旅"): 3,
          ("抖音", "云和文旅"): 5, ("微信订阅号", "健康云和"): 4,
          ("微信订阅号", "云和市场监督管理局"): 7, ("微信订阅号", "云和发布"): 2}
for (plat, acc), mu in warn_w.items():
    for _ in range(max(0, int(round(rng.gauss(mu, 1.5))))):
        add("nm_warning", rand_day(workday=False), platform=plat, account=acc)

KINDS = ["严重表述错误", "未提供有效互动功能", "未完成集群协同任务", "错别字"]
xm_seq = [0]
for plat, acc, _unit in ACCOUNTS:
    for _ in range(rng.randint(0, 3)):
        xm_seq[0] += 1
        fid = f"XMT-2022-{xm_seq[0]:03d}"
        day = rand_day()
        add("nm_finding", day, platform=plat, account=acc, id=fid, kind=rng.choice(KINDS))
        if rng.random() < 0.3:   # later put on the provincial 晾晒台 as well
            add("nm_exposed", min(day + dt.timedelta(days=rng.randint(3, 20)), Y1),
                platform=plat, account=acc, id=fid)
for plat, acc in [("微信订阅号", "云和市场监督管理局"), ("抖音", "云和文旅")]:
    xm_seq[0] += 1
    add("nm_exposed", rand_day(), platform=plat, account=acc, id=f"XMT-2022-{xm_seq[0]:03d}")

# nm_post: (days between posting days, posts per posting day, silences)
POST_PROFILE = {
    ("微信订阅号", "云和县教育局"): ((1, 4), (1, 2), [("2022-07-18", 24)]),
    ("微信订阅号", "云和公安"): ((1, 2), (1, 4), []),
    ("微信视频号", "云和公安"): ((2, 6), (1, 1), [("2022-10-03", 17)]),
    ("抖音", "云和交警"): ((1, 2), (1, 3), []),
    ("微信订阅号", "云和人社"): ((2, 6), (1, 2), [("2022-02-01", 16), ("2022-09-05", 20)]),
    ("微信订阅号", "云和文旅"): ((1, 2), (1, 3), []),
    ("抖音", "云和文旅"): ((3, 9), (1, 1), [("2022-04-10", 31), ("2022-11-20", 15)]),
    ("微信订阅号", "健康云和"): ((1, 1), (1, 4), []),
    ("微信订阅号", "云和市场监督管理局"): ((2, 7), (1, 1), [("2022-06-06", 45)]),
    ("微信订阅号", "云和发布"): ((1, 1), (3, 8), []),
}
for plat, acc, _unit in ACCOUNTS:
    (gmin, gmax), (pmin, pmax), silences = POST_PROFILE[(plat, acc)]
    silences = [(d(s), n) for s, n in silences]
    day = Y0 + dt.timedelta(days=rng.randint(0, 3))
    while day <= Y1:
        for _ in range(rng.randint(pmin, pmax)):
            add("nm_post", day, platform=plat, account=acc)
        step = rng.randint(gmin, gmax)
        nxt = day + dt.timedelta(days=step)
        for s, n in silences:
            if day < s <= nxt:
                nxt = s + dt.timedelta(days=n)
        day = nxt

# a few posts just outside the period (ignored)
for plat, acc, s in [("微信订阅号", "云和发布", "2021-12-30"), ("微信订阅号", "云和发布", "2021-12-31"),
                     ("微信订阅号", "健康云和", "2021-12-29"), ("抖音", "云和交警", "2023-01-01"),
                     ("微信订阅号", "云和发布", "2023-01-02"), ("微信订阅号", "云和公安", "2023-01-03")]:
    add("nm_post", d(s), platform=plat, account=acc)

# nm_weekly_score: every Sunday of 2022 (52 weeks) for every account, plus
# the weeks ending 2021-12-26 and 2023-01-01 for some accounts (out of period).
BIAS = {("微信订阅号", "云和县教育局"): 0.8, ("微信订阅号", "云和公安"): 2.5,
        ("微信视频号", "云和公安"): 1.0, ("抖音", "云和交警"): -0.8,
        ("微信订阅号", "云和人社"): -1.8, ("微信订阅号", "云和文旅"): 0.2,
        ("抖音", "云和文旅"): -2.5, ("微信订阅号", "健康云和"): 1.5,
        ("微信订阅号", "云和市场监督管理局"): -1.2, ("微信订阅号", "云和发布"): 4.0}
sundays = []
day = d("2021-12-26")
while day <= d("2023-01-01"):
    sundays.append(day)
    day += dt.timedelta(days=7)
avg = 82.0
week_avg = {}
for day in sundays:
    avg = min(90.0, max(76.0, avg + rng.gauss(0, 1.0)))
    week_avg[day] = (avg, rng.choice([1, 2]))   # the province average: one value per week
for plat, acc, _unit in ACCOUNTS:
    for day in sundays:
        if (day.year == 2021 and acc not in ("云和发布", "健康云和")) or \
           (day.year == 2023 and acc not in ("云和发布", "云和人社", "云和交警")):
            continue
        a, a_dec = week_avg[day]
        s = min(99.5, a + BIAS[(plat, acc)] + rng.gauss(0, 3.0))
        add("nm_weekly_score", day, platform=plat, account=acc,
            score=maybe_rounded(s), avg=number_or_string(a, a_dec))

# ---------------------------------------------------------------------------
# Name noise: a few stray spaces and one alias.
def spaced(rec, key, how):
    rec[key] = {"l": " " + rec[key], "r": rec[key] + " ", "b": " " + rec[key] + " "}[how]


noise_done = set()
for rec in records:
    if rec["type"] == "portal_warning" and rec["unit"] == "县审计局" and "a" not in noise_done:
        spaced(rec, "unit", "b"); noise_done.add("a")
    elif rec["type"] == "interp_method" and rec["unit"] == "赤石乡" and "b" not in noise_done:
        spaced(rec, "unit", "r"); noise_done.add("b")
    elif rec["type"] == "annual_report_published" and rec["unit"] == "县科技局" and "c" not in noise_done:
        spaced(rec, "unit", "l"); noise_done.add("c")
    elif rec["type"] == "nm_post" and rec["account"] == "云和文旅" and rec["platform"] == "抖音" \
            and "d" not in noise_done:
        spaced(rec, "account", "r"); noise_done.add("d")
    elif rec["type"] == "nm_warning" and rec["account"] == "云和人社" and "e" not in noise_done:
        spaced(rec, "platform", "l"); noise_done.add("e")
    elif rec["type"] == "interp_method" and rec["unit"] == "县司法局" and "f" not in noise_done:
        rec["unit"] = "县行政复议局"; noise_done.add("f")
assert noise_done == set("abcdef"), noise_done

# ---------------------------------------------------------------------------
rng.shuffle(records)


def csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


with open(OUT_JSONL, "w", encoding="utf-8", newline="\n") as f:
    for rec in records:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")

with open(OUT_CSV, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for rec in records:
        extra = set(rec) - set(CSV_FIELDS)
        assert not extra, extra
        w.writerow([csv_cell(rec.get(k)) for k in CSV_FIELDS])

print(f"wrote {len(records)} records to {OUT_JSONL} and {OUT_CSV}")
