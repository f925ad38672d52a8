#pragma once
// The event a sink is sent, typed. JSON appears only at the two edges: the outbox keeps an event
// as JSON text (Event::toJson, the payload column) and each sink writes its own wire format. In
// between, the delivery worker reads the stored text once, when it takes an item
// (SinkEvent::fromJson), and refuses a payload that lacks a key or holds the wrong kind of value
// there: the item is dead-lettered with a reason naming the key, so a renamed key can never
// reach a destination as null. Sinks read the fields below, never the payload.
//
// Adding a field: set it in Event::toJson, read it in fromJson (required unless older stores
// lack it), write it in toJson (the JSON view a webhook's templates see), and extend the round
// trip in tests/core/sink_event_test.cpp. Adding an event type needs nothing here unless the type
// requires action details (see requiredActionKeys in sink_event.cpp).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/date.h"
#include "core/domain/pupil.h"
#include "core/rules/action_taken.h"

namespace markbridge {

struct Event;

// A stored payload a sink cannot be given: names the key and what is wrong with it (never the
// value itself, which may be a pupil's name).
class BadEventPayload : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The pupil as the notification needs them (a snapshot taken at evaluation).
struct SinkPupil {
  std::string upn;
  std::string mis_id;
  std::string forename;
  std::string surname;
  std::optional<Date> dob;  // null in the JSON when the MIS has none
  std::string year;         // year group: "R", "1".."13"
  std::string reg_group;
  bool sen = false, ehcp = false, cla = false, cp = false, cin = false, fsm = false;
  bool operator==(const SinkPupil&) const = default;
};

// The action's details: what a policy wrote for a concern, task or note (with its facts filled
// in and its due date counted), or what the admission register's returns carry. The known keys
// are typed; `details` holds all of them as written, for a webhook's {{event.action.*}}.
struct SinkAction {
  std::optional<std::vector<std::string>> categories;  // a concern's incident categories
  std::optional<std::vector<std::string>> alert;       // the roles a concern alerts
  std::optional<std::string> assignee_role;            // a task's
  std::optional<std::string> due_on;                   // a task's, or a new pupil return's
  std::optional<std::string> text;                     // a task's or a note's
  std::optional<std::string> admission_date;           // new_pupil
  std::optional<std::string> leaving_date, deletion_ground, destination;  // deletion
  nlohmann::json details = nlohmann::json::object();

  // Throws BadEventPayload naming `action.KEY` when a known key holds the wrong kind of value.
  static SinkAction fromDetails(nlohmann::json details);
  bool operator==(const SinkAction&) const = default;
};

struct SinkEvent {
  std::string event_id;
  std::string rule;  // e.g. "statutory.unauthorised_10_day"
  std::string type;  // LA notification type, or concern, task, note
  std::string episode;
  Date occurred_on;
  Date from, to;  // the period
  std::map<std::string, int> sessions_by_code;
  double attendance_percent = 0;  // academic year to date, one decimal
  std::string summary;
  SinkPupil pupil;
  std::optional<SinkAction> action;
  // An LA notification's (core/rules/actions_taken.h); nothing in payloads stored before it was
  // chosen, and in every other event's.
  std::optional<std::vector<ActionTaken>> actions_taken;
  // A digest's (core/rules/digest.h): {every, to, pupils: [...], gone: [...], counts: {...}};
  // nothing in every other event. Checked to be an object with a list of pupils.
  std::optional<nlohmann::json> digest;

  // What the rules found, as a sink receives it (the same as fromJson(event.toJson())).
  static SinkEvent of(const Event& event);
  // The stored payload, checked: throws BadEventPayload naming the first key missing or wrong.
  static SinkEvent fromJson(std::string_view payload);
  // The JSON view: the same object Event::toJson stored (keys the reader does not know are not
  // kept). What a webhook's {{event.*}} placeholders resolve against.
  nlohmann::json toJson() const;
  bool operator==(const SinkEvent&) const = default;
};

}  // namespace markbridge
