#!/usr/bin/env python3
"""Generator of large, realistic event streams for benchmarking Rulebook.

Writes into --out DIR:
  bench.rules   the 2022 Yunhe rulebook (rules/yunhe-2022.rules) with only its registries
                rewritten: the 单位 block lists --units generated units (县单位0001 ...), the
                单位组 of the ten towns is kept as it is, the alias 县行政复议局 points at a
                generated unit, the 新媒体账号 table has --accounts (platform, account) rows
                over those units and the 重点领域 table has --areas areas. Every event type,
                category, item and clause is the real rulebook's.
  events.jsonl  --records records over all 26 event types, one JSON object per line.
  events.csv    the same records, same order, as CSV with a header row (with --csv).

Python 3 standard library only. Deterministic: the same arguments (and --seed) give
byte-identical files. Records are written as they are generated (nothing is held in
memory per record), so --records 10000000 runs in constant memory.

What the stream looks like:
  * the type of each record is drawn independently with realistic weights (nm_post and
    portal_warning heavy, vetoes rare), so the file is in shuffled order;
  * units and accounts are drawn with a skewed activity (a few busy, many quiet; some
    accounts post so rarely that they get two-week gaps);
  * nm_weekly_score is dated on Sundays (the week's last day) between 2021-12-26 and
    2023-01-01 and is unique per (account, date): the (account, Sunday) slots are visited
    in a pseudo-random permutation, each at most once; once all are used (accounts x 54
    records) further weekly scores become nm_post records;
  * about 0.3% of the other records are dated in 2021-12 or 2023-01 (outside the period);
  * a few unit names carry stray spaces, and some records use the alias 县行政复议局;
  * case ids (portal warnings, applications, new-media findings, ...) are drawn from a
    pool of --id-pool ids per unit (per account for new-media findings), so the same case
    comes back in several records (a warning notified again, a case filed then lost) and
    the number of distinct ids is bounded by the registry, not by the record count. With
    --id-pool 0 every record gets a fresh id (the number of distinct ids then grows with
    the record count, and so does any per-id state).

Usage:
  bench/generate.py --units 3000 --accounts 6000 --records 1000000 --out /tmp/rb-1m [--csv]
"""

import argparse
import bisect
import datetime as dt
import itertools
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RULES = os.path.join(HERE, "..", "rules", "yunhe-2022.rules")

TOWNS_GROUP = "乡镇(街道)"
ALIAS = "县行政复议局"
PLATFORMS = ["微信订阅号", "微信视频号", "抖音", "微博", "今日头条", "快手"]
LEVELS = ["province", "city", "county"]
KINDS = ["严重表述错误", "未提供有效互动功能", "未完成集群协同任务", "错别字", "链接失效", "栏目长期未更新"]
ELEMENTS = ["收到和处理政府信息公开申请情况", "主动公开政府信息情况",
            "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况",
            "其他需要报告的事项", "总体情况"]
METHODS_BASIC = ["text", "graphic", "audio"]
METHODS_RICH = ["短视频", "在线访谈", "新闻发布会", "媒体专访", "政策进社区", "答记者问", "H5", "一图读懂"]

# Relative weights by type (they sum to about 981,500, so per million records nm_post is
# about 570,000). Roughly the proportions of examples/yunhe-2022 (posts and
# weekly scores dominate), with more portal warnings and case handling, as a county with
# thousands of units would produce; the three vetoes are a few per million.
WEIGHTS = {
    "nm_post": 560000,
    "portal_warning": 150000,
    "nm_weekly_score": 76000,
    "interp_method": 60000,
    "app_case": 40000,
    "nm_warning": 20000,
    "portal_late_fix": 18000,
    "interp_unlinked": 10000,
    "nm_finding": 10000,
    "annual_report_published": 5000,
    "app_late_processing": 5000,
    "app_no_feedback": 4000,
    "key_area_incomplete": 4000,
    "interp_substandard": 4000,
    "review_filed": 3000,
    "nm_exposed": 3000,
    "annual_report_missing_element": 3000,
    "experience_adopted": 2000,
    "review_lost": 1500,
    "annual_report_similar": 1000,
    "prev_year_eval": 1000,
    "nm_unfiled": 500,
    "serious_error_flagged": 500,
    "leak_verified": 5,
    "lawsuit_lost_bad_info": 3,
    "falsification_verified": 3,
}

CSV_FIELDS = ["type", "date", "unit", "platform", "account", "level", "id",
              "kind", "outlet", "element", "method", "score", "avg", "points"]

Y0 = dt.date(2022, 1, 1)
Y1 = dt.date(2022, 12, 31)


def days(a, b):
    """ISO strings of every day in [a, b]."""
    out = []
    d = a
    while d <= b:
        out.append(d.isoformat())
        d += dt.timedelta(days=1)
    return out


DAYS_2022 = days(Y0, Y1)
WORKDAYS_2022 = [s for s in DAYS_2022 if dt.date.fromisoformat(s).weekday() < 5]
DAYS_OUTSIDE = days(dt.date(2021, 12, 1), dt.date(2021, 12, 31)) + days(dt.date(2023, 1, 1), dt.date(2023, 1, 31))
JANUARY_2022 = days(dt.date(2022, 1, 4), dt.date(2022, 1, 31))
SUNDAYS = days(dt.date(2021, 12, 26), dt.date(2023, 1, 1))[::7]  # 54 Sundays, two outside 2022
OUTSIDE_RATE = 0.003


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=3000, help="generated units (the ten towns come on top)")
    p.add_argument("--accounts", type=int, default=6000, help="rows of the 新媒体账号 table")
    p.add_argument("--records", type=int, default=1000000, help="records to write")
    p.add_argument("--areas", type=int, default=300, help="rows of the 重点领域 table")
    p.add_argument("--id-pool", type=int, default=20,
                   help="distinct case ids per unit (per account for new media); 0: a fresh id per record")
    p.add_argument("--seed", type=int, default=20221231)
    p.add_argument("--rules", default=DEFAULT_RULES, help="the rulebook whose registries are rewritten")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--csv", action="store_true", help="also write events.csv")
    a = p.parse_args(argv)
    if a.units < 1 or a.accounts < 1 or a.records < 0 or a.areas < 1 or a.id_pool < 0:
        p.error("--units, --accounts and --areas must be positive, --records and --id-pool not negative")
    return a


# ---------------------------------------------------------------------------- registry

def width_of(text):
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


class Registry:
    def __init__(self, args, rng):
        width = max(4, len(str(args.units)))
        self.generated = [f"县单位{i:0{width}d}" for i in range(1, args.units + 1)]
        self.towns = []  # filled from the rulebook's 单位组
        self.alias_target = self.generated[min(6, len(self.generated) - 1)]
        self.args = args
        self.rng = rng

    def build(self, towns):
        rng = self.rng
        self.towns = towns
        self.units = self.generated + towns  # every assessed unit

        # New-media accounts: an account name exists on one to three platforms, all rows of
        # a name belong to one unit; about three quarters of the units have accounts.
        owners = list(self.units)
        rng.shuffle(owners)
        owners = owners[:max(1, (len(owners) * 3) // 4)]
        owner_w = cumulative(rng.paretovariate(1.2) for _ in owners)
        self.accounts = []  # (platform, name, unit)
        width = max(5, len(str(self.args.accounts)))
        n = 0
        while len(self.accounts) < self.args.accounts:
            n += 1
            name = f"云和政务{n:0{width}d}"
            unit = owners[bisect.bisect(owner_w, rng.random() * owner_w[-1])]
            k = min(rng.choice([1, 1, 1, 2, 2, 3]), self.args.accounts - len(self.accounts))
            for plat in rng.sample(PLATFORMS, k):
                self.accounts.append((plat, name, unit))

        # Key areas: one to six units each, sometimes the towns as a group.
        self.areas = []  # (name, [unit or group])
        width = max(3, len(str(self.args.areas)))
        for i in range(1, self.args.areas + 1):
            members = rng.sample(self.generated, min(len(self.generated), rng.randint(1, 6)))
            if towns and rng.random() < 0.05:
                members.append(TOWNS_GROUP)
            self.areas.append((f"重点领域{i:0{width}d}", members))
        covered = set()
        for _, members in self.areas:
            for m in members:
                if m == TOWNS_GROUP:
                    covered.update(towns)
                else:
                    covered.add(m)
        self.key_area_units = sorted(covered)

    def rewrite_rules(self, text):
        """The rulebook with its registries replaced; everything else byte for byte."""
        towns = re.search(r'^单位组\s+"' + re.escape(TOWNS_GROUP) + r'"\s*\{([^}]*)\}', text, re.M)
        if not towns:
            sys.exit("generate.py: the rulebook has no 单位组 \"乡镇(街道)\" block")
        town_names = re.sub(r"#[^\n]*", "", towns.group(1)).split()
        self.build(town_names)

        def block(header_re, body, what):
            nonlocal text
            m = re.search(header_re, text, re.M)
            if not m:
                sys.exit(f"generate.py: the rulebook has no {what}")
            end = text.index("}", m.end())
            text = text[:m.end()] + "\n" + body + text[end:]

        lines = []
        for i in range(0, len(self.generated), 8):
            lines.append("  " + "  ".join(self.generated[i:i + 8]))
        block(r"^单位\s*\{", "\n".join(lines) + "\n", "单位 block")

        wp = max(width_of(p) for p in PLATFORMS) + 2
        rows = [f"  {p}{' ' * (wp - width_of(p))}{a}  -> {u}" for p, a, u in self.accounts]
        block(r"^表\s+新媒体账号\s*\([^)]*\)\s*->\s*单位\s*\{", "\n".join(rows) + "\n", "新媒体账号 table")

        rows = []
        for name, members in self.areas:
            shown = [f'"{m}"' if m == TOWNS_GROUP else m for m in members]
            rows.append(f"  {name}  -> {', '.join(shown)}")
        block(r"^表\s+重点领域\s*\([^)]*\)\s*->\s*单位\s*\{", "\n".join(rows) + "\n", "重点领域 table")

        text, n = re.subn(r"^别名\s+" + ALIAS + r"\s*=\s*\S+", f"别名 {ALIAS} = {self.alias_target}", text,
                          flags=re.M)
        if n != 1:
            sys.exit(f"generate.py: the rulebook has no alias {ALIAS}")
        header = (f"# 基准测试用规则: {os.path.basename(self.args.rules)} 的登记表按 bench/generate.py 生成 "
                  f"({len(self.generated)} 个单位, {len(self.accounts)} 个新媒体账号, {len(self.areas)} 个重点领域);\n"
                  f"# 其余内容与原规则相同.\n")
        return header + text


# ---------------------------------------------------------------------------- records

class Permutation:
    """A pseudo-random permutation of range(n): i -> (a*i + b) mod p, skipping values >= n."""

    def __init__(self, n, rng):
        self.n = n
        p = max(2, n)
        while not is_prime(p):
            p += 1
        self.p = p
        self.a = rng.randrange(1, p)
        self.b = rng.randrange(0, p)
        self.i = 0

    def next(self):
        """The next value, or None when all n were given."""
        while self.i < self.p:
            v = (self.a * self.i + self.b) % self.p
            self.i += 1
            if v < self.n:
                return v
        return None


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    f = 3
    while f * f <= n:
        if n % f == 0:
            return False
        f += 2
    return True


def cumulative(weights):
    return list(itertools.accumulate(weights))


class Stream:
    def __init__(self, reg, args, rng):
        self.reg = reg
        self.rng = rng
        self.pool = args.id_pool
        self.fresh = 0
        self.types = list(WEIGHTS)
        self.type_cum = cumulative(WEIGHTS.values())
        units = reg.units
        # Activity: a skewed weight per unit (a few busy ones, many quiet ones).
        self.unit_cum = cumulative(0.2 + rng.paretovariate(1.5) for _ in units)
        self.unit_json = [f'"unit": "{u}"' for u in units]
        self.unit_csv = list(units)
        self.unit_index = {u: i for i, u in enumerate(units)}
        self.alias_unit = self.unit_index[reg.alias_target]
        self.key_area = [self.unit_index[u] for u in reg.key_area_units] or list(range(len(units)))
        # Accounts: posting activity from very active (several posts a day) to rare (long gaps).
        self.acc_cum = cumulative(rng.lognormvariate(0.0, 1.2) for _ in reg.accounts)
        self.acc_json = [f'"platform": "{p}", "account": "{a}"' for p, a, _ in reg.accounts]
        self.acc_csv = [(p, a) for p, a, _ in reg.accounts]
        self.acc_bias = [rng.gauss(0.0, 2.0) for _ in reg.accounts]
        self.weekly = Permutation(len(reg.accounts) * len(SUNDAYS), rng)
        avg = 82.0
        self.week_avg = []
        for _ in SUNDAYS:
            avg = min(90.0, max(76.0, avg + rng.gauss(0, 1.0)))
            self.week_avg.append(avg)

    # -- pickers
    def unit(self):
        return bisect.bisect(self.unit_cum, self.rng.random() * self.unit_cum[-1])

    def account(self):
        return bisect.bisect(self.acc_cum, self.rng.random() * self.acc_cum[-1])

    def date(self, pool=DAYS_2022):
        r = self.rng.random()
        if r < OUTSIDE_RATE:
            return DAYS_OUTSIDE[int(r / OUTSIDE_RATE * len(DAYS_OUTSIDE))]
        return pool[int(self.rng.random() * len(pool))]

    def level(self, p_prov=0.05, p_city=0.2):
        x = self.rng.random()
        return "province" if x < p_prov else ("city" if x < p_prov + p_city else "county")

    def case_id(self, prefix, owner):
        if self.pool == 0:
            self.fresh += 1
            return f"{prefix}-2022-{self.fresh:08d}"
        return f"{prefix}-2022-{owner:05d}-{int(self.rng.random() * self.pool):03d}"

    def number(self, value, decimals):
        text = f"{value:.{decimals}f}"
        return f'"{text}"' if self.rng.random() < 0.3 else text, text

    # -- one record: (type, date, unit index or None, account index or None, extra fields)
    def record(self):
        rng = self.rng
        t = self.types[bisect.bisect(self.type_cum, rng.random() * self.type_cum[-1])]
        if t == "nm_weekly_score":
            slot = self.weekly.next()
            if slot is None:
                t = "nm_post"
            else:
                acc, week = divmod(slot, len(SUNDAYS))
                avg = self.week_avg[week]
                score = min(99.5, max(40.0, avg + self.acc_bias[acc] + rng.gauss(0, 3.0)))
                return t, SUNDAYS[week], None, acc, [("score", self.number(score, rng.choice((1, 1, 2)))),
                                                     ("avg", self.number(avg, rng.choice((1, 2))))]
        if t.startswith("nm_"):
            acc = self.account()
            fields = []
            if t in ("nm_finding", "nm_exposed"):
                fields.append(("id", self.case_id("XMT", acc)))
                if t == "nm_finding":
                    fields.append(("kind", rng.choice(KINDS)))
            return t, self.date(), None, acc, fields

        u = self.key_area[int(rng.random() * len(self.key_area))] \
            if t == "key_area_incomplete" and rng.random() < 0.9 else self.unit()
        day = self.date(WORKDAYS_2022)
        fields = []
        if t == "portal_warning":
            fields = [("level", self.level(0.05, 0.2)), ("id", self.case_id("YJ", u))]
        elif t == "interp_unlinked":
            # a quarter repeat a portal warning's id: the same problem reported twice
            fields = [("level", self.level(0.1, 0.3)), ("id", self.case_id("YJ" if rng.random() < 0.25 else "JD", u))]
        elif t in ("interp_substandard", "key_area_incomplete"):
            fields = [("level", self.level(0.1, 0.4))]
        elif t in ("app_case", "app_late_processing", "app_no_feedback", "review_filed", "review_lost"):
            fields = [("id", self.case_id("YSQ", u))]
        elif t == "experience_adopted":
            fields = [("id", self.case_id("JY", u)), ("outlet", "national" if rng.random() < 0.25 else "provincial")]
        elif t == "interp_method":
            m = rng.choice(METHODS_RICH) if rng.random() < 0.2 else rng.choice(METHODS_BASIC)
            fields = [("method", m)]
        elif t == "annual_report_published":
            day = self.date(JANUARY_2022) if rng.random() < 0.85 else self.date()
        elif t == "annual_report_missing_element":
            fields = [("element", rng.choice(ELEMENTS))]
        elif t == "prev_year_eval":
            fields = [("points", self.number(rng.choice((0.5, 1.0, 1.5, 2.0)), 1))]
        return t, day, u, None, fields


def main(argv):
    args = parse_args(argv)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(args.rules, encoding="utf-8") as f:
        source = f.read()
    reg = Registry(args, rng)
    rules = reg.rewrite_rules(source)
    with open(os.path.join(args.out, "bench.rules"), "w", encoding="utf-8", newline="\n") as f:
        f.write(rules)

    stream = Stream(reg, args, rng)
    jsonl = open(os.path.join(args.out, "events.jsonl"), "w", encoding="utf-8", newline="\n")
    csvf = open(os.path.join(args.out, "events.csv"), "w", encoding="utf-8", newline="\n") if args.csv else None
    if csvf:
        csvf.write(",".join(CSV_FIELDS) + "\n")
    col = {name: i for i, name in enumerate(CSV_FIELDS)}
    jbuf, cbuf = [], []
    counts = dict.fromkeys(WEIGHTS, 0)
    units = reg.units
    for n in range(args.records):
        t, day, u, acc, fields = stream.record()
        counts[t] += 1
        unit_json = None
        unit_text = None
        if u is not None:
            unit_json = stream.unit_json[u]
            unit_text = units[u]
            x = rng.random()
            if x < 0.002 and u == stream.alias_unit:
                unit_text = ALIAS
                unit_json = f'"unit": "{ALIAS}"'
            elif x < 0.0005:  # a stray space, as typed by hand
                unit_text = " " + units[u] + " "
                unit_json = f'"unit": "{unit_text}"'
        parts = [f'{{"type": "{t}", "date": "{day}"']
        if unit_json:
            parts.append(unit_json)
        if acc is not None:
            parts.append(stream.acc_json[acc])
        for k, v in fields:
            if isinstance(v, tuple):  # a number: (as JSON, as CSV text)
                parts.append(f'"{k}": {v[0]}')
            else:
                parts.append(f'"{k}": "{v}"')
        jbuf.append(", ".join(parts) + "}\n")
        if csvf:
            row = [""] * len(CSV_FIELDS)
            row[0] = t
            row[1] = day
            if unit_text is not None:
                row[2] = unit_text
            if acc is not None:
                row[3], row[4] = stream.acc_csv[acc]
            for k, v in fields:
                row[col[k]] = v[1] if isinstance(v, tuple) else v
            cbuf.append(",".join(row) + "\n")  # no cell holds a comma, quote or line break
        if len(jbuf) >= 65536:
            jsonl.write("".join(jbuf))
            jbuf.clear()
            if csvf:
                csvf.write("".join(cbuf))
                cbuf.clear()
    jsonl.write("".join(jbuf))
    jsonl.close()
    if csvf:
        csvf.write("".join(cbuf))
        csvf.close()
    missing = [t for t, c in counts.items() if c == 0]
    print(f"wrote {args.out}/bench.rules ({len(units)} units, {len(reg.accounts)} accounts, "
          f"{len(reg.areas)} key areas) and {args.records} records to {args.out}/events.jsonl"
          + (" and events.csv" if csvf else ""), file=sys.stderr)
    if missing and args.records >= 1000000:
        print(f"note: no records of {', '.join(missing)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
