#include "connectors/inbound/common/csv_reader.h"

namespace markbridge {

char CsvReader::detectDelimiter(std::string_view text) {
  auto firstLine = text.substr(0, text.find('\n'));
  std::size_t commas = 0, tabs = 0, semicolons = 0;
  for (char c : firstLine) {
    commas += c == ',';
    tabs += c == '\t';
    semicolons += c == ';';
  }
  if (tabs > commas && tabs >= semicolons) return '\t';
  if (semicolons > commas) return ';';
  return ',';
}

bool CsvReader::next(CsvRecord& record) {
  std::size_t used = 0;
  while (pos_ < text_.size()) {
    record.line = line_;
    used = 0;
    bool endOfRecord = false;
    while (!endOfRecord) {
      if (used == record.fields.size()) record.fields.emplace_back();
      std::string& field = record.fields[used++];
      field.clear();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        int quoteLine = line_;
        ++pos_;
        for (;;) {
          if (pos_ >= text_.size()) {
            error_ =
                "a quoted field opened on line " + std::to_string(quoteLine) + " is never closed";
            errorLine_ = quoteLine;
            return false;
          }
          char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              field += '"';
              ++pos_;
              continue;
            }
            break;
          }
          if (c == '\n') ++line_;
          field += c;
        }
        // After the closing quote only a delimiter or the end of the line may follow.
        if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\r' &&
            text_[pos_] != '\n') {
          error_ = "unexpected character after a closing quote in field " + std::to_string(used);
          errorLine_ = line_;
          return false;
        }
      } else {
        std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' &&
               text_[pos_] != '\r')
          ++pos_;
        field.assign(text_.substr(start, pos_ - start));
      }
      if (pos_ >= text_.size()) {
        endOfRecord = true;
      } else if (text_[pos_] == delimiter_) {
        ++pos_;
      } else {
        if (text_[pos_] == '\r') ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        endOfRecord = true;
      }
    }
    bool blank = used == 1 && record.fields[0].empty();
    if (!blank) {
      record.fields.resize(used);
      return true;
    }
  }
  return false;
}

}  // namespace markbridge
