#pragma once
// What every rule and every ladder stage has: an id, a condition, one action and a summary
// template; and how one of them firing on a school day becomes an event.

#include <nlohmann/json.hpp>
#include <string>

#include "core/rules/engine/condition.h"
#include "core/rules/event.h"

namespace markbridge {

struct PolicyAction {
  std::string kind;        // la_notification | concern | task | note | digest
  std::string type;        // the event type: the LA notification type, or the action kind
  nlohmann::json details;  // e.g. categories and alert roles, assignee role and due days
};

struct PolicyRule {
  std::string id;
  std::string description;
  Condition when;
  bool compulsory_school_age_only = true;
  int rearm_after_school_days = 1;
  // Hysteresis: when set, a quiet day counts towards re-arming only if this holds too (e.g.
  // persistent absence raised at 10% is raised again only after 20 school days under 9%); a
  // day between the two lines starts the count again.
  std::optional<Condition> rearm_when;
  enum class Rearm { Never, Term, AcademicYear } rearm_each = Rearm::Never;  // and fire again
  Rearm at_most_once_each = Rearm::Never;  // and never fire twice in one term (or year)
  PolicyAction action;
  std::string summary;  // template: {value} {from} {to} {day} {sessions}
};

// Reads id, description, when, action and summary (the fields in `schema` beyond those are the
// caller's). Problems name `path`.
PolicyRule readRule(const nlohmann::json& checked, const std::string& path,
                    const ConfigContext& context);

// `rule` (known as `ruleId`) fired for the pupil on school day `i`. The event's period is what
// the dating measure rests on; its episode is the run's first day for a run of consecutive days
// (so an amendment that lengthens it is the same episode), otherwise the day it fired. The
// summary and the action's texts are filled in ({value} {from} {to} {day}, and {sessions}: the
// sessions a count measure counted, day by day); a task's
// "due_in_school_days" gives it a "due_on" date.
Event fireRule(const std::string& ruleId, const PolicyRule& rule, const Pupil& pupil,
               const PupilRegister& reg, const SessionSeries& series, int i,
               const StageContext* stages = nullptr);

// The value on day `i` of the measure that made the rule hold (see `firing`), and the first
// day it rests on: for a no-improvement, the first day of the review period.
std::optional<double> datingValue(const PolicyRule& rule, const Pupil& pupil,
                                  const SessionSeries& series, int i, int* from,
                                  const StageContext* stages = nullptr);

}  // namespace markbridge
