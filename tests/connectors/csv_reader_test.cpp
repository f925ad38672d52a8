#include "connectors/inbound/common/csv_reader.h"

#include <gtest/gtest.h>

using namespace markbridge;

namespace {
struct Row {
  int line;
  std::vector<std::string> fields;
  bool operator==(const Row&) const = default;
};

std::vector<Row> readAll(CsvReader& reader, std::string* error) {
  std::vector<Row> records;
  CsvRecord r;
  while (reader.next(r)) records.push_back({r.line, {r.fields.begin(), r.fields.end()}});
  if (error) *error = reader.error();
  return records;
}

std::vector<Row> readAll(std::string_view text, std::string* error = nullptr) {
  CsvReader reader(text, ',');
  return readAll(reader, error);
}
}  // namespace

TEST(CsvReader, HandlesQuotedCommasDoubledQuotesAndCrlf) {
  auto records = readAll("a,\"Davies, Jr\",\"say \"\"hi\"\"\"\r\nb,,c\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "Davies, Jr", "say \"hi\""}));
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"b", "", "c"}));
  EXPECT_EQ(records[1].line, 2);
}

TEST(CsvReader, LineNumbersCountLineBreaksInsideQuotes) {
  auto records = readAll("h1,h2\n\"multi\nline\",x\n\nlast,y");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].fields[0], "multi\nline");
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 5);  // the blank line 4 is skipped
}

TEST(CsvReader, ReportsAnUnclosedQuoteWithItsLine) {
  std::string error;
  auto records = readAll("a,b\nc,\"never closed\n", &error);
  EXPECT_EQ(records.size(), 1u);
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
}

TEST(CsvReader, DetectsTabAndSemicolonDelimiters) {
  EXPECT_EQ(CsvReader::detectDelimiter("UPN\tDate\tMark\n"), '\t');
  EXPECT_EQ(CsvReader::detectDelimiter("UPN;Date;Mark\n"), ';');
  EXPECT_EQ(CsvReader::detectDelimiter("UPN,Date,Mark\n"), ',');
}

TEST(CsvReader, ReadsTheSameRecordsWhateverTheBlockSize) {
  // Records, quoted line breaks, CRLF pairs and multi-byte characters split across blocks.
  const std::string text =
      "UPN,Name,Mark\r\nA1,\"Zo\xC3\xAB O'Brien-\xC5\x81ukasz\",/\r\n\r\nA2,\"two\r\nlines, "
      "\"\"quoted\"\"\",N\r\nA3,,\\";
  auto whole = readAll(text);
  ASSERT_EQ(whole.size(), 4u);
  for (std::size_t block = 1; block <= 24; ++block) {
    TextFeed feed(text, TextEncoding::Utf8, block);
    CsvReader reader(feed, 0);
    std::string error;
    EXPECT_EQ(readAll(reader, &error), whole) << "block size " << block;
    EXPECT_EQ(error, "") << "block size " << block;
  }
}

TEST(CsvReader, ReadsUtf16AndWindows1252InSmallBlocks) {
  const std::string expected = "Zo\xC3\xAB \xE2\x82\xAC";  // "Zoë €"
  std::string utf16 = "\xFF\xFE";
  for (char16_t c : std::u16string(u"N,Zo\u00EB \u20AC\n")) {
    utf16 += static_cast<char>(c & 0xFF);
    utf16 += static_cast<char>(c >> 8);
  }
  for (std::size_t block = 1; block <= 7; ++block) {
    TextFeed wide(utf16, TextEncoding::Auto, block);
    CsvReader reader(wide, ',');
    auto rows = readAll(reader, nullptr);
    ASSERT_EQ(rows.size(), 1u) << block;
    EXPECT_EQ(rows[0].fields[1], expected) << block;
    TextFeed narrow(std::string_view("N,Zo\xEB \x80\n"), TextEncoding::Windows1252, block);
    CsvReader reader1252(narrow, ',');
    auto narrowRows = readAll(reader1252, nullptr);
    ASSERT_EQ(narrowRows.size(), 1u) << block;
    EXPECT_EQ(narrowRows[0].fields[1], expected) << block;
  }
}

TEST(CsvReader, ReportsBytesThatAreNotUtf8WithTheirOffset) {
  TextFeed feed(std::string_view("UPN\nZo\xEB\n"), TextEncoding::Utf8, 4);
  CsvReader reader(feed, ',');
  std::string error;
  readAll(reader, &error);
  EXPECT_NE(error.find("byte offset 6"), std::string::npos) << error;
}
