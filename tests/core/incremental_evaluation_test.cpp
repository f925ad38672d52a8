// Evaluation after each register closes resumes from the pupil's checkpoint: it must find
// exactly what a walk of the whole year would, and fall back to the whole walk whenever the
// checkpoint's grounds changed (an amendment before it, new pupil details, another policy).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/rules/rule_set.h"
#include "core/store/store.h"
#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

RuleSet everyShippedPolicy() {
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto set = RuleSet::fromJson(
      nlohmann::json{{"policies",
                      {"statutory", "devon-session-thresholds.json",
                       "st-johns-graduated-response.json", "laao-stage-flowchart.json",
                       "sol-tracker-interventions.json", "otw-attendance-bands.json"}}},
      "$.rules", test::sourceDir() + "/docs/policies", context);
  for (const auto& p : problems) ADD_FAILURE() << p.str();
  return set;
}

std::vector<std::string> ids(const std::vector<Event>& events, Date from) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (e.occurred_on >= from) out.push_back(e.id + " " + e.toJson());
  std::sort(out.begin(), out.end());
  return out;
}

struct Incremental : ::testing::Test {
  SchoolCalendar cal = test::autumnCalendar();
  RuleSet rules = everyShippedPolicy();
  Pupil pupil{"B801200005001", "1001", "Ann", "Smith", {}, "8", "8B", {}};
  std::vector<Mark> marks;  // the register as it stands at the close of each day

  void markDay(Date day, const char* am, const char* pm) {
    std::erase_if(marks, [&](const Mark& m) { return m.date == day; });
    test::addDays(marks, pupil.upn, {day}, am, pm);
  }
};

}  // namespace

TEST_F(Incremental, DayByDayItFindsWhatTheWholeWalkFinds) {
  const char* codes[] = {"/", "\\", "/", "\\", "/", "\\", "L", "N", "I", "G", "O", "M", "U", "D"};
  for (unsigned seed = 1; seed <= 6; ++seed) {
    std::mt19937 random(seed);
    marks.clear();
    pupil.flags = {};
    pupil.flags.sen = seed % 2;
    pupil.flags.cp = seed % 3 == 0;
    std::string checkpoint;
    int resumed = 0;
    for (Date day : cal.schoolDays(d("2024-09-03"), d("2025-04-04"))) {
      // Absence comes in spells, as it does: a pupil's chance of absence drifts with the seed.
      auto pick = [&] {
        return random() % 100 < seed * 4 ? codes[6 + random() % 8] : codes[random() % 6];
      };
      markDay(day, pick(), pick());
      PupilRegister reg(cal, marks);
      auto step = rules.evaluate(pupil, reg, day, checkpoint);
      auto whole = rules.evaluate(pupil, reg, day, {});
      resumed += step.resumed;
      ASSERT_EQ(ids(step.events, step.from), ids(whole.events, step.from))
          << "seed " << seed << " day " << day.iso();
      EXPECT_EQ(step.checkpoint, whole.checkpoint) << "seed " << seed << " day " << day.iso();
      for (const auto& e : step.events) ASSERT_LE(e.occurred_on, day) << e.rule;
      checkpoint = step.checkpoint;
    }
    EXPECT_GT(resumed, 130) << "seed " << seed;  // every day after the first
  }
}

TEST_F(Incremental, TodaysSecondRegisterAndLaterDaysResumeButAnEarlierAmendmentWalksItAll) {
  auto days = cal.schoolDays(d("2024-09-03"), d("2024-10-18"));
  for (Date day : days) markDay(day, "/", "\\");
  Date today = days.back();
  PupilRegister before(cal, marks);
  auto first = rules.evaluate(pupil, before, today, {});
  EXPECT_FALSE(first.resumed);
  EXPECT_EQ(first.from, days.front());

  markDay(today, "/", "N");  // the afternoon register closes with an N: resumes
  PupilRegister afternoon(cal, marks);
  auto pm = rules.evaluate(pupil, afternoon, today, first.checkpoint);
  EXPECT_TRUE(pm.resumed);
  EXPECT_EQ(pm.from, today);

  markDay(days[3], "I", "I");  // an amendment to a day before the checkpoint
  PupilRegister amended(cal, marks);
  auto again = rules.evaluate(pupil, amended, today, pm.checkpoint);
  EXPECT_FALSE(again.resumed);
  EXPECT_EQ(again.from, days.front());

  pupil.flags.cla = true;  // new details from the census: conditions may read them
  auto cla = rules.evaluate(pupil, amended, today, again.checkpoint);
  EXPECT_FALSE(cla.resumed);

  auto otherRules =
      RuleSet::fromJson(nlohmann::json::object(), "$.rules", ".", ConfigContext{"c", nullptr});
  EXPECT_FALSE(otherRules.evaluate(pupil, amended, today, cla.checkpoint).resumed);
  EXPECT_FALSE(rules.evaluate(pupil, amended, today, "not a checkpoint").resumed);
}

TEST_F(Incremental, NothingIsFoundOnDaysThatHaveNotHappenedYet) {
  // An N today: the unresolved-N task is due in five school days' time, not now; a letter
  // after a review period with "no improvement" is not sent on the strength of days that
  // have no registers yet.
  auto days = cal.schoolDays(d("2024-09-03"), d("2024-09-20"));
  for (Date day : days) markDay(day, "/", "\\");
  markDay(days.back(), "N", "N");
  PupilRegister reg(cal, marks);
  auto now = rules.evaluate(pupil, reg, days.back(), {});
  for (const auto& e : now.events) EXPECT_LE(e.occurred_on, days.back()) << e.rule;
  auto wholeCalendar = rules.evaluate(pupil, reg);  // as if every later day had passed
  auto later = std::count_if(wholeCalendar.begin(), wholeCalendar.end(),
                             [&](const Event& e) { return e.occurred_on > days.back(); });
  EXPECT_GT(later, 0);  // so the limit is what keeps them out
}
