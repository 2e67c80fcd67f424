// Event reader: opening and reading files (whole or in chunks), choosing the format by the
// file's extension, the reject file, and the public API. See reader.hpp for the behaviour.
#include "reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>
#include <zip.h>

#include "reader_impl.hpp"
#include "platform.hpp"

namespace rb {

std::string to_string(const InputError& error) {
  if (!error.place.empty()) return fmt::format("{}:{}: {}", error.file, error.place, error.message);
  if (error.line == 0) return fmt::format("{}: {}", error.file, error.message);
  return fmt::format("{}:{}: {}", error.file, error.line, error.message);
}

namespace input {

bool has_extension(const std::string& path, std::string_view ext) {
  if (path.size() < ext.size()) return false;
  std::string_view tail(path.data() + path.size() - ext.size(), ext.size());
  for (size_t i = 0; i < ext.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != ext[i]) return false;
  }
  return true;
}

}  // namespace input

bool EventReader::Impl::is_input(const std::string& path) const {
  std::error_code ec;
  for (const auto& in : input_paths)
    if (std::filesystem::equivalent(native_path(path), native_path(in), ec)) return true;
  return false;
}

void EventReader::Impl::write_reject(std::string_view raw, const FileCtx& ctx) {
  if (!rejecting() || reject_failed) return;
  if (rejects.empty() && (is_input(options.reject_path + ".tmp") || is_input(options.reject_path))) {
    reject_failed = true;
    report_file(options.reject_path, text(Msg::reject_overwrites_input));
    return;
  }
  std::string reason;
  for (const auto& r : reasons) reason += (reason.empty() ? "" : "; ") + r;
  rejects.add(raw, ctx.csv ? std::string_view(ctx.header_raw) : std::string_view(), std::move(reason), reason_where);
}

// A file a chunk at a time, so memory does not grow with the file: each chunk ends at its
// last record boundary (a newline; for CSV one outside quotes) and the rest is carried into
// the next. A CSV file's text is first turned into UTF-8 with LF or CRLF line ends.
bool EventReader::Impl::stream(const std::string& name, uint32_t file_index, RecordSink& sink, bool is_csv,
                               const ByteSource& read) {
  file = &name;
  if (file_names.size() <= file_index) file_names.resize(file_index + 1);
  file_names[file_index] = name;
  FileCtx ctx;
  ctx.name = &name;
  ctx.index = file_index;
  ctx.csv = is_csv;
  CsvState csv_state;
  const bool was_failed = reject_failed;
  const size_t kChunk = std::max<size_t>(options.chunk_bytes, 64);
  Parallel* par = parallel_for_file();
  std::vector<char> buffer(kChunk + simdjson::SIMDJSON_PADDING);
  size_t carried = 0;
  uint32_t line = 0;
  bool ok = true, at_end = false, decided = !is_csv;
  std::unique_ptr<TextDecoder> decoder;
  std::string decoded;
  LineEnds line_ends;
  while (!at_end) {
    if (buffer.size() - simdjson::SIMDJSON_PADDING - carried < kChunk / 2)  // a very long line
      buffer.resize(buffer.size() * 2);
    const size_t room = buffer.size() - simdjson::SIMDJSON_PADDING - carried;
    ssize_t got = read(buffer.data() + carried, room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      if (par != nullptr) drain_chunks(*par, sink);  // the records before it come first
      report_file(name, tr(Msg::cannot_read_reason, system_message(errno)));
      ok = false;
      break;
    }
    at_end = got == 0;
    size_t filled = carried + static_cast<size_t>(got);
    if (is_csv) {
      const std::string_view fresh(buffer.data() + carried, filled - carried);
      if (!decided) {
        decided = true;
        Encoding encoding = options.encoding;
        if (encoding == Encoding::Detect) encoding = detect_encoding(fresh, at_end);
        if (encoding == Encoding::Detect) {
          report_file(name, detect_failure(fresh));
          ok = false;
          break;
        }
        if (encoding != Encoding::Utf8) decoder = std::make_unique<TextDecoder>(encoding);
      }
      if (decoder) {
        decoded.clear();
        if (!decoder->decode(fresh, at_end, decoded)) {
          report_file(name, tr(Msg::text_invalid_at_byte, encoding_name(decoder->encoding()), decoder->bad_offset(),
                               text(Msg::save_as_utf8)));
          ok = false;
          break;
        }
        if (carried + decoded.size() + simdjson::SIMDJSON_PADDING > buffer.size())
          buffer.resize(carried + decoded.size() + simdjson::SIMDJSON_PADDING);
        std::memcpy(buffer.data() + carried, decoded.data(), decoded.size());
        filled = carried + decoded.size();
      }
      line_ends.normalize(buffer.data() + carried, filled - carried);
    }
    size_t usable = filled;
    if (!at_end) {
      if (is_csv) {
        usable = csv_cut(buffer.data(), filled);
      } else {
        const size_t last = std::string_view(buffer.data(), filled).rfind('\n');
        usable = last == std::string_view::npos ? 0 : last + 1;
      }
    }
    if (usable > 0 && par != nullptr && decoder == nullptr && (!is_csv || csv_state.have_header)) {
      // To a worker (a CSV file's header has been read here, in its first chunk).
      submit_chunk(*par, buffer.data(), usable, is_csv ? csv_state.lines_before : line, ctx, &csv_state, sink);
      const auto lines = static_cast<uint32_t>(std::count(buffer.data(), buffer.data() + usable, '\n'));
      (is_csv ? csv_state.lines_before : line) += lines;
    } else if (usable > 0 && is_csv) {
      read_csv(std::string_view(buffer.data(), usable), ctx, sink, csv_state);
      csv_state.lines_before += static_cast<uint32_t>(std::count(buffer.data(), buffer.data() + usable, '\n'));
    } else if (usable > 0) {
      // The bytes after `usable` stand in for simdjson's padding while a line is parsed.
      line = read_jsonl(buffer.data(), usable, buffer.size(), ctx, sink, line);
    }
    carried = filled - usable;
    std::memmove(buffer.data(), buffer.data() + usable, carried);
  }
  if (par != nullptr) drain_chunks(*par, sink);
  if (csv_state.bad_utf8_rows > 1)
    report_file_line(csv_state.first_bad_utf8_line,
                     tr(Msg::more_bad_utf8_rows, csv_state.bad_utf8_rows - 1));
  return ok && (was_failed || !reject_failed);
}

bool EventReader::Impl::workbook_unreadable(const std::string& name, int zip_error) {
  zip_error_t error;
  zip_error_init_with_code(&error, zip_error);
  std::string why = zip_error == ZIP_ER_NOENT ? std::string(text(Msg::workbook_no_such_file))
                    : language() == Lang::En  ? zip_error_strerror(&error)
                    : zip_error == ZIP_ER_NOZIP  ? text(Msg::zip_not_workbook)
                    : zip_error == ZIP_ER_INCONS ? text(Msg::zip_inconsistent)
                                                 : tr(Msg::zip_other, zip_error);
  zip_error_fini(&error);
  if (zip_error == ZIP_ER_NOZIP || zip_error == ZIP_ER_INCONS)
    why += text(Msg::workbook_save_again);
  report_file(name, tr(Msg::cannot_read_workbook, why));
  return false;
}

bool EventReader::Impl::supported(const std::string& name) {
  if (has_extension(name, ".csv") || has_extension(name, ".jsonl") || has_extension(name, ".ndjson") ||
      has_extension(name, ".json") || has_extension(name, ".xlsx"))
    return true;
  report_file(name, text(Msg::unsupported_input));
  return false;
}

bool EventReader::Impl::finish() {
  if (!rejecting()) return true;
  const std::string& target = options.reject_path;
  if (reject_failed) return false;
  if (rejects.empty()) {
    // Nothing rejected: no reject file (and none left from an earlier run).
    if (is_input(target)) return true;
    std::error_code ec;
    std::filesystem::remove(native_path(target), ec);
    return true;
  }
  if (is_input(target)) {
    report_file(target, text(Msg::reject_overwrites_input));
    return false;
  }
  reject_tmp = target + ".tmp";
  std::string error;
  if (!rejects.write(reject_tmp, target, error) || !replace_file(reject_tmp, target)) {
    report_file(target, error.empty() ? tr(Msg::cannot_write_reject_reason, system_message(errno)) : error);
    remove_file(reject_tmp);
    return false;
  }
  return true;
}

EventReader::EventReader(const Program& program, Symbols& symbols, ReadOptions options)
    : impl_(std::make_unique<Impl>(program, symbols, std::move(options))) {
  impl_->build();
}

EventReader::~EventReader() = default;

bool EventReader::read_file(const std::string& path, uint32_t file_index, RecordSink& sink) {
  impl_->input_paths.push_back(path);
  if (!impl_->supported(path)) return false;
  if (has_extension(path, ".xlsx")) {
    int error = 0;
    zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &error);
    if (zip == nullptr) return impl_->workbook_unreadable(path, error);
    return impl_->read_xlsx(path, file_index, sink, zip);
  }
  int fd = open_for_reading(path);
  if (fd < 0) {
    impl_->report_file(path, tr(Msg::cannot_open_reason, system_message(errno)));
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    impl_->report_file(path, S_ISDIR(st.st_mode) ? std::string(text(Msg::cannot_read_directory))
                                                 : tr(Msg::cannot_read_reason, system_message(errno)));
    ::close(fd);
    return false;
  }
  const bool ok = impl_->stream(path, file_index, sink, has_extension(path, ".csv"),
                                [fd](char* to, size_t room) { return ::read(fd, to, room); });
  ::close(fd);
  return ok;
}

bool EventReader::read_buffer(std::string_view data, const std::string& name, uint32_t file_index,
                              RecordSink& sink) {
  if (!impl_->supported(name)) return false;
  if (has_extension(name, ".xlsx")) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
    zip_t* zip = source ? zip_open_from_source(source, ZIP_RDONLY, &error) : nullptr;
    const int code = zip_error_code_zip(&error);
    zip_error_fini(&error);
    if (zip == nullptr) {
      if (source) zip_source_free(source);
      return impl_->workbook_unreadable(name, code);
    }
    return impl_->read_xlsx(name, file_index, sink, zip);
  }
  return impl_->stream(name, file_index, sink, has_extension(name, ".csv"), [&data](char* to, size_t room) {
    const size_t n = std::min(room, data.size());
    std::memcpy(to, data.data(), n);
    data.remove_prefix(n);
    return static_cast<ssize_t>(n);
  });
}

bool EventReader::finish() { return impl_->finish(); }

const ReadStats& EventReader::stats() const { return impl_->stats; }

const std::vector<InputError>& EventReader::errors() const { return impl_->errors; }

uint64_t EventReader::error_count() const { return impl_->error_count; }

}  // namespace rb
