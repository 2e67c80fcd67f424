// Output files written whole or not at all: the data goes to a file beside the target that
// nobody else sees (unnamed where Linux allows it; on Windows one the system deletes if the
// process ends first), is flushed to disk, and only then takes the target's name. A
// failure, or the process being killed, leaves the previous file as it was and no partial
// one. A symbolic link is written through to its target.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rb {

class OutputFile {
 public:
  // Opens the file that will become `path`; on failure ok() is false and error() says why.
  explicit OutputFile(const std::string& path);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();  // discards everything unless commit() succeeded

  bool ok() const { return fd_ >= 0 || by_name_; }
  const std::string& error() const { return error_; }
  // A name under which a library that insists on opening the file itself can open it (on
  // Windows the file is then left to the library: write() may not be used any more).
  std::string open_name();
  bool write(std::string_view bytes);
  // Flushes the data and puts the file in place of the target; false (see error()) on failure.
  bool commit();

 private:
  void fail(const std::string& what, int error_number);
  bool finish_writing();

  std::string path_, target_, named_temp_;
  int fd_ = -1;
  bool unnamed_ = false;
  bool by_name_ = false;  // open_name() handed the file to a library, which closed it
  std::string error_;
};

// The system's reason for an errno, in the language of the messages.
std::string system_message(int error_number);

// Writes `content` as the whole of `path` (see OutputFile); false with `error` set on failure.
bool write_file_atomically(const std::string& path, std::string_view content, std::string& error);

// Why `output` may not be written by a command that reads `inputs`: it is, or resolves to
// (through symbolic or hard links), one of them, or it is a folder. nullopt when it may.
std::optional<std::string> output_conflict(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace rb
