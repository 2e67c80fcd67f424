// Each event reader on any bytes, through validation and scoring against the bundled
// rulebooks (compiled once, in LLVMFuzzerInitialize).
//
// The first byte chooses what the rest is:
//   bits 0-1  0: JSON Lines; 1: CSV; 2: one workbook sheet, wrapped here into an .xlsx
//             (the rest is SHEET NAME \0 SHEET XML [\0 SHARED STRINGS XML]); 3: a whole .xlsx
//   bit 2     the run is traced (derivations built)
//   bits 3-5  the CSV encoding asked for (0: detect, 1 UTF-8, 2 GB18030, 3 UTF-16LE, 4 UTF-16BE)
//   bit 6     scored against examples/xinfang-2022 instead of rules/yunhe-2022
#include <zip.h>

#include <cstring>

#include "fuzz_support.hpp"

namespace {

const rb::Program* yunhe = nullptr;
const rb::Program* xinfang = nullptr;

// A workbook of one sheet: the parts the reader opens, stored uncompressed. The sheet's name
// goes into xl/workbook.xml as it is (a name that breaks the XML fuzzes that part too).
std::string workbook(std::string_view sheet_name, std::string_view sheet, std::string_view shared) {
  const std::string parts[][2] = {
      {"xl/workbook.xml",
       "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
       "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"" +
           std::string(sheet_name) + "\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"},
      {"xl/_rels/workbook.xml.rels",
       "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship "
       "Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
       "Target=\"worksheets/sheet1.xml\"/></Relationships>"},
      {"xl/worksheets/sheet1.xml", std::string(sheet)},
      {"xl/sharedStrings.xml", std::string(shared)},
  };
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* image = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(image);
  zip_t* zip = zip_open_from_source(image, ZIP_TRUNCATE, &error);
  zip_error_fini(&error);
  for (const auto& part : parts) {
    if (part[0] == "xl/sharedStrings.xml" && shared.empty()) continue;
    zip_source_t* s = zip_source_buffer(zip, part[1].data(), part[1].size(), 0);
    const zip_int64_t at = zip_file_add(zip, part[0].c_str(), s, ZIP_FL_OVERWRITE);
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(at), ZIP_CM_STORE, 0);
  }
  std::string bytes;
  if (zip_close(zip) == 0 && zip_source_open(image) == 0) {
    char buffer[1 << 14];
    for (zip_int64_t n; (n = zip_source_read(image, buffer, sizeof buffer)) > 0;) bytes.append(buffer, static_cast<size_t>(n));
    zip_source_close(image);
  } else {
    zip_discard(zip);
  }
  zip_source_free(image);
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  yunhe = new rb::Program(rb::fuzz::bundled_program("rules/yunhe-2022.rules"));
  xinfang = new rb::Program(rb::fuzz::bundled_program("examples/xinfang-2022/xinfang-2022.rules"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool trace = (mode & 4) != 0;
  const auto encoding = static_cast<rb::Encoding>(((mode >> 3) & 7) % 5);
  const rb::Program& program = (mode & 64) != 0 ? *xinfang : *yunhe;
  switch (mode & 3) {
    case 0:
      rb::fuzz::score(program, "events.jsonl", rest, trace);
      break;
    case 1:
      rb::fuzz::score(program, "events.csv", rest, trace, encoding);
      break;
    case 2: {
      const size_t name_end = std::min(rest.find('\0'), rest.size());
      std::string_view sheet = rest.substr(std::min(name_end + 1, rest.size()));
      const size_t sheet_end = std::min(sheet.find('\0'), sheet.size());
      const std::string_view shared = sheet.substr(std::min(sheet_end + 1, sheet.size()));
      rb::fuzz::score(program, "events.xlsx", workbook(rest.substr(0, name_end), sheet.substr(0, sheet_end), shared),
                      trace);
      break;
    }
    default:
      rb::fuzz::score(program, "events.xlsx", rest, trace);
  }
  return 0;
}
