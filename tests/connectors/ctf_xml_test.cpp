#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

std::unique_ptr<InboundConnector> ctf(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json config = {{"name", "ctf"}, {"type", "ctf_xml"}};
  config.update(extra);
  std::vector<Problem> problems;
  auto built = buildCtfXmlConnector(config, "$.sources[0]", "/tmp", {"c.json", &problems});
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return built;
}

ImportBatch read(const std::string& name) {
  return ctf()->readFile(test::sourceDir() + "/tests/fixtures/ctf/" + name);
}

std::string codesOf(const ImportBatch& batch) {
  std::string codes;
  for (const auto& m : batch.marks)
    codes += m.date.iso().substr(8) + std::string(toString(m.session)) + "=" +
             std::string(m.code.str()) + " ";
  return codes;
}

}  // namespace

TEST(CtfXml, ReadsTwoCharactersPerCalendarDaySkippingDaysNotInSession) {
  auto batch = read("characters.xml");
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(codesOf(batch),
            "02AM=/ 02PM=\\ 03AM=N 03PM=N 04AM=I 04PM=L 05AM=/ 05PM=\\ 06AM=B 06PM=- 09AM=/ "
            "09PM=\\ ");
  ASSERT_EQ(batch.pupils.size(), 1u);
  EXPECT_EQ(batch.pupils[0].forename, "Zoë");
  EXPECT_EQ(batch.pupils[0].dob, d("2013-05-01"));
}

TEST(CtfXml, TotalsThatDisagreeWithTheMarksAreReportedNotRejected) {
  auto batch = read("characters.xml");
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch.warnings.size(), 3u);  // possible 13 vs 11, authorised 2 vs 1, unauth. 1 vs 2
  EXPECT_EQ(batch.warnings[0].location, "Pupil[1]/Attendance/YearData/SessionsPossible");
  EXPECT_NE(batch.warnings[0].message.find("total is 13, its marks give 11"), std::string::npos)
      << batch.warnings[0].message;
  EXPECT_GT(batch.warnings[0].line, 0);
}

TEST(CtfXml, ReadsCommaSeparatedTokensForTwoCharacterCodes) {
  auto batch = read("tokens.xml");
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(codesOf(batch), "02AM=/ 02PM=\\ 03AM=C1 03PM=N 04AM=Y3 04PM=- 09AM=/ 09PM=\\ ");
}

TEST(CtfXml, RefusesTruncatedEmptyAndEntityLadenFiles) {
  auto truncated = read("truncated.xml");
  ASSERT_FALSE(truncated.ok());
  EXPECT_GT(truncated.problems[0].line, 1);
  EXPECT_NE(truncated.problems[0].message.find("not well-formed"), std::string::npos);
  auto entities = read("doctype-entities.xml");
  ASSERT_FALSE(entities.ok());
  EXPECT_NE(entities.problems[0].message.find("DOCTYPE"), std::string::npos);
  EXPECT_TRUE(entities.pupils.empty());
  EXPECT_FALSE(read("empty.xml").ok());
  auto upn = read("bad-upn.xml");
  ASSERT_FALSE(upn.ok());
  EXPECT_EQ(upn.problems[0].value, "B801200005009");
  EXPECT_EQ(upn.problems[0].line, 6);
}

TEST(CtfXml, AFileThatIsNotACtfSaysSo) {
  auto built = ctf();
  auto batch =
      dynamic_cast<CtfXmlConnector&>(*built).parse("<Message><Header/></Message>", "census.xml");
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.problems[0].message.find("root element must be CTfile"), std::string::npos);
}
