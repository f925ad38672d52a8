#include "mapping/text_encoding.h"

#include <cstdint>

namespace markbridge {

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

namespace {

// Windows-1252 bytes 0x80..0x9F; 0 marks the five undefined bytes.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

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

bool TextDecoder::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool TextDecoder::decode(std::string_view bytes, bool last, std::string& out) {
  if (!error_.empty()) return false;
  std::string joined;
  if (!carry_.empty()) {
    joined = carry_ + std::string(bytes);
    bytes = joined;
    carry_.clear();
  }
  if (!started_) {
    // A BOM shorter than the first block cannot be judged yet.
    if (!last && bytes.size() < 3) {
      carry_.assign(bytes);
      return true;
    }
    started_ = true;
    bool utf8Bom = bytes.substr(0, 3) == "\xEF\xBB\xBF";
    bool utf16Bom = bytes.substr(0, 2) == "\xFF\xFE";
    if (encoding_ == TextEncoding::Auto)
      encoding_ = utf16Bom ? TextEncoding::Utf16le
                  : utf8Bom || firstInvalidUtf8(bytes, !last, nullptr) == bytes.size()
                      ? TextEncoding::Utf8
                      : TextEncoding::Windows1252;
    std::size_t bom = encoding_ == TextEncoding::Utf8 && utf8Bom       ? 3
                      : encoding_ == TextEncoding::Utf16le && utf16Bom ? 2
                                                                       : 0;
    bytes.remove_prefix(bom);
    offset_ += bom;
  }
  switch (encoding_) {
    case TextEncoding::Windows1252:
      out.reserve(out.size() + bytes.size());
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto b = static_cast<uint8_t>(bytes[i]);
        if (b < 0x80) {
          out += static_cast<char>(b);
        } else if (b < 0xA0) {
          uint16_t cp = kCp1252High[b - 0x80];
          if (cp == 0)
            return fail("byte " + std::to_string(b) + " at offset " + std::to_string(offset_ + i) +
                        " is undefined in Windows-1252");
          appendUtf8(out, cp);
        } else {
          appendUtf8(out, b);
        }
      }
      offset_ += bytes.size();
      return true;
    case TextEncoding::Utf16le: {
      auto unit = [&](std::size_t i) {
        return static_cast<uint16_t>(static_cast<uint8_t>(bytes[i]) |
                                     (static_cast<uint8_t>(bytes[i + 1]) << 8));
      };
      std::size_t i = 0;
      out.reserve(out.size() + bytes.size() / 2);
      for (; i + 1 < bytes.size(); i += 2) {
        uint32_t cp = unit(i);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (i + 3 >= bytes.size() && !last) break;  // the low half is in the next block
          uint16_t low = i + 3 < bytes.size() ? unit(i + 2) : 0;
          if (low < 0xDC00 || low > 0xDFFF)
            return fail("unpaired UTF-16 surrogate at offset " + std::to_string(offset_ + i));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 2;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail("unpaired UTF-16 surrogate at offset " + std::to_string(offset_ + i));
        }
        appendUtf8(out, cp);
      }
      carry_.assign(bytes.substr(i));
      offset_ += i;
      if (last && !carry_.empty()) return fail("UTF-16 text has an odd number of bytes");
      return true;
    }
    default: {
      std::size_t complete = bytes.size();
      std::size_t bad = firstInvalidUtf8(bytes, !last, &complete);
      if (bad != bytes.size())
        return fail("the file is not valid UTF-8 (byte offset " + std::to_string(offset_ + bad) +
                    ")");
      out.append(bytes.substr(0, complete));
      carry_.assign(bytes.substr(complete));
      offset_ += complete;
      return true;
    }
  }
}

DecodedText decodeToUtf8(std::string_view bytes, TextEncoding encoding) {
  TextDecoder decoder(encoding);
  DecodedText result;
  decoder.decode(bytes, true, result.utf8);
  result.detected = decoder.detected();
  result.error = decoder.error();
  return result;
}

}  // namespace markbridge
