#pragma once
// MIS exports arrive as UTF-8 (with or without BOM), Windows-1252, or UTF-16 with a BOM (Excel
// "Unicode text"). Everything past the connector boundary is UTF-8.

#include <optional>
#include <string>
#include <string_view>

namespace markbridge {

enum class TextEncoding { Auto, Utf8, Windows1252, Utf16le };
std::optional<TextEncoding> parseTextEncoding(std::string_view name);
std::string_view toString(TextEncoding encoding);

struct DecodedText {
  std::string utf8;
  TextEncoding detected = TextEncoding::Utf8;
  std::string error;  // non-empty when the bytes are not valid in the encoding
};

// Auto: a BOM decides; without one, valid UTF-8 is UTF-8 and anything else is Windows-1252.
DecodedText decodeToUtf8(std::string_view bytes, TextEncoding encoding);
bool isValidUtf8(std::string_view text);

}  // namespace markbridge
