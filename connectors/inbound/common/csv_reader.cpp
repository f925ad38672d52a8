#include "connectors/inbound/common/csv_reader.h"

#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace markbridge {
namespace {

// Where the unquoted field starting at `pos` ends: the next delimiter, CR or LF (16 bytes at a
// time where the CPU allows; this loop is most of the time spent reading a large export).
std::size_t fieldEnd(const char* text, std::size_t pos, std::size_t size, char delimiter) {
#ifdef __SSE2__
  const __m128i delim = _mm_set1_epi8(delimiter);
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (pos + 16 <= size) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + pos));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(chunk, delim),
                               _mm_or_si128(_mm_cmpeq_epi8(chunk, cr), _mm_cmpeq_epi8(chunk, lf)));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0)
      return pos + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    pos += 16;
  }
#endif
  while (pos < size) {
    char c = text[pos];
    if (c == delimiter || c == '\n' || c == '\r') break;
    ++pos;
  }
  return pos;
}

}  // namespace

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

CsvReader::Parsed CsvReader::tooLong(std::size_t bytes, int line, int field) {
  std::string what = field > 0 ? "field " + std::to_string(field) : "the record";
  std::size_t limit = field > 0 ? kMaxFieldBytes : kMaxRecordBytes;
  error_ = what + " starting on line " + std::to_string(line) + " is longer than " +
           std::to_string(limit) + " bytes (at least " + std::to_string(bytes) +
           "): no attendance export has a field or line this long (a missing closing quote, or "
           "not an export at all); refused, limit " +
           std::to_string(limit) + " bytes";
  errorLine_ = line;
  return Parsed::Failed;
}

bool CsvReader::refill() {
  buffer_.erase(0, pos_);
  pos_ = 0;
  if (!feed_ || !feed_->next(buffer_)) {
    final_ = true;
    if (feed_ && !feed_->ok()) {
      error_ = feed_->error();
      errorLine_ = line_;
      return false;
    }
  }
  return true;
}

// The common case, a whole line with no quote in it, split in one pass. False (nothing consumed)
// when the line has a quote or its end is not in the buffer yet.
bool CsvReader::plainLine(CsvRecord& record) {
  const char* text = buffer_.data();
  const std::size_t size = buffer_.size();
  const void* found = std::memchr(text + pos_, '\n', size - pos_);
  std::size_t end = found ? static_cast<std::size_t>(static_cast<const char*>(found) - text)
                          : (final_ ? size : std::string::npos);
  if (end == std::string::npos) return false;
  std::size_t stop = end > pos_ && text[end - 1] == '\r' ? end - 1 : end;
  if (stop - pos_ > kMaxRecordBytes) return false;  // parseRecord() names the field or line
  if (std::memchr(text + pos_, '"', stop - pos_) || std::memchr(text + pos_, '\r', stop - pos_))
    return false;
  record.line = line_;
  std::size_t used = 0;
  std::size_t start = pos_;
  const char delimiter = delimiter_;
  auto cut = [&](std::size_t at) {
    if (used == record.fields.size()) record.fields.emplace_back();
    record.fields[used++] = std::string_view(text + start, at - start);
    start = at + 1;
  };
  std::size_t i = pos_;
#ifdef __SSE2__
  // Delimiter positions 16 bytes at a time, as a bit mask: no branch per byte to mispredict.
  const __m128i wanted = _mm_set1_epi8(delimiter);
  for (; i + 16 <= stop; i += 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + i));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, wanted)));
    for (; mask; mask &= mask - 1) cut(i + static_cast<std::size_t>(__builtin_ctz(mask)));
  }
#endif
  for (; i < stop; ++i)
    if (text[i] == delimiter) cut(i);
  if (used == record.fields.size()) record.fields.emplace_back();
  record.fields[used++] = std::string_view(text + start, stop - start);
  record.fields.resize(used);
  for (const auto& field : record.fields)
    if (field.size() > kMaxFieldBytes) {
      record.fields.clear();
      return false;  // parseRecord() reads it again and names it
    }
  if (end == size) endsMidRecord_ = true;  // final_: the input ends without a line break
  pos_ = end < size ? end + 1 : end;
  ++line_;
  return true;
}

CsvReader::Parsed CsvReader::parseRecord(CsvRecord& record) {
  if (plainLine(record))
    return record.fields.size() == 1 && record.fields[0].empty() ? Parsed::Blank : Parsed::Record;
  const char* text = buffer_.data();
  const std::size_t size = buffer_.size();
  record.line = line_;
  const std::size_t recordStart = pos_;
  std::size_t used = 0;
  for (;;) {
    if (used == record.fields.size()) record.fields.emplace_back();
    if (used == unquoted_.size()) unquoted_.emplace_back();
    std::string_view& field = record.fields[used++];
    if (pos_ < size && text[pos_] == '"') {
      std::string& value = unquoted_[used - 1];
      value.clear();
      int quoteLine = line_;
      ++pos_;
      for (;;) {
        if (pos_ >= size) {
          if (!final_) return Parsed::NeedMore;
          error_ =
              "a quoted field opened on line " + std::to_string(quoteLine) + " is never closed";
          errorLine_ = quoteLine;
          return Parsed::Failed;
        }
        char c = text[pos_++];
        if (c == '"') {
          if (pos_ >= size && !final_) return Parsed::NeedMore;
          if (pos_ < size && text[pos_] == '"') {
            value += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        value += c;
        if (value.size() > kMaxFieldBytes)
          return tooLong(value.size(), quoteLine, static_cast<int>(used));
      }
      // After the closing quote only a delimiter or the end of the line may follow.
      if (pos_ < size && text[pos_] != delimiter_ && text[pos_] != '\r' && text[pos_] != '\n') {
        error_ = "unexpected character after a closing quote in field " + std::to_string(used);
        errorLine_ = line_;
        return Parsed::Failed;
      }
      field = value;
    } else {
      std::size_t start = pos_;
      pos_ = fieldEnd(text, pos_, size, delimiter_);
      if (pos_ - start > kMaxFieldBytes)
        return tooLong(pos_ - start, line_, static_cast<int>(used));
      field = std::string_view(text + start, pos_ - start);
    }
    if (pos_ >= size) {
      if (!final_) return Parsed::NeedMore;
      endsMidRecord_ = true;
      break;
    }
    if (text[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    if (text[pos_] == '\r') {
      if (pos_ + 1 >= size && !final_) return Parsed::NeedMore;
      ++pos_;
    }
    if (pos_ < size && text[pos_] == '\n') ++pos_;
    ++line_;
    break;
  }
  record.fields.resize(used);
  if (pos_ - recordStart > kMaxRecordBytes) return tooLong(pos_ - recordStart, record.line, 0);
  return used == 1 && record.fields[0].empty() ? Parsed::Blank : Parsed::Record;
}

bool CsvReader::next(CsvRecord& record) {
  if (!error_.empty()) return false;
  for (;;) {
    if (pos_ >= buffer_.size()) {
      if (final_) return false;
      if (!refill()) return false;
      continue;
    }
    if (delimiter_ == 0) {
      // The whole first line is needed to guess.
      if (buffer_.find('\n', pos_) == std::string::npos && !final_) {
        if (buffer_.size() - pos_ > kMaxRecordBytes) {
          tooLong(buffer_.size() - pos_, line_, 0);
          return false;
        }
        if (!refill()) return false;
        continue;
      }
      delimiter_ = detectDelimiter(std::string_view(buffer_).substr(pos_));
    }
    std::size_t start = pos_;
    int startLine = line_;
    switch (parseRecord(record)) {
      case Parsed::Record:
        lastLine_ = record.line;
        return true;
      case Parsed::Blank:
        continue;
      case Parsed::Failed:
        return false;
      case Parsed::NeedMore:
        if (buffer_.size() - start > kMaxRecordBytes) {
          tooLong(buffer_.size() - start, startLine, 0);
          return false;
        }
        pos_ = start;
        line_ = startLine;
        if (!refill()) return false;
        break;
    }
  }
}

}  // namespace markbridge
