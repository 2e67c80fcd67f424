// libxlsxwriter's failures in the language of the messages: its own texts (lxw_strerror)
// are English only, so the statuses a user can meet have messages of their own; any other
// keeps the library's text after ours.
#pragma once

#include <string>

namespace rb {

// The reason for a failed libxlsxwriter call; `status` is its lxw_error.
std::string xlsx_error_text(int status);

}  // namespace rb
