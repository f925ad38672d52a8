// Ladder semantics on small policies written for the test: one step or jumps, stepping down to
// the previous stage, windows since a stage, and what `markbridge check` refuses or warns about.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

using Stages = std::vector<std::string>;

std::optional<Policy> parse(const std::string& json, std::vector<Problem>& problems) {
  return Policy::fromJson(nlohmann::json::parse(json), "test.json", problems);
}

Policy policy(const std::string& ladder) {
  std::vector<Problem> problems;
  auto p = parse(R"({"name": "p", "ladders": [)" + ladder + "]}", problems);
  for (const auto& problem : problems) ADD_FAILURE() << problem.location << ": " << problem.message;
  return *p;
}

std::vector<std::string> locations(const std::string& json) {
  std::vector<Problem> problems;
  EXPECT_FALSE(parse(json, problems));
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.location);
  return out;
}

const char* kBelow95 =
    R"({"measure": "percent", "codes": "attendance", "window": "academic_year", "min_possible": 20, "less_than": 95})";
const char* kNoImprovement5 =
    R"({"no_improvement": {"measure": "percent", "codes": "attendance", "window": "academic_year", "better": "higher", "after_school_days": 5}})";
const char* kNote = R"({"note": {"text": "x"}})";

struct Ladders : ::testing::Test, test::PolicyRegister {
  Ladders() : test::PolicyRegister(test::autumnCalendar()) {}
};

}  // namespace

TEST_F(Ladders, SteppingDownToThePreviousStageCountsAfreshFromThatDay) {
  auto ladder = [](const std::string& deEscalate) {
    return policy(
        std::string(R"({"id": "l", )") + deEscalate + R"("stages": [)" +
        R"({"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 1}, "action": )" +
        kNote + "}," +
        R"({"id": "b", "when": {"measure": "count", "codes": ["N"], "window": "since_stage", "at_least": 2}, "action": )" +
        kNote + "}]}");
  };
  auto stepping = ladder(
      R"("de_escalate": {"when": {"measure": "count", "codes": "absence", "window": {"last_school_days": 5}, "at_most": 0}, "for_school_days": 3, "to": "previous_stage"}, )");
  set({d("2024-09-16")}, "N", "/");  // a
  set({d("2024-09-18")}, "N", "/");
  set({d("2024-09-19")}, "N", "/");  // two N since a: b
  // 20-26 Sep clean: the fifth clean day (26th) is the first improving day, the third (30th)
  // steps down to a, which counts N from then on.
  set({d("2024-10-01")}, "N", "/");
  set({d("2024-10-02")}, "N", "/");
  // Then clean again: down to a, then off the ladder; "a" (any N this year) still holds, but a
  // stage stepped down from waits until its condition stops holding: no letter day after day.
  EXPECT_EQ(stages(stepping, "p.l"), (Stages{"a", "b", "b"}));
  EXPECT_EQ(fired(stepping, "p.l").back().occurred_on, d("2024-10-02"));
  EXPECT_EQ(stages(ladder(""), "p.l"), (Stages{"a", "b"}));  // without it, still on b
}

TEST_F(Ladders, AWindowSinceAStageCountsFromTheDayAfterItWasEntered) {
  auto p = policy(
      std::string(R"({"id": "l", "stages": [)") +
      R"({"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 1}, "action": )" +
      kNote + "}," +
      R"({"id": "b", "when": {"measure": "count", "codes": ["N"], "window": "since_stage", "at_least": 3}, "action": )" +
      kNote + R"(, "summary": "{value} more N since {from}"}]})");
  set({d("2024-09-16")}, "N", "N");  // a; its own N sessions do not count towards b
  set({d("2024-09-20")}, "N", "/");
  set({d("2024-09-25")}, "N", "/");
  EXPECT_EQ(stages(p, "p.l"), (Stages{"a"}));
  set({d("2024-10-02")}, "/", "N");  // the third N since a
  auto events = fired(p, "p.l");
  EXPECT_EQ(stages(p, "p.l"), (Stages{"a", "b"}));
  EXPECT_EQ(events[1].occurred_on, d("2024-10-02"));
  EXPECT_EQ(events[1].summary, "3 more N since 2024-09-20");
}

TEST_F(Ladders, WithoutJumpAPupilClimbsOneStageADay) {
  std::string stagesJson =
      std::string(R"({"id": "a", "when": )") + kBelow95 + R"(, "action": )" + kNote +
      R"(}, {"id": "b", "when": )" +
      R"({"measure": "percent", "codes": "attendance", "min_possible": 20, "less_than": 80})" +
      R"(, "action": )" + kNote + "}";
  set(schoolDays("2024-09-03", 5), "N", "N");  // 50% on the 10th day
  auto oneStep = policy(R"({"id": "l", "stages": [)" + stagesJson + "]}");
  auto events = fired(oneStep, "p.l");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].occurred_on, after(events[0].occurred_on, 1));
  auto jumping = policy(R"({"id": "l", "jump": true, "stages": [)" + stagesJson + "]}");
  EXPECT_EQ(stages(jumping, "p.l"), (Stages{"b"}));
}

TEST(LadderChecks, ProblemsNameTheirJsonPath) {
  EXPECT_EQ(
      locations(
          std::string(R"({"name": "p", "ladders": [{"id": "l", "stages": [)") +
          R"({"id": "a", "when": )" + kNoImprovement5 + R"(, "action": )" + kNote +
          R"(}, {"id": "b", "when": {"no_improvement": {"measure": "percent", "codes": "attendance", "better": "up", "after_school_days": 5, "since_stage": "z"}}, "action": {"la_notification": "letter"}}]}]})"),
      (std::vector<std::string>{"$.ladders[0].stages[1].when.no_improvement.better",
                                "$.ladders[0].stages[1].action.la_notification",
                                "$.ladders[0].stages[0].when"}));
  EXPECT_EQ(locations(std::string(R"({"name": "p", "rules": [{"id": "r", "when": )") +
                      kNoImprovement5 + R"(, "action": )" + kNote + "}]}"),
            (std::vector<std::string>{"$.rules[0].when"}));
  EXPECT_EQ(
      locations(
          std::string(R"({"name": "p", "ladders": [{"id": "l", "stages": [)") +
          R"({"id": "a", "when": {"measure": "count", "codes": "absence", "window": {"since_stage": "nope"}, "at_least": 1}, "action": )" +
          kNote + "}]}]}"),
      (std::vector<std::string>{"$.ladders[0].stages[0].when"}));
}

TEST(LadderChecks, CheckWarnsOfStagesThatCanNeverBeEntered) {
  auto stage = [](const std::string& id, const std::string& when) {
    return R"({"id": ")" + id + R"(", "when": )" + when + R"(, "action": {"note": {}}})";
  };
  auto pct = [](const char* op, int t) {
    return std::string(R"({"measure": "percent", "codes": "attendance", "min_possible": 20, ")") +
           op + "\": " + std::to_string(t) + "}";
  };
  // Jumping: below 90 always means below 95 too, so "b" is always passed over for "c".
  auto jumping =
      policy(R"({"id": "l", "jump": true, "stages": [)" + stage("a", pct("less_than", 97)) + "," +
             stage("b", pct("less_than", 90)) + "," + stage("c", pct("less_than", 95)) + "]}");
  auto warnings = jumping.warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].substr(0, 44), "$.ladders[0].stages[1] (b) can never be ente");
  EXPECT_NE(warnings[0].find("later stage c"), std::string::npos);
  // One step at a time: an impossible stage blocks every stage above it.
  auto blocked =
      policy(R"({"id": "l", "stages": [)" + stage("a", pct("less_than", 97)) + "," +
             stage("b", pct("at_least", 101)) + "," + stage("c", pct("less_than", 90)) + "]}");
  ASSERT_EQ(blocked.warnings().size(), 2u);
  EXPECT_NE(blocked.warnings()[0].find("(b) can never be entered: the measure is never above 100"),
            std::string::npos);
  EXPECT_NE(blocked.warnings()[1].find("(c) can never be entered: the stage before it"),
            std::string::npos);
  // The shipped policies are clean.
  for (const char* file :
       {"statutory", "devon-session-thresholds", "st-johns-graduated-response",
        "laao-stage-flowchart", "sol-tracker-interventions", "otw-attendance-bands"}) {
    auto shipped = Policy::load(test::sourceDir() + "/docs/policies/" + file + ".json");
    EXPECT_TRUE(shipped.warnings().empty()) << file << ": " << shipped.warnings().front();
  }
}
