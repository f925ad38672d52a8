#include "mapping/text_encoding.h"

#include <gtest/gtest.h>

using namespace markbridge;

namespace {
const std::string kName = "Zoë O'Brien-Łukasz";  // UTF-8 source text
}

TEST(TextEncoding, StripsTheUtf8Bom) {
  auto decoded = decodeToUtf8("\xEF\xBB\xBF" + kName, TextEncoding::Auto);
  EXPECT_EQ(decoded.utf8, kName);
  EXPECT_TRUE(decoded.error.empty());
}

TEST(TextEncoding, DecodesWindows1252WhenTheBytesAreNotUtf8) {
  auto decoded = decodeToUtf8("Zo\xEB \x80", TextEncoding::Auto);
  EXPECT_EQ(decoded.detected, TextEncoding::Windows1252);
  EXPECT_EQ(decoded.utf8, "Zoë €");
}

TEST(TextEncoding, DecodesUtf16LittleEndianWithBom) {
  std::u16string wide = u"Zoë O'Brien-Łukasz,😀";
  std::string bytes = "\xFF\xFE";
  for (char16_t c : wide) {
    bytes += static_cast<char>(c & 0xFF);
    bytes += static_cast<char>(c >> 8);
  }
  auto decoded = decodeToUtf8(bytes, TextEncoding::Auto);
  EXPECT_EQ(decoded.detected, TextEncoding::Utf16le);
  EXPECT_EQ(decoded.utf8, kName + ",😀");
  EXPECT_TRUE(decoded.error.empty());
}

TEST(TextEncoding, ReportsInvalidInput) {
  EXPECT_FALSE(decodeToUtf8("\xFF\xFE\x41", TextEncoding::Auto).error.empty());  // odd length
  EXPECT_FALSE(decodeToUtf8("Zo\xEB", TextEncoding::Utf8).error.empty());
  EXPECT_FALSE(isValidUtf8("\xC3"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));  // overlong
  EXPECT_TRUE(isValidUtf8(kName));
}
