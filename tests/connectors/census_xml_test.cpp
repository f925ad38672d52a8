#include <gtest/gtest.h>

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

TEST(CensusXml, AReasonThatIsNotAnAbsenceCodeIsRefusedWithItsLine) {
  auto batch = census()->readFile(fixture("bad-reason.xml"));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].value, "/");
  EXPECT_EQ(batch.problems[0].line, 19);
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
