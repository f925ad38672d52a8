#pragma once
// A policy file: the rules a school (or the law) runs, declared as conditions over measures of
// the register, each with the action it calls for. Evaluation is a pure function of register,
// calendar, pupil and policy; each rule fires once per episode (it holds, having not held), and
// is re-armed once it has not held for `rearm_after_school_days` school days.
//
//   {"name": "statutory", "description": "...",
//    "rules": [{"id": "unauthorised_10_day", "description": "...",
//               "when": {"measure": "consecutive_days", "codes": "unauthorised", "at_least": 10},
//               "action": {"la_notification": "unauthorised_10_day"},
//               "summary": "{value} school days of continuous unauthorised absence, {from} to
//               {to}"}],
//    "ladders": [ ... ]}   graduated responses: see ladder.h

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/rules/engine/ladder.h"
#include "core/rules/engine/policy_rule.h"

namespace markbridge {

// What `markbridge explain` shows for one rule (or ladder stage) and one pupil.
struct RuleExplanation {
  std::string id;  // the rule's id in its policy; LADDER.STAGE for a stage
  const PolicyRule* rule = nullptr;
  std::string standing;               // for a stage: "current stage since ...", "passed", ""
  std::optional<double> value;        // the dating measure on the day asked about
  const Condition* dating = nullptr;  // the condition whose measure `value` is (for its unit)
  std::optional<Date> from;           // the first day that value rests on
  bool holds = false;                 // the whole condition, that day
  std::vector<Event> fired;           // every episode so far
};

// Which school days (by index in the calendar) an evaluation walks: from the first, or resumed
// from the state saved at the end of day `resume - 1`; the state at the end of day `save` is
// written to `saved`, for the next evaluation to resume from.
struct WalkPlan {
  int through = -1;  // the last school day walked (-1: the calendar's last)
  int resume = 0;
  std::span<const int32_t> state;  // read as the walk resumes (advanced past this policy's part)
  int save = -1;
  std::vector<int32_t>* saved = nullptr;
};

class Policy {
 public:
  // Problems name the file and JSON path; nothing is returned when there are any.
  static std::optional<Policy> fromJson(const nlohmann::json& json, const std::string& file,
                                        std::vector<Problem>& problems);
  // Throws ProblemError.
  static Policy load(const std::filesystem::path& file);

  const std::string& name() const { return name_; }
  const std::vector<PolicyRule>& rules() const { return rules_; }
  const std::vector<Ladder>& ladders() const { return ladders_; }
  // Rules and ladder stages.
  std::size_t size() const;
  // What `markbridge check` warns about: conditions that can never hold, ladder stages that can
  // never be entered; each with its JSON path.
  std::vector<std::string> warnings() const;
  // Every episode of every rule for this pupil, in order.
  std::vector<Event> evaluate(const Pupil& pupil, const PupilRegister& reg) const;
  // The episodes that arose on the days `plan` walks; false (nothing done) when a resumed
  // state does not fit this policy.
  bool evaluate(const Pupil& pupil, const PupilRegister& reg, WalkPlan& plan,
                std::vector<Event>& events) const;
  // A digest of the policy as written: a saved state is only resumed by the same policy.
  uint64_t digest() const { return digest_; }
  // Each rule's measure and condition on `asOf` (the last school day on or before it) and the
  // events it fired.
  std::vector<RuleExplanation> explain(const Pupil& pupil, const PupilRegister& reg,
                                       Date asOf) const;

 private:
  std::string name_, description_;
  uint64_t digest_ = 0;
  std::vector<PolicyRule> rules_;
  std::vector<Ladder> ladders_;
  bool rulesUseLadders_ = false;  // a rule says "on_ladder": ladders are walked day by day
  // Per ladder, the stage the pupil stood on at the end of each school day up to `through`.
  std::vector<std::vector<int>> ladderDays(const Pupil& pupil, const PupilRegister& reg,
                                           int through) const;
};

}  // namespace markbridge
