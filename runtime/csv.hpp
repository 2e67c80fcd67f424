// A small RFC 4180 CSV record splitter over a byte buffer held by the caller.
//
// - Cells are separated by ',' and records by LF or CRLF (a CR is dropped only right
//   before LF or at the end of the data; a lone CR elsewhere is ordinary data).
// - A cell that starts with '"' is quoted: it may hold ',', CR, LF and doubled quotes ("")
//   standing for one quote. After the closing quote only ',', a line break or the end may
//   follow. A '"' inside an unquoted cell is an error (no silent guess).
// - Line breaks inside quoted cells are counted, so every record knows the line it starts
//   on (1-based), as do errors.
// - A UTF-8 byte order mark at the very start is skipped.
// - Cells are views into the buffer, or into a reused scratch buffer for quoted cells with
//   doubled quotes; they stay valid until the next call of next(). Nothing is allocated per
//   record once the internal vectors have grown to the widest record.
// - A line without quotes (nearly all of them) is found with memchr and split at its commas
//   in one pass; only a line with a quote takes the general path.
// - After an error the splitter resumes at the next line (after the line on which the
//   problem was found); an unterminated quote consumes the rest of the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rb {

// A cell as CSV writes it: quoted (quotes doubled) when it holds ',', '"', CR or LF.
std::string csv_cell(std::string_view cell);

class CsvSplitter {
 public:
  enum class Status { Record, End, Error };

  // `data` must outlive the splitter.
  explicit CsvSplitter(std::string_view data);

  // Advances to the next record. On Record the cells and raw() describe it; on Error,
  // error(), error_line() and raw() (the text skipped) describe the problem.
  Status next();

  size_t size() const { return cells_.size(); }
  std::string_view cell(size_t i) const {
    const Cell& c = cells_[i];
    return c.in_scratch ? std::string_view(scratch_.data() + c.begin, c.size)
                        : std::string_view(data_.data() + c.begin, c.size);
  }
  bool quoted(size_t i) const { return cells_[i].quoted; }
  bool cell_empty(size_t i) const { return cells_[i].size == 0; }
  // An empty line: a single unquoted empty cell.
  bool blank() const { return cells_.size() == 1 && !cells_[0].quoted && cells_[0].size == 0; }

  // Line on which the last record (or the skipped text after an error) starts.
  uint32_t line() const { return line_; }
  // The text of the last record without its final line break (embedded breaks kept).
  std::string_view raw() const { return raw_; }

  // After Status::Error: a static message and the line where the problem is.
  const char* error() const { return error_; }
  uint32_t error_line() const { return error_line_; }

 private:
  struct Cell {
    size_t begin = 0;
    size_t size = 0;
    bool in_scratch = false;
    bool quoted = false;
  };

  Status fail(const char* message, uint32_t line, size_t at);
  Status split_line(size_t line_end);
  void set_raw(size_t end);

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t cur_line_ = 1;
  size_t record_begin_ = 0;
  uint32_t line_ = 0;
  std::string_view raw_;
  std::vector<Cell> cells_;
  std::string scratch_;
  const char* error_ = "";
  uint32_t error_line_ = 0;
};

}  // namespace rb
