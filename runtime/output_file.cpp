#include "output_file.hpp"

#include "platform.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "messages.hpp"

namespace rb {

std::string system_message(int error_number) {
  switch (error_number) {
    case ENOENT: return text(Msg::sys_no_such_file);
    case EACCES:
    case EPERM: return text(Msg::sys_permission);
    case EISDIR: return text(Msg::sys_is_directory);
    case ENOTDIR: return text(Msg::sys_not_directory);
    case ENOSPC: return text(Msg::sys_no_space);
    case EROFS: return text(Msg::sys_read_only);
#ifdef EDQUOT  // not on Windows
    case EDQUOT: return text(Msg::sys_quota);
#endif
    case EMFILE:
    case ENFILE: return text(Msg::sys_too_many_files);
    case ENAMETOOLONG: return text(Msg::sys_name_too_long);
    default: break;
  }
  if (language() == Lang::En) return std::error_code(error_number, std::generic_category()).message();
  return tr(Msg::sys_other, error_number);
}

namespace {

namespace fs = std::filesystem;

// The file that writing `path` replaces: `path` itself, or where its symbolic links lead
// (a link to a file that does not exist yet creates that file). An error text when the
// name is a folder or the links go round in a circle.
std::optional<std::string> resolve_target(const std::string& path, std::string& target) {
  constexpr int kMaxLinks = 40;  // as the kernel's own limit on links followed in one name
  fs::path p = native_path(path);
  for (int links = 0; links <= kMaxLinks; ++links) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(p, ec);
    if (st.type() == fs::file_type::symlink) {
      const fs::path next = fs::read_symlink(p, ec);
      if (ec) return ec.message();
      p = next.is_absolute() ? next : p.parent_path() / next;
      continue;
    }
    if (st.type() == fs::file_type::directory) return text(Msg::output_is_folder);
    target = utf8_name(p);
    return std::nullopt;
  }
  return text(Msg::output_link_loop);
}

#ifdef O_TMPFILE
std::string folder_of(const std::string& target) {
  const fs::path parent = fs::path(target).parent_path();
  return parent.empty() ? "." : parent.string();
}
#endif

// A name beside `target` that no other writer, in this process or another, is using.
std::string temporary_name(const std::string& target) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}.tmp.{}.{}", target, ::getpid(), counter++);
}

}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (auto problem = resolve_target(path, target_)) {
    error_ = tr(Msg::cannot_write_file, path_, *problem);
    return;
  }
#ifdef O_TMPFILE
  // An unnamed file vanishes by itself if the process dies before commit().
  fd_ = ::open(folder_of(target_).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd_ >= 0) {
    unnamed_ = true;
    return;
  }
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    fail("", errno);
    return;
  }
#endif
  named_temp_ = temporary_name(target_);
  fd_ = create_temporary_file(named_temp_);
  if (fd_ < 0) {
    const int saved = errno;
    named_temp_.clear();
    fail("", saved);
  }
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!named_temp_.empty()) remove_file(named_temp_);
}

void OutputFile::fail(const std::string& what, int error_number) {
  error_ = tr(Msg::cannot_write_file, path_, what + system_message(error_number));
}

std::string OutputFile::open_name() {
  if (unnamed_) return fmt::format("/proc/self/fd/{}", fd_);
#ifdef _WIN32
  // Windows lets nobody open the file by name while this descriptor writes to it or while
  // it is marked for deletion: it is kept and closed, and the library writes it.
  if (fd_ >= 0 && keep_file(fd_)) {
    ::close(fd_);
    fd_ = -1;
    by_name_ = true;
  }
#endif
  return named_temp_;
}

bool OutputFile::write(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fail("", n < 0 ? errno : ENOSPC);
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool OutputFile::commit() {
  if (!by_name_ && !finish_writing()) return false;
  if (!replace_file(named_temp_, target_)) {
    fail("", errno);
    return false;
  }
  named_temp_.clear();
  return true;
}

// Flushes and closes the file, which then has a name of its own (named_temp_).
bool OutputFile::finish_writing() {
  if (fd_ < 0) return false;
  // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
  if (flush_to_disk(fd_) != 0) {
    fail("", errno);
    return false;
  }
#ifdef O_TMPFILE
  if (unnamed_) {
    // linkat cannot replace a file, so the data gets a private name first and then the
    // target's name by rename, which replaces the old file in one step.
    named_temp_ = temporary_name(target_);
    if (::linkat(AT_FDCWD, open_name().c_str(), AT_FDCWD, named_temp_.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      const int saved = errno;
      named_temp_.clear();
      fail("", saved);
      return false;
    }
  }
#endif
  // A temporary file that the system would delete with the process (Windows) is kept now.
  if (!keep_file(fd_)) {
    fail("", errno);
    return false;
  }
  // Closed before the rename, which Windows cannot do to an open file.
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) {
    fail("", errno);
    return false;
  }
  return true;
}

bool write_file_atomically(const std::string& path, std::string_view content, std::string& error) {
  OutputFile out(path);
  if (out.ok() && out.write(content) && out.commit()) return true;
  error = out.error();
  return false;
}

std::optional<std::string> output_conflict(const std::string& output, const std::vector<std::string>& inputs) {
  std::string target;
  if (auto problem = resolve_target(output, target)) return tr(Msg::cannot_write_file, output, *problem);
  std::error_code ec;
  if (!fs::exists(native_path(target), ec)) return std::nullopt;  // a new file cannot be an input
  for (const auto& input : inputs) {
    // The same file under another name or through a hard link (device and file id, on
    // every system).
    if (fs::equivalent(native_path(input), native_path(target), ec) && !ec)
      return tr(Msg::output_is_input, output, input);
  }
  return std::nullopt;
}

}  // namespace rb
