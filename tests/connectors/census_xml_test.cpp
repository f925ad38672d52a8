#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "connectors/inbound/census_xml/census_xml_connector.h"
#include "core/domain/field_limits.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

std::unique_ptr<InboundConnector> census() {
  nlohmann::json config = {
      {"name", "census"},
      {"type", "census_xml"},
      {"periods", {{"termly", {{"from", "2024-09-03"}, {"to", "2024-10-04"}}}}}};
  std::vector<Problem> problems;
  auto built = buildCensusXmlConnector(config, "$.sources[1]", "/tmp", {"c.json", &problems});
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return built;
}

std::string fixture(const std::string& name) {
  return test::sourceDir() + "/tests/fixtures/census/" + name;
}

}  // namespace

TEST(CensusXml, SeedsPupilsAndKeepsTotalsButNeverInventsAMark) {
  auto batch = census()->readFile(fixture("spring-2025.xml"));
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_TRUE(batch.marks.empty());
  ASSERT_EQ(batch.pupils.size(), 3u);  // two on roll, one no longer on roll
  EXPECT_EQ(batch.pupils[0].forename, "Zoë");
  EXPECT_EQ(batch.pupils[0].year_group, "8");
  EXPECT_EQ(batch.pupils[0].dob, d("2012-10-01"));
  ASSERT_EQ(batch.totals.size(), 4u);  // termly x3, annual x1
  const auto& zoe = batch.totals[0];
  EXPECT_EQ(zoe.period, "termly");
  EXPECT_EQ(zoe.from, d("2024-09-03"));
  EXPECT_EQ(zoe.to, d("2024-10-04"));
  EXPECT_EQ(zoe.possible, 44);
  EXPECT_EQ(zoe.unauthorised, 20);
  EXPECT_EQ(zoe.by_reason.at("N"), 20);
  EXPECT_EQ(zoe.by_reason.at("I"), 2);
  EXPECT_EQ(batch.totals[2].period, "annual");
  EXPECT_FALSE(batch.totals[2].from);  // no dates configured for the annual element
}

TEST(CensusXml, AReasonThatIsNotA2024CodeIsRefusedWithItsLineAndColumn) {
  auto batch = census()->readFile(fixture("bad-reason.xml"));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].value, "H");  // the pre-2024 holiday code
  EXPECT_EQ(batch.problems[0].line, 19);
  EXPECT_EQ(batch.problems[0].column, 48);  // the value itself
  EXPECT_NE(batch.problems[0].message.find("2024 attendance code"), std::string::npos);
}

TEST(CensusXml, TotalsComeFromTheReasonsWhenTheReturnHasNone) {
  auto batch = census()->readFile(fixture("spring-2025-reasons.xml"));
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  ASSERT_EQ(batch.totals.size(), 3u);
  const auto& first = batch.totals[0];
  EXPECT_EQ(first.possible, 20);
  EXPECT_EQ(first.authorised, 3);    // I 2 + M 1
  EXPECT_EQ(first.unauthorised, 4);  // N 3 + G 1
  // The pupil no longer on roll has SessionsPossible only: no absence, not an invented one.
  EXPECT_EQ(batch.totals[2].possible, 10);
  EXPECT_EQ(batch.totals[2].authorised, 0);
  EXPECT_EQ(batch.totals[2].unauthorised, 0);
}

TEST(CensusXml, ReasonsBeyondAbsencesAreKeptInTheirOwnCategory) {
  auto batch = census()->readFile(fixture("spring-2025-reasons.xml"));
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  const auto& reasons = batch.totals[0].by_reason;
  for (const char* code : {"/", "L", "B", "D", "X", "Y1", "Q", "#"})
    EXPECT_TRUE(reasons.contains(code)) << code;
  EXPECT_EQ(reasons.at("/"), 9);
  EXPECT_EQ(reasons.at("#"), 2);
  EXPECT_EQ(reasons.at("Y1"), 1);
}

TEST(CensusXml, StatedTotalsThatDisagreeWithTheReasonsAreKeptAndWarnedAbout) {
  auto batch = census()->readFile(fixture("spring-2025-reasons.xml"));
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  const auto& second = batch.totals[1];
  EXPECT_EQ(second.authorised, 3);  // as stated; its reasons give 2
  EXPECT_EQ(second.unauthorised, 0);
  ASSERT_EQ(batch.warnings.size(), 2u);
  EXPECT_EQ(batch.warnings[0].line, 69);
  EXPECT_EQ(batch.warnings[0].value, "3");
  EXPECT_NE(batch.warnings[0].message.find("SessionsAuthorised is 3, its SessionDetails give 2"),
            std::string::npos)
      << batch.warnings[0].str();
  EXPECT_EQ(batch.warnings[1].line, 70);
  EXPECT_NE(batch.warnings[1].message.find("SessionsUnauthorised is 0, its SessionDetails give 1"),
            std::string::npos)
      << batch.warnings[1].str();
}

TEST(CensusXml, PeriodsNeedBothDates) {
  std::vector<Problem> problems;
  findInboundType("census_xml")
      ->validate({{"name", "c"},
                  {"type", "census_xml"},
                  {"periods", {{"termly", {{"from", "2024-09-03"}}}, {"autumn", {}}}}},
                 "$.sources[1]", "/tmp", {"c.json", &problems});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].location, "$.sources[1].periods.autumn");
  EXPECT_EQ(problems[1].location, "$.sources[1].periods.termly.to");
}

namespace {

std::string censusText(const std::string& surname) {
  return "<?xml version=\"1.0\"?>\n<Message><Pupils><PupilsOnRoll><PupilOnRoll>\n"
         "<PupilIdentifiers><UPN>B801200005001</UPN>\n<Surname>" +
         surname +
         "</Surname><Forename>Zoe</Forename></PupilIdentifiers>\n"
         "</PupilOnRoll></PupilsOnRoll></Pupils></Message>\n";
}

ImportBatch parseCensus(const std::string& text) {
  auto built = census();
  return dynamic_cast<CensusXmlConnector&>(*built).parse(text, "census.xml");
}

}  // namespace

TEST(CensusXml, AnInvalidUtf8ByteOrUndeclaredEntityInANameRefusesTheReturn) {
  auto bad = parseCensus(censusText("Sm\xFFth"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.problems[0].line, 4);
  EXPECT_EQ(bad.problems[0].column, 12);
  EXPECT_EQ(bad.problems[0].value, "0xFF");
  EXPECT_TRUE(bad.pupils.empty());
  auto entity = parseCensus(censusText("Sm&xxe;th"));
  ASSERT_FALSE(entity.ok());
  EXPECT_EQ(entity.problems[0].value, "&xxe;");
  EXPECT_TRUE(entity.pupils.empty());
  auto nul = parseCensus(censusText("Sm&#0;th"));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.problems[0].value, "&#0;");
  auto fine = parseCensus(censusText("Sm&#xEF;th"));
  ASSERT_TRUE(fine.ok()) << fine.problems[0].str();
  EXPECT_EQ(fine.pupils[0].surname, "Smïth");
}

TEST(CensusXml, ANameOverTheLimitIsRefused) {
  auto batch = parseCensus(censusText(std::string(kMaxNameCharacters + 1, 'a')));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].value, "101 characters");
  EXPECT_EQ(batch.problems[0].line, 4);
  EXPECT_TRUE(batch.pupils.empty());
}

TEST(CensusXml, AnEmptyCountIsRefusedNotReadAsZero) {
  std::ifstream in(fixture("spring-2025.xml"), std::ios::binary);
  std::string xml(std::istreambuf_iterator<char>(in), {});
  auto at = xml.find("<SessionsPossible>");
  ASSERT_NE(at, std::string::npos);
  auto end = xml.find("</SessionsPossible>", at);
  xml.replace(at, end + 19 - at, "<SessionsPossible></SessionsPossible>");
  test::TempDir dir;
  auto batch = census()->readFile(dir.write("empty.xml", xml).string());
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.problems[0].message.find("SessionsPossible is empty"), std::string::npos)
      << batch.problems[0].str();
  EXPECT_GT(batch.problems[0].line, 0);
}
