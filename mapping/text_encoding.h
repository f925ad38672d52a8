#pragma once
// MIS exports arrive as UTF-8 (with or without BOM), Windows-1252, or UTF-16 with a BOM (Excel
// "Unicode text"). Everything past the connector boundary is UTF-8. Large exports are decoded
// block by block: a character split between two blocks is carried over.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/domain/utf8.h"

namespace markbridge {

enum class TextEncoding { Auto, Utf8, Windows1252, Utf16le };
std::optional<TextEncoding> parseTextEncoding(std::string_view name);
std::string_view toString(TextEncoding encoding);

class TextDecoder {
 public:
  // Auto: a BOM decides; without one, a first block that is valid UTF-8 makes the text UTF-8 and
  // anything else is Windows-1252.
  explicit TextDecoder(TextEncoding encoding) : encoding_(encoding) {}
  // Appends the UTF-8 of the next `bytes` to `out`; `last` says no more bytes follow. False, with
  // error() naming the byte offset, when the bytes are not valid in the encoding.
  bool decode(std::string_view bytes, bool last, std::string& out);
  TextEncoding detected() const { return encoding_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string message);
  TextEncoding encoding_;
  bool started_ = false;
  std::string carry_;         // bytes of a character that continues in the next block
  std::uint64_t offset_ = 0;  // bytes of input consumed before `carry_`
  std::string error_;
};

struct DecodedText {
  std::string utf8;
  TextEncoding detected = TextEncoding::Utf8;
  std::string error;  // non-empty when the bytes are not valid in the encoding
};

// The whole of `bytes` at once.
DecodedText decodeToUtf8(std::string_view bytes, TextEncoding encoding);
// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void appendUtf8(std::string& out, uint32_t cp);

}  // namespace markbridge
