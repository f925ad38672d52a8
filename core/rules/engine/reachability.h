#pragma once
// What `markbridge check` can tell about conditions without a register: that one can never hold
// (a percentage above 100, more sessions than a window has), and that one implies another (the
// same measure against a stricter threshold), which makes a stage below it unreachable on a
// ladder that jumps. Both answer conservatively: "don't know" is false / nothing.

#include <optional>
#include <string>

#include "core/rules/engine/condition.h"

namespace markbridge {

std::optional<std::string> whyNeverHolds(const Condition& condition);
// True when `a` holding on a day means `b` holds that day too.
bool implies(const Condition& a, const Condition& b);

}  // namespace markbridge
