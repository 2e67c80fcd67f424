// The typed syntax tree of a rulebook. The parser (compiler/parser.cpp) builds it from
// PEGTL's parse tree; the checker and the code generator read it. Every node keeps the
// span of the source text it came from, so diagnostics and traces can point at it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace rb::ast {

// A position in a source file: 1-based line and column (column counts bytes, as
// `file:line:col` does in compilers), plus the byte range for carets.
struct Span {
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

// A name as written: an identifier (ASCII letters, digits, '_' or any non-ASCII letter
// such as Chinese) or a quoted string ("乡镇(街道)").
struct Name {
  std::string text;
  Span span;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// 排除 同 FIELD 的 OTHER: records whose FIELD equals the FIELD of some OTHER record of the
// same unit are left out.
struct Exclusion {
  Name field;
  Name other;  // event type or named stream
  Span span;
};

// A stream of records: an event type or a named stream, narrowed by `其中 COND` filters
// (record-level conditions) and by an optional exclusion.
struct StreamRef {
  Name base;
  std::vector<ExprPtr> filters;
  std::optional<Exclusion> exclusion;
  Span span;
};

enum class UnaryOp { Neg, Not };
enum class BinaryOp { Add, Sub, Mul, Div, Lt, Le, Gt, Ge, Eq, Ne, And, Or };
enum class TieRule { Competition /* 并列同名次: 1,2,2,4 */, Dense /* 并列密集: 1,2,2,3 */ };

struct Number {
  std::string text;  // as written, e.g. "0.5"; the checker turns it into an exact rational
};
struct DateLit {
  int32_t year = 0, month = 0, day = 0;  // as written; the checker validates it
};
struct Text {
  std::string value;  // a quoted string literal used as a value
};
struct NameRef {
  Name name;  // parameter, item, group, category, field, enum member, or the words 得分/日期
};
struct Unary {
  UnaryOp op;
  ExprPtr operand;
};
struct Binary {
  BinaryOp op;
  ExprPtr lhs, rhs;
};
struct Conditional {  // 若 C 则 A 否则 B
  ExprPtr cond, then_expr, else_expr;
};
struct Call {  // 最大(a, b, ...) / 最小(a, b, ...) / 四舍五入(a, N) / 向上取整(a[, N]) / 向下取整(a[, N])
  Name function;
  std::vector<ExprPtr> args;
};
struct InSet {  // VALUE 属于 { a b c } / VALUE 不属于 { ... }
  ExprPtr value;
  bool negated = false;
  std::vector<ExprPtr> members;  // NameRef (enum member or bare text) or Text
};
// VALUE 分母为零时 FALLBACK: the product or quotient VALUE, or FALLBACK when one of its
// divisors is 0.
struct ZeroFallback {
  ExprPtr value, fallback;
};
// 平均|最高|最低|合计|单位数 (VALUE [, SCOPE]): VALUE of each unit in scope, combined.
enum class Aggregate { Mean, Max, Min, Sum, Count };
struct CrossUnit {
  Aggregate agg = Aggregate::Mean;
  std::string word;  // as written, for messages
  ExprPtr value;
  bool own_class = false;           // 本类
  std::optional<Name> registry;     // a unit group or table
  ExprPtr filter;                   // 其中 COND, may be null
};
struct UnitIn {  // 单位 属于 TABLE_OR_GROUP / 单位 不属于 ...
  bool negated = false;
  Name registry;
};
struct ByValue {  // 按 FIELD { v1: A1  v2: A2  其他: A0 }
  Name field;
  struct Arm {
    Name key;  // enum member or text
    ExprPtr amount;
  };
  std::vector<Arm> arms;
  ExprPtr otherwise;  // 其他: A, may be null
};

// Aggregates: per-unit values computed from the unit's records in one pass.
struct PerRecord {  // 每条|每件|每次|每篇 S 扣|加|计 AMOUNT
  StreamRef stream;
  ExprPtr amount;
};
struct PerDistinct {  // 每个不同 KEY 的 S 扣|加|计 AMOUNT
  Name key;
  StreamRef stream;
  ExprPtr amount;
};
struct TakeHighest {  // 每个不同 KEY 取最高 { S1: A1  S2: A2 }
  Name key;
  struct Arm {
    StreamRef stream;
    ExprPtr amount;
  };
  std::vector<Arm> arms;
};
struct Count {  // 条数 S
  StreamRef stream;
};
struct CountDistinct {  // 个数 不同 KEY 的 S
  Name key;
  StreamRef stream;
};
struct Exists {  // 有 S / 无 S
  StreamRef stream;
  bool negated = false;
};
struct Gaps {  // 每个 TABLE 的 S 间隔 每超 DAYS 天 扣 AMOUNT
  Name table;
  StreamRef stream;
  ExprPtr days;
  ExprPtr amount;
};
struct Streak {  // 每个 TABLE 的 S 每 STEP 天 连续 TIMES 次 COND 扣 AMOUNT
  Name table;
  StreamRef stream;
  ExprPtr step_days;
  ExprPtr times;
  ExprPtr cond;
  ExprPtr amount;
};
struct Rank {  // 排名 VALUE 从高到低 并列同名次 [不排 0] { 1: A1  2: A2 }
  ExprPtr value;
  bool descending = true;
  std::optional<TieRule> tie;  // absent when the rulebook states none (an error)
  std::optional<ExprPtr> skip_value;  // 不排 V: units whose value equals V are not ranked
  bool within_class = false;          // 本类内: each unit group ranked on its own
  bool without_vetoed = false;        // 不含否决单位
  enum class Place { Rank, Top, Bottom, BottomPercent };
  struct Award {
    Place place = Place::Rank;
    ExprPtr rank;  // Place::Rank: a whole number
    int64_t count = 0;  // 前 N 名, 后 N 名, 后 N%
    ExprPtr amount;
    Span span;
  };
  std::vector<Award> awards;
};

struct Expr {
  std::variant<Number, DateLit, Text, NameRef, Unary, Binary, Conditional, Call, ZeroFallback, CrossUnit, InSet, UnitIn,
               ByValue, PerRecord, PerDistinct, TakeHighest, Count, CountDistinct, Exists, Gaps,
               Streak, Rank>
      node;
  Span span;
};

// ---------------------------------------------------------------- declarations

struct Substitution {  // 适用 COND 否则取平均
  ExprPtr cond;
  Span span;
};

// 按月 [每期上限 N] [取各期平均 [仅有记录的期|仅存续的期]] on an item, group or indicator.
enum class PeriodWord { Week, Month, Quarter, Half };
enum class PeriodMean { None, All, WithRecords, Existing };
struct SubPeriods {
  PeriodWord word = PeriodWord::Month;
  ExprPtr cap;  // 每期上限, may be null
  PeriodMean mean = PeriodMean::None;
  Span span;
};

struct Item {  // 条目 NAME 引用 "CITE" [自 DATE] [至 DATE] { TERMS... [适用 ...] }
  Name name;
  std::string citation;
  std::optional<DateLit> from, until;
  Span from_span, until_span;
  std::optional<Name> only;  // 仅 GROUP
  std::optional<SubPeriods> periods;
  ExprPtr full;  // 满分 N: scored down from N, never below 0; may be null
  ExprPtr cap;   // 上限 N on the item itself; may be null
  std::vector<ExprPtr> terms;  // summed
  std::optional<Substitution> substitution;
  Span span;
};

struct Group;
using Member = std::variant<Item, std::unique_ptr<Group>>;

struct Group {  // 分组 NAME [引用 "CITE"] [上限 N] { MEMBERS... [适用 ...] }
  Name name;
  std::string citation;
  std::optional<SubPeriods> periods;
  ExprPtr cap;  // null: no cap
  std::vector<Member> members;
  std::optional<Substitution> substitution;
  Span span;
};

enum class CategoryKind { Veto /* 否决项 */, Deduction /* 扣分 */, Bonus /* 加分 */, Points /* 计分 */ };

struct Category {  // 扣分 NAME 上限 N { ... } / 加分 NAME 上限 N { ... } / 否决项 NAME { ... }
  CategoryKind kind;
  Name name;
  ExprPtr cap;        // null when 不设上限 or for veto categories
  bool uncapped = false;  // 不设上限 was written
  std::vector<Member> members;
  std::optional<Substitution> substitution;  // applies after the cap
  Span span;
};

struct Title { std::string text; Span span; };
struct Period { DateLit from, to; Span span; };
struct BaseScore { ExprPtr value; Span span; };
struct ScoreRange { ExprPtr low, high; Span span; };
struct Param { Name name; ExprPtr value; Span span; };  // 参数 NAME = NUMBER
struct Decimals { ExprPtr value; Span span; };          // 小数位数 N
struct Units { std::vector<Name> names; Span span; };   // 单位 { ... }
struct UnitGroup { Name name; std::vector<Name> members; Span span; };
struct Alias { Name alias; Name target; Span span; };   // 别名 A = B
// 枚举 NAME { MEMBER ["DISPLAY"] ... }; displays[i] is members[i]'s display name, "" for none.
struct Enum { Name name; std::vector<Name> members; Span span; std::vector<std::string> displays; };

// 表 NAME (COL1, COL2) -> 单位 { k1 k2 -> u1, u2 ... } [来自 "file.csv"]
struct Table {
  Name name;
  std::vector<Name> key_columns;
  struct Row {
    std::vector<Name> keys;
    std::vector<Name> units;  // units or unit groups
    Span span;
  };
  std::vector<Row> rows;
  std::optional<std::string> source_file;  // rows read from a CSV file beside the rulebook
  Span source_span;
  Span span;
};

// A field of an event type: `name: TYPE [可选]` where TYPE is 单位, 文本, 数值, 日期 or an
// enum name; or a table key `name: TABLE(field1, field2)` whose row gives the record's unit.
struct Field {
  Name name;
  Name type;
  std::vector<Name> key_fields;  // non-empty for a table key
  bool optional = false;
  Span span;
  std::string display;  // "" for none
};

struct EventType {  // 事件 NAME ["DISPLAY"] { FIELDS... 唯一 (f1, f2) }
  Name name;
  std::vector<Field> fields;
  std::vector<std::vector<Name>> unique;  // each: fields that no two records may share
  Span span;
  std::string display;  // "" for none
};

struct NamedStream { Name name; StreamRef stream; Span span; };  // 记录 NAME = S
struct Output { Name name; ExprPtr value; Span span; };          // 输出 NAME = EXPR
struct Indicator {  // 指标 NAME [引用 ".."] [按月 ...] = EXPR
  Name name;
  std::string citation;
  ExprPtr value;
  Span span;
  std::optional<SubPeriods> periods;
};
struct UnitDate { Name unit; DateLit date; bool closed = false; Span span; };  // 设立 / 撤销 UNIT DATE
struct NotAssessed { std::string citation; ExprPtr cond; Span span; };  // 不参与考核 [引用 ".."] 若 COND
struct Grades {  // 等级 { 90 以上: 优秀 ... 其他: 不合格 }
  struct Band {
    std::optional<std::string> at_least;  // the bound as written; none for 其他
    Name name;
    Span span;
  };
  std::vector<Band> bands;
  Span span;
};

using Declaration = std::variant<Title, Period, BaseScore, ScoreRange, Param, Units, UnitGroup,
                                 Alias, Enum, Table, EventType, NamedStream, Category, Output,
                                 Indicator, NotAssessed, Grades, UnitDate, Decimals>;

struct Rulebook {
  std::string path;    // as given on the command line
  std::string source;  // the whole text, for diagnostics
  std::vector<Declaration> declarations;
};

}  // namespace rb::ast
