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

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/rules/engine/measure.h"

namespace markbridge {

struct Condition {
  enum class Kind { All, Any, Not, Compare, PupilFlag, YearGroup };
  enum class Op { AtLeast, MoreThan, AtMost, LessThan };
  Kind kind = Kind::All;
  std::vector<Condition> children;
  Measure measure;
  Op op = Op::AtLeast;
  double threshold = 0;
  std::vector<std::string> values;  // flags or year groups

  static std::optional<Condition> fromJson(const nlohmann::json& json, const std::string& path,
                                           const ConfigContext& context);
  // The measure that dates an event (the first comparison, depth first), if any.
  const Condition* primary() const;
};

// False when the condition cannot hold for this pupil on any day (an "all" with a pupil
// attribute the pupil lacks), so the rule need not be walked through the year.
bool neverHolds(const Condition& condition, const Pupil& pupil);
// Whether `condition` holds for the pupil on school day `i`.
bool holds(const Condition& condition, const Pupil& pupil, const SessionSeries& series, int i);

}  // namespace markbridge
