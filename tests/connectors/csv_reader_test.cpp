#include "connectors/inbound/common/csv_reader.h"

#include <gtest/gtest.h>

using namespace markbridge;

namespace {
std::vector<CsvRecord> readAll(std::string_view text, std::string* error = nullptr) {
  CsvReader reader(text, ',');
  std::vector<CsvRecord> records;
  CsvRecord r;
  while (reader.next(r)) records.push_back(r);
  if (error) *error = reader.error();
  return records;
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
