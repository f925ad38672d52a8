// The SIMS grid layout and the Class Charts export, through the shared CSV marks reader.

#include "connectors/inbound/common/csv_marks.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

std::unique_ptr<InboundConnector> build(const nlohmann::json& config) {
  std::vector<Problem> problems;
  auto built = findInboundType(config["type"].get<std::string>())
                   ->build(config, "$.sources[0]", "/tmp", ConfigContext{"c.json", &problems});
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return built;
}

std::string fixture(const std::string& name) {
  return test::sourceDir() + "/tests/fixtures/" + name;
}

std::string codesOf(const ImportBatch& batch) {
  std::string codes;
  for (const auto& m : batch.marks)
    codes += m.upn.substr(12) + ":" + m.date.iso().substr(8) + std::string(toString(m.session)) +
             "=" + std::string(m.code.str()) + " ";
  return codes;
}

}  // namespace

TEST(SessionHeader, ReadsTheSpellingsOfAGridColumn) {
  auto plain = parseSessionHeader("02/09/2024 AM");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->first, d("2024-09-02"));
  EXPECT_EQ(plain->second, Session::AM);
  auto weekday = parseSessionHeader("Mon 03/09/2024 PM");
  ASSERT_TRUE(weekday);
  EXPECT_EQ(weekday->first, d("2024-09-03"));
  EXPECT_EQ(weekday->second, Session::PM);
  EXPECT_FALSE(parseSessionHeader("Legal Surname"));
  EXPECT_FALSE(parseSessionHeader("Reg Group"));
  EXPECT_FALSE(parseSessionHeader("31/02/2024 AM"));
}

TEST(SimsGrid, ReadsOneRowPerPupilWithAColumnPerSession) {
  auto sims = build({{"name", "sims"}, {"type", "sims_csv"}});
  auto batch = sims->readFile(fixture("sims_grid/grid-utf8-bom-crlf.csv"));
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(batch.rows, 2);
  EXPECT_EQ(codesOf(batch),
            "1:02AM=/ 1:02PM=\\ 1:03AM=N 1:03PM=- 1:04AM=C1 "
            "2:02AM=/ 2:02PM=\\ 2:03AM=- 2:03PM=L 2:04AM=/ ");
  EXPECT_EQ(batch.missing_marks, 2);  // `-` and the empty cell: register not taken
  ASSERT_EQ(batch.pupils.size(), 2u);
  EXPECT_EQ(batch.pupils[0].surname, "O'Brien-Łukasz, Jr");
  EXPECT_EQ(batch.pupils[0].forename, "Zoë");
}

TEST(SimsGrid, AnUnknownCodeNamesItsLineAndColumn) {
  auto sims = build({{"name", "sims"}, {"type", "sims_csv"}});
  auto batch = sims->readFile(fixture("sims_grid/grid-bad-code.csv"));
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_EQ(batch.problems[0].line, 2);
  EXPECT_EQ(batch.problems[0].column, 4);
  EXPECT_EQ(batch.problems[0].value, "QQ");
}

TEST(SimsGrid, AGridLayoutDemandedOfALongExportIsRefused) {
  auto sims = build({{"name", "sims"}, {"type", "sims_csv"}, {"layout", "grid"}});
  auto batch = dynamic_cast<CsvMarksConnector&>(*sims).parse(  // NOLINT: sims outlives it
      "UPN,Date,Session,Mark\nB801200005001,02/09/2024,AM,/\n", "long.csv");
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.problems[0].message.find("grid layout"), std::string::npos);
}

TEST(ClassCharts, ABlankCodeIsTakenFromTheStatusAndAMissingUpnFromTheMisId) {
  auto cc = build({{"name", "classcharts"}, {"type", "classcharts_csv"}});
  PupilDirectory onRoll;
  onRoll.add("Q801200005002", "2002");
  BatchCollector collector(&onRoll);
  cc->read(fixture("classcharts/export.csv"), collector);
  const auto& batch = collector.batches.back();
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(codesOf(batch), "1:02AM=/ 1:02PM=\\ 1:03AM=L 1:03PM=I 1:04AM=- 2:02AM=N ");
  EXPECT_EQ(batch.marks[2].minutes_late, 7);
  EXPECT_EQ(batch.marks[2].source_code, "L");
  EXPECT_EQ(batch.missing_marks, 1);  // `ignore` is a register not taken, never an absence
}

TEST(ClassCharts, AnUnknownPupilAndAnUnknownStatusAreRefusedWithTheReason) {
  auto cc = build({{"name", "classcharts"}, {"type", "classcharts_csv"}});
  auto batch = cc->readFile(fixture("classcharts/export.csv"));  // nobody on roll has id 2002
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].line, 7);
  EXPECT_EQ(batch.problems[0].value, "2002");
  EXPECT_NE(batch.problems[0].message.find("unknown pupil"), std::string::npos);
  auto status = cc->readFile(fixture("classcharts/unknown-status.csv"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.problems[0].value, "holiday");
  EXPECT_NE(status.problems[0].message.find("status_map"), std::string::npos);
}

TEST(ClassCharts, TheStatusMapIsTheSchoolsToChange) {
  auto cc = build({{"name", "classcharts"},
                   {"type", "classcharts_csv"},
                   {"status_map", {{"Excused", "M"}, {"holiday", "G"}}}});
  auto batch = dynamic_cast<CsvMarksConnector&>(*cc).parse(
      "Student ID,UPN,Date,Session,Code,Status\n"
      "1,B801200005001,2024-09-02,AM,,excused\n1,B801200005001,2024-09-02,PM,,holiday\n",
      "cc.csv");
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(codesOf(batch), "1:02AM=M 1:02PM=G ");
  std::vector<Problem> problems;
  findInboundType("classcharts_csv")
      ->validate({{"name", "cc"}, {"type", "classcharts_csv"}, {"status_map", {{"away", "ZZ"}}}},
                 "$.sources[1]", "/tmp", ConfigContext{"c.json", &problems});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.sources[1].status_map.away");
}

TEST(SimsGrid, AHeadingDatedAfterTheLastDayAllowedNamesTheHeadingAsWritten) {
  auto sims = build({{"name", "sims"}, {"type", "sims_csv"}});
  auto batch = dynamic_cast<CsvMarksConnector&>(*sims).parse(
      "UPN,Legal Surname,Mon 02/09/2024 AM,Tue 02/09/2031 AM\nB801200005001,Smith,/,N\n",
      "grid.csv");
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_EQ(batch.problems[0].line, 2);
  EXPECT_EQ(batch.problems[0].column, 4);
  EXPECT_EQ(batch.problems[0].value, "Tue 02/09/2031 AM");  // not the ISO date 2031-09-02
}

TEST(ClassCharts, AStatusTheMapDoesNotKnowBesideACodeRefusesTheFile) {
  auto cc = build({{"name", "classcharts"}, {"type", "classcharts_csv"}});
  auto batch = dynamic_cast<CsvMarksConnector&>(*cc).parse(
      "Student ID,UPN,Date,Session,Code,Status\n"
      "1,B801200005001,2024-09-02,AM,N,absent\n1,B801200005001,2024-09-02,PM,N,sick\n",
      "cc.csv");
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_EQ(batch.problems[0].line, 3);
  EXPECT_EQ(batch.problems[0].column, 6);
  EXPECT_EQ(batch.problems[0].value, "sick");
  EXPECT_NE(batch.problems[0].message.find("status_map"), std::string::npos);
}

TEST(ClassCharts, WithoutAStatusColumnCodesAreReadButABlankCodeRefusesTheFile) {
  auto cc = build({{"name", "classcharts"}, {"type", "classcharts_csv"}});
  auto& reader = dynamic_cast<CsvMarksConnector&>(*cc);
  auto coded = reader.parse("Student ID,UPN,Date,Session,Code\n1,B801200005001,2024-09-02,AM,N\n",
                            "coded.csv");
  ASSERT_TRUE(coded.ok()) << coded.problems.front().str();
  EXPECT_EQ(codesOf(coded), "1:02AM=N ");
  auto blank = reader.parse(
      "Student ID,UPN,Date,Session,Code\n"
      "1,B801200005001,2024-09-02,AM,N\n1,B801200005001,2024-09-02,PM,\n",
      "blank.csv");
  ASSERT_FALSE(blank.ok());  // not silently "register not taken"
  EXPECT_TRUE(blank.marks.empty());
  EXPECT_EQ(blank.missing_marks, 0);
  EXPECT_EQ(blank.problems[0].line, 3);
  EXPECT_EQ(blank.problems[0].column, 5);
  EXPECT_NE(blank.problems[0].message.find("no Status column"), std::string::npos);
}
