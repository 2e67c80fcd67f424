#include "platform.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
// After <windows.h>, which it needs.
#include <shellapi.h>

#include <vector>
#else
#include <unistd.h>
#endif

namespace rb {

#ifdef _WIN32

namespace {

std::wstring wide(const std::string& utf8) {
  if (utf8.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string narrow(const std::wstring& text) {
  if (text.empty()) return {};
  const int n = WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n, nullptr, nullptr);
  return out;
}

int errno_of(DWORD error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
      return EACCES;
    case ERROR_DISK_FULL:
      return ENOSPC;
    default:
      return EIO;
  }
}

}  // namespace

std::filesystem::path native_path(const std::string& utf8) { return std::filesystem::path(wide(utf8)); }

std::string utf8_name(const std::filesystem::path& path) { return narrow(path.wstring()); }

int open_for_reading(const std::string& path) { return ::_wopen(wide(path).c_str(), _O_RDONLY | _O_BINARY); }

int create_new_file(const std::string& path) {
  return ::_wopen(wide(path).c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
}

int create_temporary_file(const std::string& path) {
  // DELETE access, so that the file can be marked for deletion and unmarked; shared, so that
  // a library may open it by name (OutputFile::open_name).
  HANDLE h = CreateFileW(wide(path).c_str(), GENERIC_WRITE | DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    errno = GetLastError() == ERROR_FILE_EXISTS ? EEXIST : errno_of(GetLastError());
    return -1;
  }
  FILE_DISPOSITION_INFO dispose{TRUE};
  if (!SetFileInformationByHandle(h, FileDispositionInfo, &dispose, sizeof dispose)) {
    errno = errno_of(GetLastError());
    CloseHandle(h);
    return -1;
  }
  const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h), _O_WRONLY | _O_BINARY);
  if (fd < 0) CloseHandle(h);
  return fd;
}

bool keep_file(int fd) {
  FILE_DISPOSITION_INFO keep{FALSE};
  if (SetFileInformationByHandle(reinterpret_cast<HANDLE>(::_get_osfhandle(fd)), FileDispositionInfo, &keep, sizeof keep))
    return true;
  errno = errno_of(GetLastError());
  return false;
}

int flush_to_disk(int fd) { return ::_commit(fd); }

bool replace_file(const std::string& from, const std::string& to) {
  if (MoveFileExW(wide(from).c_str(), wide(to).c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return true;
  errno = errno_of(GetLastError());
  return false;
}

void remove_file(const std::string& path) { ::_wunlink(wide(path).c_str()); }

void init_console(int& argc, char**& argv) {
  static std::vector<std::string> args;
  static std::vector<char*> pointers;
  int count = 0;
  if (LPWSTR* wide_args = CommandLineToArgvW(GetCommandLineW(), &count)) {
    for (int i = 0; i < count; ++i) args.push_back(narrow(wide_args[i]));
    LocalFree(wide_args);
    for (auto& a : args) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    argc = count;
    argv = pointers.data();
  }
  SetConsoleOutputCP(CP_UTF8);
  ::_setmode(::_fileno(stdout), _O_BINARY);
  ::_setmode(::_fileno(stderr), _O_BINARY);
}

#else

std::filesystem::path native_path(const std::string& utf8) { return std::filesystem::path(utf8); }

std::string utf8_name(const std::filesystem::path& path) { return path.string(); }

int open_for_reading(const std::string& path) { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }

int create_new_file(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
}

int create_temporary_file(const std::string& path) { return create_new_file(path); }

bool keep_file(int) { return true; }

int flush_to_disk(int fd) { return ::fsync(fd); }

bool replace_file(const std::string& from, const std::string& to) { return std::rename(from.c_str(), to.c_str()) == 0; }

void remove_file(const std::string& path) { ::unlink(path.c_str()); }

void init_console(int&, char**&) {}

#endif

}  // namespace rb
