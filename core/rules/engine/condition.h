#pragma once
// A rule's condition: measures compared with thresholds, pupil attributes, combined with
// all / any / not. Read from a policy file with a JSON path for every problem.
//
//   {"measure": "count", "codes": ["G","N","O","U"], "window": {"rolling_school_weeks": 10},
//    "at_least": 10}
//   {"measure": "consecutive_days", "codes": "unauthorised", "at_least": 10}
//   {"measure": "percent", "codes": "absence", "window": "academic_year", "min_possible": 20,
//    "at_least": 10}
//   {"pupil": ["cp", "cla"]}          any of the flags (sen, ehcp, cla, cp, cin, fsm, pp)
//   {"year_group": ["10", "11"]}
//   {"all": [...]}, {"any": [...]}, {"not": {...}}
// In a ladder's stages only (see ladder.h):
//   {"no_improvement": {"measure": "percent", "codes": "attendance", "better": "higher",
//                       "after_school_days": 10, "since_stage": "letter_1", "by": 0}}
//   {"improved": {...the same settings...}}   its twin: better by more than "by" (reviews)
//   a measure's "window": "since_stage" or {"since_stage": "letter_1"}
// In rules only: {"on_ladder": "significant_concerns"} (see on_ladder.h)
// Any measure may add "as_of": "morning" (see morning_register.h).

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/rules/engine/measure.h"

namespace markbridge {

struct Condition {
  enum class Kind {
    All,
    Any,
    Not,
    Compare,
    PupilFlag,
    YearGroup,
    NoImprovement,
    Improved,
    OnLadder
  };
  enum class Op { AtLeast, MoreThan, AtMost, LessThan };
  Kind kind = Kind::All;
  std::vector<Condition> children;
  Measure measure;
  Op op = Op::AtLeast;
  double threshold = 0;
  std::vector<std::string> values;  // flags or year groups
  // No improvement: the measure is no better than on the day the reference stage was entered
  // (better by more than `by`), `after_days` or more school days after it was entered, and
  // with enough evidence: at least `evidenceNeeded()` sessions taken since (a register not
  // taken is no evidence either way; without enough, the review waits).
  bool higher_is_better = true;
  double by = 0;
  int after_days = 0;
  StageRef since;  // also the measure's window when that is "since_stage"
  // On a ladder (rules only, see on_ladder.h): the ladder (`values[0]`, resolved to `ladder`)
  // and the lowest stage that counts (`since`; none: any stage).
  int ladder = -1;

  static std::optional<Condition> fromJson(const nlohmann::json& json, const std::string& path,
                                           const ConfigContext& context);
  // The measure that dates an event (the first comparison or no-improvement, depth first), if
  // any.
  const Condition* primary() const;
  // No improvement: the taken sessions a review needs, half the review period's sessions.
  int evidenceNeeded() const { return after_days; }
  // A review: no improvement, or its twin improved (the same settings and evidence rule; a
  // review that waits for taken sessions is neither).
  bool isReview() const { return kind == Kind::NoImprovement || kind == Kind::Improved; }
  // Whether it (or a condition inside it) speaks of ladder stages: allowed in ladders only.
  bool usesStages() const;
};

// Where a pupil stands on a ladder, for conditions that speak of stages: the school day each
// stage was last entered in this episode (-1: not entered), and the stage a "since" with no
// name refers to (the stage before the one being considered; for leaving, the current one).
struct StageContext {
  const std::vector<int>* entered = nullptr;
  int reference = -1;
  // For a rule's "on_ladder": per ladder of the policy, the stage the pupil stood on at the end
  // of each school day (-1: off the ladder).
  const std::vector<std::vector<int>>* ladder_days = nullptr;
  int enteredDay(const StageRef& ref) const;
};

// False when the condition cannot hold for this pupil on any day (an "all" with a pupil
// attribute the pupil lacks), so the rule need not be walked through the year.
bool neverHolds(const Condition& condition, const Pupil& pupil);
// Whether `condition` holds for the pupil on school day `i`.
bool holds(const Condition& condition, const Pupil& pupil, const SessionSeries& series, int i,
           const StageContext* stages = nullptr);
// The measure that made `condition` hold on day `i`: the first comparison or no-improvement
// (depth first, not under "not") that holds; `primary()` when none does.
const Condition* firing(const Condition& condition, const Pupil& pupil, const SessionSeries& series,
                        int i, const StageContext* stages = nullptr);
// Why a no-improvement in `condition` is waiting on day `i` though its review period is over:
// too few sessions taken since the stage was entered. Nothing when none is waiting.
std::optional<std::string> waitingForEvidence(const Condition& condition,
                                              const SessionSeries& series, int i,
                                              const StageContext* stages);

}  // namespace markbridge
