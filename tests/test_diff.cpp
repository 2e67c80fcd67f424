// `rulebook diff`: the change list for each kind of change, the 2022 -> 2023 revision's
// documented changes (and nothing else), the source printer (its output compiles and
// scores exactly like the original), and the per-unit impact worked out by hand.
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/format.hpp"
#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "compiler/rulebook_diff.hpp"
#include "runtime/messages.hpp"
#include "runtime/session.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

struct Loaded {
  ast::Rulebook ast;
  Program program;
};

Loaded load_text(const std::string& name, const std::string& text) {
  Diagnostics diags;
  auto parsed = parse_rulebook(name, text, diags);
  for (const auto& d : diags.all()) INFO(name << ":" << d.span.line << ": " << d.message);
  REQUIRE(parsed.has_value());
  auto program = compile(*parsed, ".", diags);
  for (const auto& d : diags.all()) INFO(name << ":" << d.span.line << ": " << d.message);
  REQUIRE(program.has_value());
  return {std::move(*parsed), std::move(*program)};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The line of a repository file on which `needle` first occurs.
uint32_t line_of(const std::string& relative, const std::string& needle) {
  std::ifstream in(std::string(RB_SOURCE_DIR) + "/" + relative);
  uint32_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find(needle) != std::string::npos) return n;
  }
  return 0;
}

Loaded load_file(const std::string& relative) {
  std::string path = std::string(RB_SOURCE_DIR) + "/" + relative;
  return load_text(path, read_file(path));
}

RulebookDiff diff_texts(const std::string& before, const std::string& after) {
  Loaded o = load_text("old.rules", before), n = load_text("new.rules", after);
  return diff_rulebooks(o.ast, n.ast, &o.program, &n.program);
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::vector<std::string> texts(const RulebookDiff& d) {
  std::vector<std::string> out;
  for (const auto& c : d.changes) out.push_back(c.text);
  return out;
}

const Change* find(const RulebookDiff& d, const std::string& what, const std::string& kind, const std::string& name,
                   const std::string& aspect = "") {
  for (const auto& c : d.changes)
    if (c.what == what && c.kind == kind && c.name == name && (aspect.empty() || c.aspect == aspect)) return &c;
  return nullptr;
}

// The diff's sentences are pinned here in Chinese, the default (the test runner sets English).
struct InChinese {
  InChinese() : before(language()) { set_language(Lang::Zh); }
  ~InChinese() { set_language(before); }
  InChinese(const InChinese&) = delete;
  InChinese& operator=(const InChinese&) = delete;
  Lang before;
};

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// A small rulebook with one of everything the diff compares.
const std::string kBase = R"~(考核 "测试考核"
考核期 2023-01-01 至 2023-12-31
参数 限额 = 3
单位 { 甲 乙 丙 }
单位组 乡镇 { 甲 乙 }
别名 甲局 = 甲
枚举 级别 { province city county }
表 账号 (名称) -> 单位 {
  甲号 -> 甲
  乙号 -> 乙
}
事件 notice { unit: 单位  level: 级别 }
事件 late   { unit: 单位  id: 文本 }
事件 post   { 号: 账号(account) }
记录 省级通报 = notice 其中 level = province
扣分 主动公开 上限 30 {
  条目 解读不规范 引用 "附件1 1(1)" {
    每条 notice 扣 按 level { province: 5  city: 3  county: 0 }
  }
  条目 办理迟延 引用 "附件1 2" 自 2023-03-01 {
    每件 late 其中 日期 <= 2023-06-30 扣 2
  }
  分组 新媒体 引用 "附件1 3" {
    条目 停更 引用 "附件1 3(1)" {
      每个 账号 的 post 间隔 每超 14 天 扣 1
    }
    适用 单位 属于 账号 否则取平均
  }
}
加分 亮点 上限 5 {
  条目 省级表扬 引用 "附件2 1" {
    若 条数 省级通报 > 限额 则 0 否则 1
  }
}
输出 折算分 = 得分 * 0.5
)~";

}  // namespace

// ------------------------------------------------------------------ each kind of change

TEST_CASE_METHOD(InChinese, "diff: identical rulebooks have no changes") {
  auto d = diff_texts(kBase, kBase);
  CHECK(d.changes.empty());
  CHECK(format_diff_text(d).find("两个规则的条款没有差别") != std::string::npos);
}

TEST_CASE_METHOD(InChinese, "diff: amounts in a by-value table, said value by value") {
  auto d = diff_texts(kBase, replace(kBase, "province: 5  city: 3", "province: 6  city: 4"));
  REQUIRE(d.changes.size() == 1);
  const Change& c = d.changes[0];
  CHECK(c.section == DiffSection::Rules);
  CHECK(c.what == "item");
  CHECK(c.kind == "changed");
  CHECK(c.aspect == "rule");
  CHECK(c.name == "解读不规范");
  CHECK(c.text == "条目 解读不规范（附件1 1(1)）: 按 level 的分值 province 5 → 6, city 3 → 4");
  CHECK(c.old_value == "每条 notice 扣 按 level { province: 5  city: 3  county: 0 }");
  CHECK(c.new_value == "每条 notice 扣 按 level { province: 6  city: 4  county: 0 }");
  REQUIRE(c.details.size() == 2);
  CHECK(c.details[0] == "原（第 18 行）: 每条 notice 扣 按 level { province: 5  city: 3  county: 0 }");
  CHECK(c.details[1] == "现（第 18 行）: 每条 notice 扣 按 level { province: 6  city: 4  county: 0 }");
}

TEST_CASE_METHOD(InChinese, "diff: a per-record amount keeps the rulebook's own words") {
  auto d = diff_texts(kBase, replace(kBase, "其中 日期 <= 2023-06-30 扣 2", "其中 日期 <= 2023-06-30 扣 3"));
  REQUIRE(d.changes.size() == 1);
  CHECK(d.changes[0].text == "条目 办理迟延（附件1 2）: 每件 late 其中 日期 <= 2023-06-30 扣 2 → 3");
}

TEST_CASE("diff: writing 每件 for 每条 or the same number differently is no change") {
  auto same = replace(replace(kBase, "每条 notice", "每篇 notice"), "province: 5  city: 3", "province: 5.0  city: 3");
  CHECK(diff_texts(kBase, same).changes.empty());
}

TEST_CASE_METHOD(InChinese, "diff: caps of categories and groups") {
  auto d = diff_texts(kBase, replace(replace(kBase, "扣分 主动公开 上限 30", "扣分 主动公开 上限 25"),
                                     "分组 新媒体 引用 \"附件1 3\" {", "分组 新媒体 引用 \"附件1 3\" 上限 20 {"));
  CHECK(texts(d) == std::vector<std::string>{"扣分类 主动公开: 上限 30 → 25", "分组 新媒体（附件1 3）: 新设上限 20"});
  const Change* cap = find(d, "category", "changed", "主动公开", "cap");
  REQUIRE(cap);
  CHECK(cap->old_value == "30");
  CHECK(cap->new_value == "25");
  auto removed = diff_texts(kBase, replace(kBase, "加分 亮点 上限 5", "加分 亮点 不设上限"));
  CHECK(texts(removed) == std::vector<std::string>{"加分类 亮点: 取消上限（原为 5）"});
}

TEST_CASE_METHOD(InChinese, "diff: time bounds and dates in conditions") {
  auto d = diff_texts(kBase, replace(replace(kBase, "自 2023-03-01", "自 2023-04-01 至 2023-11-30"), "日期 <= 2023-06-30",
                                     "日期 <= 2023-07-31"));
  CHECK(texts(d) == std::vector<std::string>{"条目 办理迟延（附件1 2）: 自 2023-03-01 → 2023-04-01",
                                             "条目 办理迟延（附件1 2）: 新设 至 2023-11-30",
                                             "条目 办理迟延（附件1 2）: 日期 <= 2023-06-30 → 2023-07-31"});
  CHECK(find(d, "item", "changed", "办理迟延", "from")->new_value == "2023-04-01");
  CHECK(find(d, "item", "changed", "办理迟延", "until")->old_value.empty());
}

TEST_CASE_METHOD(InChinese, "diff: a parameter replaced by a date written out") {
  std::string before = replace(replace(kBase, "参数 限额 = 3", "参数 限额 = 3\n参数 期限 = 2023-06-30"),
                               "日期 <= 2023-06-30", "日期 <= 期限");
  auto d = diff_texts(before, replace(before, "日期 <= 期限", "日期 <= 2023-07-15"));
  CHECK(texts(d) == std::vector<std::string>{"条目 办理迟延（附件1 2）: 日期 <= 2023-06-30 → 2023-07-15（原为参数 期限）"});
}

TEST_CASE_METHOD(InChinese, "diff: parameters added, removed and with a new default") {
  auto d = diff_texts(kBase, replace(kBase, "参数 限额 = 3", "参数 限额 = 5\n参数 折算 = 100"));
  CHECK(texts(d) == std::vector<std::string>{"参数 限额: 3 → 5", "新增参数 折算 = 100"});
  const Change* c = find(d, "param", "changed", "限额", "default");
  REQUIRE(c);
  CHECK(c->old_value == "3");
  CHECK(c->new_value == "5");
  CHECK(c->section == DiffSection::Params);
}

TEST_CASE_METHOD(InChinese, "diff: items added, removed, renamed (same citation) and moved") {
  std::string after = replace(kBase, "条目 办理迟延 引用 \"附件1 2\"", "条目 办理超期 引用 \"附件1 2\"");
  after = replace(after, R"~(  条目 省级表扬 引用 "附件2 1" {
    若 条数 省级通报 > 限额 则 0 否则 1
  }
)~",
                  R"~(  条目 迟延表扬 引用 "附件2 2" {
    若 有 late 则 0 否则 1
  }
)~");
  auto d = diff_texts(kBase, after);
  const Change* renamed = find(d, "item", "renamed", "办理超期");
  REQUIRE(renamed);
  CHECK(renamed->old_name == "办理迟延");
  CHECK(renamed->text == "条目 办理迟延 更名为 办理超期（引用 “附件1 2” 不变）");
  CHECK(d.renamed_nodes.at("办理迟延") == "办理超期");
  const Change* added = find(d, "item", "added", "迟延表扬");
  REQUIRE(added);
  CHECK(added->text == "新增条目 迟延表扬（附件2 2），属于 亮点");
  CHECK(added->details == std::vector<std::string>{"规则（第 32 行）: 若 有 late 则 0 否则 1"});
  const Change* removed = find(d, "item", "removed", "省级表扬");
  REQUIRE(removed);
  CHECK(removed->text == "删除条目 省级表扬（附件2 1），原属于 亮点");
  CHECK(removed->old_value == "若 条数 省级通报 > 限额 则 0 否则 1");
  CHECK(d.changes.size() == 3);  // the renamed item's rule is unchanged

  std::string moved = replace(kBase, R"~(  条目 办理迟延 引用 "附件1 2" 自 2023-03-01 {
    每件 late 其中 日期 <= 2023-06-30 扣 2
  }
)~",
                              "");
  moved = replace(moved, "    适用 单位 属于 账号 否则取平均", R"~(    条目 办理迟延 引用 "附件1 2" 自 2023-03-01 {
      每件 late 其中 日期 <= 2023-06-30 扣 2
    }
    适用 单位 属于 账号 否则取平均)~");
  auto m = diff_texts(kBase, moved);
  CHECK(texts(m) == std::vector<std::string>{"条目 办理迟延（附件1 2）: 从 主动公开 移到 主动公开 / 新媒体"});
}

TEST_CASE_METHOD(InChinese, "diff: a unit renamed, its old name kept as an alias") {
  std::string after = replace(kBase, "单位 { 甲 乙 丙 }", "单位 { 甲 乙 丁 }\n别名 丙 = 丁");
  auto d = diff_texts(kBase, after);
  CHECK(texts(d) == std::vector<std::string>{"丙 更名为 丁（旧名作为别名保留）"});
  const Change& c = d.changes[0];
  CHECK(c.what == "unit");
  CHECK(c.kind == "renamed");
  CHECK(c.old_name == "丙");
  CHECK(c.name == "丁");
  CHECK(d.renamed_units.at("丙") == "丁");
  // Without the alias it is a unit removed and another added.
  auto plain = diff_texts(kBase, replace(kBase, "单位 { 甲 乙 丙 }", "单位 { 甲 乙 丁 }"));
  CHECK(texts(plain) == std::vector<std::string>{"新增单位 丁", "删除单位 丙"});
  // A rename carried into a unit group and a table row is not a change of either.
  std::string grouped = replace(replace(kBase, "单位 { 甲 乙 丙 }", "单位 { 甲 戊 丙 }\n别名 乙 = 戊"), "单位组 乡镇 { 甲 乙 }",
                                "单位组 乡镇 { 甲 戊 }");
  grouped = replace(grouped, "乙号 -> 乙", "乙号 -> 戊");
  CHECK(texts(diff_texts(kBase, grouped)) == std::vector<std::string>{"乙 更名为 戊（旧名作为别名保留）"});
}

TEST_CASE_METHOD(InChinese, "diff: unit groups, aliases, enums") {
  std::string after = replace(kBase, "单位组 乡镇 { 甲 乙 }", "单位组 乡镇 { 甲 丙 }");
  after = replace(after, "别名 甲局 = 甲", "别名 甲局 = 乙\n别名 丙办 = 丙");
  after = replace(after, "枚举 级别 { province city county }", "枚举 级别 { province city county town }");
  after = replace(after, "county: 0 }", "county: 0  town: 0 }");
  auto d = diff_texts(kBase, after);
  CHECK(texts(d) == std::vector<std::string>{"单位组 乡镇: 新增 丙；删除 乙", "别名 甲局: 指向 甲 → 乙", "新增别名 丙办 = 丙",
                                             "枚举 级别: 新增 town",
                                             "条目 解读不规范（附件1 1(1)）: 计分规则改写"});
}

TEST_CASE_METHOD(InChinese, "diff: table rows added, removed and given to another unit") {
  std::string after = replace(kBase, "  乙号 -> 乙\n", "  乙号 -> 丙\n  丙号 -> 丙\n");
  auto d = diff_texts(kBase, after);
  CHECK(texts(d) == std::vector<std::string>{"表 账号: 行 乙号 的单位 乙 → 丙", "表 账号: 新增行 丙号 -> 丙"});
  const Change* row = find(d, "table_row", "added", "账号: 丙号");
  REQUIRE(row);
  CHECK(row->new_value == "丙");
  CHECK(row->new_line == 11);
  auto removed = diff_texts(kBase, replace(kBase, "  乙号 -> 乙\n", ""));
  CHECK(texts(removed) == std::vector<std::string>{"表 账号: 删除行 乙号 -> 乙"});
}

TEST_CASE_METHOD(InChinese, "diff: event types, fields and named streams") {
  std::string after = replace(kBase, "事件 late   { unit: 单位  id: 文本 }", "事件 late   { unit: 单位  id: 数值  note: 文本 可选 }");
  after = replace(after, "记录 省级通报 = notice 其中 level = province", "记录 省级通报 = notice 其中 level 属于 { province city }");
  after += "事件 hotline { unit: 单位  id: 文本 }\n";
  auto d = diff_texts(kBase, after);
  CHECK(texts(d) == std::vector<std::string>{
                        "事件类型 late: 字段 id 的类型 文本 → 数值", "事件类型 late: 新增字段 note: 文本 可选",
                        "新增事件类型 hotline { unit: 单位  id: 文本 }",
                        "记录 省级通报: 定义改为 notice 其中 level 属于 { province city }（原为 notice 其中 level = province）"});
}

TEST_CASE_METHOD(InChinese, "diff: substitution, title, period, base score and range, outputs") {
  std::string after = replace(kBase, "考核 \"测试考核\"\n考核期 2023-01-01 至 2023-12-31",
                              "考核 \"新考核\"\n考核期 2024-01-01 至 2024-12-31\n基础分 90\n得分范围 0 至 110");
  after = replace(after, "自 2023-03-01", "自 2024-03-01");
  after = replace(after, "日期 <= 2023-06-30", "日期 <= 2024-06-30");
  after = replace(after, "    适用 单位 属于 账号 否则取平均\n", "");
  after = replace(after, "输出 折算分 = 得分 * 0.5", "输出 折算分 = 得分 * 0.6");
  auto d = diff_texts(kBase, after);
  CHECK(texts(d) == std::vector<std::string>{
                        "标题: “测试考核” → “新考核”", "考核期: 2023-01-01 至 2023-12-31 → 2024-01-01 至 2024-12-31",
                        "基础分: 100 → 90", "得分范围: 0 至 100 → 0 至 110",
                        "条目 办理迟延（附件1 2）: 自 2023-03-01 → 2024-03-01",
                        "条目 办理迟延（附件1 2）: 日期 <= 2023-06-30 → 2024-06-30",
                        "分组 新媒体（附件1 3）: 取消平均分替代（原为 适用 单位 属于 账号 否则取平均）",
                        "输出 折算分: 得分 * 0.5 → 0.6"});
}

// ------------------------------------------------------------------ the 2022 -> 2023 revision

TEST_CASE_METHOD(InChinese, "diff: the 2023 revision shows each documented change and nothing else") {
  Loaded o = load_file("rules/yunhe-2022.rules"), n = load_file("examples/yunhe-2023/yunhe-2023.rules");
  auto d = diff_rulebooks(o.ast, n.ast, &o.program, &n.program);
  std::vector<std::string> expected = {
      "标题: “2022年云和县政务公开工作考核” → “2023年云和县政务公开工作考核”",
      "考核期: 2022-01-01 至 2022-12-31 → 2023-01-01 至 2023-12-31",
      "删除参数 年报期限（原为 2022-01-31）",
      "县经商局 更名为 县经济商务局（旧名作为别名保留）",
      "新增事件类型 gov_hotline_overdue { unit: 单位  id: 文本 }",
      "条目 政策解读不规范（附件1 主动公开 1(1)）: 按 level 的分值 province 5 → 6, city 3 → 4",
      "条目 收件处理不及时（附件1 依申请公开 1）: 每件 app_late_processing 扣 5 → 4",
      "分组 政务新媒体（附件1 平台建设 2）: 新设上限 20",
      "条目 周评分低于平均（附件1 平台建设 2(4)）: 自 2022-08-01 → 2023-06-01",
      "条目 年报未按时公开（附件1 监督保障 1）: 日期 <= 2022-01-31 → 2023-02-15（原为参数 年报期限）",
      "新增条目 热线工单超期（附件1 监督保障 4 (2023年新增)），属于 监督保障",
  };
  CHECK(texts(d) == expected);
  const Change* added = find(d, "item", "added", "热线工单超期");
  REQUIRE(added);
  CHECK(added->new_value == "每个不同 id 的 gov_hotline_overdue 扣 2");
  CHECK(added->new_line == line_of("examples/yunhe-2023/yunhe-2023.rules", "条目 热线工单超期"));
  const Change* cap = find(d, "group", "changed", "政务新媒体", "cap");
  REQUIRE(cap);
  CHECK(cap->old_value == "不设上限");
  CHECK(cap->new_value == "20");
  CHECK(d.renamed_units == std::map<std::string, std::string>{{"县经商局", "县经济商务局"}});

  std::string text = format_diff_text(d);
  for (const char* heading : {"一、基本信息", "二、参数", "三、考核单位", "四、事件类型与记录", "五、评分细则"})
    CHECK(text.find(heading) != std::string::npos);
  CHECK(text.find("共 11 处改动。") != std::string::npos);
  auto json = nlohmann::json::parse(format_diff_json(d));
  CHECK(json["changes"].size() == 11);
  CHECK(json["old"]["period"]["from"] == "2022-01-01");
  CHECK(json["changes"][5]["section"] == "rules");
  CHECK(json["changes"][5]["aspect"] == "rule");
  CHECK(json["changes"][5]["old_line"] == line_of("rules/yunhe-2022.rules", "每条 interp_substandard"));
  CHECK(json["changes"][5]["new_line"] == line_of("examples/yunhe-2023/yunhe-2023.rules", "每条 interp_substandard"));
}

// The same revision in English: the sentences are English, the rulebook's own names, citations
// and rules (written back as code) stay as the rulebook writes them.
TEST_CASE("diff: the 2023 revision in English") {
  Loaded o = load_file("rules/yunhe-2022.rules"), n = load_file("examples/yunhe-2023/yunhe-2023.rules");
  auto d = diff_rulebooks(o.ast, n.ast, &o.program, &n.program);
  auto t = texts(d);
  REQUIRE(t.size() == 11);
  CHECK(t[1] == "period: 2022-01-01 to 2022-12-31 → 2023-01-01 to 2023-12-31");
  CHECK(t[2] == "removed parameter 年报期限 (was 2022-01-31)");
  CHECK(t[3] == "县经商局 renamed to 县经济商务局 (the old name is kept as an alias)");
  CHECK(t[5] == "item 政策解读不规范 (附件1 主动公开 1(1)): amounts by level: province 5 → 6, city 3 → 4");
  CHECK(t[6] == "item 收件处理不及时 (附件1 依申请公开 1): 每件 app_late_processing 扣 5 → 4");
  CHECK(t[7] == "group 政务新媒体 (附件1 平台建设 2): new cap 20");
  CHECK(t[9] == "item 年报未按时公开 (附件1 监督保障 1): 日期 <= 2022-01-31 → 2023-02-15 (was parameter 年报期限)");
  CHECK(t[10] == "new item 热线工单超期 (附件1 监督保障 4 (2023年新增)), in 监督保障");
  const Change* changed = find(d, "item", "changed", "政策解读不规范");
  REQUIRE(changed);
  REQUIRE(changed->details.size() == 2);
  CHECK(changed->details[0] ==
        "was (line " + std::to_string(line_of("rules/yunhe-2022.rules", "每条 interp_substandard")) +
            "): 每条 interp_substandard 扣 按 level { province: 5  city: 3  county: 0 }");
  std::string text = format_diff_text(d);
  for (const char* heading : {"Rulebook comparison", "1. Basic information", "2. Parameters", "3. Units assessed",
                              "4. Event types and records", "5. Scoring rules", "11 changes."})
    CHECK(text.find(heading) != std::string::npos);
  CHECK(text.find("改动") == std::string::npos);
  CHECK(text.find("（") == std::string::npos);
}

// ------------------------------------------------------------------ the printer

// Every rule, condition, stream, output and indicator of a bundled rulebook (the 2022 one, and
// the petition-work scheme with its rankings by class, cross-unit means and fallbacks),
// replaced in the source by its printed form, must still compile and score the year's
// records byte for byte alike.
TEST_CASE("diff: printed rules are valid source that scores the same") {
  // (The petition-work scheme is written as the printer writes it: its rewritten text is the same.)
  auto [rules, events, same_text] =
      GENERATE(std::make_tuple("rules/yunhe-2022.rules", "examples/yunhe-2022/events.jsonl", false),
               std::make_tuple("examples/xinfang-2022/xinfang-2022.rules", "examples/xinfang-2022/events.jsonl", true));
  INFO(rules);
  Loaded original = load_file(rules);
  const std::string& source = original.ast.source;
  std::vector<std::pair<ast::Span, std::string>> edits;
  std::function<void(const std::vector<ast::Member>&)> walk = [&](const std::vector<ast::Member>& members) {
    for (const auto& m : members) {
      if (const auto* it = std::get_if<ast::Item>(&m)) {
        for (const auto& t : it->terms) edits.emplace_back(t->span, print_expr(*t, &source));
        if (it->substitution)
          edits.emplace_back(it->substitution->cond->span, print_expr(*it->substitution->cond, &source));
      } else {
        const auto& g = *std::get<std::unique_ptr<ast::Group>>(m);
        walk(g.members);
        if (g.substitution) edits.emplace_back(g.substitution->cond->span, print_expr(*g.substitution->cond, &source));
      }
    }
  };
  for (const auto& d : original.ast.declarations) {
    if (const auto* c = std::get_if<ast::Category>(&d)) {
      walk(c->members);
      if (c->substitution) edits.emplace_back(c->substitution->cond->span, print_expr(*c->substitution->cond, &source));
    } else if (const auto* o = std::get_if<ast::Output>(&d)) {
      edits.emplace_back(o->value->span, print_expr(*o->value, &source));
    } else if (const auto* x = std::get_if<ast::Indicator>(&d)) {
      edits.emplace_back(x->value->span, print_expr(*x->value, &source));
    } else if (const auto* s = std::get_if<ast::NamedStream>(&d)) {
      edits.emplace_back(s->stream.span, print_stream(s->stream, &source));
    }
  }
  REQUIRE(edits.size() > 10);
  std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) { return a.first.offset > b.first.offset; });
  std::string rewritten = source;
  for (const auto& [span, text] : edits) rewritten.replace(span.offset, span.length, text);
  CHECK((rewritten == source) == same_text);
  Loaded printed = load_text("printed.rules", rewritten);
  // The printed form is stable: printing the reprinted rules gives the same text.
  CHECK(diff_rulebooks(original.ast, printed.ast).changes.empty());
  auto score = [&](const Program& p) {
    Session session(p, {});
    REQUIRE(session.read({std::string(RB_SOURCE_DIR) + "/" + events}));
    REQUIRE(session.reader().error_count() == 0);
    return format_json(session.finish());
  };
  CHECK(score(original.program) == score(printed.program));
}

TEST_CASE("diff: the printer adds the parentheses the grammar needs") {
  std::string text = R"~(考核 "p"
考核期 2023-01-01 至 2023-12-31
单位 { 甲 }
事件 a { unit: 单位  n: 数值 }
扣分 类 上限 10 {
  条目 x 引用 "1" { (若 有 a 则 1 否则 2) + 3 }
  条目 y 引用 "2" { (每件 a 加 1) * 2 - (1 - 2) }
  条目 z 引用 "3" { 非 (条数 a > 1 或 条数 a < 0) 且 -(-1) < 2 }
  条目 w 引用 "4" { 最大(条数 a 其中 n > 1, 3) / (2 * (1 + 1)) }
}
)~";
  Loaded l = load_text("p.rules", text);
  std::vector<std::string> printed;
  for (const auto& d : l.ast.declarations)
    if (const auto* c = std::get_if<ast::Category>(&d))
      for (const auto& m : c->members) printed.push_back(print_expr(*std::get<ast::Item>(m).terms[0], &l.ast.source));
  CHECK(printed == std::vector<std::string>{"(若 有 a 则 1 否则 2) + 3", "(每件 a 加 1) * 2 - (1 - 2)",
                                            "非 (条数 a > 1 或 条数 a < 0) 且 -(-1) < 2",
                                            "最大(条数 a 其中 n > 1, 3) / (2 * (1 + 1))"});
  CHECK(source_name("乡镇(街道)") == "\"乡镇(街道)\"");
  CHECK(source_name("扣分") == "\"扣分\"");
  CHECK(source_name("扣分项") == "扣分项");
}

// ------------------------------------------------------------------ impact

namespace {

const std::string kImpactOld = R"~(考核 "旧"
考核期 2023-01-01 至 2023-12-31
单位 { 甲 乙 戊 }
枚举 级别 { province city county }
事件 notice { unit: 单位  level: 级别 }
事件 good { unit: 单位 }
扣分 扣分类 上限 10 {
  条目 解读 引用 "1" { 每条 notice 扣 按 level { province: 5  city: 3  county: 0 } }
}
加分 加分类 上限 5 {
  条目 表扬 引用 "2" { 每件 good 加 2 }
}
)~";

// province 6 (was 5), the cap 8 (was 10), 乙 renamed 丙, a new event type and item.
const std::string kImpactNew = R"~(考核 "新"
考核期 2023-01-01 至 2023-12-31
单位 { 甲 丙 戊 }
别名 乙 = 丙
枚举 级别 { province city county }
事件 notice { unit: 单位  level: 级别 }
事件 good { unit: 单位 }
事件 hot { unit: 单位 }
扣分 扣分类 上限 8 {
  条目 解读 引用 "1" { 每条 notice 扣 按 level { province: 6  city: 3  county: 0 } }
}
加分 加分类 上限 5 {
  条目 表扬 引用 "2" { 每件 good 加 2 }
}
扣分 热线 不设上限 {
  条目 超期 引用 "3" { 每件 hot 扣 1 }
}
)~";

const std::string kImpactEvents = R"~({"type": "notice", "date": "2023-02-01", "unit": "甲", "level": "province"}
{"type": "notice", "date": "2023-02-02", "unit": "甲", "level": "county"}
{"type": "hot", "date": "2023-02-03", "unit": "甲"}
{"type": "hot", "date": "2023-02-04", "unit": "甲"}
{"type": "notice", "date": "2023-03-01", "unit": "乙", "level": "province"}
{"type": "notice", "date": "2023-03-02", "unit": "乙", "level": "province"}
{"type": "good", "date": "2023-03-03", "unit": "乙"}
{"type": "good", "date": "2023-04-01", "unit": "戊"}
{"type": "good", "date": "2023-04-02", "unit": "戊"}
{"type": "good", "date": "2023-04-03", "unit": "戊"}
)~";

}  // namespace

TEST_CASE_METHOD(InChinese, "diff: impact per unit, worked out by hand") {
  Loaded o = load_text("old.rules", kImpactOld), n = load_text("new.rules", kImpactNew);
  auto d = diff_rulebooks(o.ast, n.ast, &o.program, &n.program);
  std::string events = write_temp("rb_diff_impact.jsonl", kImpactEvents);
  ImpactRun run = run_impact(o.program, n.program, {events}, &d);
  REQUIRE(run.ok);
  const Impact& im = run.impact;
  REQUIRE(im.units.size() == 3);
  CHECK(im.only_old.empty());
  CHECK(im.only_new.empty());
  // 甲: a province and a county notice: old 5 + 0 = 5, new 6 + 0 = 6 (under both caps); the
  // new item deducts 1 for each of the two hotline records, which the old rulebook cannot
  // read. Old 100 - 5 = 95, new 100 - 6 - 2 = 92: -3, the largest change.
  const UnitImpact& jia = im.units[0];
  CHECK(jia.unit == "甲");
  CHECK(jia.old_unit.empty());
  CHECK(jia.old_score == Rational(95));
  CHECK(jia.new_score == Rational(92));
  REQUIRE(jia.moves.size() == 2);
  CHECK(jia.moves[0].name == "超期");
  CHECK(jia.moves[0].in_old == false);
  CHECK(jia.moves[0].old_value == Rational(0));
  CHECK(jia.moves[0].new_value == Rational(-2));
  CHECK(jia.moves[0].effect == Rational(-2));
  CHECK(jia.moves[1].name == "解读");
  CHECK(jia.moves[1].old_value == Rational(-5));
  CHECK(jia.moves[1].new_value == Rational(-6));
  CHECK(jia.moves[1].effect == Rational(-1));
  // 乙 (丙 now): two province notices, old 5 + 5 = 10 (the cap 10), new 6 + 6 = 12 cut to 8;
  // one good, +2 both. Old 100 - 10 + 2 = 92, new 100 - 8 + 2 = 94: +2.
  const UnitImpact& bing = im.units[1];
  CHECK(bing.unit == "丙");
  CHECK(bing.old_unit == "乙");
  CHECK(bing.old_score == Rational(92));
  CHECK(bing.new_score == Rational(94));
  REQUIRE(bing.moves.size() == 2);
  CHECK(bing.moves[0].kind == "category");  // the cap gives back 4 of the 2 more points
  CHECK(bing.moves[0].name == "扣分类");
  CHECK(bing.moves[0].old_value == Rational(-10));
  CHECK(bing.moves[0].new_value == Rational(-8));
  CHECK(bing.moves[0].effect == Rational(4));
  CHECK(bing.moves[1].name == "解读");
  CHECK(bing.moves[1].old_value == Rational(-10));
  CHECK(bing.moves[1].new_value == Rational(-12));
  CHECK(bing.moves[1].effect == Rational(-2));
  // 戊: three goods, 6 cut to 5 by the cap; 100 + 5 = 105 cut to 100 by the range, both
  // years: no change and nothing moved.
  const UnitImpact& wu = im.units[2];
  CHECK(wu.unit == "戊");
  CHECK(wu.change() == Rational(0));
  CHECK(wu.moves.empty());
  for (const auto& u : im.units) {
    Rational sum = 0;
    for (const auto& m : u.moves) sum = sum + m.effect;
    CHECK(sum == u.change());
  }
  // The record of an event type only the new rulebook has is scored by it alone.
  CHECK(im.old_side.unknown_types == std::map<std::string, uint64_t>{{"hot", 2}});
  CHECK(im.old_side.summary.in_period == 8);
  CHECK(im.new_side.summary.in_period == 10);
  CHECK(im.notes == std::vector<std::string>{"旧规则没有事件类型 hot：这类记录 2 条只按新规则计分"});

  std::string text = format_diff_text(d, &im);
  CHECK(text.find("丙（原 乙）") != std::string::npos);
  CHECK(text.find("扣分类（类别合计） -10 → -8；解读 -10 → -12") != std::string::npos);
  CHECK(text.find("得分不变的单位（1 个）: 戊 100") != std::string::npos);
  auto json = nlohmann::json::parse(format_diff_json(d, &im));
  REQUIRE(json["impact"]["units"].size() == 3);
  CHECK(json["impact"]["units"][1]["unit"] == "丙");
  CHECK(json["impact"]["units"][1]["old_unit"] == "乙");
  CHECK(json["impact"]["units"][1]["change"] == 2.0);
  CHECK(json["impact"]["units"][0]["moves"][0]["text"] == "超期（新增） 0 → -2");
  CHECK(json["impact"]["units"][0]["moves"][0]["in_old"] == false);
  CHECK(json["impact"]["old"]["unknown_event_types"]["hot"] == 2);
}

TEST_CASE_METHOD(InChinese, "diff: impact with a veto, a unit only in one rulebook, and records outside a period") {
  std::string before = kImpactOld + "否决项 否决 {\n  条目 泄密 引用 \"9\" { 有 notice 其中 level = county }\n}\n";
  std::string after = replace(replace(kImpactOld, "单位 { 甲 乙 戊 }", "单位 { 甲 乙 己 }"), "考核期 2023-01-01 至 2023-12-31",
                              "考核期 2024-01-01 至 2024-12-31");
  Loaded o = load_text("old.rules", before), n = load_text("new.rules", after);
  std::string events = write_temp("rb_diff_veto.jsonl", R"~({"type": "notice", "date": "2023-02-01", "unit": "甲", "level": "county"}
{"type": "notice", "date": "2024-02-01", "unit": "乙", "level": "city"}
)~");
  ImpactRun run = run_impact(o.program, n.program, {events});
  REQUIRE(run.ok);
  const Impact& im = run.impact;
  // 甲: vetoed in 2023 (0), no record in 2024 (100).
  REQUIRE(im.units.size() == 2);
  CHECK(im.units[0].unit == "甲");
  CHECK(im.units[0].old_vetoed);
  CHECK(im.units[0].change() == Rational(100));
  CHECK(im.units[0].moves[0].kind == "veto");
  CHECK(im.units[0].moves[0].detail == "命中（泄密） → 未命中");
  CHECK(im.units[0].moves[0].effect == Rational(100));
  // 乙: nothing in 2023, a city notice in 2024: -3.
  CHECK(im.units[1].unit == "乙");
  CHECK(im.units[1].change() == Rational(-3));
  CHECK(im.only_old == std::vector<std::pair<std::string, Rational>>{{"戊", Rational(100)}});
  CHECK(im.only_new == std::vector<std::pair<std::string, Rational>>{{"己", Rational(100)}});
  CHECK(std::find(im.notes.begin(), im.notes.end(),
                  "新规则的考核期为 2024-01-01 至 2024-12-31，这些记录中有 1 条不在其考核期内（不计分）") != im.notes.end());
  CHECK(std::find(im.notes.begin(), im.notes.end(),
                  "旧规则的考核期为 2023-01-01 至 2023-12-31，这些记录中有 1 条不在其考核期内（不计分）") != im.notes.end());
}

TEST_CASE("diff: bad records stop the impact, as in a run") {
  Loaded o = load_text("old.rules", kImpactOld), n = load_text("new.rules", kImpactNew);
  std::string events = write_temp("rb_diff_bad.jsonl", R"~({"type": "notice", "date": "2023-02-01", "unit": "甲", "level": "town"}
{"type": "notice", "date": "2023-02-01", "unit": "甲甲", "level": "city"}
{"type": "good", "date": "2023-02-31", "unit": "甲"}
)~");
  ImpactRun run = run_impact(o.program, n.program, {events});
  CHECK_FALSE(run.ok);
  REQUIRE(run.problem_count == 3);
  CHECK(run.problems[0] == events + ":1: level 'town' is not one of province, city, county");
  CHECK(run.problems[1].rfind(events + ":2: unknown unit '甲甲'", 0) == 0);
  CHECK(run.problems[2] == events + ":3: field 'date' is not a calendar date: '2023-02-31'");
}

TEST_CASE_METHOD(InChinese, "diff: 2022 records under the 2023 rulebook say that they are outside its period") {
  Loaded o = load_file("rules/yunhe-2022.rules"), n = load_file("examples/yunhe-2023/yunhe-2023.rules");
  auto d = diff_rulebooks(o.ast, n.ast, &o.program, &n.program);
  ImpactRun run = run_impact(o.program, n.program, {std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/events.jsonl"}, &d);
  REQUIRE(run.ok);
  const Impact& im = run.impact;
  CHECK(im.units.size() == 43);
  CHECK(im.new_side.summary.out_of_period == 6884);
  CHECK(std::find(im.notes.begin(), im.notes.end(),
                  "新规则的考核期为 2023-01-01 至 2023-12-31，这些记录中有 6884 条不在其考核期内（不计分）") !=
        im.notes.end());
  bool warned = std::any_of(im.notes.begin(), im.notes.end(), [](const std::string& s) {
    return s.rfind("这些记录大多不在新规则的考核期内", 0) == 0;
  });
  CHECK(warned);
  // The renamed unit is matched through the new rulebook's alias.
  auto renamed = std::find_if(im.units.begin(), im.units.end(), [](const UnitImpact& u) { return u.unit == "县经济商务局"; });
  REQUIRE(renamed != im.units.end());
  CHECK(renamed->old_unit == "县经商局");
  CHECK(im.only_old.empty());
  CHECK(im.only_new.empty());
}

TEST_CASE("diff: each rulebook on its own year of the same activity") {
  Loaded o = load_file("rules/yunhe-2022.rules"), n = load_file("examples/yunhe-2023/yunhe-2023.rules");
  auto d = diff_rulebooks(o.ast, n.ast, &o.program, &n.program);
  ImpactRun run = run_impact(o.program, n.program,
                             {std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/events.jsonl",
                              std::string(RB_SOURCE_DIR) + "/examples/yunhe-2023/events-2023.jsonl"},
                             &d);
  REQUIRE(run.ok);
  const Impact& im = run.impact;
  CHECK(im.old_side.summary.in_period == 6876);
  CHECK(im.new_side.summary.in_period == 6889);
  CHECK(im.old_side.unknown_types == std::map<std::string, uint64_t>{{"gov_hotline_overdue", 8}});
  auto unit = [&](const std::string& name) -> const UnitImpact& {
    auto it = std::find_if(im.units.begin(), im.units.end(), [&](const UnitImpact& u) { return u.unit == name; });
    REQUIRE(it != im.units.end());
    return *it;
  };
  // 县教育局: the new item (orders 0101 twice and 0230: 2 x 2 = 4) and one more weekly
  // streak finding (2 -> 4); nothing else of the revision touches it. 81 -> 75.
  const UnitImpact& edu = unit("县教育局");
  CHECK(edu.old_score == Rational(81));
  CHECK(edu.new_score == Rational(75));
  REQUIRE(edu.moves.size() == 2);
  CHECK(edu.moves[0].name == "热线工单超期");
  CHECK(edu.moves[0].new_value == Rational(-4));
  CHECK(edu.moves[1].name == "周评分低于平均");
  for (const auto& u : im.units) {
    Rational sum = 0;
    for (const auto& m : u.moves) sum = sum + m.effect;
    CHECK(sum == u.change());
  }
}

TEST_CASE_METHOD(InChinese, "diff: display names of event types, fields and enum members") {
  const std::string named = replace(replace(replace(kBase, "枚举 级别 { province city county }",
                                                    "枚举 级别 { province \"省政府办公厅\" city county }"),
                                            "事件 notice { unit: 单位  level: 级别 }",
                                            "事件 notice \"解读通报\" { unit: 单位  level \"通报级别\": 级别 }"),
                                    "事件 late   { unit: 单位  id: 文本 }", "事件 late \"迟延\" { unit: 单位  id: 文本 }");
  auto given = diff_texts(kBase, named);
  std::vector<std::string> texts;
  for (const auto& c : given.changes) texts.push_back(c.text);
  CHECK(texts == std::vector<std::string>{"枚举 级别 的成员 province 的显示名 （无） → \"省政府办公厅\"",
                                          "事件类型 notice 的显示名 （无） → \"解读通报\"",
                                          "事件类型 notice: 字段 level 的显示名 （无） → \"通报级别\"",
                                          "事件类型 late 的显示名 （无） → \"迟延\""});
  for (const auto& c : given.changes) CHECK(c.aspect == "display");
  auto renamed = diff_texts(named, replace(named, "\"解读通报\"", "\"政策解读通报\""));
  REQUIRE(renamed.changes.size() == 1);
  CHECK(renamed.changes[0].text == "事件类型 notice 的显示名 \"解读通报\" → \"政策解读通报\"");
  CHECK(renamed.changes[0].old_value == "解读通报");
  CHECK(renamed.changes[0].new_value == "政策解读通报");
}
