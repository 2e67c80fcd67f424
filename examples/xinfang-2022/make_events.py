#!/usr/bin/env python3
"""Writes events.jsonl: a made-up but plausible year of records for xinfang-2022.rules.

Deterministic (a fixed seed), so the file in the repository is exactly what this prints:
    python3 examples/xinfang-2022/make_events.py > examples/xinfang-2022/events.jsonl
县自然资源局 gets no work orders (so it is not assessed); 县数据局 is set up on 07-01 and
its earlier records are ignored; 西山乡 has a mass incident (the veto).
"""
import datetime, json, random

rng = random.Random(2022)
towns = ["城关镇", "东岭镇", "西山乡", "南溪乡"]
departments = ["县住建局", "县人社局", "县教育局", "县自然资源局", "县数据局"]
start = datetime.date(2022, 1, 1)


def day(lo=0, hi=364):
    return (start + datetime.timedelta(days=rng.randint(lo, hi))).isoformat()


records = []
n = 0
for unit in towns + departments:
    if unit == "县自然资源局":
        continue
    orders = rng.randint(20, 60)
    for i in range(orders):
        n += 1
        oid = f"GD{n:04}"
        d = day(120 if unit == "县数据局" and i % 3 == 0 else 0)
        records.append({"type": "order", "date": d, "unit": unit, "id": oid})
        if rng.random() < 0.12:
            records.append({"type": "order_overdue", "date": d, "unit": unit, "id": oid})
        if rng.random() < 0.5:
            sat = rng.choices(["satisfied", "basic", "unsatisfied"], [8, 2, 1])[0]
            records.append({"type": "visit_back", "date": d, "unit": unit, "id": oid, "satisfaction": sat})
    for _ in range(rng.randint(0, 8)):
        records.append({"type": "repeat_petition", "date": day(), "unit": unit})
    if unit in towns:
        for _ in range(rng.randint(0, 3)):
            records.append({"type": "escalation", "date": day(), "unit": unit, "level": rng.choice(["province", "city"])})
    for k in range(rng.randint(0, 3)):
        records.append({"type": "backlog", "date": day(), "unit": unit, "id": f"JA-{unit}-{k}"})
    if rng.random() < 0.4:
        records.append({"type": "good_case", "date": day(), "unit": unit, "id": f"JY-{unit}"})
records.append({"type": "mass_incident", "date": "2022-08-16", "unit": "西山乡"})
records.sort(key=lambda r: (r["date"], r["unit"], r["type"], r.get("id", "")))
for r in records:
    print(json.dumps(r, ensure_ascii=False))
