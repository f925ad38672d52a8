// Issue 14 item 3: N sessions still unresolved become one task per pupil per school week, with
// the window {"school_week_ended_days_ago": N} (the school week whose last school day was N
// school days ago; no value on any other day). Added by following docs/extending.md's "A rule
// measure" checklist: the day it first holds, a holiday in between, an amendment, a policy
// naming it wrongly.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules/engine/policy.h"
#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

struct WeeklyNTasks : ::testing::Test, test::PolicyRegister {
  WeeklyNTasks() : test::PolicyRegister(test::autumnCalendar()) {}
  Policy statutory = Policy::load(test::sourceDir() + "/docs/policies/statutory.json");
  std::vector<Event> tasks() const { return fired(statutory, "statutory.n_unresolved"); }
  static std::string textOf(const Event& task) {
    return nlohmann::json::parse(task.action).value("text", "");
  }
};

Policy policyWithWindow(const nlohmann::json& window, std::vector<Problem>& problems) {
  auto json = nlohmann::json::parse(R"({"name": "p", "rules": [{"id": "weekly",
      "when": {"measure": "count", "codes": ["N"], "at_least": 1},
      "action": {"note": {"text": "{sessions}"}}, "summary": "{value}: {sessions}"}]})");
  json["rules"][0]["when"]["window"] = window;
  auto policy = Policy::fromJson(json, "p.json", problems);
  return policy ? *policy : Policy();
}

}  // namespace

TEST_F(WeeklyNTasks, AWeeksUnresolvedNsAreOneTaskFiveSchoolDaysAfterTheWeekEnded) {
  // Week of 16 September: N on Tuesday morning and all Thursday.
  set({d("2024-09-17")}, "N", "/");
  set({d("2024-09-19")}, "N", "N");
  auto found = tasks();
  ASSERT_EQ(found.size(), 1u);
  // Friday 20 September ended the week; five school days later is Friday 27 September (not
  // Thursday 26th, when Tuesday's N was already seven school days old but Thursday's four).
  EXPECT_EQ(found[0].occurred_on, d("2024-09-27"));
  EXPECT_EQ(found[0].from, d("2024-09-17"));
  EXPECT_EQ(found[0].type, "task");
  EXPECT_EQ(found[0].summary,
            "3 N session(s) still unresolved on 2024-09-27, five school days after their school "
            "week ended: 2024-09-17 AM; 2024-09-19 AM and PM");
  EXPECT_EQ(textOf(found[0]),
            "Find the reasons for the N sessions still unresolved and amend the marks: "
            "2024-09-17 AM; 2024-09-19 AM and PM");
  EXPECT_EQ(nlohmann::json::parse(found[0].action).value("due_on", ""), "2024-09-30");

  // N in the next week too, and every day of it: a second task, for that week only; a week in
  // a row is still one task a week, not one per day.
  set(schoolDays("2024-09-23", 5), "N", "N");
  found = tasks();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[1].occurred_on, d("2024-10-04"));
  EXPECT_EQ(found[1].from, d("2024-09-23"));
  EXPECT_EQ(found[1].summary.substr(0, 3), "10 ");
  EXPECT_NE(found[0].episode, found[1].episode);
}

TEST_F(WeeklyNTasks, AHolidayInBetweenIsNotCountedAndAShortWeekEndsOnItsLastSchoolDay) {
  // Friday 25 October, the last day before half term: five school days later is Friday 8
  // November (28 October to 1 November are no school days).
  set({d("2024-10-25")}, "/", "N");
  // The last week of term ends on Thursday 19 December (the 20th is a planned closure): its
  // task comes five school days into the spring term, on Friday 10 January.
  set({d("2024-12-19")}, "N", "/");
  auto found = tasks();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].occurred_on, d("2024-11-08"));
  EXPECT_EQ(found[0].summary.substr(found[0].summary.rfind(": ") + 2), "2024-10-25 PM");
  EXPECT_EQ(found[1].occurred_on, d("2025-01-10"));
  EXPECT_EQ(found[1].from, d("2024-12-19"));
}

TEST_F(WeeklyNTasks, AnAmendedNIsLeftOutAndTheTaskKeepsItsEpisode) {
  set({d("2024-09-17")}, "N", "/");
  set({d("2024-09-19")}, "/", "N");
  auto before = tasks();
  ASSERT_EQ(before.size(), 1u);
  // The office finds Tuesday's reason (illness): the same week's task, now listing Thursday
  // only (the same id, so the sink's record is revised, not a second task).
  set({d("2024-09-17")}, "I", "/");
  auto after = tasks();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_EQ(after[0].from, d("2024-09-19"));
  EXPECT_EQ(after[0].summary.substr(0, 2), "1 ");
  EXPECT_EQ(after[0].summary.substr(after[0].summary.rfind(": ") + 2), "2024-09-19 PM");
  // Both resolved: no task (the one sent is withdrawn).
  set({d("2024-09-19")}, "/", "M");
  EXPECT_TRUE(tasks().empty());
}

TEST_F(WeeklyNTasks, TheWeekEndingTodayIsMeasuredOnItsLastSchoolDay) {
  std::vector<Problem> problems;
  auto policy = policyWithWindow({{"school_week_ended_days_ago", 0}}, problems);
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  set({d("2024-09-16")}, "N", "/");
  auto events = fired(policy, "p.weekly");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, d("2024-09-20"));
  EXPECT_EQ(events[0].summary, "1: 2024-09-16 AM");
}

TEST(WeeklyNTasksPolicy, AWrongWindowIsRefusedWithItsJsonPath) {
  for (const auto& window : {nlohmann::json{{"school_week_ended_days_ago", -1}},
                             nlohmann::json{{"school_week_ended_days_ago", "5"}},
                             nlohmann::json{{"school_weeks_ended_days_ago", 5}}}) {
    std::vector<Problem> problems;
    policyWithWindow(window, problems);
    ASSERT_EQ(problems.size(), 1u) << window.dump();
    EXPECT_EQ(problems[0].location, "$.rules[0].when.window");
    EXPECT_NE(problems[0].str().find("{\"school_week_ended_days_ago\": N}"), std::string::npos)
        << problems[0].str();
  }
  // A count over one school week can never reach 11 sessions: check warns.
  std::vector<Problem> problems;
  auto json = nlohmann::json::parse(R"({"name": "p", "rules": [{"id": "r",
      "when": {"measure": "count", "codes": ["N"], "window": {"school_week_ended_days_ago": 5},
               "at_least": 11},
      "action": {"note": {}}}]})");
  auto policy = Policy::fromJson(json, "p.json", problems);
  ASSERT_TRUE(policy);
  ASSERT_EQ(policy->warnings().size(), 1u);
  EXPECT_NE(policy->warnings()[0].find("$.rules[0] (r) can never fire"), std::string::npos)
      << policy->warnings()[0];
}

TEST_F(WeeklyNTasks, ExplainSaysWhyTheWeeklyWindowHasNoValueToday) {
  // Issue 14 item 6: `explain` printed nothing for the window on the days it has no value.
  Window window{Window::Kind::SchoolWeekEndedDaysAgo, 5, {}};
  EXPECT_EQ(weeklyWindowNote(window, cal, d("2024-09-24")),
            "none on 2024-09-24: it counts one school week, 5 school day(s) after the week's last "
            "school day, and has no value on other days; the school week ending 2024-09-20 is "
            "counted on 2024-09-27; the school week ending 2024-09-13 was counted on 2024-09-20");
  // On a Saturday: the week just ended is counted the Friday after.
  EXPECT_NE(weeklyWindowNote(window, cal, d("2024-09-28"))
                .find("the school week ending 2024-09-27 is counted on 2024-10-04"),
            std::string::npos);
  EXPECT_EQ(weeklyWindowNote(Window{Window::Kind::LastSchoolDays, 5, {}}, cal, d("2024-09-24")),
            "");
}
