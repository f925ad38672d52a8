#pragma once
// The event lifecycle, decided without a database. Given the events an evaluation found and
// what the store holds of them, `planEvaluation` says which events are new, revised, reinstated
// or withdrawn, which are only history, and which outbox items each sink gets. A store applies
// the plan as it is, in one transaction (see EventStore::commitEvaluation).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/date.h"
#include "core/rules/event.h"
#include "core/rules/event_change.h"

namespace markbridge {

// Active: the grounds hold, the sinks were told. Withdrawn: the grounds went, the sinks were
// told. Superseded: an amended register moved the episode; the event that revised it is active.
// Historical: arose before notify_from; recorded, never sent, never corrected.
enum class EventState { Active, Withdrawn, Superseded, Historical };
std::string_view toString(EventState state);
std::optional<EventState> eventStateFrom(std::string_view text);

// Which sink gets which event types.
struct SinkRoute {
  std::string sink;
  std::set<std::string> types;
};

// One pupil evaluated: events that arose on or after `from` were looked for again (earlier ones
// stand as they are), and where the evaluation got to, for the next one to resume from.
struct PupilEvaluated {
  PupilEvaluated(std::string pupil) : upn(std::move(pupil)) {}
  PupilEvaluated(const char* pupil) : upn(pupil) {}
  PupilEvaluated(std::string pupil, Date lookedForFrom, std::string resumeFrom)
      : upn(std::move(pupil)), from(lookedForFrom), checkpoint(std::move(resumeFrom)) {}
  std::string upn;
  Date from;               // default: the beginning of time
  std::string checkpoint;  // empty: none kept
};

struct EvaluationOutcome {
  int new_events = 0;
  int withdrawn_events = 0;
  int reinstated_events = 0;
  int revised_events = 0;     // same episode, amended register: the record is updated
  int historical_events = 0;  // arose before notify_from: recorded, not sent
  int outbox_items = 0;
};

// What a store holds of one event (without its payload, which the plan rarely needs).
struct RecordedEvent {
  std::string id, rule, type, upn;
  EventState state = EventState::Active;
  Date occurred_on, from, to;
  std::string record_of;  // the event whose record at the destination this one is (or updates)
  int64_t revision = 0;   // one more at each change of state
};

// An event to record for the first time.
struct EventToRecord {
  const Event* event = nullptr;  // one of the events the plan was made from
  std::string payload;           // the event's JSON
  std::string record_of;         // itself, or the record it revises
  EventState state = EventState::Active;
};

// A recorded event changing state.
struct EventStateChange {
  std::string id;
  EventState state = EventState::Active;
  int64_t revision = 0;
};

// An outbox item to queue for one sink. A key already in the outbox is not queued again.
struct OutboxEntry {
  std::string key;  // the Idempotency-Key: event id, kind and revision, and sink
  std::string sink;
  std::string event_id;
  std::string upn;
  OutboxKind kind = OutboxKind::Notify;
  std::optional<std::string> payload;  // none: the payload recorded with the event
};

struct EvaluationPlan {
  std::vector<EventToRecord> record;
  std::vector<EventStateChange> change;
  std::vector<OutboxEntry> queue;  // in this order: each pupil's items reach a sink in order
  // The counts; outbox_items is the store's to count (keys already queued are not queued again).
  EvaluationOutcome outcome;
};

// `pupils` is the whole evaluated set and `events` every event that holds now for them.
// `recorded` holds what the store knows of each of `events` and of every active event of
// `pupils` that arose on or after that pupil's `from` (anything else in it is ignored).
//  - an event not recorded is new: recorded and a notification queued for each sink routed its
//    type; but one that arose before `notifyFrom` is recorded as history and nothing is queued;
//  - a new event that overlaps a lapsed active one of the same rule and pupil is the same
//    episode with an amended register: it revises that record (which becomes superseded) and a
//    revision is queued instead of a withdrawal and a second notification;
//  - an active event that arose on or after its pupil's `from` and holds no longer is withdrawn
//    and a correction is queued for each routed sink; a withdrawn one that holds again is
//    reinstated and notified again;
//  - anything else (still active, superseded, history) stands as it is.
// The plan refers to `events`, which must outlive it.
EvaluationPlan planEvaluation(const std::vector<PupilEvaluated>& pupils,
                              const std::vector<Event>& events,
                              const std::vector<RecordedEvent>& recorded,
                              const std::vector<SinkRoute>& routes,
                              std::optional<Date> notifyFrom = std::nullopt);
// The plan refers to the events: a temporary list would be gone before the plan is applied.
EvaluationPlan planEvaluation(const std::vector<PupilEvaluated>& pupils,
                              std::vector<Event>&& events,
                              const std::vector<RecordedEvent>& recorded,
                              const std::vector<SinkRoute>& routes,
                              std::optional<Date> notifyFrom = std::nullopt) = delete;

}  // namespace markbridge
