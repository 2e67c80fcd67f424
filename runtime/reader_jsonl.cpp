// JSON Lines: one JSON object per line, parsed with simdjson's On Demand API; each object's
// known fields go into the validator's values.
#include <fmt/format.h>

#include "reader_impl.hpp"

namespace rb {

namespace {

std::string_view trim_json_ws(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_blank_line(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// A key or string as written, from just after its opening quote (in the line itself, which
// outlives the record), when it has no escape to undo; false when it has one.
bool unescaped_in_place(const char* p, std::string_view& out) {
  const char* q = p;
  while (*q != '"') {
    if (*q == '\\') return false;
    ++q;
  }
  out = std::string_view(p, static_cast<size_t>(q - p));
  return true;
}

// What is wrong with the JSON: simdjson's words in English, ours in Chinese.
std::string json_problem(simdjson::error_code err) {
  if (language() == Lang::En) return simdjson::error_message(err);
  switch (err) {
    case simdjson::TAPE_ERROR: return rb::text(Msg::json_structure);
    case simdjson::STRING_ERROR:
    case simdjson::UNCLOSED_STRING: return rb::text(Msg::json_string);
    case simdjson::UNESCAPED_CHARS: return rb::text(Msg::json_control_character);
    case simdjson::UTF8_ERROR: return rb::text(Msg::json_utf8);
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE: return rb::text(Msg::json_number);
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return rb::text(Msg::json_literal);
    case simdjson::DEPTH_ERROR: return rb::text(Msg::json_depth);
    default: return tr(Msg::json_other, static_cast<int>(err));
  }
}

}  // namespace

// Collects the known fields of one JSON object into `values`; false when the line is not
// a usable JSON object (the error is reported).
bool EventReader::Impl::fill_json(const char* p, size_t len, size_t capacity) {
  od::document doc;
  auto err = parser.iterate(p, len, capacity).get(doc);
  if (err) {
    report(line, [&] { return tr(Msg::json_invalid, json_problem(err)); });
    return false;
  }
  od::object obj;
  err = doc.get_object().get(obj);
  if (err) {
    report(line, [&] {
      if (err == simdjson::INCORRECT_TYPE) return std::string(rb::text(Msg::json_not_object));
      return tr(Msg::json_invalid, json_problem(err));
    });
    return false;
  }
  // A scalar whose literal is malformed (tru, nul, 01, 1.): simdjson's own message for
  // these ("does not have the requested type") would mislead, so name the token.
  std::string_view bad_token;
  std::string_view bad_key;
  auto bad_literal = [&](std::string_view key, od::value& v) {
    bad_key = key;
    bad_token = trim_json_ws(v.raw_json_token());
    return simdjson::INCORRECT_TYPE;
  };
  auto one_field = [&](od::field& field) -> simdjson::error_code {
    // Keys without escapes (all of them, in practice) are not copied out.
    std::string_view key;
    if (!unescaped_in_place(field.key().raw(), key))
      if (auto e = field.unescaped_key().get(key)) return e;
    od::value v = field.value();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    const int64_t found = name_ids.find(key);
    const uint32_t id = found < 0 ? UINT32_MAX : static_cast<uint32_t>(found);
    bool fresh = true;
    switch (t) {
      case od::json_type::string: {
        if (id == UINT32_MAX) break;  // an ignored string is skipped unread
        // As written between its quotes unless it has escapes (then simdjson undoes them).
        std::string_view s = trim_json_ws(v.raw_json_token());
        if (!unescaped_in_place(s.data() + 1, s))
          if (auto e = v.get_string().get(s)) return e;
        fresh = set_value(id, VKind::String, s);
        break;
      }
      case od::json_type::number: {
        std::string_view token = trim_json_ws(v.raw_json_token());
        if (!json_number_ok(token)) return bad_literal(key, v);
        if (id != UINT32_MAX) fresh = set_value(id, VKind::Number, token);
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (v.get_bool().get(b)) return bad_literal(key, v);
        if (id != UINT32_MAX) fresh = set_value(id, VKind::Other, {}, rb::text(Msg::value_boolean));
        break;
      }
      case od::json_type::null: {
        bool n = false;
        if (v.is_null().get(n) || !n) return bad_literal(key, v);
        if (id != UINT32_MAX) fresh = set_value(id, VKind::Absent, {});
        break;
      }
      case od::json_type::array:
        if (id != UINT32_MAX) fresh = set_value(id, VKind::Other, {}, rb::text(Msg::value_array));
        break;
      case od::json_type::object:
        if (id != UINT32_MAX) fresh = set_value(id, VKind::Other, {}, rb::text(Msg::value_object));
        break;
    }
    if (!fresh) report(line, [&] { return tr(Msg::json_field_twice, names[id]); });
    return simdjson::SUCCESS;
  };
  for (auto result : obj) {
    od::field field;
    err = std::move(result).get(field);
    if (!err) err = one_field(field);
    if (err) break;
  }
  if (err) {
    report(line, [&] {
      if (!bad_token.empty() || !bad_key.empty())
        return tr(Msg::json_bad_value, show(bad_token), show(bad_key));
      return tr(Msg::json_invalid, json_problem(err));
    });
    return false;
  }
  const char* at = nullptr;
  if (!doc.current_location().get(at)) {
    report(line, [] { return std::string(rb::text(Msg::json_text_after)); });
    return false;
  }
  return true;
}

// Reads whole lines; `first_line` is the number of the line before data (0 at the start
// of a file, where a byte order mark is skipped). Returns the number of the last line.
uint32_t EventReader::Impl::read_jsonl(const char* data, size_t size, size_t allocated, const FileCtx& ctx, RecordSink& sink,
                    uint32_t first_line) {
  size_t pos = 0;
  if (first_line == 0 && size >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  uint32_t line_no = first_line;
  while (pos < size) {
    ++line_no;
    const void* nl = std::memchr(data + pos, '\n', size - pos);
    const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : size;
    size_t e = end;
    if (e > pos && data[e - 1] == '\r') --e;
    std::string_view text(data + pos, e - pos);
    if (!is_blank_line(text)) {
      begin_record(line_no);
      rec.file = ctx.index;
      rec.line = line_no;
      if (fill_json(data + pos, e - pos, allocated - pos)) validate();
      finish_record(text, ctx, sink);
    }
    pos = end + 1;
  }
  return line_no;
}

}  // namespace rb
