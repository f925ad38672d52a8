#pragma once
// What the school did for a pupil before an LA notification: the `actions_taken` of its body
// (../shared/domain/interfaces.md, "LA portal"). Chosen once, when the notification is first
// recorded, from the events the school's own policy raised for that pupil (ladder stages,
// letters, calls, meetings, tasks, concerns, notes), and kept in the notification's stored
// payload, so the LA is told what was known when it was notified and a later evaluation
// neither changes nor revises it. Pure: no database (core/app/evaluation.cpp gathers the
// candidates from the store's history and the evaluation's own events).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/domain/date.h"
#include "core/rules/action_taken.h"

namespace markbridge {

// An event of the pupil's, as a candidate: from the store's history or this evaluation.
struct PriorEvent {
  std::string id;
  std::string rule;  // e.g. "st_johns.percentage.ac3_below_95"
  std::string type;  // concern, task, note, or an LA notification type
  Date occurred_on;
  std::string summary;
  nlohmann::json action;  // the action's details (null when not known)
  bool counts = true;     // false: withdrawn, superseded by a revision, or history never sent
};

// Most actions a notification lists: the latest ones, so a body stays small.
inline constexpr std::size_t kMaxActionsTaken = 20;

// Whether a notification of this type carries `actions_taken` (every LA notification type
// but the admission register's returns, new_pupil and deletion).
bool takesActionsTaken(const std::string& type);

// The actions for a notification that arose on `through`: the events in `prior` that count,
// are not LA notifications and arose on or before `through`, each once (the first with an id
// wins), oldest first (ties in the order given), at most `limit` of them (the latest).
std::vector<ActionTaken> selectActionsTaken(const std::vector<PriorEvent>& prior, Date through,
                                            std::size_t limit = kMaxActionsTaken);

// The plain text of one action: "task for ROLE: TEXT", "note: TEXT", "concern: SUMMARY"
// (the concern's title as the safeguarding system shows it). At most 240 characters.
std::string actionText(const PriorEvent& event);

// As stored and sent: [{"on": "yyyy-mm-dd", "action": "...", "stage": "..."}, ...].
nlohmann::json actionsTakenJson(const std::vector<ActionTaken>& actions);

// The stage of a rule id: the id without its policy's name ("statutory.x" -> "x").
std::string stageOf(const std::string& rule);

}  // namespace markbridge
