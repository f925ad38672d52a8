#pragma once
// One thing the school did for a pupil before an LA notification, as the notification's
// `actions_taken` lists it: chosen by core/rules/actions_taken.h. Kept light: every event
// includes it.

#include <string>

#include "core/domain/date.h"

namespace markbridge {

// {on, action, stage} in the LA body.
struct ActionTaken {
  Date on;
  std::string action;  // plain text, e.g. "task for attendance_officer: AC1: ... welfare call"
  std::string stage;   // the ladder stage or rule, without the policy's name: "percentage.ac3"
  bool operator==(const ActionTaken&) const = default;
};

}  // namespace markbridge
