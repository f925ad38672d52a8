// OTW's significant-concerns ladder and the EHCP notification
// (../shared/seeds/otw-attendance-policy-2025.txt, appendix 2 "Below 90 %" and section 3.2),
// line by line: each case named after the document's words and crafted to hit a threshold
// exactly and to just miss it, across half term and with registers not taken.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

using Stages = std::vector<std::string>;

struct OtwLadder : ::testing::Test, test::PolicyRegister {
  Policy otw = Policy::load(test::sourceDir() + "/docs/policies/otw-attendance-bands.json");
  OtwLadder() : test::PolicyRegister(test::autumnCalendar()) {}
  // 17 of the first 20 sessions: 85% on 16 September, the first day with 20 possible sessions.
  void redOnSixteenthSeptember() {
    set({d("2024-09-03")}, "N", "N");
    set({d("2024-09-04")}, "N", "/");
  }
  std::vector<Date> daysOf(const std::vector<Event>& events) const {
    std::vector<Date> out;
    for (const auto& e : events) out.push_back(e.occurred_on);
    return out;
  }
  static nlohmann::json action(const Event& e) { return nlohmann::json::parse(e.action); }
};

}  // namespace

// "Below 90 %: Significant attendance concerns. Immediate Actions".
TEST_F(OtwLadder, BelowNinetyPercentImmediateActionsHitExactlyAndJustMissed) {
  set({d("2024-09-03")}, "N", "N");  // 18 of 20: 90.0%, not below 90
  EXPECT_TRUE(fired(otw, "otw.significant_concerns").empty());
  set({d("2024-09-04")}, "N", "/");  // 17 of 20: 85%
  auto red = fired(otw, "otw.significant_concerns.red_immediate");
  ASSERT_EQ(red.size(), 1u);
  EXPECT_EQ(red[0].occurred_on, d("2024-09-16"));
  EXPECT_EQ(red[0].type, "concern");
  // Responsibility: the School Lead, with the FLO assigned to monitor.
  EXPECT_EQ(action(red[0])["alert"], (nlohmann::json{"school_lead", "family_liaison_officer"}));
}

// "If attendance has improved: Celebrate progress (certificates, praise, rewards)": at the end
// of the half-term monitoring period (30 school days: 4 November), attendance is compared with
// 85% on 16 September. 8 sessions missed of the next 60 (86.25%) is an improvement.
TEST_F(OtwLadder, IfAttendanceHasImprovedCelebrateProgress) {
  redOnSixteenthSeptember();
  set(schoolDays("2024-09-17", 8), "/", "N");
  auto celebrate = fired(otw, "otw.celebrate_progress");
  ASSERT_EQ(celebrate.size(), 1u);
  EXPECT_EQ(celebrate[0].rule, "otw.celebrate_progress.red_immediate");
  EXPECT_EQ(celebrate[0].occurred_on, d("2024-11-04"));
  EXPECT_EQ(after(d("2024-09-16"), 30), d("2024-11-04"));
  EXPECT_EQ(celebrate[0].type, "task");
  EXPECT_EQ(action(celebrate[0])["text"],
            "Celebrate progress: attendance up to 86.2% since 2024-09-16: communicate with the "
            "family and celebrate (certificates, praise, rewards); continue regular attendance "
            "monitoring");
  EXPECT_EQ(stages(otw, "otw.significant_concerns"), (Stages{"red_immediate"}));
}

// The twin: 9 sessions missed of the 60 leaves attendance at exactly 85%: no improvement.
TEST_F(OtwLadder, IfThereIsNoImprovementConveneAnAttendancePanelMeeting) {
  redOnSixteenthSeptember();
  set(schoolDays("2024-09-17", 9), "/", "N");
  EXPECT_TRUE(fired(otw, "otw.celebrate_progress.red_immediate").empty());
  auto events = fired(otw, "otw.significant_concerns");
  EXPECT_EQ(stages(otw, "otw.significant_concerns"), (Stages{"red_immediate", "attendance_panel"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].occurred_on, d("2024-11-04"));
  EXPECT_EQ(action(events[1])["assignee_role"], "school_lead");
  EXPECT_EQ(events[1].summary,
            "attendance 85% on 2024-11-04, no improvement over the half term since 2024-09-17");
}

// "If attendance has NOT improved: Referral to the Local Authority for formal legal
// intervention" at the end of the final (second) monitoring period, with the parents' review
// of the action plan: two half terms after the immediate actions, not three.
TEST_F(OtwLadder, NotImprovedAtTheEndOfTheFinalMonitoringPeriodReferralToTheLocalAuthority) {
  set(schoolDays("2024-09-03", 150), "/", "N");  // 50%, falling no further, never improving
  auto events = fired(otw, "otw.significant_concerns");
  EXPECT_EQ(stages(otw, "otw.significant_concerns"),
            (Stages{"red_immediate", "attendance_panel", "la_referral"}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(daysOf(events),
            (std::vector<Date>{d("2024-09-16"), d("2024-11-04"), after(d("2024-11-04"), 30)}));
  EXPECT_EQ(events[2].type, "irregular_attendance");
  auto review = fired(otw, "otw.action_plan_review");
  ASSERT_EQ(review.size(), 1u);
  EXPECT_EQ(review[0].rule, "otw.action_plan_review.attendance_panel");
  EXPECT_EQ(review[0].occurred_on, events[2].occurred_on);
  EXPECT_TRUE(fired(otw, "otw.celebrate_progress").empty());
}

// "Invite parents/carers to review the action plan ... If there is improvement, communicate
// and celebrate appropriately and continue monitoring".
TEST_F(OtwLadder, AtTheEndOfTheFurtherHalfTermReviewTheActionPlanAndCelebrateAnImprovement) {
  set(schoolDays("2024-09-03", 40), "/", "N");  // 50% to 4 Nov: red, then the APM on 4 Nov
  EXPECT_EQ(stages(otw, "otw.significant_concerns"), (Stages{"red_immediate", "attendance_panel"}));
  Date review = after(d("2024-11-04"), 30);
  EXPECT_EQ(daysOf(fired(otw, "otw.action_plan_review")), std::vector<Date>{review});
  auto celebrate = fired(otw, "otw.celebrate_progress");
  EXPECT_EQ(daysOf(celebrate), std::vector<Date>{review});
  ASSERT_EQ(celebrate.size(), 1u);
  EXPECT_EQ(celebrate[0].rule, "otw.celebrate_progress.attendance_panel");
}

// A review period whose registers were not taken is neither improvement nor its lack: it
// waits, and is held on the first school day with 30 taken sessions since the stage.
TEST_F(OtwLadder, AReviewWithRegistersNotTakenWaitsAndIsNeitherCelebratedNorEscalated) {
  redOnSixteenthSeptember();
  set(schoolDays("2024-09-17", 200), "-", "-");
  EXPECT_TRUE(fired(otw, "otw.celebrate_progress").empty());
  EXPECT_EQ(stages(otw, "otw.significant_concerns"), (Stages{"red_immediate"}));
  // Registers taken again from 2 December, mornings only: the 30th taken session is on 27
  // January (attendance 47 of 50, 94%: improved since 85%).
  set(schoolDays("2024-12-02", 200), "/", "-");
  auto celebrate = fired(otw, "otw.celebrate_progress");
  ASSERT_EQ(celebrate.size(), 1u);
  EXPECT_EQ(celebrate[0].occurred_on, after(d("2024-12-02"), 29));
  EXPECT_EQ(celebrate[0].occurred_on, d("2025-01-27"));
}

// A half term with its holiday: the monitoring period counts school days.
TEST_F(OtwLadder, TheHalfTermMonitoringPeriodCountsSchoolDaysAcrossTheHoliday) {
  set(schoolDays("2024-10-09", 3), "N", "N");  // 52 of 58 on 11 October: 89.7%
  auto red = fired(otw, "otw.significant_concerns.red_immediate");
  ASSERT_EQ(red.size(), 1u);
  EXPECT_EQ(red[0].occurred_on, d("2024-10-11"));
  // 30 school days on, over the half-term holiday (28 Oct - 1 Nov): 29 November.
  EXPECT_EQ(daysOf(fired(otw, "otw.celebrate_progress")), std::vector<Date>{d("2024-11-29")});
}

// Section 3.2: "Communicating with the local authority when a pupil with an education, health
// and care (EHC) plan has falling attendance": an LA notification each time the band worsens.
TEST_F(OtwLadder, EhcPlanFallingAttendanceOutOfGreenHitExactlyAndJustMissed) {
  pupil.flags.ehcp = true;
  set({d("2024-11-15")}, "N", "N");
  set({d("2024-11-18")}, "N", "N");  // 96 of 100 on 18 November: 96.0%, still green
  EXPECT_TRUE(fired(otw, "otw.ehcp_falling_attendance").empty());
  set({d("2024-11-14")}, "/", "N");  // 95 of 100: 95%, upper amber
  auto sent = fired(otw, "otw.ehcp_falling_attendance");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "otw.ehcp_falling_attendance.below_green");
  EXPECT_EQ(sent[0].type, "ehcp_attendance_concern");
  EXPECT_EQ(sent[0].occurred_on, d("2024-11-18"));
  EXPECT_EQ(sent[0].summary,
            "pupil with an EHC plan: attendance 95% on 2024-11-18, fallen below 96% (upper amber)");
  pupil.flags.ehcp = false;  // the same register without a plan: nothing to the LA
  EXPECT_TRUE(fired(otw, "otw.ehcp_falling_attendance").empty());
}

TEST_F(OtwLadder, EhcPlanFallingAttendanceEachBandLostIsNotifiedOnce) {
  pupil.flags.ehcp = true;
  set(schoolDays("2024-11-14", 30), "/", "N");  // falls day by day: 96, 94, then 90
  auto sent = fired(otw, "otw.ehcp_falling_attendance");
  EXPECT_EQ(stages(otw, "otw.ehcp_falling_attendance"),
            (Stages{"below_green", "lower_amber", "red"}));
  for (const auto& e : sent) EXPECT_EQ(e.type, "ehcp_attendance_concern");
}

TEST_F(OtwLadder, EhcPlanFirstMeasuredInRedIsOneNotificationAndRecoveryIsNone) {
  pupil.flags.ehcp = true;
  set(schoolDays("2024-09-03", 2), "N", "N");  // 80% on 16 September, then present all year
  auto sent = fired(otw, "otw.ehcp_falling_attendance");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "otw.ehcp_falling_attendance.red");
  EXPECT_EQ(sent[0].occurred_on, d("2024-09-16"));
}

// "100% - 95% No attendance concerns" vs "Upper 94 - 95.9%": green is 96% and over. A pupil
// back in green for 30 school days leaves the ladder, and is caught again if they slip back.
TEST_F(OtwLadder, BackInGreenForAHalfTermLeavesTheLadderAndASlipBackIsActedOnAgain) {
  set(schoolDays("2024-09-03", 2), "N", "N");  // 80% on 16 September: red
  // 96 of 100 on 18 November, green from then: off the ladder 30 school days later.
  set(schoolDays("2025-02-03", 15), "N", "N");  // then absent three weeks in February
  auto red = fired(otw, "otw.significant_concerns.red_immediate");
  ASSERT_EQ(red.size(), 2u);
  EXPECT_EQ(red[0].occurred_on, d("2024-09-16"));
  EXPECT_GT(red[1].occurred_on, d("2025-02-03"));
  EXPECT_NE(red[0].id, red[1].id);
  // Without the green spell (95% at most all along), the pupil stays on the ladder: one red.
  set({d("2024-12-02")}, "N", "N");
  set({d("2024-12-03")}, "N", "N");
  set({d("2024-12-04")}, "N", "N");
  set({d("2024-12-05")}, "N", "N");
  EXPECT_EQ(fired(otw, "otw.significant_concerns.red_immediate").size(), 1u);
}
