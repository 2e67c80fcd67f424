#include "rbc_file.hpp"
#include "output_file.hpp"
#include "messages.hpp"
#include "platform.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <concepts>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rb {

namespace {

constexpr uint8_t kMagic[4] = {'R', 'B', 'C', 0x1A};
constexpr size_t kHeaderSize = 4 + 4 + 8 + 8;  // magic, version, payload length, checksum

// "1 byte", "3 bytes": every noun in our messages takes a plain -s.
std::string count_of(uint64_t n, std::string_view noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

uint64_t load_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// One past the largest value of each enum stored in a file, so the reader can reject
// values the program model has no meaning for.
constexpr uint64_t enum_limit(FieldKind) { return uint64_t(FieldKind::TableKey) + 1; }
constexpr uint64_t enum_limit(AccKind) { return uint64_t(AccKind::DayStreak) + 1; }
constexpr uint64_t enum_limit(NodeKind) { return uint64_t(NodeKind::Indicator) + 1; }
constexpr uint64_t enum_limit(CategoryRole) { return uint64_t(CategoryRole::Points) + 1; }
constexpr uint64_t enum_limit(StepKind) { return uint64_t(StepKind::Aggregate) + 1; }
constexpr uint64_t enum_limit(AggKind) { return uint64_t(AggKind::Count) + 1; }
constexpr uint64_t enum_limit(ScopeKind) { return uint64_t(ScopeKind::OwnClass) + 1; }
constexpr uint64_t enum_limit(AwardKind) { return uint64_t(AwardKind::BottomPercent) + 1; }
constexpr uint64_t enum_limit(PeriodKind) { return uint64_t(PeriodKind::Half) + 1; }
constexpr uint64_t enum_limit(PeriodCombine) { return uint64_t(PeriodCombine::MeanExisting) + 1; }
constexpr uint64_t enum_limit(TieKind) { return uint64_t(TieKind::Dense) + 1; }

template <class T>
concept Scalar = std::integral<T> || std::is_enum_v<T>;

// The fewest payload bytes one list item can take. Only used to refuse impossible counts
// early; the reader also builds lists item by item, so a composite item (for which 1 is
// a safe under-estimate) can never make it allocate ahead of the bytes it has read.
template <class T>
constexpr size_t min_encoded_size() {
  if constexpr (Scalar<T>)
    return sizeof(T);
  else if constexpr (std::is_same_v<T, Rational>)
    return 16;
  else
    return 1;
}

// ---- payload writer and reader: the same member names, so Codec can drive either.

class Writer {
 public:
  static constexpr bool kReading = false;

  template <Scalar T>
  void value(T v) {
    put(static_cast<uint64_t>(v), sizeof(T));
  }
  void value(const std::string& s) {
    write_count(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void write_count(size_t n) {
    if (n > std::numeric_limits<uint32_t>::max())
      throw std::length_error(text(Msg::rbc_list_too_long));
    put(n, 4);
  }
  void section(uint8_t tag, const char*) { value(tag); }
  void raw(const uint8_t* data, size_t n) { bytes_.insert(bytes_.end(), data, data + n); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void put(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> bytes_;
};

// Reads a payload with every access bounds-checked. The first failure is kept as the
// error and ends the input, so every later read fails too and yields zeros; callers check
// ok() once at the end instead of after every value.
class Reader {
 public:
  static constexpr bool kReading = true;

  Reader(const uint8_t* data, size_t size) : at_(data), end_(data + size) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t remaining() const { return static_cast<size_t>(end_ - at_); }

  template <std::integral T>
  void value(T& v) {
    v = static_cast<T>(take(sizeof(T)));  // modular conversion turns the bits into signed values
  }
  void value(bool& v) {
    const uint64_t raw = take(1);
    if (raw > 1) fail(fmt::format("a yes/no flag holds {}", raw));
    v = raw == 1;
  }
  template <class E>
  requires std::is_enum_v<E>
  void value(E& e) {
    const uint64_t raw = take(sizeof(E));
    if (raw >= enum_limit(E{})) fail(fmt::format("an enumeration holds the unknown value {}", raw));
    e = ok() ? static_cast<E>(raw) : E{};
  }
  void value(std::string& s) {
    const uint32_t n = read_count(1, "text", "byte");
    if (!ok()) return;
    s.assign(reinterpret_cast<const char*>(at_), n);
    at_ += n;
    // Names end up in JSON, HTML and workbooks, which hold only valid UTF-8.
    if (!simdjson::validate_utf8(s)) fail(fmt::format("a text of {} is not valid UTF-8", count_of(n, "byte")));
  }

  // A list or text length, refused when its items cannot fit in the bytes left.
  uint32_t read_count(size_t item_bytes, std::string_view what = "list", std::string_view unit = "item") {
    const auto n = static_cast<uint32_t>(take(4));
    if (ok() && uint64_t{n} * item_bytes > remaining()) {
      fail(fmt::format("a {} of {} cannot fit in the {} left", what, count_of(n, unit), count_of(remaining(), "byte")));
    }
    return ok() ? n : 0;
  }

  void section(uint8_t tag, const char* name) {
    section_ = name;
    const uint64_t found = take(1);
    if (ok() && found != tag) fail(fmt::format("expected the section's tag {}, found {}", tag, found));
  }

  void expect_end() {
    if (ok() && remaining() != 0) {
      section_ = nullptr;
      fail(fmt::format("{} left over after the last section", count_of(remaining(), "byte")));
    }
  }

 private:
  uint64_t take(size_t n) {
    if (remaining() < n) {
      fail("the data ends in the middle of a value");
      return 0;
    }
    const uint64_t v = load_le(at_, static_cast<int>(n));
    at_ += n;
    return v;
  }
  void fail(std::string why) {
    if (!ok()) return;
    error_ = section_ ? fmt::format("in section \"{}\", {}", section_, why) : std::move(why);
    at_ = end_;
  }

  const uint8_t* at_;
  const uint8_t* end_;
  const char* section_ = nullptr;
  std::string error_;
};

template <class T, class U>
concept Matching = std::same_as<std::remove_const_t<T>, U>;

template <class T>
inline constexpr bool kIsVector = false;
template <class T, class A>
inline constexpr bool kIsVector<std::vector<T, A>> = true;
template <class T>
inline constexpr bool kIsPair = false;
template <class A, class B>
inline constexpr bool kIsPair<std::pair<A, B>> = true;

// Lists every Program field once. The same code writes (Io = Writer over a const Program)
// and reads (Io = Reader over a Program), so the two directions cannot drift apart. A
// field added to bytecode.hpp must be added here, with kRbcVersion raised.
template <class Io>
class Codec {
 public:
  explicit Codec(Io& io) : io_(io) {}

  // Section tags are part of the format: never renumber them.
  void program(Matching<Program> auto& p) {
    io_.section(1, "header");
    fields(p.title, p.source_name, p.period_from, p.period_to, p.base_score, p.score_low, p.score_high);
    io_.section(2, "parameters");
    fields(p.params);
    io_.section(3, "units");
    fields(p.units, p.aliases);
    io_.section(4, "symbols");
    fields(p.symbols);
    io_.section(5, "enums");
    fields(p.enums);
    io_.section(6, "tables");
    fields(p.tables);
    io_.section(7, "unit sets");
    fields(p.unit_sets);
    io_.section(8, "value sets");
    fields(p.value_sets);
    io_.section(9, "event types");
    fields(p.events);
    io_.section(10, "accumulators");
    fields(p.accumulators);
    io_.section(11, "nodes");
    fields(p.nodes);
    io_.section(12, "steps");
    fields(p.steps);
    io_.section(13, "constants");
    fields(p.constants);
    io_.section(14, "code");
    fields(p.code, p.lines);
    io_.section(15, "results");
    fields(p.score_node, p.vetoed_node, p.categories, p.outputs);
    io_.section(16, "coverage points");
    fields(p.coverage);
    io_.section(17, "who is assessed, classes, indicators and grades");
    fields(p.assessed_node, p.not_assessed_reason, p.unit_class, p.indicators, p.grades, p.unit_from, p.unit_until, p.decimals);
  }

 private:
  template <class... T>
  void fields(T&... v) {
    (field(v), ...);
  }

  template <class T>
  void field(T& v) {
    using U = std::remove_const_t<T>;
    if constexpr (Scalar<U> || std::is_same_v<U, std::string>)
      io_.value(v);
    else if constexpr (kIsVector<U>)
      list(v);
    else if constexpr (kIsPair<U>)
      fields(v.first, v.second);
    else
      members(v);
  }

  template <class V>
  void list(V& items) {
    using Item = typename std::remove_const_t<V>::value_type;
    if constexpr (Io::kReading) {
      const uint32_t n = io_.read_count(min_encoded_size<Item>());
      items.clear();
      for (uint32_t i = 0; i < n && io_.ok(); ++i) field(items.emplace_back());
    } else {
      io_.write_count(items.size());
      for (const Item& item : items) field(item);
    }
  }

  void members(Matching<Rational> auto& r) { fields(r.num, r.den); }
  void members(Matching<CodeRange> auto& r) { fields(r.begin, r.end); }
  void members(Matching<BothLanguages> auto& t) { fields(t.zh, t.en); }
  void members(Matching<CoveragePoint> auto& c) { fields(c.line, c.item, c.what); }
  void members(Matching<ParamDef> auto& d) { fields(d.name, d.value, d.is_date); }
  void members(Matching<EnumDef> auto& e) { fields(e.name, e.members, e.displays); }
  void members(Matching<TableDef::Row> auto& r) { fields(r.keys, r.units); }
  void members(Matching<TableDef> auto& t) { fields(t.name, t.columns, t.rows); }
  void members(Matching<UnitSet> auto& s) { fields(s.name, s.units); }
  void members(Matching<FieldDef> auto& f) { fields(f.name, f.kind, f.ref, f.optional, f.key_fields, f.display); }
  void members(Matching<EventTypeDef> auto& e) {
    fields(e.name, e.fields, e.unit_field, e.key_field, e.unique, e.handler, e.display);
  }
  void members(Matching<AccumulatorDef> auto& a) {
    fields(a.kind, a.exclude, a.table, a.days, a.times, a.description, a.period);
  }
  void members(Matching<NodeDef> auto& n) {
    fields(n.name, n.kind, n.role, n.citation, n.parent, n.has_cap, n.cap, n.source_line, n.has_from, n.has_until,
           n.from, n.until, n.has_full, n.full, n.before_cap, n.period, n.per_period, n.combine, n.has_period_cap,
           n.period_cap, n.only);
  }
  void members(Matching<Award> auto& a) { fields(a.kind, a.n, a.amount); }
  void members(Matching<GradeBand> auto& g) { fields(g.has_low, g.low, g.name, g.line); }
  void members(Matching<Step> auto& s) {
    fields(s.kind, s.code, s.period, s.input, s.output, s.condition, s.descending, s.tie, s.has_skip, s.skip, s.awards,
           s.agg, s.scope, s.scope_set, s.filter, s.rank_node);
  }
  void members(Matching<LineEntry> auto& l) { fields(l.offset, l.line); }

  Io& io_;
};

// ---- header

std::string truncated_header(size_t size) {
  return tr(size == 1 ? Msg::rbc_header_truncated_one : Msg::rbc_header_truncated_many, kHeaderSize, size);
}

// Checks everything before the payload; on success the payload is the rest of the file.
// The version is checked before the rest of the header is read, since a later version
// may lay its header out differently.
std::optional<std::string> header_problem(const uint8_t* data, size_t size) {
  if (size == 0) return text(Msg::rbc_empty);
  if (std::memcmp(data, kMagic, std::min(size, sizeof kMagic)) != 0) return text(Msg::rbc_bad_magic);
  if (size < 8) return truncated_header(size);
  const auto version = static_cast<uint32_t>(load_le(data + 4, 4));
  if (version == 0) return text(Msg::rbc_version_zero);
  if (version > kRbcVersion) return tr(Msg::rbc_version_newer, version, kRbcVersion);
  // Only the current layout can be decoded: an older file is compiled again from its rules.
  if (version < kRbcVersion) return tr(Msg::rbc_version_older, version, kRbcVersion);
  if (size < kHeaderSize) return truncated_header(size);
  const uint64_t declared = load_le(data + 8, 8);
  const uint64_t found = size - kHeaderSize;
  if (declared > found) return tr(Msg::rbc_data_truncated, declared, found);
  if (declared < found)
    return tr(found - declared == 1 ? Msg::rbc_trailing_one : Msg::rbc_trailing_many, found - declared);
  if (load_le(data + 16, 8) != rbc_checksum(data + kHeaderSize, found)) return text(Msg::rbc_checksum);
  return std::nullopt;
}

// One sentence for a load failure: the first problem, and how many more there were.
std::string invalid_program_message(const std::vector<std::string>& problems) {
  std::string message = tr(Msg::rbc_invalid, problems.front());
  const size_t more = problems.size() - 1;
  if (more > 0) message += tr(more == 1 ? Msg::rbc_more_problems_one : Msg::rbc_more_problems_many, more);
  return message;
}

// ---- files

std::optional<std::string> read_whole_file(const std::string& path, std::vector<uint8_t>& bytes) {
  const int fd = open_for_reading(path);
  if (fd < 0) return tr(Msg::cannot_open_file, path, system_message(errno));
  uint8_t buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return tr(Msg::cannot_read_file, path, system_message(saved));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  ::close(fd);
  return std::nullopt;
}

}  // namespace

uint64_t rbc_checksum(const uint8_t* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return hash;
}

std::vector<uint8_t> serialize(const Program& p) {
  Writer payload;
  Codec<Writer>(payload).program(p);
  const std::vector<uint8_t>& body = payload.bytes();

  Writer file;
  file.raw(kMagic, sizeof kMagic);
  file.value(kRbcVersion);
  file.value(static_cast<uint64_t>(body.size()));
  file.value(rbc_checksum(body.data(), body.size()));
  file.raw(body.data(), body.size());
  return std::move(file.bytes());
}

std::variant<Program, LoadError> deserialize(const uint8_t* data, size_t size) {
  if (auto problem = header_problem(data, size)) return LoadError{*problem};

  Program p;
  Reader reader(data + kHeaderSize, size - kHeaderSize);
  Codec<Reader>(reader).program(p);
  reader.expect_end();
  if (!reader.ok()) return LoadError{tr(Msg::rbc_malformed, reader.error())};

  const std::vector<std::string> problems = verify(p);
  if (!problems.empty()) return LoadError{invalid_program_message(problems)};
  return p;
}

bool write_rbc_file(const std::string& path, const Program& p, std::string& error) {
  std::vector<uint8_t> image;
  try {
    image = serialize(p);
  } catch (const std::length_error& e) {
    error = tr(Msg::cannot_write_file, path, e.what());
    return false;
  }

  OutputFile out(path);
  if (out.ok() && out.write(std::string_view(reinterpret_cast<const char*>(image.data()), image.size())) && out.commit())
    return true;
  error = out.error();
  return false;
}

std::variant<Program, LoadError> read_rbc_file(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (auto problem = read_whole_file(path, bytes)) return LoadError{*problem};
  return deserialize(bytes.data(), bytes.size());
}

// ---- instructions

DecodeStatus decode_instruction(const std::vector<uint8_t>& code, uint32_t offset, uint32_t end, Instruction& out) {
  const uint64_t limit = std::min<uint64_t>(end, code.size());
  if (offset >= limit) return DecodeStatus::Truncated;
  const uint8_t byte = code[offset];
  if (byte >= kOpCount) return DecodeStatus::BadOpcode;

  out = Instruction{};
  out.op = static_cast<Op>(byte);
  out.offset = offset;
  out.size = static_cast<uint32_t>(instruction_size(out.op));
  if (offset + uint64_t{out.size} > limit) return DecodeStatus::Truncated;

  const char* layout = kOpOperands[byte];
  for (int i = 0; layout[i] != '\0'; ++i) {
    const auto raw = static_cast<uint16_t>(load_le(&code[offset + 1 + 2 * i], 2));
    out.operands[i] = layout[i] == 'j' ? int32_t{static_cast<int16_t>(raw)} : int32_t{raw};
    out.operand_count = i + 1;
  }
  return DecodeStatus::Ok;
}

namespace {

constexpr OpSemantics effect(uint8_t pops, uint8_t pushes, OpPhase phase = OpPhase::Any,
                             std::array<OperandRef, kMaxOperands> operands = {},
                             std::optional<AccKind> acc_kind = std::nullopt) {
  return {pops, pushes, phase, operands, acc_kind};
}

}  // namespace

// The one place that says, per opcode, what the opcode table does not: keep every case
// (the compiler's -Wswitch flags a new opcode missing here).
OpSemantics op_semantics(Op op) {
  using R = OperandRef;
  constexpr OpPhase any = OpPhase::Any, records = OpPhase::Records, units = OpPhase::Units;
  switch (op) {
    case Op::CONST:
      return effect(0, 1, any, {R::Constant});
    case Op::PARAM:
      return effect(0, 1, any, {R::Param});
    case Op::FIELD:
      return effect(0, 1, records, {R::Field});
    case Op::DATE:
      return effect(0, 1, records);
    case Op::ACC:
      return effect(0, 1, units, {R::Accumulator});
    case Op::NODE:
      return effect(0, 1, units, {R::Node});
    case Op::STORE:
      return effect(1, 0, units, {R::Node});
    case Op::UNIT_IN:
      return effect(0, 1, any, {R::UnitSet});
    case Op::IN_SET:
      return effect(1, 1, any, {R::ValueSet});
    case Op::POP:
      return effect(1, 0);
    case Op::ADD:
    case Op::SUB:
    case Op::MUL:
    case Op::DIV:
    case Op::MIN:
    case Op::MAX:
    case Op::LT:
    case Op::LE:
    case Op::GT:
    case Op::GE:
    case Op::EQ:
    case Op::NE:
      return effect(2, 1);
    case Op::NEG:
    case Op::NOT:
    case Op::TRUTH:
      return effect(1, 1);
    case Op::ROUND:
      return effect(1, 1, any, {R::RoundMode, R::RoundPlaces});
    case Op::JUMP:
      return effect(0, 0, any, {R::Jump});
    case Op::JUMP_IF_NOT:
      return effect(1, 0, any, {R::Jump});
    case Op::HALT:
      return effect(0, 0);
    case Op::COVER:
      return effect(0, 0, any, {R::Coverage});
    case Op::ACC_ADD:
      return effect(1, 0, records, {R::Accumulator}, AccKind::Sum);
    case Op::ACC_KEY_ADD:
      return effect(1, 0, records, {R::Accumulator, R::Field}, AccKind::KeySum);
    case Op::ACC_KEY_MAX:
      return effect(1, 0, records, {R::Accumulator, R::Field}, AccKind::KeyMax);
    case Op::ACC_KEY_MARK:
      return effect(0, 0, records, {R::Accumulator, R::Field}, AccKind::KeySet);
    case Op::ACC_DAY_MARK:
      return effect(0, 0, records, {R::Accumulator}, AccKind::DayGaps);
    case Op::ACC_DAY_FLAG:
      return effect(1, 0, records, {R::Accumulator}, AccKind::DayStreak);
    case Op::ACC_ADD_P:
      return effect(1, 0, records, {R::Accumulator}, AccKind::Sum);
    case Op::ACC_KEY_ADD_P:
      return effect(1, 0, records, {R::Accumulator, R::Field}, AccKind::KeySum);
    case Op::ACC_KEY_MAX_P:
      return effect(1, 0, records, {R::Accumulator, R::Field}, AccKind::KeyMax);
    case Op::PERIOD_ACC:
      return effect(0, 1, units, {R::Accumulator});
    case Op::PERIOD_NODE:
      return effect(0, 1, units, {R::Node});
    case Op::PERIOD_STORE:
      return effect(1, 0, units, {R::Node});
    case Op::PERIOD_SUM:
      return effect(0, 1, units, {R::Node});
    case Op::PERIOD_MEAN:
      return effect(0, 1, units, {R::Node, R::PeriodMode, R::Accumulator});
  }
  return {};
}

bool day_in_range(int32_t days) {
  static const int32_t first = days_from_civil(1, 1, 1);
  static const int32_t last = days_from_civil(9999, 12, 31);
  return days >= first && days <= last;
}

// ---- verification

namespace {

const char* acc_kind_name(AccKind kind) {
  switch (kind) {
    case AccKind::Sum:
      return "Sum";
    case AccKind::KeySum:
      return "KeySum";
    case AccKind::KeyMax:
      return "KeyMax";
    case AccKind::KeySet:
      return "KeySet";
    case AccKind::DayGaps:
      return "DayGaps";
    case AccKind::DayStreak:
      return "DayStreak";
  }
  return "unknown";
}

uint64_t magnitude(int64_t v) { return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); }

// Index of the instruction starting at `offset` in a decoded block, or -1.
int64_t instruction_at(const std::vector<Instruction>& block, int64_t offset) {
  auto it = std::lower_bound(block.begin(), block.end(), offset,
                             [](const Instruction& ins, int64_t o) { return ins.offset < o; });
  return it != block.end() && it->offset == offset ? it - block.begin() : -1;
}

// The setting a code block runs in.
struct CodeContext {
  std::string where;  // "handler of event type \"x\"", "step 3"
  CodeRange range;
  const EventTypeDef* event = nullptr;  // handlers: the records' type; unit code: none
  PeriodKind period = PeriodKind::None;  // unit code run per sub-period of this kind
};

class Verifier {
 public:
  explicit Verifier(const Program& p) : p_(p) {}

  std::vector<std::string> run() && {
    check_settings();
    check_params();
    check_aliases();
    check_enums();
    check_tables();
    check_unit_sets();
    check_value_sets();
    check_events();
    check_accumulators();
    check_nodes();
    check_steps();
    check_constants();
    check_lines();
    check_results();
    return std::move(problems_);
  }

 private:
  template <class... A>
  void report(fmt::format_string<A...> format, A&&... args) {
    problems_.push_back(fmt::format(format, std::forward<A>(args)...));
  }

  // True when index < size; otherwise reports "WHERE: NOUN INDEX is out of range (N NOUNs)".
  bool check_index(std::string_view where, std::string_view noun, uint64_t index, size_t size) {
    if (index < size) return true;
    report("{}: {} {} is out of range ({})", where, noun, index, count_of(size, noun));
    return false;
  }

  bool check_rational(std::string_view what, Rational r) {
    if (r.den <= 0) {
      report("{} is not a valid fraction (denominator {})", what, r.den);
      return false;
    }
    if (std::gcd(magnitude(r.num), magnitude(r.den)) != 1) {
      report("{} is not in lowest terms ({}/{})", what, r.num, r.den);
      return false;
    }
    return true;
  }

  // Sets are stored sorted (bytecode.hpp) so that membership tests can bisect them.
  template <class T>
  void check_ascending(std::string_view where, const std::vector<T>& items) {
    if (!std::is_sorted(items.begin(), items.end())) report("{}: the members are not in ascending order", where);
  }

  // Days are printed as dates, so they must lie within 0001-01-01..9999-12-31.
  bool check_day(std::string_view what, int32_t day) {
    if (day_in_range(day)) return true;
    report("{} (day {}) is not a date from 0001-01-01 to 9999-12-31", what, day);
    return false;
  }

  void check_settings() {
    bool dates_ok = true;
    for (auto [what, day] : {std::pair{"start", p_.period_from}, std::pair{"end", p_.period_to}}) {
      if (day_in_range(day)) continue;
      report("the period's {} (day {}) is not a date from 0001-01-01 to 9999-12-31", what, day);
      dates_ok = false;
    }
    if (dates_ok && p_.period_from > p_.period_to) {
      report("the period starts ({}) after it ends ({})", format_date(p_.period_from), format_date(p_.period_to));
    }
    check_rational("the base score", p_.base_score);
    if (check_rational("the lowest score", p_.score_low) && check_rational("the highest score", p_.score_high) &&
        p_.score_low > p_.score_high) {
      report("the score range is empty (lowest {} above highest {})", format_decimal(p_.score_low),
             format_decimal(p_.score_high));
    }
  }

  void check_params() {
    for (const ParamDef& d : p_.params) {
      const std::string where = fmt::format("parameter \"{}\"", d.name);
      if (!check_rational(where, d.value) || !d.is_date) continue;
      if (d.value.den != 1 || d.value.num < INT32_MIN || d.value.num > INT32_MAX || !day_in_range(static_cast<int32_t>(d.value.num)))
        report("{}: its date (day {}) is not a date from 0001-01-01 to 9999-12-31", where, format_decimal(d.value));
    }
  }

  void check_aliases() {
    for (const auto& [alias, unit] : p_.aliases)
      check_index(fmt::format("alias \"{}\"", alias), "unit", unit, p_.units.size());
  }

  void check_enums() {
    for (const EnumDef& e : p_.enums) {
      const std::string where = fmt::format("enum \"{}\"", e.name);
      for (uint32_t symbol : e.members) check_index(where, "symbol", symbol, p_.symbols.size());
      if (!e.displays.empty() && e.displays.size() != e.members.size())
        report("{}: has {} for {}", where, count_of(e.displays.size(), "display name"),
               count_of(e.members.size(), "member"));
    }
  }

  void check_tables() {
    for (const TableDef& t : p_.tables) {
      for (size_t r = 0; r < t.rows.size(); ++r) {
        const TableDef::Row& row = t.rows[r];
        const std::string where = fmt::format("table \"{}\" row {}", t.name, r);
        if (row.keys.size() != t.columns.size())
          report("{}: has {} for {}", where, count_of(row.keys.size(), "key"), count_of(t.columns.size(), "column"));
        for (uint32_t symbol : row.keys) check_index(where, "symbol", symbol, p_.symbols.size());
        for (uint32_t unit : row.units) check_index(where, "unit", unit, p_.units.size());
      }
    }
  }

  void check_unit_sets() {
    for (const UnitSet& s : p_.unit_sets) {
      const std::string where = fmt::format("unit set \"{}\"", s.name);
      for (uint32_t unit : s.units) check_index(where, "unit", unit, p_.units.size());
      check_ascending(where, s.units);
    }
  }

  void check_value_sets() {
    for (size_t i = 0; i < p_.value_sets.size(); ++i) {
      const std::string where = fmt::format("value set {}", i);
      bool all_valid = true;
      for (Rational v : p_.value_sets[i]) all_valid &= check_rational(where + " member", v);
      if (all_valid) check_ascending(where, p_.value_sets[i]);
    }
  }

  void check_events() {
    for (const EventTypeDef& e : p_.events) {
      const std::string where = fmt::format("event type \"{}\"", e.name);
      if (e.fields.size() > kMaxFields)
        report("{}: has {}; a record holds at most {}", where, count_of(e.fields.size(), "field"), kMaxFields);
      for (const FieldDef& f : e.fields) check_field(fmt::format("{} field \"{}\"", where, f.name), f);
      check_slot_kind(where, "unit", e.unit_field, e, FieldKind::Unit);
      check_slot_kind(where, "table key", e.key_field, e, FieldKind::TableKey);
      for (const std::vector<uint32_t>& slots : e.unique) {
        for (uint32_t slot : slots) {
          if (slot != kMaxFields) check_index(where + " uniqueness rule", "field", slot, e.fields.size());
        }
      }
      check_code({fmt::format("handler of {}", where), e.handler, &e});
    }
  }

  void check_field(const std::string& where, const FieldDef& f) {
    if (f.kind == FieldKind::Enum) check_index(where, "enum", f.ref, p_.enums.size());
    if (f.kind == FieldKind::TableKey && check_index(where, "table", f.ref, p_.tables.size())) {
      const size_t columns = p_.tables[f.ref].columns.size();
      if (f.key_fields.size() != columns)
        report("{}: names {} for a table with {}", where, count_of(f.key_fields.size(), "key field"),
               count_of(columns, "column"));
    }
  }

  // `slot` (-1 for none) must name a field of the given kind.
  void check_slot_kind(const std::string& where, std::string_view role, int32_t slot, const EventTypeDef& e,
                       FieldKind kind) {
    if (slot < 0) return;
    if (!check_index(where + fmt::format(" {} field", role), "field", static_cast<uint32_t>(slot), e.fields.size()))
      return;
    if (e.fields[slot].kind != kind)
      report("{}: the {} field \"{}\" is of the wrong kind", where, role, e.fields[slot].name);
  }

  void check_accumulators() {
    for (size_t i = 0; i < p_.accumulators.size(); ++i) {
      const AccumulatorDef& a = p_.accumulators[i];
      const std::string where = fmt::format("accumulator {} (\"{}\")", i, a.description.en);
      if (a.exclude >= 0 &&
          check_index(where + " exclusion", "accumulator", static_cast<uint32_t>(a.exclude), p_.accumulators.size())) {
        const AccKind excluded = p_.accumulators[a.exclude].kind;
        if (excluded != AccKind::KeySet)
          report("{}: excludes the keys of accumulator {}, which is {}, not KeySet", where, a.exclude,
                 acc_kind_name(excluded));
      }
      if (a.kind != AccKind::DayGaps && a.kind != AccKind::DayStreak) continue;
      check_index(where, "table", a.table, p_.tables.size());
      if (a.days <= 0) report("{}: the day count must be positive, not {}", where, a.days);
      if (a.kind == AccKind::DayStreak && a.times <= 0)
        report("{}: the streak length must be positive, not {}", where, a.times);
    }
  }

  void check_nodes() {
    for (const NodeDef& n : p_.nodes) {
      const std::string where = fmt::format("node \"{}\"", n.name);
      if (n.parent >= 0) check_index(where + " parent", "node", static_cast<uint32_t>(n.parent), p_.nodes.size());
      if (n.only >= 0) check_index(where + " unit set", "unit set", static_cast<uint32_t>(n.only), p_.unit_sets.size());
      if (n.before_cap >= 0)
        check_index(where + " value before its cap", "node", static_cast<uint32_t>(n.before_cap), p_.nodes.size());
      check_rational(where + " cap", n.cap);
      check_rational(where + " full marks", n.full);
      check_rational(where + " cap per sub-period", n.period_cap);
      // Traces print an item's time bounds as dates.
      if (n.has_from) check_day(where + " start (自)", n.from);
      if (n.has_until) check_day(where + " end (至)", n.until);
      if (n.per_period >= 0 &&
          check_index(where + " values per sub-period", "node", static_cast<uint32_t>(n.per_period), p_.nodes.size())) {
        // The node holds the year's value; the one it names holds a value per sub-period.
        const NodeDef& per = p_.nodes[static_cast<size_t>(n.per_period)];
        if (n.period != PeriodKind::None || per.period == PeriodKind::None)
          report("{}: its values per sub-period must be those of a periodic node (\"{}\"), for a node of the whole period",
                 where, per.name);
      }
    }
    check_parent_cycles();
  }

  // Parents form a forest: walking up from any node must end. Each node is walked once.
  void check_parent_cycles() {
    enum : uint8_t { kUnseen, kOnPath, kDone };
    std::vector<uint8_t> state(p_.nodes.size(), kUnseen);
    std::vector<size_t> path;
    for (size_t start = 0; start < p_.nodes.size(); ++start) {
      path.clear();
      for (size_t i = start;;) {
        if (state[i] == kOnPath) report("node \"{}\": its chain of parents loops back to it", p_.nodes[i].name);
        if (state[i] != kUnseen) break;
        state[i] = kOnPath;
        path.push_back(i);
        const int32_t parent = p_.nodes[i].parent;
        if (parent < 0 || static_cast<size_t>(parent) >= p_.nodes.size()) break;
        i = static_cast<size_t>(parent);
      }
      for (size_t i : path) state[i] = kDone;
    }
  }

  void check_steps() {
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      const Step& s = p_.steps[i];
      const std::string where = fmt::format("step {}", i);
      const size_t nodes = p_.nodes.size();
      switch (s.kind) {
        case StepKind::UnitCode:
          check_code({where, s.code, nullptr, s.period});
          break;
        case StepKind::Mean:
          check_index(where + " condition", "node", s.condition, nodes);
          [[fallthrough]];
        case StepKind::Rank:
        case StepKind::Aggregate:
          check_index(where + " input", "node", s.input, nodes);
          check_index(where + " output", "node", s.output, nodes);
          break;
      }
      if (s.filter >= 0) check_index(where + " filter", "node", static_cast<uint32_t>(s.filter), nodes);
      if (s.rank_node >= 0) check_index(where + " rank", "node", static_cast<uint32_t>(s.rank_node), nodes);
      if (s.scope == ScopeKind::UnitSet) check_index(where + " scope", "unit set", s.scope_set, p_.unit_sets.size());
      check_rational(where + " skip value", s.skip);
      static constexpr const char* kPlaces[] = {"rank", "the top", "the bottom", "the bottom percent"};
      for (const auto& a : s.awards) {
        if (static_cast<size_t>(a.kind) >= std::size(kPlaces)) continue;  // the reader refuses unknown kinds
        const std::string award = fmt::format("{} award for {} {}", where, kPlaces[static_cast<size_t>(a.kind)], a.n);
        check_rational(award, a.amount);
        // The compiler's own limits; they also keep the VM's rank arithmetic far from overflow.
        const int64_t most = a.kind == AwardKind::BottomPercent ? 100 : kMaxAwardPlaces;
        if (a.n < 1 || a.n > most) report("{}: the number must be from 1 to {}", award, most);
      }
    }
  }

  void check_constants() {
    for (size_t i = 0; i < p_.constants.size(); ++i) check_rational(fmt::format("constant {}", i), p_.constants[i]);
  }

  // Lookups find the entry for an offset by bisection, so offsets must increase.
  void check_lines() {
    for (size_t i = 0; i < p_.lines.size(); ++i) {
      const uint32_t offset = p_.lines[i].offset;
      if (offset >= p_.code.size())
        report("line entry {}: offset {} lies outside the code ({})", i, offset, count_of(p_.code.size(), "byte"));
      else if (i > 0 && offset <= p_.lines[i - 1].offset)
        report("line entry {}: offset {} does not come after the previous entry's", i, offset);
    }
  }

  void check_results() {
    const size_t nodes = p_.nodes.size();
    check_index("the score", "node", p_.score_node, nodes);
    check_index("the veto flag", "node", p_.vetoed_node, nodes);
    for (uint32_t n : p_.categories) check_index("the category list", "node", n, nodes);
    for (uint32_t n : p_.outputs) check_index("the output list", "node", n, nodes);
    for (uint32_t n : p_.indicators) check_index("the indicator list", "node", n, nodes);
    if (p_.assessed_node >= 0) check_index("who is assessed", "node", static_cast<uint32_t>(p_.assessed_node), nodes);
    // Steps taken over each unit's own class (本类) read every unit's class.
    const bool classes_used = std::any_of(p_.steps.begin(), p_.steps.end(),
                                          [](const Step& st) { return st.scope == ScopeKind::OwnClass; });
    if ((classes_used || !p_.unit_class.empty()) && p_.unit_class.size() != p_.units.size())
      report("the unit classes: {} for {}", count_of(p_.unit_class.size(), "entry"), count_of(p_.units.size(), "unit"));
    for (int32_t c : p_.unit_class)
      if (c < -1 || (c >= 0 && static_cast<size_t>(c) >= p_.unit_sets.size()))
        report("the unit classes: unit set {} is out of range ({})", c, count_of(p_.unit_sets.size(), "unit set"));
    for (const auto& g : p_.grades) check_rational(fmt::format("grade {}", g.name), g.low);
    if (p_.decimals > kMaxRoundPlaces) report("the outputs' decimals: {} is more than {}", p_.decimals, kMaxRoundPlaces);
    if ((!p_.unit_from.empty() || !p_.unit_until.empty()) &&
        (p_.unit_from.size() != p_.units.size() || p_.unit_until.size() != p_.units.size()))
      report("the units' dates: {} and {} for {}", count_of(p_.unit_from.size(), "start"),
             count_of(p_.unit_until.size(), "end"), count_of(p_.units.size(), "unit"));
    for (size_t u = 0; u < p_.unit_from.size() && u < p_.unit_until.size(); ++u) {
      // Sub-period means count the periods a unit existed in, from these days.
      // A unit with no 设立 (撤销) date holds the lowest (highest) day number there is.
      const int32_t from = p_.unit_from[u], until = p_.unit_until[u];
      const std::string unit = fmt::format("unit \"{}\"", u < p_.units.size() ? p_.units[u] : std::string("?"));
      const bool from_ok = from == INT32_MIN || check_day(unit + " set up (设立)", from);
      const bool until_ok = until == INT32_MAX || check_day(unit + " closed (撤销)", until);
      if (from_ok && until_ok && from > until)
        report("{}: it is set up after it is closed", unit);
    }
    for (size_t g = 0; g < p_.grades.size(); ++g) {
      // Bands are tried in order, highest first; only the last may have no lower bound.
      const GradeBand& band = p_.grades[g];
      if (!band.has_low && g + 1 < p_.grades.size())
        report("grade {}: a band without a lower bound must be the last", band.name);
      const bool comparable = band.low.den > 0 && g > 0 && p_.grades[g - 1].low.den > 0;  // else reported above
      if (comparable && band.has_low && p_.grades[g - 1].has_low && !(band.low < p_.grades[g - 1].low))
        report("grade {}: its lower bound {} is not below the previous band's ({})", band.name, format_decimal(band.low),
               format_decimal(p_.grades[g - 1].low));
    }
    // Cross-unit steps read per-unit values only.
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      const Step& st = p_.steps[i];
      if (st.kind == StepKind::UnitCode) continue;
      for (uint32_t n : {st.input, st.output, st.condition})
        if (n < nodes && p_.nodes[n].period != PeriodKind::None)
          report("step {}: a cross-unit step cannot use periodic node {}", i, n);
      for (int32_t n : {st.filter, st.rank_node})
        if (n >= 0 && static_cast<size_t>(n) < nodes && p_.nodes[static_cast<size_t>(n)].period != PeriodKind::None)
          report("step {}: a cross-unit step cannot use periodic node {}", i, n);
    }
  }

  // ---- code blocks

  void check_code(const CodeContext& ctx) {
    std::vector<Instruction> block;
    if (!check_range(ctx) || !decode_block(ctx, block)) return;
    const size_t before = problems_.size();
    for (const Instruction& ins : block) check_instruction(ctx, block, ins);
    if (block.back().op != Op::HALT) report("{}: the code block does not end with HALT", ctx.where);
    // Stack depths are only meaningful once every jump is known to land on an instruction.
    if (problems_.size() == before) check_stack(ctx, block);
  }

  bool check_range(const CodeContext& ctx) {
    const CodeRange r = ctx.range;
    if (r.begin > r.end || r.end > p_.code.size()) {
      report("{}: code range [{}, {}) lies outside the code ({})", ctx.where, r.begin, r.end,
             count_of(p_.code.size(), "byte"));
      return false;
    }
    if (r.begin == r.end) {
      report("{}: the code block is empty (it must end with HALT)", ctx.where);
      return false;
    }
    return true;
  }

  bool decode_block(const CodeContext& ctx, std::vector<Instruction>& block) {
    for (uint32_t offset = ctx.range.begin; offset < ctx.range.end;) {
      Instruction ins;
      switch (decode_instruction(p_.code, offset, ctx.range.end, ins)) {
        case DecodeStatus::Ok:
          break;
        case DecodeStatus::BadOpcode:
          report("{} at {:04}: unknown opcode 0x{:02X}", ctx.where, offset, p_.code[offset]);
          return false;
        case DecodeStatus::Truncated:
          report("{} at {:04}: {} runs past the end of the code block", ctx.where, offset, kOpNames[p_.code[offset]]);
          return false;
      }
      block.push_back(ins);
      offset = ins.next();
    }
    return true;
  }

  void check_instruction(const CodeContext& ctx, const std::vector<Instruction>& block, const Instruction& ins) {
    const std::string where = fmt::format("{} at {:04}", ctx.where, ins.offset);
    const OpSemantics sem = op_semantics(ins.op);
    const char* name = kOpNames[static_cast<int>(ins.op)];
    if (sem.phase == OpPhase::Records && !ctx.event)
      report("{}: {} needs a current record, which unit code (phase 2) does not have", where, name);
    if (sem.phase == OpPhase::Units && ctx.event)
      report("{}: {} needs a unit's finished values, which handler code (phase 1) does not have", where, name);
    for (int i = 0; i < ins.operand_count; ++i) check_operand(ctx, block, ins, sem, i, where);
    check_periods(ctx, ins, where);
  }

  // Periodic values hold one slot per unit and sub-period: an instruction may only index
  // them as the sub-period of its code, or of the record, allows.
  void check_periods(const CodeContext& ctx, const Instruction& ins, const std::string& where) {
    const char* name = kOpNames[static_cast<int>(ins.op)];
    const auto operand = [&](int i) { return static_cast<uint32_t>(ins.operands[i]); };
    const auto acc_period = [&](uint32_t a) { return a < p_.accumulators.size() ? p_.accumulators[a].period : PeriodKind::None; };
    const auto node_period = [&](uint32_t n) { return n < p_.nodes.size() ? p_.nodes[n].period : PeriodKind::None; };
    switch (ins.op) {
      case Op::ACC_ADD_P:
      case Op::ACC_KEY_ADD_P:
      case Op::ACC_KEY_MAX_P:
        if (acc_period(operand(0)) == PeriodKind::None) report("{}: {} needs a periodic accumulator", where, name);
        break;
      case Op::ACC_ADD:
      case Op::ACC_KEY_ADD:
      case Op::ACC_KEY_MAX:
      case Op::ACC_KEY_MARK:
      case Op::ACC_DAY_MARK:
      case Op::ACC_DAY_FLAG:
      case Op::ACC:
        if (acc_period(operand(0)) != PeriodKind::None) report("{}: {} cannot use a periodic accumulator", where, name);
        break;
      case Op::PERIOD_ACC:
        if (ctx.period == PeriodKind::None || acc_period(operand(0)) != ctx.period)
          report("{}: {} needs code run per sub-period and an accumulator of the same sub-periods", where, name);
        break;
      case Op::PERIOD_NODE:
      case Op::PERIOD_STORE:
        if (ctx.period == PeriodKind::None || node_period(operand(0)) != ctx.period)
          report("{}: {} needs code run per sub-period and a node of the same sub-periods", where, name);
        break;
      case Op::NODE:
      case Op::STORE:
        if (node_period(operand(0)) != PeriodKind::None) report("{}: {} cannot use a periodic node", where, name);
        break;
      case Op::PERIOD_SUM:
      case Op::PERIOD_MEAN:
        if (ctx.period != PeriodKind::None || node_period(operand(0)) == PeriodKind::None)
          report("{}: {} needs a periodic node, in code run once per unit", where, name);
        else if (ins.op == Op::PERIOD_MEAN && operand(1) == 1 && acc_period(operand(2)) != node_period(operand(0)))
          report("{}: {} needs an accumulator of the node's sub-periods", where, name);
        break;
      default:
        break;
    }
  }

  void check_operand(const CodeContext& ctx, const std::vector<Instruction>& block, const Instruction& ins,
                     const OpSemantics& sem, int i, const std::string& where) {
    const auto index = static_cast<uint32_t>(ins.operands[i]);  // 'u' operands are never negative
    switch (sem.operands[i]) {
      case OperandRef::None:
        break;
      case OperandRef::Constant:
        check_index(where, "constant", index, p_.constants.size());
        break;
      case OperandRef::Param:
        check_index(where, "parameter", index, p_.params.size());
        break;
      case OperandRef::Node:
        check_index(where, "node", index, p_.nodes.size());
        break;
      case OperandRef::UnitSet:
        check_index(where, "unit set", index, p_.unit_sets.size());
        break;
      case OperandRef::ValueSet:
        check_index(where, "value set", index, p_.value_sets.size());
        break;
      case OperandRef::Coverage:
        check_index(where, "coverage point", index, p_.coverage.size());
        break;
      case OperandRef::Field:
        check_field_operand(ctx, index, where);
        break;
      case OperandRef::Accumulator:
        check_accumulator_operand(ctx, ins, sem, index, where);
        break;
      case OperandRef::Jump:
        check_jump(ctx, block, ins.jump_target(i), where);
        break;
      case OperandRef::RoundMode:
        if (index > static_cast<uint32_t>(RoundMode::Down)) report("{}: rounding mode {} is unknown", where, index);
        break;
      case OperandRef::PeriodMode:
        if (index > 2) report("{}: sub-period mean mode {} is unknown", where, index);
        break;
      case OperandRef::RoundPlaces:
        if (index > kMaxRoundPlaces) report("{}: {} decimals is more than ROUND keeps ({})", where, index, kMaxRoundPlaces);
        break;
    }
  }

  void check_field_operand(const CodeContext& ctx, uint32_t slot, const std::string& where) {
    if (!check_index(where, "field", slot, kMaxFields) || !ctx.event) return;
    if (slot >= ctx.event->fields.size())
      report("{}: field {} is out of range (event type \"{}\" has {})", where, slot, ctx.event->name,
             count_of(ctx.event->fields.size(), "field"));
  }

  void check_accumulator_operand(const CodeContext& ctx, const Instruction& ins, const OpSemantics& sem, uint32_t index,
                                 const std::string& where) {
    if (!check_index(where, "accumulator", index, p_.accumulators.size())) return;
    const AccumulatorDef& a = p_.accumulators[index];
    if (sem.acc_kind && a.kind != *sem.acc_kind) {
      report("{}: {} needs a {} accumulator, but accumulator {} (\"{}\") is {}", where,
             kOpNames[static_cast<int>(ins.op)], acc_kind_name(*sem.acc_kind), index, a.description.en,
             acc_kind_name(a.kind));
      return;
    }
    // Day accumulators keep one slot per row of their table: the record's row must be one.
    const bool per_row = a.kind == AccKind::DayGaps || a.kind == AccKind::DayStreak;
    if (per_row && ctx.event && sem.acc_kind) {
      const EventTypeDef& e = *ctx.event;
      const bool keyed = e.key_field >= 0 && static_cast<size_t>(e.key_field) < e.fields.size() &&
                         e.fields[e.key_field].ref == a.table;
      if (!keyed)
        report(
            "{}: accumulator {} (\"{}\") tracks rows of table {}, but records of event type \"{}\" are not keyed by it",
            where, index, a.description.en, a.table, e.name);
    }
  }

  void check_jump(const CodeContext& ctx, const std::vector<Instruction>& block, int64_t target,
                  const std::string& where) {
    if (target < ctx.range.begin || target >= ctx.range.end)
      report("{}: jump target {:04} is outside the code block [{:04}, {:04})", where, target, ctx.range.begin,
             ctx.range.end);
    else if (instruction_at(block, target) < 0)
      report("{}: jump target {:04} is not the start of an instruction", where, target);
  }

  // Abstract interpretation over stack depths: every instruction must see one depth
  // whichever path reaches it, never pop more than that depth, and never exceed the
  // limit. Instructions no path reaches are not checked.
  void check_stack(const CodeContext& ctx, const std::vector<Instruction>& block) {
    std::vector<int64_t> depth(block.size(), -1);
    std::vector<size_t> work{0};
    depth[0] = 0;
    while (!work.empty()) {
      const size_t i = work.back();
      work.pop_back();
      const Instruction& ins = block[i];
      const OpSemantics sem = op_semantics(ins.op);
      if (depth[i] < sem.pops) {
        report("{} at {:04}: stack underflow: {} pops {} but the stack holds {}", ctx.where, ins.offset,
               kOpNames[static_cast<int>(ins.op)], count_of(sem.pops, "value"), depth[i]);
        return;
      }
      const int64_t after = depth[i] - sem.pops + sem.pushes;
      if (after > kMaxStackDepth) {
        report("{} at {:04}: the stack grows beyond {} values", ctx.where, ins.offset, kMaxStackDepth);
        return;
      }
      for (int64_t next : successors(block, i)) {
        if (next < 0) continue;
        if (depth[next] < 0) {
          depth[next] = after;
          work.push_back(static_cast<size_t>(next));
        } else if (depth[next] != after) {
          report("{} at {:04}: the stack holds {} on one path here and {} on another", ctx.where, block[next].offset,
                 count_of(depth[next], "value"), after);
          return;
        }
      }
    }
  }

  // The instructions that can run after block[i] (-1 marks no successor). Only JUMP and
  // HALT do not fall through; the block ends with HALT, so falling through stays inside.
  static std::array<int64_t, 2> successors(const std::vector<Instruction>& block, size_t i) {
    const Instruction& ins = block[i];
    std::array<int64_t, 2> next{-1, -1};
    if (ins.op != Op::JUMP && ins.op != Op::HALT) next[0] = static_cast<int64_t>(i) + 1;
    const OpSemantics sem = op_semantics(ins.op);
    for (int k = 0; k < ins.operand_count; ++k) {
      if (sem.operands[k] == OperandRef::Jump) next[1] = instruction_at(block, ins.jump_target(k));
    }
    return next;
  }

  const Program& p_;
  std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> verify(const Program& p) { return Verifier(p).run(); }

}  // namespace rb
