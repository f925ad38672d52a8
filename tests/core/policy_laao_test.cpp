// The LAAO attendance process flowchart (docs/policies/laao-stage-flowchart.json) against its
// seed document (../shared/seeds/laao-stage-flowchart.txt): the first-day contact of stage 1,
// named after the document's words, hitting it exactly and just missing it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/morning_sync.h"

using namespace markbridge;
using test::d;

namespace {

struct Laao : ::testing::Test, test::MorningSync {
  Policy policy = Policy::load(test::sourceDir() + "/docs/policies/laao-stage-flowchart.json");
  RuleSet rules = test::shippedPolicies({"statutory", "laao-stage-flowchart.json"});
  std::vector<Date> daysOf(const std::vector<Event>& events) const {
    std::vector<Date> out;
    for (const auto& e : events) out.push_back(e.occurred_on);
    return out;
  }
};

}  // namespace

// "Child is absent from school. First day absence contact process followed i.e.
// calls/texts/emails/letters/home visits etc must be sent to both parents."

TEST_F(Laao, FirstDayAbsenceContactProcessFollowedForEveryPupil) {
  // A pupil with no flags at all (not CP, not looked after): the statutory first-day concern is
  // not for them, the LAAO first-day contact is.
  Date wednesday = d("2024-09-18");
  morningOf(wednesday, "N");
  auto contacts = sync(rules, wednesday, "laao.first_day_contact");
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_TRUE(sync(rules, wednesday, "statutory.first_day_vulnerable").empty());
  EXPECT_EQ(contacts[0].occurred_on, wednesday);
  EXPECT_EQ(contacts[0].type, "task");
  auto action = nlohmann::json::parse(contacts[0].action);
  EXPECT_EQ(action["assignee_role"], "attendance_officer");
  EXPECT_EQ(action["due_on"], "2024-09-18");
  EXPECT_NE(action["text"].get<std::string>().find("must be sent to both parents"),
            std::string::npos);
}

TEST_F(Laao, FirstDayAbsenceContactStandsWhenThePupilArrivesForTheAfternoon) {
  Date wednesday = d("2024-09-18");
  morningOf(wednesday, "N");
  auto morning = sync(rules, wednesday, "laao.first_day_contact");
  ASSERT_EQ(morning.size(), 1u);
  afternoonOf(wednesday, "\\");
  auto afternoon = sync(rules, wednesday, "laao.first_day_contact");
  ASSERT_EQ(afternoon.size(), 1u);
  EXPECT_EQ(afternoon[0].id, morning[0].id);
}

TEST_F(Laao, FirstDayAbsenceContactNotForAReasonGivenOrAMorningPresent) {
  morningOf(d("2024-09-18"), "I");
  EXPECT_TRUE(sync(rules, d("2024-09-18"), "laao.first_day_contact").empty());
  morningOf(d("2024-09-18"), "/");
  EXPECT_TRUE(sync(rules, d("2024-09-18"), "laao.first_day_contact").empty());
  morningOf(d("2024-09-18"), "-");  // register not taken: no evidence of absence
  EXPECT_TRUE(sync(rules, d("2024-09-18"), "laao.first_day_contact").empty());
}

TEST_F(Laao, FirstDayAbsenceContactOnceForARunOfAbsence) {
  set(schoolDays("2024-09-16", 4), "N", "N");  // four days: one contact, on the first
  set({d("2024-10-25")}, "N", "N");            // over half term: one run, one contact
  set({d("2024-11-04")}, "N", "N");
  set({d("2024-11-11")}, "-", "-");  // a day with no register taken
  set({d("2024-11-12")}, "N", "N");  // then absent: a first day (the day before was attended)
  set({d("2024-11-13")}, "-", "-");
  set({d("2024-11-14")}, "N", "N");  // the run goes on over the day not taken
  EXPECT_EQ(daysOf(fired(policy, "laao.first_day_contact")),
            (std::vector<Date>{d("2024-09-16"), d("2024-10-25"), d("2024-11-12")}));
}

TEST(LaaoYears, FirstDayAbsenceContactAcrossTheSummerIsOneRunAndTheLadderStartsAfresh) {
  test::PolicyRegister reg(SchoolCalendar::fromJson(nlohmann::json::parse(R"({
      "name": "two years",
      "terms": [{"name": "Summer", "start": "2025-04-22", "end": "2025-07-18"},
                {"name": "Autumn", "start": "2025-09-03", "end": "2025-12-19"}],
      "holidays": [{"name": "half term", "start": "2025-05-26", "end": "2025-05-30"}]})"),
                                                    "test"),
                           "2025-04-22", "2025-12-19");
  auto policy = Policy::load(test::sourceDir() + "/docs/policies/laao-stage-flowchart.json");
  reg.set({d("2025-07-18")}, "N", "N");  // the last day of the year
  reg.set({d("2025-09-03")}, "N", "N");  // the first of the next: the same run of absence
  reg.set({d("2025-09-10")}, "N", "N");  // a new run
  auto contacts = reg.fired(policy, "laao.first_day_contact");
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(contacts[0].occurred_on, d("2025-07-18"));
  EXPECT_EQ(contacts[1].occurred_on, d("2025-09-10"));
}
