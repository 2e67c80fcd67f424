#include "csv.hpp"

#include <algorithm>
#include <cstring>

#include "messages.hpp"

namespace rb {

namespace {

uint32_t count_newlines(const char* begin, const char* end) {
  return static_cast<uint32_t>(std::count(begin, end, '\n'));
}

}  // namespace

std::string csv_cell(std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(cell);
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

CsvSplitter::CsvSplitter(std::string_view data) : data_(data) {
  if (data_.size() >= 3 && static_cast<unsigned char>(data_[0]) == 0xEF &&
      static_cast<unsigned char>(data_[1]) == 0xBB && static_cast<unsigned char>(data_[2]) == 0xBF) {
    pos_ = 3;
  }
}

void CsvSplitter::set_raw(size_t end) {
  size_t e = end;
  if (e > record_begin_ && data_[e - 1] == '\r') --e;
  raw_ = data_.substr(record_begin_, e - record_begin_);
}

CsvSplitter::Status CsvSplitter::fail(const char* message, uint32_t line, size_t at) {
  const char* d = data_.data();
  const size_t n = data_.size();
  error_ = message;
  error_line_ = line;
  at = std::max(at, pos_);
  const void* nl = at < n ? std::memchr(d + at, '\n', n - at) : nullptr;
  size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - d) : n;
  cur_line_ += count_newlines(d + pos_, d + line_end);
  set_raw(line_end);
  if (nl) {
    pos_ = line_end + 1;
    ++cur_line_;
  } else {
    pos_ = n;
  }
  return Status::Error;
}

// A record that is the line from pos_ to line_end (a LF, or the end of the data) and has no
// quote: its cells are the text between commas, the last one without a CR before the end.
CsvSplitter::Status CsvSplitter::split_line(size_t line_end) {
  const char* d = data_.data();
  size_t end = line_end;
  if (end > pos_ && d[end - 1] == '\r') --end;
  size_t begin = pos_;
  for (size_t i = pos_; i < end; ++i) {
    if (d[i] == ',') {
      cells_.push_back(Cell{begin, i - begin, false, false});
      begin = i + 1;
    }
  }
  cells_.push_back(Cell{begin, end - begin, false, false});
  set_raw(line_end);
  if (line_end < data_.size()) {
    pos_ = line_end + 1;
    ++cur_line_;
  } else {
    pos_ = line_end;
  }
  return Status::Record;
}

CsvSplitter::Status CsvSplitter::next() {
  const char* d = data_.data();
  const size_t n = data_.size();
  if (pos_ >= n) return Status::End;
  cells_.clear();
  scratch_.clear();
  record_begin_ = pos_;
  line_ = cur_line_;
  error_ = "";
  error_line_ = 0;

  {
    const void* nl = std::memchr(d + pos_, '\n', n - pos_);
    const size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - d) : n;
    if (std::memchr(d + pos_, '"', line_end - pos_) == nullptr) return split_line(line_end);
  }

  for (;;) {
    Cell cell;
    if (pos_ < n && d[pos_] == '"') {
      cell.quoted = true;
      const uint32_t open_line = cur_line_;
      ++pos_;
      const size_t content = pos_;
      for (;;) {
        const void* q = std::memchr(d + pos_, '"', n - pos_);
        if (q == nullptr) {
          // Unterminated: the rest of the data belongs to this broken record.
          cur_line_ += count_newlines(d + pos_, d + n);
          error_ = text(Msg::csv_unterminated_quote);
          error_line_ = open_line;
          set_raw(n);
          pos_ = n;
          return Status::Error;
        }
        const size_t qi = static_cast<size_t>(static_cast<const char*>(q) - d);
        cur_line_ += count_newlines(d + pos_, d + qi);
        if (qi + 1 < n && d[qi + 1] == '"') {  // a doubled quote stands for one quote
          if (!cell.in_scratch) {
            cell.in_scratch = true;
            cell.begin = scratch_.size();
            scratch_.append(d + content, qi - content);
          } else {
            scratch_.append(d + pos_, qi - pos_);
          }
          scratch_.push_back('"');
          pos_ = qi + 2;
          continue;
        }
        if (cell.in_scratch) {
          scratch_.append(d + pos_, qi - pos_);
          cell.size = scratch_.size() - cell.begin;
        } else {
          cell.begin = content;
          cell.size = qi - content;
        }
        pos_ = qi + 1;
        break;
      }
      if (pos_ < n && d[pos_] == '\r' && (pos_ + 1 == n || d[pos_ + 1] == '\n')) ++pos_;
      if (pos_ >= n) {
        cells_.push_back(cell);
        set_raw(n);
        return Status::Record;
      }
      const char c = d[pos_];
      if (c == ',') {
        cells_.push_back(cell);
        ++pos_;
        continue;
      }
      if (c == '\n') {
        cells_.push_back(cell);
        set_raw(pos_);
        ++pos_;
        ++cur_line_;
        return Status::Record;
      }
      return fail(text(Msg::csv_after_closing_quote), cur_line_, pos_);
    }

    const size_t begin = pos_;
    while (pos_ < n) {
      const char c = d[pos_];
      if (c == ',' || c == '\n' || c == '"') break;
      ++pos_;
    }
    if (pos_ < n && d[pos_] == '"') {
      return fail(text(Msg::csv_quote_inside), cur_line_,
                  pos_);
    }
    size_t end = pos_;
    const bool at_line_end = pos_ >= n || d[pos_] == '\n';
    if (at_line_end && end > begin && d[end - 1] == '\r') --end;
    cell.begin = begin;
    cell.size = end - begin;
    cells_.push_back(cell);
    if (pos_ >= n) {
      set_raw(n);
      return Status::Record;
    }
    if (d[pos_] == ',') {
      ++pos_;
      continue;
    }
    set_raw(pos_);  // '\n'
    ++pos_;
    ++cur_line_;
    return Status::Record;
  }
}

}  // namespace rb
