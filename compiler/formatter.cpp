// The formatter is a layout pass over the token stream of a source the real parser accepted.
// It never rebuilds text from the AST: it keeps every token (in its canonical spelling),
// every comment and every line break, and only decides the blanks between tokens. The parse
// tree says what the blanks cannot: where the entries of a { } list start, which '-' is a
// sign, which '(' opens an argument list. Tables, event heads and field lines are aligned
// before the lines are laid out; trailing comments after.
#include "formatter.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tao/pegtl/contrib/parse_tree.hpp>
#include <utility>
#include <vector>

#include "../grammar/rulebook_grammar.hpp"
#include "parser.hpp"

namespace rb {
namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;
namespace pt = tao::pegtl::parse_tree;
using Node = pt::node;

// ------------------------------------------------------------------------------ UTF-8

// Decodes the code point at `i` and moves `i` past it. Code is only decoded where the parser
// has already checked the encoding (comments are copied as bytes), so a malformed sequence
// cannot occur; it would be read as one byte rather than overrun the text.
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (i + length > s.size()) {
    ++i;
    return lead;
  }
  char32_t c = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += length;
  return c;
}

// East Asian Wide and Fullwidth code points: two columns in a terminal and in an editor's
// monospaced font, so alignment counts them twice.
bool is_wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
         (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
         (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

size_t display_width(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) width += is_wide(next_code_point(s, i)) ? 2 : 1;
  return width;
}

// The grammar's name_char: ASCII letters, digits and '_', and every non-ASCII code point but
// the Chinese punctuation, the ideographic space and the signs ≤ ≥ ≠.
bool is_name_char(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  static constexpr char32_t punctuation[] = {U'，', U'。', U'：', U'；', U'（', U'）', U'【',  U'】', U'、', U'“', U'”',
                                             U'‘',  U'’',  U'《', U'》', U'！', U'？', 0x3000, U'≤',  U'≥',  U'≠'};
  return std::find(std::begin(punctuation), std::end(punctuation), c) == std::end(punctuation);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ------------------------------------------------------------------------------ tokens

enum class TokenKind { Word, Literal, Quoted, Punctuation };

struct Token {
  TokenKind kind = TokenKind::Punctuation;
  std::string text;  // as written, except '：' and '，', which become ':' and ','
  size_t offset = 0;
  size_t line = 0;              // 0-based
  bool opens = false;           // '{' or '('
  bool closes = false;          // '}' or ')'
  bool entry = false;           // starts an entry of a { } list, other than the first
  bool tight = false;           // a '(' laid against the word before it
  bool sign = false;            // a unary minus
  bool display = false;         // a display name, laid after its code with one space
  std::optional<size_t> align;  // the column, from the line's indentation, it is aligned to

  bool is(std::string_view punctuation) const { return kind == TokenKind::Punctuation && text == punctuation; }
};

struct SourceLine {
  std::vector<size_t> tokens;          // indices into Lexed::tokens
  std::optional<std::string> comment;  // from '#', trailing blanks removed
  bool blank() const { return tokens.empty() && !comment; }
};

struct Lexed {
  bool byte_order_mark = false;
  std::vector<Token> tokens;
  std::vector<SourceLine> lines;  // one per line of the source
};

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";

std::string without_trailing_blanks(std::string text) {
  for (;;) {
    if (!text.empty() && std::string_view(" \t\r\f\v").find(text.back()) != std::string_view::npos) {
      text.pop_back();
    } else if (text.size() >= kIdeographicSpace.size() && text.ends_with(kIdeographicSpace)) {
      text.resize(text.size() - kIdeographicSpace.size());
    } else {
      return text;
    }
  }
}

// Splits a source into tokens the way the grammar does (blanks and comments separate them;
// a keyword is a word like any other) and records which line holds each token and comment.
Lexed lex(std::string_view src) {
  Lexed out;
  out.lines.emplace_back();
  size_t i = 0;
  if (src.starts_with(kByteOrderMark)) {
    out.byte_order_mark = true;
    i = kByteOrderMark.size();
  }
  while (i < src.size()) {
    const char c = src[i];
    if (c == '\n') {
      out.lines.emplace_back();
      ++i;
      continue;
    }
    if (std::string_view(" \t\r\f\v").find(c) != std::string_view::npos) {
      ++i;
      continue;
    }
    if (src.substr(i).starts_with(kIdeographicSpace)) {
      i += kIdeographicSpace.size();
      continue;
    }
    if (c == '#') {
      const size_t end = std::min(src.find('\n', i), src.size());
      out.lines.back().comment = without_trailing_blanks(std::string(src.substr(i, end - i)));
      i = end;
      continue;
    }
    Token t;
    t.offset = i;
    t.line = out.lines.size() - 1;
    size_t end = i + 1;
    if (c == '"') {
      t.kind = TokenKind::Quoted;
      while (end < src.size() && src[end] != '"' && src[end] != '\n') end += src[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, src.size());
    } else if (is_digit(c)) {
      t.kind = TokenKind::Literal;
      const auto digits_at = [&](size_t from, size_t n) {
        if (from + n > src.size()) return false;
        return std::all_of(src.begin() + static_cast<std::ptrdiff_t>(from),
                           src.begin() + static_cast<std::ptrdiff_t>(from + n), is_digit);
      };
      if (digits_at(i, 4) && i + 10 <= src.size() && src[i + 4] == '-' && digits_at(i + 5, 2) && src[i + 7] == '-' &&
          digits_at(i + 8, 2)) {
        end = i + 10;  // a date
      } else {
        while (end < src.size() && is_digit(src[end])) ++end;
        if (end + 1 < src.size() && src[end] == '.' && is_digit(src[end + 1])) {
          ++end;
          while (end < src.size() && is_digit(src[end])) ++end;
        }
      }
    } else {
      size_t next = i;
      const char32_t first = next_code_point(src, next);
      end = next;
      if (is_name_char(first)) {
        t.kind = TokenKind::Word;
        for (size_t at = end; at < src.size(); end = at) {
          if (!is_name_char(next_code_point(src, at))) break;
        }
      } else if (src.substr(i, 2) == "->" || src.substr(i, 2) == "<=" || src.substr(i, 2) == ">=" ||
                 src.substr(i, 2) == "!=") {
        end = i + 2;
      }
    }
    t.text = std::string(src.substr(i, end - i));
    if (t.kind == TokenKind::Punctuation) {
      if (t.text == "：") t.text = ":";
      if (t.text == "，") t.text = ",";
      t.opens = t.text == "{" || t.text == "(";
      t.closes = t.text == "}" || t.text == ")";
    }
    out.lines.back().tokens.push_back(out.tokens.size());
    out.tokens.push_back(std::move(t));
    i = end;
  }
  return out;
}

// ------------------------------------------------------------------ what the parse says

// The parse-tree nodes the layout needs: every construct with a { } list, its braces and
// its entries, plus the tokens whose spacing depends on their role. The name must differ
// from the parser's selector: GCC gives templates instantiated with an alias template from
// an unnamed namespace vague linkage, so two such aliases of one name in two files collide.
template <typename Rule>
using layout_nodes =
    pt::selector<Rule, pt::store_content::on<
                           // Constructs with a { } list.
                           g::units, g::unit_group, g::enum_decl, g::in_set_tail, g::by_value, g::take_highest_tail,
                           g::rank, g::table_rows, g::event_type, g::item, g::group, g::veto_category,
                           g::deduction_category, g::bonus_category, g::points_category, g::grades,
                           // Their braces.
                           g::list_open, g::list_close, g::set_open, g::set_close, g::arms_open, g::arms_close,
                           g::rows_open, g::rows_close, g::fields_open, g::fields_close, g::item_open, g::item_close,
                           g::group_open, g::group_close, g::category_open, g::category_close, g::veto_close,
                           g::grades_open, g::grades_close,
                           // Entries of the lists (items and groups are entries too); in name lists every
                           // name is an entry.
                           g::value_arm, g::otherwise_arm, g::highest_arm, g::award, g::table_row, g::field,
                           g::unique_clause, g::term, g::substitution, g::grade_band,
                           // Tokens spaced by their role.
                           g::negative_sign, g::call_open, g::key_fields, g::display_name>>;

template <typename... Rules>
bool is_one_of(const Node& n) {
  return (n.is_type<Rules>() || ...);
}

bool is_container(const Node& n) {
  return is_one_of<g::units, g::unit_group, g::enum_decl, g::in_set_tail, g::by_value, g::take_highest_tail, g::rank,
                   g::table_rows, g::event_type, g::item, g::group, g::veto_category, g::deduction_category,
                   g::bonus_category, g::points_category, g::grades>(n);
}
bool is_name_list(const Node& n) { return is_one_of<g::units, g::unit_group, g::enum_decl, g::in_set_tail>(n); }
bool is_open(const Node& n) {
  return is_one_of<g::list_open, g::set_open, g::arms_open, g::rows_open, g::fields_open, g::item_open, g::group_open,
                   g::category_open, g::grades_open>(n);
}
bool is_close(const Node& n) {
  return is_one_of<g::list_close, g::set_close, g::arms_close, g::rows_close, g::fields_close, g::item_close,
                   g::group_close, g::category_close, g::veto_close, g::grades_close>(n);
}
bool is_entry(const Node& n) {
  return is_one_of<g::value_arm, g::otherwise_arm, g::highest_arm, g::award, g::table_row, g::field, g::unique_clause,
                   g::term, g::substitution, g::item, g::group, g::grade_band>(n);
}

// A table body and an event type, by their tokens, for alignment.
struct TableRows {
  std::vector<size_t> rows;  // the first token of each row
};
struct EventDecl {
  size_t keyword = 0;          // 事件
  size_t open = 0;             // its '{'
  std::vector<size_t> fields;  // the first token (the name) of each field
};

struct Structure {
  std::vector<TableRows> tables;
  std::vector<EventDecl> events;
};

class StructureReader {
 public:
  explicit StructureReader(std::vector<Token>& tokens) : tokens_(tokens) {}

  Structure read(const Node& root) {
    visit(root);
    return std::move(found_);
  }

 private:
  // The token that starts at `node`; every selected node starts at a token.
  std::optional<size_t> token_at(const Node& node) const {
    const size_t offset = node.m_begin.byte;
    const auto it = std::lower_bound(tokens_.begin(), tokens_.end(), offset,
                                     [](const Token& t, size_t at) { return t.offset < at; });
    if (it == tokens_.end() || it->offset != offset) return std::nullopt;
    return static_cast<size_t>(it - tokens_.begin());
  }

  void visit(const Node& n) {
    if (!n.is_root()) {
      if (is_one_of<g::negative_sign>(n)) mark(n, &Token::sign);
      if (is_one_of<g::call_open, g::key_fields>(n)) mark(n, &Token::tight);
      if (is_one_of<g::display_name>(n)) mark(n, &Token::display);
    }
    for (const auto& child : n.children) visit(*child);
    if (!n.is_root() && is_container(n)) container(n);  // after the children, whose display names it skips
  }

  void mark(const Node& n, bool Token::*flag) {
    if (const auto at = token_at(n)) tokens_[*at].*flag = true;
  }

  void container(const Node& n) {
    std::optional<size_t> open, close;
    for (const auto& child : n.children) {
      if (is_open(*child) && !open) open = token_at(*child);
      if (is_close(*child)) close = token_at(*child);
    }
    if (!open || !close) return;
    std::vector<size_t> entries;
    if (is_name_list(n)) {
      for (size_t k = *open + 1; k < *close; ++k) {
        if (!tokens_[k].is(",") && !tokens_[k].display) entries.push_back(k);
      }
    } else {
      for (const auto& child : n.children) {
        const auto at = is_entry(*child) ? token_at(*child) : std::nullopt;
        if (at && *at > *open && *at < *close) entries.push_back(*at);
      }
    }
    for (size_t k = 1; k < entries.size(); ++k) tokens_[entries[k]].entry = true;
    if (is_one_of<g::table_rows>(n)) found_.tables.push_back({entries});
    if (is_one_of<g::event_type>(n)) {
      EventDecl event{token_at(n).value_or(0), *open, {}};
      for (const auto& child : n.children) {
        if (is_one_of<g::field>(*child)) {
          if (const auto at = token_at(*child)) event.fields.push_back(*at);
        }
      }
      if (token_at(n)) found_.events.push_back(std::move(event));
    }
  }

  std::vector<Token>& tokens_;
  Structure found_;
};

// ----------------------------------------------------------------------------- alignment

class Aligner {
 public:
  explicit Aligner(Lexed& lexed) : tokens_(lexed.tokens), lines_(lexed.lines) {
    // The bracket depth at the start of each line: a declaration starts at depth 0.
    size_t depth = 0;
    for (const auto& line : lines_) {
      depth_.push_back(depth);
      for (size_t k : line.tokens) {
        if (tokens_[k].opens) ++depth;
        if (tokens_[k].closes && depth > 0) --depth;
      }
    }
  }

  // The '{' of consecutive one-line `事件 NAME {` heads, in one column. Comment lines and the
  // lines inside an event do not end the run; a blank line or another declaration does.
  void event_heads(const std::vector<EventDecl>& events) {
    std::vector<const EventDecl*> head_at(lines_.size(), nullptr);
    for (const auto& e : events) {
      const size_t line = tokens_[e.keyword].line;
      if (starts_line(e.keyword) && e.open == e.keyword + 2 + named(e.keyword + 1) && tokens_[e.open].line == line)
        head_at[line] = &e;
    }
    std::vector<const EventDecl*> run;
    const auto flush = [&] {
      size_t widest = 0;
      for (const auto* e : run) widest = std::max(widest, width_with_display(e->keyword + 1));
      if (run.size() > 1) {
        for (const auto* e : run) tokens_[e->open].align = width(e->keyword) + 1 + widest + 1;
      }
      run.clear();
    };
    for (size_t line = 0; line < lines_.size(); ++line) {
      if (lines_[line].blank()) {
        flush();
      } else if (head_at[line] != nullptr) {
        run.push_back(head_at[line]);
      } else if (!lines_[line].tokens.empty() && depth_[line] == 0) {
        flush();
      }
    }
    flush();
  }

  // The field lines `name: type` of an event body that follow each other (comment lines
  // between them allowed): their types in one column.
  void fields(const EventDecl& event) {
    std::vector<size_t> run;  // the name token of each field line
    const auto flush = [&] {
      size_t widest = 0;
      for (size_t name : run) widest = std::max(widest, width_with_display(name));
      if (run.size() > 1) {
        for (size_t name : run) tokens_[name + 2 + named(name)].align = widest + 2;  // name, ':', a space
      }
      run.clear();
    };
    for (size_t name : event.fields) {
      const size_t type = name + 2 + named(name);
      const bool field_line = starts_line(name) && type < tokens_.size() && tokens_[type].line == line_of(name);
      if (!field_line) {
        flush();
        continue;
      }
      if (!run.empty() && !only_comments_between(line_of(run.back()), line_of(name))) flush();
      run.push_back(name);
    }
    flush();
  }

  // The rows of a table that start a line with all their keys and the '->' on it: every key
  // column as wide as its widest key, two spaces between the columns and before the '->'.
  void table(const TableRows& table) {
    struct Row {
      size_t first, arrow;
    };
    std::vector<Row> rows;
    std::vector<size_t> widths;
    for (size_t first : table.rows) {
      if (!starts_line(first)) continue;
      size_t arrow = first;
      while (arrow < tokens_.size() && !tokens_[arrow].is("->")) ++arrow;
      if (arrow == tokens_.size() || line_of(arrow) != line_of(first)) continue;
      rows.push_back({first, arrow});
      if (widths.size() < arrow - first) widths.resize(arrow - first, 0);
      for (size_t k = first; k < arrow; ++k) widths[k - first] = std::max(widths[k - first], width(k));
    }
    std::vector<size_t> columns{0};  // where each key column starts, and then the '->'
    for (size_t w : widths) columns.push_back(columns.back() + w + 2);
    for (const auto& row : rows) {
      for (size_t k = row.first + 1; k < row.arrow; ++k) tokens_[k].align = columns[k - row.first];
      tokens_[row.arrow].align = columns.back();
    }
  }

 private:
  size_t width(size_t token) const { return display_width(tokens_[token].text); }
  // 1 when the name at `token` is followed by its display name, else 0.
  size_t named(size_t token) const { return token + 1 < tokens_.size() && tokens_[token + 1].display ? 1 : 0; }
  // A name and, when it has one, its display name after a space.
  size_t width_with_display(size_t token) const {
    return named(token) ? width(token) + 1 + width(token + 1) : width(token);
  }
  size_t line_of(size_t token) const { return tokens_[token].line; }
  bool starts_line(size_t token) const { return lines_[line_of(token)].tokens.front() == token; }
  bool only_comments_between(size_t from_line, size_t to_line) const {
    for (size_t line = from_line + 1; line < to_line; ++line) {
      if (!lines_[line].tokens.empty() || !lines_[line].comment) return false;
    }
    return true;
  }

  std::vector<Token>& tokens_;
  const std::vector<SourceLine>& lines_;
  std::vector<size_t> depth_;
};

// -------------------------------------------------------------------------------- layout

// The blanks between two tokens on one line.
// A grade's bound and its 以上 (`90以上`, `80分以上`), and a share of units (`后10%`), are
// written together.
bool glued(const Token& before, const Token& token) {
  if (token.is("%")) return true;
  if (token.kind != TokenKind::Word) return false;
  if (before.kind == TokenKind::Literal) return token.text == "以上" || token.text == "分以上" || token.text == "分";
  return before.kind == TokenKind::Word && before.text == "分" && token.text == "以上";
}

size_t gap(const Token& before, const Token& token) {
  if (token.entry && !before.is(",")) return 2;
  if (glued(before, token)) return 0;
  if (before.is("(") || before.sign) return 0;
  if (token.is(")") || token.is(",") || token.is(":")) return 0;
  if (token.is("(") && token.tight) return 0;
  return 1;
}

struct OutputLine {
  std::string code;  // indentation and tokens; empty for a blank line
  size_t width = 0;  // display width of `code`
  bool has_tokens = false;
  std::optional<std::string> comment;
};

// Where the lines inside an open bracket start, and where its closing bracket goes when it
// starts a line.
struct Bracket {
  size_t inside;
  size_t closing;
};

std::vector<OutputLine> lay_out(const Lexed& lexed) {
  std::vector<OutputLine> out;
  std::vector<Bracket> open;
  bool blank_pending = false;
  for (const auto& line : lexed.lines) {
    if (line.blank()) {
      blank_pending = !out.empty();
      continue;
    }
    if (blank_pending) out.emplace_back();
    blank_pending = false;

    OutputLine o;
    o.comment = line.comment;
    size_t indent = open.empty() ? 0 : open.back().inside;
    if (!line.tokens.empty() && lexed.tokens[line.tokens.front()].closes && !open.empty()) indent = open.back().closing;
    o.code.assign(indent, ' ');
    size_t column = indent;
    for (size_t k = 0; k < line.tokens.size(); ++k) {
      const Token& t = lexed.tokens[line.tokens[k]];
      size_t start = column;
      if (k > 0) {
        start = column + gap(lexed.tokens[line.tokens[k - 1]], t);
        if (t.align) start = std::max(start, indent + *t.align);
      }
      o.code.append(start - column, ' ');
      o.code += t.text;
      column = start + display_width(t.text);
      if (t.closes && !open.empty()) open.pop_back();
      if (t.opens) {
        if (k + 1 == line.tokens.size()) {
          open.push_back({indent + 2, indent});  // a block: its lines are indented
        } else {
          // A hanging list: its lines start under the text that follows the bracket.
          open.push_back({column + gap(t, lexed.tokens[line.tokens[k + 1]]), start});
        }
      }
    }
    o.has_tokens = !line.tokens.empty();
    o.width = column;
    out.push_back(std::move(o));
  }
  return out;
}

// Renders the lines; a run of lines with trailing comments gets them in one column.
std::string render(bool byte_order_mark, const std::vector<OutputLine>& lines) {
  std::string text(byte_order_mark ? kByteOrderMark : "");
  for (size_t i = 0; i < lines.size();) {
    if (!lines[i].has_tokens || !lines[i].comment) {
      text += lines[i].code + lines[i].comment.value_or("") + "\n";
      ++i;
      continue;
    }
    size_t end = i, column = 0;
    for (; end < lines.size() && lines[end].has_tokens && lines[end].comment; ++end)
      column = std::max(column, lines[end].width + 2);
    for (; i < end; ++i) text += lines[i].code + std::string(column - lines[i].width, ' ') + *lines[i].comment + "\n";
  }
  return text;
}

// The tokens and comments of a text, for checking that formatting changed only blanks.
std::pair<std::vector<std::string>, std::vector<std::string>> words_of(const Lexed& lexed) {
  std::pair<std::vector<std::string>, std::vector<std::string>> out;
  for (const auto& t : lexed.tokens) out.first.push_back(t.text);
  for (const auto& line : lexed.lines) {
    if (line.comment) out.second.push_back(*line.comment);
  }
  return out;
}

}  // namespace

std::optional<std::string> format_rulebook(const std::string& path, const std::string& source, Diagnostics& diags) {
  const ast::Span kStart{1, 1, 0, 0};  // where a problem with the whole file is reported
  if (!parse_rulebook(path, source, diags)) return std::nullopt;

  Lexed lexed = lex(source);
  try {
    pegtl::memory_input in(source, path);
    g::nesting nesting;
    const auto root = pt::parse<g::rulebook, layout_nodes, pegtl::nothing, g::control>(in, nesting);
    if (!root) throw std::runtime_error("the rulebook rule did not match");
    const Structure structure = StructureReader(lexed.tokens).read(*root);
    Aligner aligner(lexed);
    aligner.event_heads(structure.events);
    for (const auto& event : structure.events) aligner.fields(event);
    for (const auto& table : structure.tables) aligner.table(table);
  } catch (const std::exception& e) {
    diags.error(path, kStart, tr(Msg::fmt_internal_error, e.what()), tr(Msg::fmt_internal_error_hint));
    return std::nullopt;
  }
  std::string formatted = render(lexed.byte_order_mark, lay_out(lexed));

  // Formatting only moves blanks. Check it: the same tokens and comments, and a text that
  // still parses, or nothing is written.
  Diagnostics reparsed;
  if (words_of(lex(formatted)) != words_of(lexed) || !parse_rulebook(path, formatted, reparsed)) {
    diags.error(path, kStart, tr(Msg::fmt_internal_differs), tr(Msg::fmt_internal_error_hint));
    return std::nullopt;
  }
  return formatted;
}

}  // namespace rb
