// Counting respects the roll (issue 16, item 2): possible sessions, runs and percentages count
// only days on roll; a day off roll is neither possible nor "register not taken". A pupil
// without on-roll data is counted exactly as before (the statutory suites show that).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules/rule_set.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

const std::string kUpn = "B801200005001";

}  // namespace

namespace {

struct OnRollCounting : ::testing::Test {
  SchoolCalendar cal = test::autumnCalendar();
  std::vector<Mark> marks;
  Pupil pupil{kUpn, "1", "Ann", "Smith", {}, "8", "8A", {}};

  std::vector<Date> schoolDays(const char* from, const char* to) {
    return cal.schoolDays(d(from), d(to));
  }
  std::vector<Event> run(const std::string& rule) {
    PupilRegister reg(cal, marks);
    std::vector<Event> events;
    for (auto& e : RuleSet::statutory().evaluate(pupil, reg))
      if (e.rule == "statutory." + rule) events.push_back(std::move(e));
    return events;
  }
};

}  // namespace

TEST_F(OnRollCounting, AJoinersSessionsBeforeAdmissionAreNeitherPossibleNorNotTaken) {
  test::addDays(marks, kUpn, schoolDays("2024-11-04", "2024-11-29"), "/", "\\");
  PupilRegister reg(cal, marks);
  auto before = tally(reg, d("2024-09-01"), d("2024-11-29"));
  EXPECT_GT(before.not_taken, 0);  // without the roll: the autumn to date looks untaken
  pupil.on_roll = {OnRollPeriod{d("2024-11-04"), {}, "", ""}};
  auto onRoll = tally(reg, d("2024-09-01"), d("2024-11-29"), pupil.on_roll);
  EXPECT_EQ(onRoll.not_taken, 0);
  EXPECT_EQ(onRoll.possible, 40);  // 20 school days on roll
  EXPECT_EQ(onRoll.attendancePercent(), 100.0);
}

TEST_F(OnRollCounting, AbsenceMarkedBeforeAdmissionRaisesNoDutyButDoesWithoutTheRoll) {
  // The MIS exported O for the days before the pupil joined (a migration artefact).
  test::addDays(marks, kUpn, schoolDays("2024-09-03", "2024-10-25"), "O", "O");
  test::addDays(marks, kUpn, schoolDays("2024-11-04", "2024-12-19"), "/", "\\");
  EXPECT_EQ(run("unauthorised_10_day").size(), 1u);
  EXPECT_EQ(run("persistent_absence").size(), 1u);
  pupil.on_roll = {OnRollPeriod{d("2024-11-04"), {}, "", ""}};
  EXPECT_TRUE(run("unauthorised_10_day").empty());
  EXPECT_TRUE(run("persistent_absence").empty());
  EXPECT_TRUE(run("penalty_threshold").empty());
}

TEST_F(OnRollCounting, ALeaveBreaksAnUnauthorisedRunAndTheDaysAwayAreNotCounted) {
  // 6 school days of O, off roll for a week, 6 more days of O after rejoining.
  test::addDays(marks, kUpn, schoolDays("2024-09-16", "2024-09-23"), "O", "O");
  test::addDays(marks, kUpn, schoolDays("2024-09-24", "2024-09-30"), "O", "O");
  test::addDays(marks, kUpn, schoolDays("2024-10-01", "2024-10-08"), "O", "O");
  EXPECT_EQ(run("unauthorised_10_day").size(), 1u);
  pupil.on_roll = {OnRollPeriod{d("2024-09-02"), d("2024-09-23"), "", ""},
                   OnRollPeriod{d("2024-10-01"), {}, "", ""}};
  EXPECT_TRUE(run("unauthorised_10_day").empty());
  // Still on roll for 10 days of O after rejoining: the duty holds again.
  test::addDays(marks, kUpn, schoolDays("2024-10-09", "2024-10-14"), "O", "O");
  auto events = run("unauthorised_10_day");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].from, d("2024-10-01"));
  // The event's figures count the days on roll only.
  int sessions = 0;
  for (const auto& [code, n] : events[0].sessions_by_code) sessions += n;
  EXPECT_EQ(sessions, 20);
}

TEST_F(OnRollCounting, AChangedRollMakesTheNextEvaluationWalkTheWholeRegister) {
  test::addDays(marks, kUpn, schoolDays("2024-09-03", "2024-10-25"), "/", "\\");
  PupilRegister reg(cal, marks);
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto rules =
      RuleSet::fromJson(nlohmann::json{{"policies", {"statutory"}}}, "$.rules", ".", context);
  auto done = rules.evaluate(pupil, reg, d("2024-10-25"), {});
  EXPECT_TRUE(rules.evaluate(pupil, reg, d("2024-10-25"), done.checkpoint).resumed);
  pupil.on_roll = {OnRollPeriod{d("2024-09-02"), d("2024-10-11"), "", ""}};
  EXPECT_FALSE(rules.evaluate(pupil, reg, d("2024-10-25"), done.checkpoint).resumed);
}
