// OTW attendance policy 2025 (docs/policies/otw-attendance-bands.json), its rules against the
// seed document (../shared/seeds/otw-attendance-policy-2025.txt): termly RAG letters, the
// first-day call and medical evidence; named after the document's words, each case hitting the
// threshold exactly and just missing it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/morning_sync.h"

using namespace markbridge;
using test::d;

namespace {

struct Otw : ::testing::Test, test::MorningSync {
  Policy policy = Policy::load(test::sourceDir() + "/docs/policies/otw-attendance-bands.json");
  RuleSet rules = test::shippedPolicies({"statutory", "otw-attendance-bands.json"});
  std::vector<Date> daysOf(const std::vector<Event>& events) const {
    std::vector<Date> out;
    for (const auto& e : events) out.push_back(e.occurred_on);
    return out;
  }
  // A pupil hovering around 94% all year: an afternoon missed whenever attendance reaches 94%,
  // present otherwise, so they cross the line between the amber bands every few days and never
  // fall below 90%.
  void hoverAroundNinetyFour() {
    int present = 0, possible = 0;
    for (Date day : cal.schoolDays(d("2024-09-03"), d("2025-04-04"))) {
      bool miss = possible >= 20 && 100.0 * present >= 94.0 * possible;
      set({day}, "/", miss ? "N" : "\\");
      present += miss ? 1 : 2;
      possible += 2;
    }
  }
  static int inTerm(const std::vector<Event>& events, const char* from, const char* to) {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const Event& e) {
      return e.occurred_on >= d(from) && e.occurred_on <= d(to);
    }));
  }
};

}  // namespace

// "RAG Attendance Letters to be sent home termly about the impact of poor attendance (Upper or
// Lower Amber as appropriate)."

TEST_F(Otw, RagAttendanceLettersToBeSentHomeTermlyOneLetterPerBandPerTerm) {
  hoverAroundNinetyFour();
  auto upper = fired(policy, "otw.rag_letter_upper_amber");
  auto lower = fired(policy, "otw.rag_letter_lower_amber");
  EXPECT_EQ(inTerm(upper, "2024-09-02", "2024-12-20"), 1);
  EXPECT_EQ(inTerm(lower, "2024-09-02", "2024-12-20"), 1);
  EXPECT_EQ(inTerm(upper, "2025-01-06", "2025-04-04"), 1);  // the next term: one more each
  EXPECT_EQ(inTerm(lower, "2025-01-06", "2025-04-04"), 1);
  EXPECT_EQ(upper.size() + lower.size(), 4u);
  EXPECT_TRUE(fired(policy, "otw.significant_concerns").empty());  // never below 90%
  // The spring letters go on the first school day of the term the pupil is in the band.
  ASSERT_EQ(upper.size(), 2u);
  ASSERT_EQ(lower.size(), 2u);
  EXPECT_TRUE(upper[1].occurred_on == d("2025-01-06") || lower[1].occurred_on == d("2025-01-06"));
}

TEST_F(Otw, RagAttendanceLettersLowerAmberAtExactlyNinetyPercent) {
  set({d("2024-09-03")}, "N", "N");  // 18 of 20 sessions on 16 Sep: 90.0%, lower amber
  auto lower = fired(policy, "otw.rag_letter_lower_amber");
  ASSERT_EQ(daysOf(lower), std::vector<Date>{d("2024-09-16")});
  EXPECT_TRUE(fired(policy, "otw.significant_concerns").empty());  // 90.0% is not below 90
  // Climbing back, the pupil passes through upper amber: that band's letter, once.
  EXPECT_EQ(fired(policy, "otw.rag_letter_upper_amber").size(), 1u);
}

TEST_F(Otw, RagAttendanceLettersNoneToAPupilInTheRedBand) {
  set(schoolDays("2024-09-03", 2), "N", "N");  // 16 of 20 on 16 Sep: 80%, red at once
  auto red = fired(policy, "otw.significant_concerns");
  ASSERT_FALSE(red.empty());
  EXPECT_EQ(red[0].rule, "otw.significant_concerns.red_immediate");
  EXPECT_EQ(red[0].occurred_on, d("2024-09-16"));
  // Full attendance from then on: back over 90% ten school days later, over 94% and 96%
  // after that; still on the significant-concerns ladder (the red letter was amber 1): no
  // amber letter on the way up.
  EXPECT_TRUE(fired(policy, "otw.rag_letter_lower_amber").empty());
  EXPECT_TRUE(fired(policy, "otw.rag_letter_upper_amber").empty());
}

// "Call the pupil's parent on the morning of the first day of unexplained absence to ascertain
// the reason."

TEST_F(Otw, CallThePupilsParentOnTheMorningOfTheFirstDayOfUnexplainedAbsence) {
  Date tuesday = d("2024-10-08");  // a pupil with no flags: not CP, not looked after
  morningOf(tuesday, "N");
  auto calls = sync(rules, tuesday, "otw.first_day_call");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].occurred_on, tuesday);
  auto action = nlohmann::json::parse(calls[0].action);
  EXPECT_EQ(action["due_on"], "2024-10-08");
  EXPECT_EQ(action["assignee_role"], "attendance_officer");
  afternoonOf(tuesday, "\\");  // in after lunch: the morning's call stands
  auto again = sync(rules, tuesday, "otw.first_day_call");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, calls[0].id);
}

TEST_F(Otw, CallThePupilsParentNotWhenTheAbsenceIsExplainedOrOnItsSecondDay) {
  set({d("2024-10-08")}, "I", "I");            // explained
  set(schoolDays("2024-10-14", 3), "N", "N");  // unexplained three days: one call
  set({d("2024-10-21")}, "I", "I");            // ill, then unexplained: the first day of
  set({d("2024-10-22")}, "N", "N");            // unexplained absence is Tuesday
  set({d("2024-11-05")}, "N", "-");            // afternoon not taken, then still unexplained:
  set({d("2024-11-06")}, "N", "N");            // one run
  EXPECT_EQ(daysOf(fired(policy, "otw.first_day_call")),
            (std::vector<Date>{d("2024-10-14"), d("2024-10-22"), d("2024-11-05")}));
}

// "Where the absence is longer than 5 days, or there are doubts about the authenticity of the
// illness, the school will ask for medical evidence"

TEST_F(Otw, WhereTheAbsenceIsLongerThanFiveDaysTheSchoolWillAskForMedicalEvidence) {
  set(schoolDays("2024-09-16", 6), "I", "I");
  auto asks = fired(policy, "otw.medical_evidence");
  ASSERT_EQ(daysOf(asks), std::vector<Date>{d("2024-09-23")});  // the 6th school day
  auto action = nlohmann::json::parse(asks[0].action);
  EXPECT_NE(action["text"].get<std::string>().find("ask for medical evidence"), std::string::npos);
  EXPECT_EQ(asks[0].from, d("2024-09-16"));
}

TEST_F(Otw, FiveDaysOfIllnessIsNotLongerThanFiveDays) {
  set(schoolDays("2024-09-16", 5), "I", "I");
  EXPECT_TRUE(fired(policy, "otw.medical_evidence").empty());
}

TEST_F(Otw, LongerThanFiveDaysOfIllnessAcrossHalfTermAndWithARegisterNotTaken) {
  set(schoolDays("2024-10-23", 3), "I", "I");  // Wed-Fri before half term
  set({d("2024-11-04")}, "-", "-");            // not taken: neither ends nor extends it
  set(schoolDays("2024-11-05", 3), "I", "I");  // the 6th day of illness: Thursday 7 Nov
  EXPECT_EQ(daysOf(fired(policy, "otw.medical_evidence")), std::vector<Date>{d("2024-11-07")});
}
