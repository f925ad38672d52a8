// St John's Way graduated response (docs/policies/st-johns-graduated-response.json) against its
// seed document (../shared/seeds/st-johns-graduated-response.txt): one test per line the
// timing half of issue 12 touches, named after the document's words, each hitting the
// threshold exactly and just missing it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/app/evaluation.h"
#include "core/store/store.h"
#include "tests/support/morning_sync.h"

using namespace markbridge;
using test::d;

namespace {

Policy stJohns() {
  return Policy::load(test::sourceDir() + "/docs/policies/st-johns-graduated-response.json");
}

struct StJohns : ::testing::Test, test::MorningSync {
  Policy policy = stJohns();
  RuleSet rules = test::shippedPolicies({"st-johns-graduated-response.json"});
  std::vector<Date> daysOf(const std::vector<Event>& events) const {
    std::vector<Date> out;
    for (const auto& e : events) out.push_back(e.occurred_on);
    return out;
  }
};

}  // namespace

// "FIRST DAY of absence - ... If no reason truancy text sent by 9.30am."

TEST_F(StJohns, FirstDayIfNoReasonTruancyTextIsRaisedOnTheSyncAfterTheMorningRegister) {
  Date monday = d("2024-09-16");
  sync(rules, d("2024-09-13"), "st_johns.first_day");  // Friday's syncs: nothing
  morningOf(monday, "N");                              // the afternoon is not taken yet
  auto found = sync(rules, monday, "st_johns.first_day");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].occurred_on, monday);
  EXPECT_EQ(found[0].type, "task");
  auto action = nlohmann::json::parse(found[0].action);
  EXPECT_EQ(action["due_on"], "2024-09-16");  // today: the text goes by 9.30am
  EXPECT_EQ(action["text"],
            "No reason for absence on 2024-09-16: send the truancy text by 9.30am; if no reason "
            "within 5 days change N to O");
}

TEST_F(StJohns, FirstDayTheSyncsOfTheDayRaiseTheTextOnceAndTheAfternoonDoesNotWithdrawIt) {
  // What `markbridge sync` does after each register closes: import, then evaluate every pupil
  // through today from their checkpoints, events and outbox rows committed to the store.
  test::TempDir dir;
  auto store = openSqliteStore((dir / "register.db").string());
  const std::vector<SinkRoute> routes{{"cpoms", {"task", "concern"}}};
  int64_t now = 1'000;
  auto import = [&](std::vector<Mark> newMarks) {
    ImportBatch batch;
    batch.source = "test";
    batch.origin = "export.csv";
    batch.fingerprint = std::to_string(now);
    batch.pupils.push_back(pupil);
    batch.marks = std::move(newMarks);
    batch.rows = static_cast<int>(batch.marks.size());
    store->importBatch(batch, now);
  };
  auto syncAt = [&](Date today) {
    now += 1'000;
    return evaluateRegisters(*store, cal, rules, routes, today, now).outcome;
  };
  Date monday = d("2024-10-07");  // 98% by then: no AC3 letter to count as well
  std::vector<Mark> upToFriday;
  for (const auto& m : marks)
    if (m.date < monday) upToFriday.push_back(m);
  import(upToFriday);
  EXPECT_EQ(syncAt(d("2024-10-04")).new_events, 0);
  import({test::mark(pupil.upn, monday, Session::AM, "N")});  // 09:45: the morning register
  auto morning = syncAt(monday);
  EXPECT_EQ(morning.new_events, 1);  // the truancy text, before the afternoon is taken
  EXPECT_EQ(morning.outbox_items, 1);
  import({test::mark(pupil.upn, monday, Session::PM, "\\")});  // 13:30: in for the afternoon
  auto afternoon = syncAt(monday);
  EXPECT_EQ(afternoon.new_events, 0);
  EXPECT_EQ(afternoon.withdrawn_events, 0);
  import({test::mark(pupil.upn, d("2024-10-08"), Session::AM, "/")});
  auto tuesday = syncAt(d("2024-10-08"));
  EXPECT_EQ(tuesday.new_events, 0);
  EXPECT_EQ(tuesday.withdrawn_events, 0);
  EXPECT_EQ(store->status().active_events, 1);
}

TEST_F(StJohns, FirstDayAMorningWithAReasonOrPresentRaisesNoTruancyText) {
  Date monday = d("2024-09-16");
  morningOf(monday, "I");  // a reason was given: illness
  EXPECT_TRUE(sync(rules, monday, "st_johns.first_day").empty());
  morningOf(monday, "/");
  EXPECT_TRUE(sync(rules, monday, "st_johns.first_day").empty());
  morningOf(monday, "-");  // the morning register not taken: no evidence either way
  EXPECT_TRUE(sync(rules, monday, "st_johns.first_day").empty());
}

TEST_F(StJohns, FirstDayAMorningNFollowedByAnAfternoonPresentMarkStillCounts) {
  Date monday = d("2024-09-16");
  morningOf(monday, "N");
  auto morning = sync(rules, monday, "st_johns.first_day");
  ASSERT_EQ(morning.size(), 1u);
  afternoonOf(monday, "\\");  // in for the afternoon: the morning absence stands
  auto afternoon = sync(rules, monday, "st_johns.first_day");
  ASSERT_EQ(afternoon.size(), 1u);  // found again: not withdrawn
  EXPECT_EQ(afternoon[0].id, morning[0].id);
  morningOf(d("2024-09-17"), "/");  // and on the next day's sync, resumed from the checkpoint
  auto tuesday = sync(rules, d("2024-09-17"), "st_johns.first_day");
  ASSERT_EQ(tuesday.size(), 1u);
  EXPECT_EQ(tuesday[0].id, morning[0].id);
  set({monday}, "N", "\\");
  EXPECT_EQ(daysOf(fired(policy, "st_johns.first_day")), std::vector<Date>{monday});
}

TEST_F(StJohns, FirstDayIsOncePerRunOfAbsenceNotEveryDayOfIt) {
  set(schoolDays("2024-09-16", 3), "N", "N");  // three days, no reason: one truancy text
  set({d("2024-09-30")}, "I", "I");            // ill on Monday, no reason on Tuesday morning:
  set({d("2024-10-01")}, "N", "N");            // the same run, AC1's call home, not a text
  set({d("2024-10-03")}, "N", "-");            // afternoon not taken: the run goes on
  set({d("2024-10-04")}, "N", "N");
  EXPECT_EQ(daysOf(fired(policy, "st_johns.first_day")),
            (std::vector<Date>{d("2024-09-16"), d("2024-10-03")}));
}

TEST_F(StJohns, FirstDayAgainWhenThePupilCameInBetween) {
  set({d("2024-09-16")}, "N", "\\");  // in on Monday afternoon: the run ended
  set({d("2024-09-17")}, "N", "N");   // Tuesday morning is a new first day
  set({d("2024-10-03")}, "/", "N");   // absent from Thursday afternoon: first day Friday morning
  set({d("2024-10-04")}, "N", "N");
  EXPECT_EQ(daysOf(fired(policy, "st_johns.first_day")),
            (std::vector<Date>{d("2024-09-16"), d("2024-09-17"), d("2024-10-04")}));
}

TEST_F(StJohns, FirstDayARunOfAbsenceAcrossHalfTermAndTheTermsEndIsOneRun) {
  set({d("2024-10-25")}, "N", "N");  // the Friday before half term
  set({d("2024-11-04")}, "N", "N");  // the Monday after: the same run
  set({d("2024-12-19")}, "N", "N");  // the last day of the autumn term
  set({d("2025-01-06")}, "N", "N");  // the first of the spring term: the same run
  EXPECT_EQ(daysOf(fired(policy, "st_johns.first_day")),
            (std::vector<Date>{d("2024-10-25"), d("2024-12-19")}));
}

// "Reason other than illness - key staff to be alerted (Keyworker, HOY, SENCO, Safeguarding)"

TEST_F(StJohns, ReasonOtherThanIllnessKeyStaffToBeAlerted) {
  set({d("2024-09-18")}, "C", "C");  // one day, exceptional circumstances
  set({d("2024-10-09")}, "G", "G");  // one day, a holiday not granted
  auto alerts = fired(policy, "st_johns.reason_other_than_illness");
  ASSERT_EQ(daysOf(alerts), (std::vector<Date>{d("2024-09-18"), d("2024-10-09")}));
  for (const auto& alert : alerts) {
    EXPECT_EQ(alert.type, "concern");
    auto action = nlohmann::json::parse(alert.action);
    EXPECT_EQ(action["alert"],
              nlohmann::json::array({"key_worker", "head_of_year", "SENCO", "DSL"}));
  }
}

TEST_F(StJohns, ReasonOtherThanIllnessIsRaisedAfterTheMorningRegisterOncePerRun) {
  morningOf(d("2024-09-18"), "G");
  auto found = sync(rules, d("2024-09-18"), "st_johns.reason_other_than_illness");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].occurred_on, d("2024-09-18"));
}

TEST_F(StJohns, ReasonOtherThanIllnessOnceForARunOfAbsence) {
  set(schoolDays("2024-10-07", 5), "G", "G");  // a week's holiday: one alert, on its first day
  EXPECT_EQ(daysOf(fired(policy, "st_johns.reason_other_than_illness")),
            (std::vector<Date>{d("2024-10-07")}));
}

TEST_F(StJohns, ReasonOtherThanIllnessIllnessOrNoReasonIsNotAlerted) {
  set({d("2024-09-18")}, "I", "I");
  set({d("2024-09-25")}, "M", "/");
  set({d("2024-10-02")}, "N", "N");
  set({d("2024-10-09")}, "C2", "C2");  // a part-time timetable already agreed
  EXPECT_TRUE(fired(policy, "st_johns.reason_other_than_illness").empty());
}

// "NO FURTHER IMPROVEMENT (AC7) ... If 10 sessions unauthorised in a 10 week period - LA notice
// to improve letter to be sent by Attendance Officer."

TEST_F(StJohns, NoFurtherImprovementTenSessionsUnauthorisedInTenWeeksSendsTheNoticeAtAc7) {
  set(schoolDays("2024-09-16", 60), "/", "N");  // falling: AC3 .. AC7, all unauthorised
  auto ladder = fired(policy, "st_johns.percentage");
  ASSERT_EQ(ladder.size(), 5u);
  Date ac5 = ladder[2].occurred_on, ac7 = ladder[4].occurred_on;
  ASSERT_EQ(ladder[4].rule, "st_johns.percentage.ac7_no_further_improvement");
  auto notices = fired(policy, "st_johns.notice_to_improve");
  ASSERT_EQ(notices.size(), 1u);  // not at AC5, though there were 10 sessions by then
  EXPECT_GT(notices[0].occurred_on, ac5);
  EXPECT_EQ(notices[0].occurred_on, ac7);
  EXPECT_NE(
      notices[0].summary.find(" unauthorised sessions in the 10 school weeks to " + ac7.iso()),
      std::string::npos);
}

TEST_F(StJohns, NoFurtherImprovementTheNoticeNeedsExactlyTenUnauthorisedSessions) {
  // Every afternoon absent, ill (authorised): the same percentages, so AC7 on the same day;
  // then 10 (or 9) of the afternoons before AC7 are a holiday not granted instead.
  set(schoolDays("2024-09-16", 60), "/", "I");
  auto ladder = fired(policy, "st_johns.percentage");
  ASSERT_EQ(ladder.size(), 5u);
  Date ac7 = ladder[4].occurred_on;
  EXPECT_TRUE(fired(policy, "st_johns.notice_to_improve").empty());  // illness: authorised
  auto before = cal.schoolDays(d("2024-09-16"), ac7);
  std::vector<Date> last10(before.end() - 10, before.end());
  set(std::vector<Date>(last10.begin() + 1, last10.end()), "/", "G");  // 9 sessions
  EXPECT_TRUE(fired(policy, "st_johns.notice_to_improve").empty());
  set({last10.front()}, "/", "G");  // the 10th
  auto notices = fired(policy, "st_johns.notice_to_improve");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].occurred_on, ac7);
}

TEST_F(StJohns, NoFurtherImprovementAPupilAtAc5WithTenUnauthorisedSessionsGetsNoNotice) {
  set(schoolDays("2024-12-09", 4), "N", "/");  // 4 in December, 6 in January: across terms
  set(schoolDays("2025-01-06", 6), "/", "G");
  EXPECT_TRUE(fired(policy, "st_johns.notice_to_improve").empty());
}
