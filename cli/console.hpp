// How the tool writes for a person: "FILE: 错误: MESSAGE" lines in the chosen language, and
// the error and warning labels in colour when standard error is a terminal (never when it is
// piped or written to a file, nor when NO_COLOR is set).
#pragma once

#include <string>
#include <string_view>

namespace rb {

// "WHERE: 错误: MESSAGE\n" (or "错误: MESSAGE\n" when `where` is empty), coloured as paint() does.
std::string error_line(std::string_view where, std::string_view message);

// `text` with the first error or warning label of each line in colour, when standard error
// takes colour; `text` unchanged otherwise.
std::string paint(std::string text);

// Standard error is a terminal and NO_COLOR is not set (https://no-color.org).
bool stderr_takes_colour();

}  // namespace rb
