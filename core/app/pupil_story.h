#pragma once
// A pupil's story told in words, shared by `markbridge explain` (command_explain.cpp) and the
// console's pupil page (console/console_pupils.cpp): a rule's measure with its unit and
// threshold, why a rule cannot hold for the pupil, what each sink was sent, and an amendment.

#include <string>

#include "core/outbox/outbox_item.h"
#include "core/rules/rule_set.h"
#include "core/store/register_store.h"

namespace markbridge {

// 12.5% (one decimal), 7 sessions, 10 school days: `value` in the unit of `dating`'s measure.
std::string measured(const Condition* dating, double value);
// " (holds at 10 school days or more)"; "" when `dating` is no comparison.
std::string threshold(const Condition* dating);
// Why the rule cannot hold for this pupil on `asOf` (or from some day on); "" if it can.
std::string cannotHold(const PolicyRule& rule, const Pupil& pupil, Date asOf);
// "notification", "revision" or "withdrawal".
std::string outboxKindName(OutboxKind kind);
// "la: notification delivered 2024-10-07 16:05:12Z, reference LA-1 [outbox 3]", or pending
// (attempts, last error), dead-lettered (why) or discarded.
std::string deliveryText(const OutboxItem& item);
// "2024-09-16 AM N -> / by sims at 2024-09-17 08:00:00Z".
std::string amendmentText(const Amendment& a);

}  // namespace markbridge
