// The rule language's reviews: "improved", the twin of "no_improvement" (the same evidence
// rule: a review that waits for taken sessions is neither), and a ladder's "reviews", held a
// number of school days after a stage whatever happens, or on a condition.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

std::vector<Problem> problemsOf(const std::string& json) {
  std::vector<Problem> problems;
  Policy::fromJson(nlohmann::json::parse(json), "p.json", problems);
  return problems;
}

Policy policy(const std::string& json) {
  std::vector<Problem> problems;
  auto p = Policy::fromJson(nlohmann::json::parse(json), "p.json", problems);
  for (const auto& problem : problems) ADD_FAILURE() << problem.str();
  return *p;
}

// A letter at the first N; a review 10 school days later whose condition is `when` (none: held
// whatever happens), and a stage for no improvement.
std::string letterWithReview(const std::string& when) {
  return R"({"name": "p", "ladders": [{"id": "l",
      "stages": [
        {"id": "letter", "when": {"measure": "count", "codes": ["N"], "at_least": 1},
         "action": {"note": {"text": "letter"}}},
        {"id": "worse", "when": {"no_improvement": {"measure": "percent", "codes": "attendance",
                                 "better": "higher", "after_school_days": 10}},
         "action": {"note": {"text": "worse"}}}],
      "reviews": [{"id": "r", "of_stages": ["letter"], "after_school_days": 10, )" +
         (when.empty() ? std::string() : R"("when": )" + when + ", ") +
         R"("action": {"task": {"assignee_role": "tutor", "text": "review of {stage} from {entered}: {value}"}},
          "summary": "{stage} {entered} {from} {to}"}]}]})";
}

const char* kImproved =
    R"({"improved": {"measure": "percent", "codes": "attendance", "better": "higher", "after_school_days": 10}})";

struct Reviews : ::testing::Test, test::PolicyRegister {
  Reviews() : test::PolicyRegister(test::autumnCalendar()) {}
};

}  // namespace

// The letter on 16 September, at 95% (19 of 20). Ten school days later (30 September, 40
// sessions): 37 of 40 (92.5%) is no improvement; 39 of 40 (97.5%) is an improvement.
TEST_F(Reviews, ImprovedHoldsWhenTheMeasureIsBetterAndNoImprovementOtherwise) {
  Policy p = policy(letterWithReview(kImproved));
  set({d("2024-09-16")}, "N", "/");
  set({d("2024-09-17")}, "N", "N");
  EXPECT_TRUE(fired(p, "p.r").empty());
  EXPECT_EQ(stages(p, "p.l"), (std::vector<std::string>{"letter", "worse"}));
  set({d("2024-09-17")}, "/", "\\");
  auto review = fired(p, "p.r");
  ASSERT_EQ(review.size(), 1u);
  EXPECT_EQ(review[0].rule, "p.r.letter");
  EXPECT_EQ(review[0].occurred_on, after(d("2024-09-16"), 10));
  EXPECT_EQ(review[0].occurred_on, d("2024-09-30"));
  EXPECT_EQ(stages(p, "p.l"), (std::vector<std::string>{"letter"}));
}

TEST_F(Reviews, ImprovedByExactlyByIsNotAnImprovement) {
  // 95% at the letter (16 September); the next 20 sessions all attended: 97.5%, 2.5 points up.
  set({d("2024-09-16")}, "N", "/");
  auto with = [&](const char* by) {
    return policy(letterWithReview(
        std::string(
            R"({"improved": {"measure": "percent", "codes": "attendance", "better": "higher", "after_school_days": 10, "by": )") +
        by + "}}"));
  };
  EXPECT_EQ(fired(with("2.5"), "p.r").size(), 0u);
  EXPECT_EQ(fired(with("2.4"), "p.r").size(), 1u);
}

TEST_F(Reviews, AReviewWithoutAConditionIsHeldWhateverHappensWithItsStageAndDayFilledIn) {
  Policy p = policy(letterWithReview(""));
  set({d("2024-09-16")}, "N", "/");
  set(schoolDays("2024-09-17", 200), "-", "-");  // nothing taken since: held all the same
  auto review = fired(p, "p.r");
  ASSERT_EQ(review.size(), 1u);
  EXPECT_EQ(review[0].occurred_on, d("2024-09-30"));
  EXPECT_EQ(review[0].summary, "letter 2024-09-16 2024-09-30 2024-09-30");
  EXPECT_EQ(nlohmann::json::parse(review[0].action)["text"], "review of letter from 2024-09-16: 0");
}

TEST_F(Reviews, AnImprovedReviewWaitsForTakenSessionsAndIsThenHeldOnce) {
  Policy p = policy(letterWithReview(kImproved));
  set({d("2024-09-16")}, "N", "/");
  set(schoolDays("2024-09-17", 12), "-", "-");  // 10 school days, then 2 more, not taken
  // Taken sessions from 3 October: the 10th on 9 October (afternoon); held then, and once.
  auto review = fired(p, "p.r");
  ASSERT_EQ(review.size(), 1u);
  EXPECT_EQ(review[0].occurred_on, d("2024-10-09"));
  // All not taken: neither improved nor not.
  set(schoolDays("2024-09-17", 200), "-", "-");
  EXPECT_TRUE(fired(p, "p.r").empty());
  EXPECT_EQ(stages(p, "p.l"), (std::vector<std::string>{"letter"}));
}

TEST_F(Reviews, ReenteringAStageStartsItsReviewAgain) {
  Policy p = policy(R"({"name": "p", "ladders": [{"id": "l",
      "de_escalate": {"when": {"measure": "count", "codes": ["N"], "window": {"last_school_days": 3}, "at_most": 0},
                      "for_school_days": 3, "to": "start"},
      "stages": [{"id": "letter", "when": {"measure": "count", "codes": ["N"], "window": {"last_school_days": 3}, "at_least": 1},
                  "action": {"note": {"text": "letter"}}}],
      "reviews": [{"id": "r", "of_stages": ["letter"], "after_school_days": 3,
                   "action": {"note": {"text": "review"}}}]}]})");
  set({d("2024-09-16")}, "N", "/");  // the letter; reviewed on the 19th; off on the 23rd
  set({d("2024-09-26")}, "N", "/");  // in again on 26 September: reviewed 3 days after that
  EXPECT_EQ(stages(p, "p.l"), (std::vector<std::string>{"letter", "letter"}));
  std::vector<Date> days;
  for (const auto& e : fired(p, "p.r")) days.push_back(e.occurred_on);
  EXPECT_EQ(days, (std::vector<Date>{d("2024-09-19"), d("2024-10-01")}));
}

TEST(ReviewProblems, ABadReviewIsNamedByItsJsonPath) {
  auto problems = problemsOf(R"({"name": "p", "ladders": [{"id": "l",
      "stages": [{"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 1},
                  "action": {"note": {"text": "a"}}}],
      "reviews": [{"id": "a", "of_stages": ["b"], "after_school_days": 0,
                   "when": {"improved": {"measure": "percent", "codes": "attendance", "better": "higher", "after_school_days": 5}},
                   "action": {"note": {"text": "r"}}, "colour": "red"}]}]})");
  std::vector<std::string> where;
  for (const auto& problem : problems) where.push_back(problem.location + ": " + problem.message);
  auto has = [&](const std::string& text) {
    return std::any_of(where.begin(), where.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("$.ladders[0].reviews[0].id")) << testing::PrintToString(where);
  EXPECT_TRUE(has("$.ladders[0].reviews[0].of_stages[0]: names no stage"));
  EXPECT_TRUE(has("$.ladders[0].reviews[0].after_school_days"));
  EXPECT_TRUE(has("$.ladders[0].reviews[0].when"));
  EXPECT_TRUE(has("$.ladders[0].reviews[0].colour"));
}

TEST(ReviewProblems, ImprovedOutsideALadderIsAProblem) {
  auto problems = problemsOf(std::string(R"({"name": "p", "rules": [{"id": "r", "when": )") +
                             kImproved + R"(, "action": {"note": {"text": "r"}}}]})");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location.substr(problems[0].location.find('$')), "$.rules[0].when");
}

// Section 3.2 of OTW's policy: the LA portal takes a notification for a pupil with an EHC plan
// whose attendance is falling; `markbridge check` accepts it in a policy, and still names the
// types when one is unknown.
TEST(ReviewProblems, AnEhcpAttendanceConcernIsAnLaNotificationType) {
  auto rule = [](const char* type) {
    return std::string(R"({"name": "p", "rules": [{"id": "r", "when": {"pupil": "ehcp"},
        "action": {"la_notification": ")") +
           type + R"("}}]})";
  };
  EXPECT_TRUE(problemsOf(rule("ehcp_attendance_concern")).empty());
  auto problems = problemsOf(rule("ehcp_concern"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("ehcp_attendance_concern"), std::string::npos);
  EXPECT_NE(problems[0].message.find("penalty_threshold"), std::string::npos);
}

// `markbridge explain` lists each review with where it stands, and what it fired.
TEST_F(Reviews, ExplainShowsWhenAReviewIsDueAndWhenItWasHeld) {
  Policy p = policy(letterWithReview(""));
  set({d("2024-09-16")}, "N", "/");
  PupilRegister reg(cal, marks);
  auto find = [&](Date asOf) {
    for (auto& e : p.explain(pupil, reg, asOf))
      if (e.id == "r.letter") return e;
    ADD_FAILURE() << "no explanation for r.letter";
    return RuleExplanation{};
  };
  EXPECT_EQ(find(d("2024-09-13")).standing, "the stage is not entered");
  auto before = find(d("2024-09-27"));
  EXPECT_EQ(before.standing, "the stage was entered 2024-09-16; due 2024-09-30");
  EXPECT_FALSE(before.holds);
  EXPECT_TRUE(before.fired.empty());
  auto on = find(d("2024-09-30"));
  EXPECT_EQ(on.standing, "the stage was entered 2024-09-16; held 2024-09-30");
  EXPECT_TRUE(on.holds);
  ASSERT_EQ(on.fired.size(), 1u);
  EXPECT_EQ(on.fired[0].occurred_on, d("2024-09-30"));
}

// A review's events are POLICY.REVIEW.STAGE, so its id may not be another ladder's (whose
// stage of the same name would carry the same rule id) or a rule's.
TEST(ReviewProblems, AReviewIdUsedByAnotherLadderIsAProblem) {
  auto problems = problemsOf(R"({"name": "p", "ladders": [
      {"id": "first", "stages": [{"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 1},
                                  "action": {"note": {"text": "a"}}}]},
      {"id": "second", "stages": [{"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 2},
                                   "action": {"note": {"text": "a"}}}],
       "reviews": [{"id": "first", "of_stages": ["a"], "after_school_days": 10,
                    "action": {"note": {"text": "r"}}}]}]})");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.ladders[1].reviews[0].id");
  EXPECT_EQ(problems[0].value, "first");
}

TEST(ReviewProblems, ALadderNamedAfterAnEarlierLaddersReviewIsAProblem) {
  auto problems = problemsOf(R"({"name": "p", "ladders": [
      {"id": "first", "stages": [{"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 1},
                                  "action": {"note": {"text": "a"}}}],
       "reviews": [{"id": "second", "of_stages": ["a"], "after_school_days": 10,
                    "action": {"note": {"text": "r"}}}]},
      {"id": "second", "stages": [{"id": "a", "when": {"measure": "count", "codes": ["N"], "at_least": 2},
                                   "action": {"note": {"text": "a"}}}]}]})");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.ladders[1].id");
}
