#include "core/domain/utf8.h"

#include <cstdint>
#include <cstring>

namespace markbridge {
namespace {

// Length of the leading run of ASCII bytes, eight at a time.
std::size_t asciiPrefix(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < text.size() && static_cast<uint8_t>(text[i]) < 0x80) ++i;
  return i;
}

constexpr std::size_t kIllFormed = 0;
constexpr std::size_t kCutShort = static_cast<std::size_t>(-1);

// The length of the well-formed sequence at text[i] (a non-ASCII byte), kIllFormed, or kCutShort
// when the bytes so far are right but the text ends first (RFC 3629 section 4).
std::size_t sequenceAt(std::string_view text, std::size_t i) {
  auto b = static_cast<uint8_t>(text[i]);
  std::size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    length = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    length = 3;
    if (b == 0xE0) low = 0xA0;   // no overlong forms
    if (b == 0xED) high = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    length = 4;
    if (b == 0xF0) low = 0x90;
    if (b == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return kIllFormed;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return kCutShort;
    auto c = static_cast<uint8_t>(text[i + k]);
    if (k == 1 ? (c < low || c > high) : (c & 0xC0) != 0x80) return kIllFormed;
  }
  return length;
}

}  // namespace

std::size_t firstInvalidUtf8(std::string_view text, bool partialEnd, std::size_t* complete) {
  const std::size_t n = text.size();
  if (complete) *complete = n;
  std::size_t i = 0;
  while (i < n) {
    i += asciiPrefix(text.substr(i));
    if (i >= n) break;
    std::size_t length = sequenceAt(text, i);
    if (length == kIllFormed) return i;
    if (length == kCutShort) {
      if (!partialEnd) return i;
      if (complete) *complete = i;
      return n;
    }
    i += length;
  }
  return n;
}

int repairUtf8(std::string& text) {
  std::size_t bad = firstInvalidUtf8(text);
  if (bad == text.size()) return 0;
  std::string repaired(text.substr(0, bad));
  int replaced = 0;
  std::size_t i = bad;
  while (i < text.size()) {
    auto b = static_cast<uint8_t>(text[i]);
    std::size_t length = b < 0x80 ? 1 : sequenceAt(text, i);
    if (length == kIllFormed || length == kCutShort) {
      repaired += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++replaced;
      ++i;
      continue;
    }
    repaired.append(text, i, length);
    i += length;
  }
  text = std::move(repaired);
  return replaced;
}

std::size_t utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return count;
}

std::string hexByte(unsigned char byte) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[byte >> 4] + kDigits[byte & 0xF];
}

std::string excerptUtf8(std::string_view text, std::size_t maxChars) {
  std::string shown;
  std::size_t i = 0, chars = 0;
  while (i < text.size() && chars < maxChars) {
    auto b = static_cast<uint8_t>(text[i]);
    std::size_t length = b < 0x80 ? 1 : sequenceAt(text, i);
    if (length == kIllFormed || length == kCutShort) {
      shown += "\\x" + hexByte(b).substr(2);
      length = 1;
    } else if (b < 0x20 || b == 0x7F) {
      shown += "\\x" + hexByte(b).substr(2);
    } else {
      shown.append(text, i, length);
    }
    i += length;
    ++chars;
  }
  if (i < text.size()) shown += "... (" + std::to_string(text.size()) + " bytes)";
  return shown;
}

}  // namespace markbridge
