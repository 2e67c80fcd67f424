#include "runtime/xlsx_error.hpp"

#include <xlsxwriter.h>

#include "runtime/messages.hpp"

namespace rb {

std::string xlsx_error_text(int status) {
  switch (static_cast<lxw_error>(status)) {
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
      return text(Msg::xlsx_no_memory);
    case LXW_ERROR_CREATING_XLSX_FILE:
      return text(Msg::xlsx_cannot_create);
    case LXW_ERROR_CREATING_TMPFILE:
    case LXW_ERROR_READING_TMPFILE:
      return text(Msg::xlsx_temp_file);
    case LXW_ERROR_ZIP_FILE_OPERATION:
    case LXW_ERROR_ZIP_FILE_ADD:
    case LXW_ERROR_ZIP_CLOSE:
      return text(Msg::xlsx_zip_write);
    default:
      return tr(Msg::xlsx_other, status, lxw_strerror(static_cast<lxw_error>(status)));
  }
}

}  // namespace rb
