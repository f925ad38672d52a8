#pragma once
// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), the
// only text the store keeps and the JSON writer accepts. One copy for inbound files, the store's
// read paths and messages.

#include <cstddef>
#include <string>
#include <string_view>

namespace markbridge {

// Offset of the first byte that does not start a well-formed sequence, or text.size(). With
// `partialEnd`, a sequence cut short by the end of `text` is not an error and `*complete` is set
// to where it starts (text.size() when none).
std::size_t firstInvalidUtf8(std::string_view text, bool partialEnd = false,
                             std::size_t* complete = nullptr);
inline bool isValidUtf8(std::string_view text) {
  return firstInvalidUtf8(text) == text.size();
}
// Replaces each ill-formed sequence by U+FFFD; returns how many were replaced.
int repairUtf8(std::string& text);
// Characters (code points) in well-formed `text`.
std::size_t utf8Length(std::string_view text);
// `text` for a message: at most `maxChars` characters, cut at a character boundary, with
// "... (N bytes)" when cut; ill-formed bytes shown as \xHH.
std::string excerptUtf8(std::string_view text, std::size_t maxChars = 40);
// "0xE9"
std::string hexByte(unsigned char byte);

}  // namespace markbridge
