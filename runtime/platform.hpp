// What differs between Linux and Windows, in one place. Every name the program handles is
// UTF-8: on Linux it is passed to the system as it is; on Windows it is converted to UTF-16
// for the wide file APIs (the narrow ones would read it in the ANSI code page, and a Chinese
// folder name would not be found).
#pragma once

#include <filesystem>
#include <string>

namespace rb {

// A file name in UTF-8 as a path, and back.
std::filesystem::path native_path(const std::string& utf8);
std::string utf8_name(const std::filesystem::path& path);

// File descriptors as open(2) gives them, -1 with errno set on failure: a file to read, and
// a new file to write that must not exist yet.
int open_for_reading(const std::string& path);
int create_new_file(const std::string& path);
// A new file to write (it must not exist yet) that the system deletes when the process
// ends, however it ends, unless keep_file(fd) was called: on Windows a file marked for
// deletion; elsewhere a plain new file (OutputFile uses Linux's unnamed files instead).
int create_temporary_file(const std::string& path);
// Keeps a file from create_temporary_file; false with errno set on failure.
bool keep_file(int fd);
// Flushes a written file to the disk (fsync); 0 or -1 with errno set.
int flush_to_disk(int fd);
// Gives `from` the name `to`, replacing a file of that name in one step; false with errno
// set on failure.
bool replace_file(const std::string& from, const std::string& to);
void remove_file(const std::string& path);

// At the start of main: on Windows, the arguments as UTF-8 (from the wide command line),
// console output in UTF-8, and stdout and stderr in binary mode so that they carry the same
// bytes as on Linux (LF, not CRLF). Nothing on Linux.
void init_console(int& argc, char**& argv);

}  // namespace rb
