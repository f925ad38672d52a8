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

TEST(Utf8, OnlyWellFormedUtf8IsValid) {
  EXPECT_TRUE(isValidUtf8(kName));
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(isValidUtf8("Zo\xEB"));            // Windows-1252
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // a surrogate, which JSON writers refuse
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // cut short
  EXPECT_EQ(firstInvalidUtf8("abc\xE2\x82"), 3u);
  std::size_t complete = 0;
  EXPECT_EQ(firstInvalidUtf8("abc\xE2\x82", true, &complete), 5u);
  EXPECT_EQ(complete, 3u);
}

TEST(Utf8, RepairReplacesEachIllFormedByteAndCountsThem) {
  std::string text = "Zo\xEB \xED\xA0\x80 ok \xE2\x82";
  EXPECT_EQ(repairUtf8(text), 6);
  EXPECT_EQ(text, "Zo\uFFFD \uFFFD\uFFFD\uFFFD ok \uFFFD\uFFFD");
  EXPECT_TRUE(isValidUtf8(text));
  std::string fine = kName;
  EXPECT_EQ(repairUtf8(fine), 0);
  EXPECT_EQ(fine, kName);
}

TEST(Utf8, AnExcerptIsShortSafeAndSaysHowLongTheValueWas) {
  EXPECT_EQ(excerptUtf8("Łukasz", 3), "Łuk... (7 bytes)");
  EXPECT_EQ(excerptUtf8("a\xFF\n", 10), "a\\xFF\\x0A");
  EXPECT_EQ(excerptUtf8(std::string(1 << 20, 'x')).size(),
            40 + std::string("... (1048576 bytes)").size());
}

TEST(TextEncoding, AUtf8FileHoldingAnEncodedSurrogateIsNotUtf8) {
  auto decoded = decodeToUtf8("Zo\xED\xA0\x80", TextEncoding::Utf8);
  EXPECT_NE(decoded.error, "");
}
