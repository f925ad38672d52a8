// CSV exports that are wrong in ways a real MIS or a hostile drop produces: grid columns that are
// not sessions, repeated columns, dates still to come, fields and lines too long to be an export,
// and a file cut short. Each is refused whole, naming line, column and value.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "connectors/inbound/common/csv_marks.h"
#include "connectors/inbound/common/csv_reader.h"
#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

std::unique_ptr<InboundConnector> build(const nlohmann::json& config) {
  std::vector<Problem> problems;
  auto built = findInboundType(config["type"].get<std::string>())
                   ->build(config, "$.sources[0]", "/tmp", ConfigContext{"c.json", &problems});
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return built;
}

ImportBatch parse(const nlohmann::json& config, const std::string& csv) {
  auto connector = build(config);
  return dynamic_cast<CsvMarksConnector&>(*connector).parse(csv, "export.csv");
}

const nlohmann::json kSims = {{"name", "sims"}, {"type", "sims_csv"}};

Date londonToday() {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return london::localDate(now);
}

std::string ukDate(Date day) {
  auto iso = day.iso();  // yyyy-mm-dd
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

}  // namespace

TEST(GridColumns, AColumnThatIsNotAValidSessionHeadingRefusesTheFile) {
  for (const std::string heading : {"31/09/2024 AM", "04/09/2024 XM", "04/13/2024 AM"}) {
    auto batch =
        parse(kSims, "UPN,Legal Surname,02/09/2024 AM," + heading + "\nB801200005001,Smith,/,N\n");
    ASSERT_FALSE(batch.ok()) << heading;
    EXPECT_TRUE(batch.marks.empty());
    ASSERT_EQ(batch.problems.size(), 1u) << (batch.problems.empty() ? "" : batch.problems[1].str());
    EXPECT_EQ(batch.problems[0].line, 1);
    EXPECT_EQ(batch.problems[0].column, 4);
    EXPECT_EQ(batch.problems[0].value, heading);
    EXPECT_NE(batch.problems[0].message.find("not a valid session heading"), std::string::npos);
  }
}

TEST(GridColumns, AGridWhoseOnlySessionHeadingIsBrokenNamesIt) {
  auto batch = parse(kSims, "UPN,Legal Surname,31/09/2024 AM\nB801200005001,Smith,/\n");
  ASSERT_FALSE(batch.ok());
  ASSERT_EQ(batch.problems.size(), 2u);
  EXPECT_NE(batch.problems[0].message.find("grid layout"), std::string::npos);
  EXPECT_EQ(batch.problems[1].column, 3);
  EXPECT_EQ(batch.problems[1].value, "31/09/2024 AM");
}

TEST(GridColumns, AnUnknownColumnRefusesTheFileUnlessListedInIgnoreColumns) {
  std::string csv = "UPN,Attendance %,02/09/2024 AM\nB801200005001,98.5,/\n";
  auto refused = parse(kSims, csv);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.problems[0].column, 2);
  EXPECT_EQ(refused.problems[0].value, "Attendance %");
  EXPECT_NE(refused.problems[0].message.find("ignore_columns"), std::string::npos);
  auto config = kSims;
  config["ignore_columns"] = {"attendance %"};
  auto kept = parse(config, csv);
  ASSERT_TRUE(kept.ok()) << kept.problems[0].str();
  EXPECT_EQ(kept.marks.size(), 1u);
}

TEST(RepeatedColumns, ASecondMarkColumnRefusesTheFile) {
  auto batch = parse(kSims, "UPN,Date,Session,Mark,Mark\nB801200005001,02/09/2024,AM,/,N\n");
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_EQ(batch.problems[0].line, 1);
  EXPECT_EQ(batch.problems[0].column, 5);
  EXPECT_EQ(batch.problems[0].value, "Mark");
  EXPECT_NE(batch.problems[0].message.find("second mark column (column 4"), std::string::npos)
      << batch.problems[0].message;
}

TEST(RepeatedColumns, TwoGridColumnsForOneSessionRefuseTheFile) {
  auto batch = parse(kSims,
                     "UPN,Adno,Admission Number,Mon 02/09/2024 AM,2024-09-02 AM\n"
                     "B801200005001,1,1,/,N\n");
  ASSERT_FALSE(batch.ok());
  ASSERT_EQ(batch.problems.size(), 2u);
  EXPECT_EQ(batch.problems[0].column, 3);  // a second adno column
  EXPECT_EQ(batch.problems[1].column, 5);
  EXPECT_EQ(batch.problems[1].value, "2024-09-02 AM");
  EXPECT_NE(batch.problems[1].message.find("second column for 2024-09-02 AM"), std::string::npos);
}

TEST(FutureDates, AMarkDatedAfterTodayRefusesTheFile) {
  Date tomorrow = londonToday() + 1;
  auto batch = parse(kSims,
                     "UPN,Date,Session,Mark\nB801200005001,02/09/2024,AM,/\n"
                     "B801200005001," +
                         ukDate(tomorrow) + ",AM,/\n");
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_EQ(batch.problems[0].line, 3);
  EXPECT_EQ(batch.problems[0].column, 2);
  EXPECT_EQ(batch.problems[0].value, ukDate(tomorrow));
  EXPECT_NE(batch.problems[0].message.find("after today"), std::string::npos);
  // Today itself is fine: the morning register is taken before the afternoon's import.
  auto today =
      parse(kSims, "UPN,Date,Session,Mark\nB801200005001," + ukDate(londonToday()) + ",AM,/\n");
  EXPECT_TRUE(today.ok()) << today.problems[0].str();
}

TEST(FutureDates, AGridColumnDatedAfterTodayRefusesTheFile) {
  std::string heading = (londonToday() + 7).iso() + " PM";
  auto batch = parse(kSims, "UPN,02/09/2024 AM," + heading + "\nB801200005001,/,N\n");
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].line, 2);
  EXPECT_EQ(batch.problems[0].column, 3);
  EXPECT_EQ(batch.problems[0].value, heading);  // the heading as written, as the file says it
}

TEST(FutureDates, ABlankCellForASessionStillToComeIsNoMark) {
  // A grid exported on a Wednesday for the whole week: Thursday and Friday are still blank.
  std::string later = (londonToday() + 1).iso() + " AM," + (londonToday() + 2).iso() + " AM";
  auto batch = parse(kSims, "UPN,02/09/2024 AM," + later + "\nB801200005001,/,,-\n");
  ASSERT_TRUE(batch.ok()) << batch.problems[0].str();
  ASSERT_EQ(batch.marks.size(), 1u);
  EXPECT_EQ(batch.marks[0].date, test::d("2024-09-02"));
  EXPECT_EQ(batch.missing_marks, 0);  // never a register "not taken" before its day
}

TEST(CsvLimits, AFieldLongerThanTheLimitIsRefusedWithItsLineAndTheLimit) {
  std::string huge(CsvReader::kMaxFieldBytes + 1, 'x');
  for (const std::string& field : {huge, "\"" + huge + "\""}) {
    auto batch = parse(kSims,
                       "UPN,Date,Session,Mark,Comment\nB801200005001,02/09/2024,AM,/,ok\n"
                       "B801200005001,02/09/2024,PM,/," +
                           field + "\n");
    ASSERT_FALSE(batch.ok());
    EXPECT_TRUE(batch.marks.empty());
    EXPECT_EQ(batch.problems[0].line, 3);
    EXPECT_NE(batch.problems[0].message.find("field 5"), std::string::npos)
        << batch.problems[0].message;
    EXPECT_NE(batch.problems[0].message.find(std::to_string(CsvReader::kMaxFieldBytes) + " bytes"),
              std::string::npos);
    EXPECT_EQ(batch.problems[0].value, "");  // the field itself is never copied into a message
  }
}

TEST(CsvLimits, ALineLongerThanTheLimitIsRefusedWithoutBeingGathered) {
  // Many short fields, and a first line with no line break at all: neither is held whole.
  std::string wide = "UPN,Date,Session,Mark";
  while (wide.size() <= CsvReader::kMaxRecordBytes) wide += ",x";
  auto batch = parse(kSims, wide + "\nB801200005001,02/09/2024,AM,/\n");
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].line, 1);
  EXPECT_NE(batch.problems[0].message.find(std::to_string(CsvReader::kMaxRecordBytes)),
            std::string::npos);
  std::string endless(6 * CsvReader::kMaxRecordBytes, 'y');
  TextFeed feed(endless, TextEncoding::Utf8, std::size_t{1} << 16);
  CsvReader reader(feed, 0);
  CsvRecord record;
  EXPECT_FALSE(reader.next(record));
  EXPECT_NE(reader.error().find("longer than"), std::string::npos);
  EXPECT_EQ(reader.errorLine(), 1);
  EXPECT_FALSE(feed.finished());  // stopped reading long before the end
}

TEST(CompleteFiles, AFileCutInTheMiddleOfARecordIsRefusedWhole) {
  test::TempDir dir;
  auto sims = build(kSims);
  std::string whole =
      "UPN,Date,Session,Mark\nB801200005001,02/09/2024,AM,/\n"
      "B801200005001,02/09/2024,PM,N\n";
  // Cut just before the last line break: every row parses, yet the last may be incomplete.
  auto batch = sims->readFile(dir.write("cut.csv", whole.substr(0, whole.size() - 1)));
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  ASSERT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].line, 3);
  EXPECT_NE(batch.problems[0].message.find("ends in the middle of a record"), std::string::npos);
  auto midField = sims->readFile(dir.write("cut2.csv", whole.substr(0, whole.size() - 3)));
  ASSERT_FALSE(midField.ok());
  EXPECT_NE(midField.problems.back().message.find("ends in the middle of a record"),
            std::string::npos);
  auto ok = sims->readFile(dir.write("whole.csv", whole));
  ASSERT_TRUE(ok.ok()) << ok.problems[0].str();
  EXPECT_EQ(ok.marks.size(), 2u);
}
