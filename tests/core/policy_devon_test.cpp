// Devon's attendance process (../shared/seeds/devon-process-session-thresholds.txt), line by
// line: each case named after the document's words, crafted to hit a threshold exactly and to
// just miss it, across term and year boundaries and with registers not taken.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

using Stages = std::vector<std::string>;

struct Devon : ::testing::Test, test::PolicyRegister {
  Policy devon = Policy::load(test::sourceDir() + "/docs/policies/devon-session-thresholds.json");
  Devon() : test::PolicyRegister(test::autumnCalendar()) {}
  // One absent session (N in the afternoon) on each of `count` school days from `from`.
  void absentEachAfternoon(const char* from, int count) { set(schoolDays(from, count), "/", "N"); }
  // The events of `rule` (or its stages) found by an evaluation on the evening of `through`.
  std::vector<Event> firedThrough(const std::string& rule, Date through) const {
    PupilRegister reg(cal, marks);
    const auto& days = cal.index().days;
    WalkPlan plan;
    plan.through = static_cast<int>(std::find(days.begin(), days.end(), through) - days.begin());
    std::vector<Event> events, out;
    devon.evaluate(pupil, reg, plan, events);
    for (auto& e : events)
      if (e.rule == rule || e.rule.rfind(rule + ".", 0) == 0) out.push_back(std::move(e));
    return out;
  }
  std::vector<Date> daysOf(const std::vector<Event>& events) const {
    std::vector<Date> out;
    for (const auto& e : events) out.push_back(e.occurred_on);
    return out;
  }
  static std::string text(const Event& e) { return nlohmann::json::parse(e.action)["text"]; }
};

}  // namespace

// "2 weeks Review / Review Attendance with Attendance Improvement Officer (AIO) If improved
// continue to monitor": a task ten school days after each letter, whatever happens.
TEST_F(Devon, TwoWeeksReviewWithTheAioIsDueTenSchoolDaysAfterEachLetter) {
  absentEachAfternoon("2024-09-09", 20);  // letters 1, 2 and 3 (SAM), then full attendance
  auto letters = fired(devon, "devon.sessions");
  ASSERT_EQ(letters.size(), 3u);
  auto reviews = fired(devon, "devon.two_week_review");
  ASSERT_EQ(reviews.size(), 3u);
  const char* stage[] = {"letter_1", "letter_2", "letter_3_sam"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(reviews[i].rule, std::string("devon.two_week_review.") + stage[i]);
    EXPECT_EQ(reviews[i].type, "task");
    EXPECT_EQ(reviews[i].occurred_on, after(letters[i].occurred_on, 10)) << i;
  }
  EXPECT_EQ(text(reviews[0]), "2 weeks review of letter_1 (entered " +
                                  letters[0].occurred_on.iso() +
                                  "): review attendance with the Attendance Improvement Officer "
                                  "(AIO); if improved, continue to monitor");
  auto action = nlohmann::json::parse(reviews[0].action);
  EXPECT_EQ(action["assignee_role"], "attendance_officer");
  EXPECT_EQ(action["due_on"], reviews[0].occurred_on.iso());
  // Just missed: on the evening of the ninth school day after letter 1 there is no review yet.
  Date ninth = after(letters[0].occurred_on, 9);
  EXPECT_TRUE(firedThrough("devon.two_week_review", ninth).empty());
  EXPECT_EQ(firedThrough("devon.two_week_review", after(ninth, 1)).size(), 1u);
}

TEST_F(Devon, IfImprovedContinueToMonitorTheReviewIsHeldAndNothingMoreIsRaised) {
  absentEachAfternoon("2024-09-09", 20);  // the 20th absent session, then full attendance
  EXPECT_EQ(stages(devon, "devon.sessions"), (Stages{"letter_1", "letter_2", "letter_3_sam"}));
  EXPECT_EQ(fired(devon, "devon.two_week_review.letter_3_sam").size(), 1u);
}

TEST_F(Devon, ContinuedPoorAttendanceWithNoImprovementAio1LetterThenTheFormalLegalMeeting) {
  absentEachAfternoon("2024-09-09", 60);  // attendance keeps falling
  EXPECT_EQ(stages(devon, "devon.sessions"),
            (Stages{"letter_1", "letter_2", "letter_3_sam", "aio_letter", "aio_legal_meeting"}));
  auto letters = fired(devon, "devon.sessions");
  ASSERT_EQ(letters.size(), 5u);
  // The review after the SAM and the AIO 1 letter fall on the same day; the AIO 1 letter has
  // its own two-week review, on the day of the formal legal meeting.
  auto reviews = fired(devon, "devon.two_week_review");
  ASSERT_EQ(reviews.size(), 4u);
  EXPECT_EQ(reviews[2].occurred_on, letters[3].occurred_on);
  EXPECT_EQ(reviews[3].rule, "devon.two_week_review.aio_letter");
  EXPECT_EQ(reviews[3].occurred_on, letters[4].occurred_on);
  EXPECT_EQ(letters[4].type, "irregular_attendance");
}

TEST_F(Devon, TenFifteenAndTwentyAbsentSessionsHitExactlyAndJustMissed) {
  absentEachAfternoon("2024-09-09", 9);  // 9 absent sessions: no letter
  EXPECT_TRUE(fired(devon, "devon.sessions").empty());
  EXPECT_TRUE(fired(devon, "devon.two_week_review").empty());
  set({d("2024-09-23")}, "I", "\\");  // the 10th, an authorised absence: letter 1 that day
  auto letters = fired(devon, "devon.sessions");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].occurred_on, d("2024-09-23"));
  set({d("2024-09-24"), d("2024-09-25")}, "N", "N");  // 14 sessions: letter 2 not yet
  set({d("2024-09-26")}, "/", "N");                   // 15: letter 2
  set({d("2024-10-01"), d("2024-10-02")}, "N", "/");  // 17
  set({d("2024-10-03")}, "/", "N");                   // 18
  set({d("2024-10-04")}, "N", "/");                   // 19: no SAM
  EXPECT_EQ(stages(devon, "devon.sessions"), (Stages{"letter_1", "letter_2"}));
  set({d("2024-10-07")}, "N", "/");  // 20 sessions missed: letter 3 and the SAM
  EXPECT_EQ(stages(devon, "devon.sessions"), (Stages{"letter_1", "letter_2", "letter_3_sam"}));
  EXPECT_EQ(fired(devon, "devon.sessions").back().occurred_on, d("2024-10-07"));
}

TEST_F(Devon, TheTwoWeeksReviewCountsSchoolDaysAcrossHalfTermAndChristmas) {
  absentEachAfternoon("2024-10-14", 10);  // letter 1 on Friday 25 Oct, before half term
  auto letters = fired(devon, "devon.sessions");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].occurred_on, d("2024-10-25"));
  // Half term (28 Oct - 1 Nov) has no school days: the review is on 15 November.
  EXPECT_EQ(daysOf(fired(devon, "devon.two_week_review")), std::vector<Date>{d("2024-11-15")});

  marks.clear();
  test::addDays(marks, pupil.upn, cal.schoolDays(d("2024-09-03"), d("2025-04-04")), "/", "\\");
  absentEachAfternoon("2024-12-04", 10);  // letter 1 on Tuesday 17 December
  // 18 and 19 Dec, then the planned closure on 20 Dec and Christmas: review on 15 January.
  EXPECT_EQ(daysOf(fired(devon, "devon.two_week_review")), std::vector<Date>{d("2025-01-15")});
}

TEST_F(Devon, TheReviewIsHeldEvenWhenNoRegisterWasTakenButTheAioLetterWaits) {
  absentEachAfternoon("2024-09-09", 20);         // letter 3 and the SAM on 4 October
  set(schoolDays("2024-10-07", 200), "-", "-");  // then no register taken at all
  auto reviews = fired(devon, "devon.two_week_review.letter_3_sam");
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0].occurred_on, after(d("2024-10-04"), 10));
  // Registers not taken are no evidence: no AIO 1 letter.
  EXPECT_EQ(stages(devon, "devon.sessions"), (Stages{"letter_1", "letter_2", "letter_3_sam"}));
}

TEST(DevonYears, ANewAcademicYearStartsOffTheLadderWithNoReviewPending) {
  Policy devon = Policy::load(test::sourceDir() + "/docs/policies/devon-session-thresholds.json");
  test::PolicyRegister reg(SchoolCalendar::fromJson(nlohmann::json::parse(R"({
      "name": "two years",
      "terms": [{"name": "Summer", "start": "2025-04-22", "end": "2025-07-18"},
                {"name": "Autumn", "start": "2025-09-03", "end": "2025-12-19"}],
      "holidays": [{"name": "half term", "start": "2025-05-26", "end": "2025-05-30"}]})"),
                                                    "test"),
                           "2025-04-22", "2025-12-19");
  reg.set(reg.schoolDays("2025-06-30", 10), "/", "N");  // letter 1 on Friday 11 July
  auto letters = reg.fired(devon, "devon.sessions");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].occurred_on, d("2025-07-11"));
  // 14-18 July are five school days; the review would fall on 9 September, in a year that
  // starts off the ladder: it is not raised.
  EXPECT_TRUE(reg.fired(devon, "devon.two_week_review").empty());
  // A letter ten school days before the end of the year has its review on the last day.
  reg.set(reg.schoolDays("2025-06-30", 10), "/", "\\");
  reg.set(reg.schoolDays("2025-06-23", 10), "/", "N");  // letter 1 on Friday 4 July
  auto reviews = reg.fired(devon, "devon.two_week_review");
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0].occurred_on, d("2025-07-18"));
}

TEST_F(Devon, AttendanceOfficerToMonitorAbsenceMakeDay3Call) {
  set(schoolDays("2024-09-16", 2), "I", "I");  // two days: no call
  EXPECT_TRUE(fired(devon, "devon.day_3_call").empty());
  set({d("2024-09-18")}, "N", "N");  // the third day in a row
  auto calls = fired(devon, "devon.day_3_call");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].occurred_on, d("2024-09-18"));
}
