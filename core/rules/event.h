#pragma once
// An escalation event: a rule found grounds to act for one pupil in one episode. Its id is
// derived from (rule, pupil, episode), so evaluating the same register again finds the same id
// and nothing new is sent.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/date.h"
#include "core/domain/pupil.h"
#include "core/rules/action_taken.h"

namespace markbridge {

struct Event {
  std::string id;
  std::string rule;     // e.g. "statutory.unauthorised_10_day"
  std::string type;     // LA notification type, e.g. "unauthorised_10_day"
  std::string episode;  // what makes this episode distinct, e.g. the run's first day
  Pupil pupil;          // snapshot at evaluation
  Date occurred_on;     // the school day the threshold was reached
  Date from, to;        // the sessions the grounds rest on
  std::map<std::string, int> sessions_by_code;
  double attendance_percent = 0;  // academic year to date, up to occurred_on
  std::string summary;            // plain text: what triggered it
  std::string action;             // JSON: the action's details, e.g. categories, due_on
  // An LA notification's: what the school did before it (core/rules/actions_taken.h), chosen
  // when it is first recorded. Nothing: not chosen (not in the payload; sent as []).
  std::optional<std::vector<ActionTaken>> actions_taken;
  // A digest's (core/rules/digest.h): the pupils it lists and what changed, as JSON; empty for
  // every other event.
  std::string digest;

  static std::string makeId(std::string_view rule, std::string_view upn, std::string_view episode);
  // The JSON the outbox keeps and sinks render from.
  std::string toJson() const;
};

}  // namespace markbridge
