// The rule language's timing additions (issue 12): measures as of the morning register,
// "at_most_once_each", and rules that ask where a pupil stands on a ladder ("on_ladder"); each
// problem in a policy names its JSON path and value.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/morning_sync.h"

using namespace markbridge;
using test::d;

namespace {

std::optional<Policy> parse(const char* text, std::vector<Problem>& problems) {
  return Policy::fromJson(nlohmann::json::parse(text), "p.json", problems);
}

std::string problemsOf(const char* text) {
  std::vector<Problem> problems;
  EXPECT_FALSE(parse(text, problems));
  std::string out;
  for (const auto& p : problems) out += p.str() + "\n";
  return out;
}

Policy policyOf(const char* text) {
  std::vector<Problem> problems;
  auto policy = parse(text, problems);
  for (const auto& p : problems) ADD_FAILURE() << p.str();
  return *policy;
}

}  // namespace

TEST(RuleTiming, AsOfTheMorningLeavesTodaysAfternoonOut) {
  auto policy = policyOf(R"({"name": "p", "rules": [
      {"id": "count_am", "when": {"measure": "count", "codes": ["N"], "window": {"last_school_days": 1},
                                  "as_of": "morning", "at_least": 1}, "action": {"note": {}}},
      {"id": "count_day", "when": {"measure": "count", "codes": ["N"], "window": {"last_school_days": 1},
                                   "at_least": 1}, "action": {"note": {}}},
      {"id": "percent_am", "when": {"measure": "percent", "codes": "attendance", "as_of": "morning",
                                    "min_possible": 3, "less_than": 100}, "action": {"note": {}}}]})");
  test::PolicyRegister reg(test::autumnCalendar(), "2024-09-03", "2024-09-06");
  reg.set({d("2024-09-04")}, "/", "N");  // an afternoon absence: nothing as of the morning
  EXPECT_TRUE(reg.fired(policy, "p.count_am").empty());
  EXPECT_EQ(reg.fired(policy, "p.count_day").size(), 1u);
  // As of Thursday morning, Wednesday's afternoon counts: 4 of 5 sessions present.
  auto percent = reg.fired(policy, "p.percent_am");
  ASSERT_EQ(percent.size(), 1u);
  EXPECT_EQ(percent[0].occurred_on, d("2024-09-05"));
  reg.set({d("2024-09-04")}, "N", "\\");
  EXPECT_EQ(reg.fired(policy, "p.count_am").size(), 1u);
  auto morning = reg.fired(policy, "p.percent_am");
  ASSERT_EQ(morning.size(), 1u);
  EXPECT_EQ(morning[0].occurred_on, d("2024-09-04"));  // 2 of 3 sessions by Wednesday morning
}

TEST(RuleTiming, AsOfMustBeMorningOrEndOfDay) {
  auto problems = problemsOf(R"({"name": "p", "rules": [
      {"id": "r", "when": {"measure": "count", "codes": ["N"], "as_of": "noon", "at_least": 1},
       "action": {"note": {}}}]})");
  EXPECT_NE(problems.find("$.rules[0].when.as_of"), std::string::npos) << problems;
  EXPECT_NE(problems.find("noon"), std::string::npos) << problems;
}

TEST(RuleTiming, AtMostOnceEachMustBeTermOrAcademicYear) {
  auto problems = problemsOf(R"({"name": "p", "rules": [
      {"id": "r", "when": {"measure": "count", "codes": ["N"], "at_least": 1},
       "at_most_once_each": "week", "action": {"note": {}}}]})");
  EXPECT_NE(problems.find("$.rules[0].at_most_once_each"), std::string::npos) << problems;
  EXPECT_NE(problems.find("week"), std::string::npos) << problems;
}

TEST(RuleTiming, OnLadderNamesALadderAndStageOfThePolicy) {
  const char* ladder = R"("ladders": [{"id": "bands", "stages": [
      {"id": "low", "when": {"measure": "percent", "codes": "attendance", "less_than": 90},
       "action": {"note": {}}}]}])";
  auto unknownLadder = problemsOf((std::string(R"({"name": "p", "rules": [
      {"id": "r", "when": {"not": {"on_ladder": "band"}}, "action": {"note": {}}}], )") +
                                   ladder + "}")
                                      .c_str());
  EXPECT_NE(unknownLadder.find("$.rules[0].when"), std::string::npos) << unknownLadder;
  EXPECT_NE(unknownLadder.find("names no ladder of this policy"), std::string::npos);
  EXPECT_NE(unknownLadder.find("band"), std::string::npos);
  auto unknownStage = problemsOf((std::string(R"({"name": "p", "rules": [
      {"id": "r", "when": {"on_ladder": {"ladder": "bands", "at_least_stage": "high"}},
       "action": {"note": {}}}], )") +
                                  ladder + "}")
                                     .c_str());
  EXPECT_NE(unknownStage.find("names no stage of ladder bands"), std::string::npos) << unknownStage;
  auto inALadder = problemsOf(R"({"name": "p", "ladders": [{"id": "bands", "stages": [
      {"id": "low", "when": {"on_ladder": "bands"}, "action": {"note": {}}}]}]})");
  EXPECT_NE(inALadder.find("$.ladders[0]"), std::string::npos) << inALadder;
  EXPECT_NE(inALadder.find("is for rules"), std::string::npos) << inALadder;
  auto badShape = problemsOf(R"({"name": "p", "rules": [
      {"id": "r", "when": {"on_ladder": {"ladder": "bands", "stage": "low"}},
       "action": {"note": {}}}]})");
  EXPECT_NE(badShape.find("$.rules[0].when.on_ladder.stage"), std::string::npos) << badShape;
}

TEST(RuleTiming, OnceATermAndOnLadderFindTheSameDayByDayAsInOneWalk) {
  // OTW's letters (once a term, not on the red ladder) for a pupil who crosses the lines all
  // year, evaluated after every register from the checkpoint before: the letters a whole walk
  // finds, no more.
  test::MorningSync pupil;
  RuleSet rules = test::shippedPolicies({"otw-attendance-bands.json"});
  int present = 0, possible = 0;
  std::vector<std::string> daily;
  for (Date day : pupil.cal.schoolDays(d("2024-09-03"), d("2025-04-04"))) {
    bool miss = possible >= 20 && 100.0 * present >= 94.0 * possible;
    bool red = day >= d("2025-02-03") && day <= d("2025-02-14");  // two weeks off: red
    pupil.set({day}, red ? "N" : "/", miss || red ? "N" : "\\");
    present += red ? 0 : miss ? 1 : 2;
    possible += 2;
    PupilRegister reg(pupil.cal, pupil.marks);
    auto outcome = rules.evaluate(pupil.pupil, reg, day, pupil.checkpoint);
    if (day > d("2024-09-04")) {
      EXPECT_TRUE(outcome.resumed) << day.iso();  // a checkpoint now
    }
    pupil.checkpoint = outcome.checkpoint;
    for (const auto& e : outcome.events)
      if (e.occurred_on >= outcome.from) daily.push_back(e.id);
  }
  std::sort(daily.begin(), daily.end());
  daily.erase(std::unique(daily.begin(), daily.end()), daily.end());
  std::vector<std::string> whole;
  for (const auto& e : rules.evaluate(pupil.pupil, PupilRegister(pupil.cal, pupil.marks)))
    whole.push_back(e.id);
  std::sort(whole.begin(), whole.end());
  EXPECT_EQ(daily, whole);
  EXPECT_GE(whole.size(), 4u);
}

TEST(RuleTiming, AtMostOnceEachAcademicYearFiresOnceAYearHoweverOftenItIsReArmed) {
  auto policy = policyOf(R"({"name": "p", "rules": [
      {"id": "holiday", "when": {"measure": "count", "codes": ["G"], "window": {"last_school_days": 1},
                                 "at_least": 1},
       "at_most_once_each": "academic_year", "action": {"note": {}}}]})");
  test::PolicyRegister reg(SchoolCalendar::fromJson(nlohmann::json::parse(R"({
      "name": "two years",
      "terms": [{"name": "Summer", "start": "2025-04-22", "end": "2025-07-18"},
                {"name": "Autumn", "start": "2025-09-03", "end": "2025-12-19"}]})"),
                                                    "test"),
                           "2025-04-22", "2025-12-19");
  reg.set({d("2025-05-06")}, "G", "G");  // re-armed by the days between: the same year
  reg.set({d("2025-07-18")}, "G", "G");  // the last day of the year: not again this year
  reg.set({d("2025-09-04")}, "G", "G");  // the next year: fires again
  reg.set({d("2025-12-01")}, "G", "G");
  auto fired = reg.fired(policy, "p.holiday");
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].occurred_on.iso(), "2025-05-06");
  EXPECT_EQ(fired[1].occurred_on.iso(), "2025-09-04");
}
