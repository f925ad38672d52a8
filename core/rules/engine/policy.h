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
//               {to}"}]}

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/rules/engine/condition.h"
#include "core/rules/event.h"

namespace markbridge {

struct PolicyAction {
  std::string kind;        // la_notification | concern | task | note
  std::string type;        // the event type: the LA notification type, or the action kind
  nlohmann::json details;  // e.g. categories and alert roles, assignee role and due days
};

struct PolicyRule {
  std::string id;
  std::string description;
  Condition when;
  bool compulsory_school_age_only = true;
  int rearm_after_school_days = 1;
  PolicyAction action;
  std::string summary;  // template: {value} {from} {to} {day}
};

// What `markbridge explain` shows for one rule and one pupil.
struct RuleExplanation {
  const PolicyRule* rule = nullptr;
  std::optional<double> value;  // the dating measure on the day asked about
  std::optional<Date> from;     // the first day that value rests on
  bool holds = false;           // the whole condition, that day
  std::vector<Event> fired;     // every episode so far
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
  // Every episode of every rule for this pupil, in order.
  std::vector<Event> evaluate(const Pupil& pupil, const PupilRegister& reg) const;
  // Each rule's measure and condition on `asOf` (the last school day on or before it) and the
  // events it fired.
  std::vector<RuleExplanation> explain(const Pupil& pupil, const PupilRegister& reg,
                                       Date asOf) const;

 private:
  std::string name_, description_;
  std::vector<PolicyRule> rules_;
};

}  // namespace markbridge
