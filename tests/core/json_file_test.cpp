// One JSON file loader for the configuration, policies and calendars (core/domain/json_file.h):
// a problem names the file, and the line and column where reading stopped.
#include "core/domain/json_file.h"

#include <gtest/gtest.h>

#include "core/app/gateway_config.h"
#include "core/rules/engine/policy.h"
#include "schedules/school_calendar.h"
#include "tests/support/test_support.h"

namespace markbridge {
namespace {

class JsonFileFixture : public ::testing::Test {
 protected:
  test::TempDir dir;
  std::vector<Problem> problems;
  std::optional<nlohmann::json> read(const std::string& text) {
    return readJsonFile(dir.write("f.json", text), "policy", problems);
  }
  std::string only() const { return problems.size() == 1 ? problems[0].str() : "?"; }
};

TEST_F(JsonFileFixture, ASyntaxErrorNamesTheFileLineAndColumn) {
  EXPECT_FALSE(read("{\n  \"a\": 1,\n  \"b\" 2\n}\n"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, (dir / "f.json").string());
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, 7);
  EXPECT_NE(only().find("f.json:3:7: is not valid JSON: syntax error while parsing object"),
            std::string::npos)
      << only();
}

TEST_F(JsonFileFixture, CommentsAreRefusedSayingSo) {
  EXPECT_FALSE(read("{\n  // the school\n  \"a\": 1\n}\n"));
  EXPECT_NE(only().find(":2:"), std::string::npos) << only();
  EXPECT_NE(only().find("comments (// or /* */) are not allowed in JSON"), std::string::npos)
      << only();
}

TEST_F(JsonFileFixture, UTF8WithABomIsReadAndUTF16OrBadBytesAreRefused) {
  auto bom = read("\xEF\xBB\xBF{\"a\": \"caf\xC3\xA9\"}");
  ASSERT_TRUE(bom) << only();
  EXPECT_EQ((*bom)["a"], "caf\xC3\xA9");
  EXPECT_FALSE(read(std::string("\xFF\xFE{\0\"\0", 6)));
  EXPECT_NE(only().find("is UTF-16 text: save it as UTF-8"), std::string::npos) << only();
  problems.clear();
  EXPECT_FALSE(read("{\"a\": \"caf\xE9\"}"));  // Windows-1252
  EXPECT_NE(only().find("not UTF-8"), std::string::npos) << only();
}

TEST_F(JsonFileFixture, AFileTooLargeOrMissingIsNamed) {
  auto file = dir.write("big.json", "[" + std::string(2000, ' ') + "]");
  EXPECT_FALSE(readJsonFile(file, "calendar file", problems, 1024));
  EXPECT_NE(only().find("is larger than 1 KiB: too large for a calendar file"), std::string::npos)
      << only();
  problems.clear();
  EXPECT_FALSE(readJsonFile(dir / "none.json", "policy", problems));
  EXPECT_NE(only().find("cannot open the policy: No such file or directory"), std::string::npos)
      << only();
}

TEST_F(JsonFileFixture, TheConfigurationPoliciesAndCalendarsAllSayWhereTheirJsonBreaks) {
  dir.write("bad.json", "{\n  \"name\": \"x\",,\n}\n");
  std::vector<Problem> configProblems;
  loadGatewayConfig(dir / "bad.json", configProblems);
  ASSERT_EQ(configProblems.size(), 1u);
  EXPECT_EQ(configProblems[0].line, 2);
  try {
    Policy::load(dir / "bad.json");
    ADD_FAILURE() << "the policy loaded";
  } catch (const ProblemError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json:2:"), std::string::npos) << e.what();
  }
  try {
    SchoolCalendar::load(dir / "bad.json");
    ADD_FAILURE() << "the calendar loaded";
  } catch (const ProblemError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json:2:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace markbridge
