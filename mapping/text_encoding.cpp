#include "mapping/text_encoding.h"

#include <cstdint>

namespace markbridge {
namespace {

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Windows-1252 bytes 0x80..0x9F; 0 marks the five undefined bytes.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

DecodedText fromWindows1252(std::string_view bytes) {
  DecodedText result{{}, TextEncoding::Windows1252, {}};
  result.utf8.reserve(bytes.size() + bytes.size() / 8);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<uint8_t>(bytes[i]);
    if (b < 0x80) {
      result.utf8 += static_cast<char>(b);
    } else if (b < 0xA0) {
      uint16_t cp = kCp1252High[b - 0x80];
      if (cp == 0 && result.error.empty())
        result.error = "byte " + std::to_string(b) + " at offset " + std::to_string(i) +
                       " is undefined in Windows-1252";
      appendUtf8(result.utf8, cp == 0 ? 0xFFFD : cp);
    } else {
      appendUtf8(result.utf8, b);
    }
  }
  return result;
}

DecodedText fromUtf16le(std::string_view bytes) {
  DecodedText result{{}, TextEncoding::Utf16le, {}};
  if (bytes.size() % 2 != 0) result.error = "UTF-16 text has an odd number of bytes";
  result.utf8.reserve(bytes.size() / 2);
  auto unit = [&](std::size_t i) {
    return static_cast<uint16_t>(static_cast<uint8_t>(bytes[i]) |
                                 (static_cast<uint8_t>(bytes[i + 1]) << 8));
  };
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < bytes.size()) {
      uint16_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      if (result.error.empty())
        result.error = "unpaired UTF-16 surrogate at offset " + std::to_string(i);
      cp = 0xFFFD;
    }
    appendUtf8(result.utf8, cp);
  }
  return result;
}

}  // namespace

std::optional<TextEncoding> parseTextEncoding(std::string_view name) {
  if (name == "auto") return TextEncoding::Auto;
  if (name == "utf-8") return TextEncoding::Utf8;
  if (name == "windows-1252") return TextEncoding::Windows1252;
  if (name == "utf-16le") return TextEncoding::Utf16le;
  return std::nullopt;
}

std::string_view toString(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::Auto:
      return "auto";
    case TextEncoding::Utf8:
      return "utf-8";
    case TextEncoding::Windows1252:
      return "windows-1252";
    case TextEncoding::Utf16le:
      return "utf-16le";
  }
  return "?";
}

bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    auto b = static_cast<uint8_t>(text[i]);
    std::size_t extra = 0;
    if (b < 0x80)
      extra = 0;
    else if (b >= 0xC2 && b <= 0xDF)
      extra = 1;
    else if (b >= 0xE0 && b <= 0xEF)
      extra = 2;
    else if (b >= 0xF0 && b <= 0xF4)
      extra = 3;
    else
      return false;
    if (extra > n - i - 1) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<uint8_t>(text[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

DecodedText decodeToUtf8(std::string_view bytes, TextEncoding encoding) {
  bool utf8Bom = bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF";
  bool utf16Bom = bytes.size() >= 2 && bytes.substr(0, 2) == "\xFF\xFE";
  if (encoding == TextEncoding::Auto) {
    if (utf16Bom)
      encoding = TextEncoding::Utf16le;
    else if (utf8Bom || isValidUtf8(bytes))
      encoding = TextEncoding::Utf8;
    else
      encoding = TextEncoding::Windows1252;
  }
  switch (encoding) {
    case TextEncoding::Utf16le:
      return fromUtf16le(utf16Bom ? bytes.substr(2) : bytes);
    case TextEncoding::Windows1252:
      return fromWindows1252(bytes);
    default:
      break;
  }
  auto body = utf8Bom ? bytes.substr(3) : bytes;
  DecodedText result{std::string(body), TextEncoding::Utf8, {}};
  if (!isValidUtf8(body)) result.error = "the file is not valid UTF-8";
  return result;
}

}  // namespace markbridge
