#pragma once
// RFC 4180 CSV over UTF-8 text: quoted fields with commas, doubled quotes and line breaks,
// CRLF or LF. Records carry the line they start on so errors can name file:line:column.

#include <string>
#include <string_view>
#include <vector>

namespace markbridge {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}
  // Guesses the delimiter from the first line: tab (Excel "Unicode text"), semicolon or comma.
  static char detectDelimiter(std::string_view text);

  // Reads the next non-blank record; false at the end of input or on a malformed record, in
  // which case error() says why and errorLine() where.
  bool next(CsvRecord& record);
  const std::string& error() const { return error_; }
  int errorLine() const { return errorLine_; }

 private:
  std::string_view text_;
  char delimiter_;
  std::size_t pos_ = 0;
  int line_ = 1;
  std::string error_;
  int errorLine_ = 0;
};

}  // namespace markbridge
