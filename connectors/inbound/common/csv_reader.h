#pragma once
// RFC 4180 CSV over UTF-8 text: quoted fields with commas, doubled quotes and line breaks,
// CRLF or LF. Records carry the line they start on so errors can name file:line:column. Reads a
// TextFeed block by block (a record may span blocks), so memory stays flat for any file size:
// a field longer than kMaxFieldBytes or a record longer than kMaxRecordBytes is refused (never
// gathered), so a hostile file cannot make the reader hold more than a record and a block.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/inbound/common/text_feed.h"

namespace markbridge {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  // Valid until the next call to CsvReader::next().
  std::vector<std::string_view> fields;
};

class CsvReader {
 public:
  // Far above any name, code or comment an MIS writes, and any grid row (380 sessions).
  static constexpr std::size_t kMaxFieldBytes = std::size_t{64} << 10;  // 64 KiB
  static constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 20;  // 1 MiB
  // `delimiter` 0: guessed from the first line.
  CsvReader(TextFeed& feed, char delimiter) : feed_(&feed), delimiter_(delimiter) {}
  // Text already decoded.
  CsvReader(std::string_view text, char delimiter)
      : buffer_(text), delimiter_(delimiter), final_(true) {}
  // Guesses the delimiter from the first line: tab (Excel "Unicode text"), semicolon or comma.
  static char detectDelimiter(std::string_view text);

  // Reads the next non-blank record; false at the end of input or on a malformed record or
  // unreadable input, in which case error() says why and errorLine() where.
  bool next(CsvRecord& record);
  const std::string& error() const { return error_; }
  int errorLine() const { return errorLine_; }
  char delimiter() const { return delimiter_; }
  // The input ended inside its last record (no line break after it): the file was cut short or
  // is still being written. Meaningful once next() has returned false with no error.
  bool endsMidRecord() const { return endsMidRecord_; }
  // The line the last record read starts on.
  int lastLine() const { return lastLine_; }

 private:
  enum class Parsed { Record, Blank, NeedMore, Failed };
  Parsed parseRecord(CsvRecord& record);
  bool plainLine(CsvRecord& record);
  bool refill();
  Parsed tooLong(std::size_t bytes, int line, int field);

  TextFeed* feed_ = nullptr;
  std::string buffer_;
  std::deque<std::string> unquoted_;  // per field: a quoted field unescaped (stable addresses)
  char delimiter_;
  bool final_ = false;  // the buffer holds the rest of the input
  std::size_t pos_ = 0;
  int line_ = 1;
  std::string error_;
  int errorLine_ = 0;
  bool endsMidRecord_ = false;
  int lastLine_ = 0;
};

}  // namespace markbridge
