// "No improvement" reviews: the text a stage sends shows the measure that fired it (not 0), and
// a review rests only on registers that were taken: sessions not taken ("-", or no row at all)
// are no evidence either way, and a review without enough taken sessions waits.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

Policy seed(const std::string& file) {
  return Policy::load(test::sourceDir() + "/docs/policies/" + file);
}

Policy policy(const std::string& ladder) {
  std::vector<Problem> problems;
  auto p = Policy::fromJson(nlohmann::json::parse(R"({"name": "p", "ladders": [)" + ladder + "]}"),
                            "test.json", problems);
  for (const auto& problem : problems) ADD_FAILURE() << problem.location << ": " << problem.message;
  return *p;
}

const char* kSeeds[] = {"devon-session-thresholds.json", "st-johns-graduated-response.json",
                        "laao-stage-flowchart.json", "sol-tracker-interventions.json",
                        "otw-attendance-bands.json"};

// A ladder: a letter at the first N, then a review after 10 school days with `review` as the
// no-improvement measure.
Policy letterThenReview(const std::string& review) {
  return policy(
      R"({"id": "l", "stages": [
           {"id": "letter", "when": {"measure": "count", "codes": ["N"], "at_least": 1},
            "action": {"note": {"text": "letter"}}, "summary": "letter on {to}"},
           {"id": "review", "when": {"no_improvement": )" +
      review + R"(}, "action": {"la_notification": "irregular_attendance"},
            "summary": "{value} on {to}, review from {from}"}]})");
}

const char* kAttendanceReview =
    R"({"measure": "percent", "codes": "attendance", "window": "academic_year", "better": "higher", "after_school_days": 10})";

// A number as summaries show it: whole, or cut to one decimal.
std::string shown(double v) {
  if (v == std::floor(v)) return std::to_string(static_cast<int>(v));
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::floor(v * 10 + 1e-9) / 10);
  return text;
}

struct NoImprovement : ::testing::Test, test::PolicyRegister {
  NoImprovement() : test::PolicyRegister(test::autumnCalendar()) {}

  // The percentage of possible sessions with a code in `codes`, this academic year to `day`,
  // counted from the marks themselves.
  double percentTo(const CodeSet& codes, Date day) const {
    int matching = 0, possible = 0;
    for (const auto& m : marks)
      if (m.date <= day && m.date.academicYear() == day.academicYear() && m.code.isPossible()) {
        ++possible;
        matching += codes.has(m.code);
      }
    return 100.0 * matching / possible;
  }
  // Sessions lost on the first two days, then one every afternoon: attendance never improves.
  void falling(int afternoons) {
    set(schoolDays("2024-09-03", 2), "N", "N");
    set(schoolDays("2024-09-17", afternoons), "/", "N");
  }
  // Every school day from `from` to the end of the calendar: the register not taken.
  void notTakenFrom(const char* from) { set(schoolDays(from, 1000), "-", "-"); }
  std::vector<Event> fired(const Policy& p, const std::string& rule) const {
    return test::PolicyRegister::fired(p, rule);
  }
};

// The ladder stages of `p` whose condition is a no-improvement review, by rule id.
std::map<std::string, const Condition*> reviewStages(const Policy& p) {
  std::map<std::string, const Condition*> out;
  for (const auto& ladder : p.ladders())
    for (std::size_t s = 0; s < ladder.stages().size(); ++s)
      if (ladder.stages()[s].when.kind == Condition::Kind::NoImprovement)
        out[ladder.stageRuleId(p.name(), s)] = &ladder.stages()[s].when;
  return out;
}

}  // namespace

// ---- 1. the text shows the real measure ----------------------------------------------------

TEST_F(NoImprovement, EverySeedPolicysNoImprovementStageTextCarriesTheRealFigure) {
  falling(150);
  for (const char* file : kSeeds) {
    SCOPED_TRACE(file);
    Policy p = seed(file);
    auto reviews = reviewStages(p);
    ASSERT_FALSE(reviews.empty());
    int checked = 0;
    for (const auto& e : fired(p, p.name())) {
      auto it = reviews.find(e.rule);
      if (it == reviews.end()) continue;
      const Measure& m = it->second->measure;
      ASSERT_EQ(m.kind, Measure::Kind::Percent) << e.rule << ": this test counts percentages";
      ASSERT_EQ(m.window.kind, Window::Kind::AcademicYear) << e.rule;
      double value = percentTo(m.codes, e.occurred_on);
      ASSERT_GT(value, 0) << e.rule;
      EXPECT_NE(e.summary.find(shown(value) + "% on " + e.occurred_on.iso()), std::string::npos)
          << e.rule << ": " << e.summary << " (expected " << shown(value) << "%)";
      EXPECT_EQ(e.summary.find(" 0%"), std::string::npos) << e.rule << ": " << e.summary;
      ++checked;
    }
    EXPECT_GT(checked, 0) << "no review stage fired";
  }
}

TEST_F(NoImprovement, DevonAioLetterSaysTheAttendanceOfTheDayNotZero) {
  Policy devon = seed("devon-session-thresholds.json");
  // Absent all day from 9 Sep: the 20th absent session, the SAM, on 20 Sep; still absent at
  // the two-week review on 4 Oct.
  set(schoolDays("2024-09-09", 20), "N", "N");
  auto events = fired(devon, "devon.sessions.aio_letter");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, d("2024-10-04"));  // 10 school days after the SAM
  // 24 school days from 3 Sep to 4 Oct: 48 possible sessions, 40 lost, 8 attended: 16.66..%.
  EXPECT_EQ(events[0].summary, "attendance 16.6% on 2024-10-04, no better than at the SAM");
  // The grounds are the review period: the school day after the SAM to the review.
  EXPECT_EQ(events[0].from, d("2024-09-23"));
  EXPECT_EQ(events[0].to, d("2024-10-04"));
}

TEST_F(NoImprovement, SolInterventionTwoFiredByThreeLatesSaysThreeLates) {
  Policy sol = seed("sol-tracker-interventions.json");
  set({d("2024-09-10"), d("2024-09-12"), d("2024-09-16")}, "L", "\\");
  auto events = fired(sol, "sol.interventions.i2_tutor_contacts_parent");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, d("2024-09-16"));
  EXPECT_EQ(events[0].summary, "3 sessions in the 20 school days to 2024-09-16");
}

TEST_F(NoImprovement, TheTextShowsTheMeasureForEveryKind) {
  set({d("2024-09-16")}, "N", "/");             // the letter
  set(schoolDays("2024-09-17", 10), "N", "N");  // then absent every day: 21 sessions
  auto percent = fired(letterThenReview(kAttendanceReview), "p.l.review");
  auto count = fired(
      letterThenReview(
          R"({"measure": "count", "codes": "unauthorised", "window": "academic_year", "better": "lower", "after_school_days": 10})"),
      "p.l.review");
  auto run = fired(
      letterThenReview(
          R"({"measure": "consecutive_days", "codes": "unauthorised", "better": "lower", "after_school_days": 10})"),
      "p.l.review");
  ASSERT_EQ(percent.size(), 1u);
  ASSERT_EQ(count.size(), 1u);
  ASSERT_EQ(run.size(), 1u);
  // 30 Sep: 20 school days from 3 Sep, 40 possible sessions, 21 lost: 19 attended.
  EXPECT_EQ(percent[0].summary, "47.5 on 2024-09-30, review from 2024-09-17");
  EXPECT_EQ(count[0].summary, "21 on 2024-09-30, review from 2024-09-17");
  // The letter day had a present afternoon, which ends a run: 10 days absent in a row.
  EXPECT_EQ(run[0].summary, "10 on 2024-09-30, review from 2024-09-17");
}

// ---- 2. registers not taken are no evidence ------------------------------------------------

TEST_F(NoImprovement, RegistersNotTakenThroughTheReviewDoNotClimb) {
  Policy p = letterThenReview(kAttendanceReview);
  set({d("2024-09-16")}, "N", "N");
  notTakenFrom("2024-09-17");
  EXPECT_TRUE(fired(p, "p.l.review").empty());
  // No row at all is the same as "-".
  std::erase_if(marks, [](const Mark& m) { return m.date > d("2024-09-16"); });
  EXPECT_TRUE(fired(p, "p.l.review").empty());
}

TEST_F(NoImprovement, TheSameRegisterTakenButAbsentClimbsAfterTheReview) {
  Policy p = letterThenReview(kAttendanceReview);
  set({d("2024-09-16")}, "N", "N");
  set(schoolDays("2024-09-17", 200), "N", "N");
  auto events = fired(p, "p.l.review");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, after(d("2024-09-16"), 10));
}

TEST_F(NoImprovement, HalfTheReviewPeriodsSessionsTakenIsEnough) {
  Policy p = letterThenReview(kAttendanceReview);
  set({d("2024-09-16")}, "N", "N");
  set(schoolDays("2024-09-17", 10), "N", "-");  // 10 of the 20 sessions taken: all absent
  notTakenFrom("2024-10-01");
  auto events = fired(p, "p.l.review");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, d("2024-09-30"));
}

TEST_F(NoImprovement, OneSessionFewerWaitsAndExplainSaysSo) {
  Policy p = letterThenReview(kAttendanceReview);
  set({d("2024-09-16")}, "N", "N");
  set(schoolDays("2024-09-17", 9), "N", "-");  // 9 of the 20 sessions taken
  notTakenFrom("2024-09-30");
  EXPECT_TRUE(fired(p, "p.l.review").empty());
  PupilRegister reg(cal, marks);
  auto explained = p.explain(pupil, reg, d("2024-10-02"));
  ASSERT_EQ(explained.size(), 2u);
  EXPECT_FALSE(explained[1].holds);
  EXPECT_EQ(explained[1].standing,
            "waiting: the review since 2024-09-16 has 9 of the 10 taken sessions it needs "
            "(registers not taken are no evidence either way)");
  // The tenth taken session, days later, completes the evidence: the review is held then.
  set({d("2024-10-07")}, "N", "-");
  auto events = fired(p, "p.l.review");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, d("2024-10-07"));
}

TEST_F(NoImprovement, NoSeedPolicyClimbsToAReviewStageOnRegistersNotTaken) {
  const auto present = marks;
  for (const char* file : kSeeds) {
    Policy p = seed(file);
    auto reviews = reviewStages(p);
    int ladders = 0;
    for (const auto& ladder : p.ladders()) {
      SCOPED_TRACE(std::string(file) + " " + ladder.id());
      std::string prefix = p.name() + "." + ladder.id() + ".";
      auto onLadder = [&] {
        std::vector<Event> out;
        for (auto& e : fired(p, p.name()))
          if (e.rule.rfind(prefix, 0) == 0) out.push_back(std::move(e));
        return out;
      };
      // Taken, and absent all day from the third week: the ladder climbs to a review stage.
      marks = present;
      set(schoolDays("2024-09-03", 2), "N", "N");
      set(schoolDays("2024-09-16", 1000), "N", "N");
      auto taken = onLadder();
      auto review = std::find_if(taken.begin(), taken.end(),
                                 [&](const Event& e) { return reviews.count(e.rule); });
      if (review == taken.end()) continue;  // this ladder has no review stage
      ASSERT_NE(review, taken.begin());
      Date reviewed = std::prev(review)->occurred_on;  // the stage the review looks back to
      // The same register, but not taken from the day after that stage was entered.
      set(cal.schoolDays(after(reviewed, 1), cal.last()), "-", "-");
      for (const auto& e : onLadder())
        EXPECT_EQ(reviews.count(e.rule), 0u) << e.rule << " on " << e.occurred_on.iso();
      ++ladders;
    }
    EXPECT_GT(ladders, 0) << file << ": no ladder reached a review stage";
  }
}

TEST_F(NoImprovement, LaaoLetterBWaitsForTakenRegistersAsTheDocsShow) {
  Policy laao = seed("laao-stage-flowchart.json");
  set({d("2024-09-16")}, "N", "N");            // Letter A
  set(schoolDays("2024-09-17", 9), "N", "-");  // 9 mornings absent, afternoons not taken
  notTakenFrom("2024-09-30");
  PupilRegister reg(cal, marks);
  const RuleExplanation* letterB = nullptr;
  auto explained = laao.explain(pupil, reg, d("2024-10-02"));
  for (const auto& e : explained)
    if (e.id == "stages.stage1_letter_b") letterB = &e;
  ASSERT_NE(letterB, nullptr);
  EXPECT_FALSE(letterB->holds);
  EXPECT_EQ(letterB->standing,
            "waiting: the review since 2024-09-16 has 9 of the 10 taken sessions it needs "
            "(registers not taken are no evidence either way)");
  // 18 of 20 sessions attended to Letter A, then 9 more possible, none attended: 18 / 29.
  ASSERT_TRUE(letterB->value);
  EXPECT_NEAR(*letterB->value, 100.0 * 18 / 29, 1e-9);
  EXPECT_EQ(letterB->from, d("2024-09-17"));
  EXPECT_EQ(fired(laao, "laao.stages").size(), 1u);  // Letter A only
}
