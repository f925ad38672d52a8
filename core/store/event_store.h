#pragma once
// The events part of a store: escalation events, their states and revisions, and where each
// pupil's last evaluation got to. What happens to an event is decided by planEvaluation
// (core/rules/event_lifecycle.h), without a database; a backend only reads what it holds and
// applies the plan, with the outbox items it queues, in one transaction. One of the three
// interfaces a store backend implements; tests/core/store_contract_*.cpp hold its contract.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/outbox/outbox_item.h"
#include "core/rules/event.h"
#include "core/rules/event_lifecycle.h"

namespace markbridge {

// One evaluation's writes, in one transaction: destroying the writer without commit() leaves
// the store as it was. Reads through the writer see the store as the transaction does, so no
// other writer can change what the plan was made from.
class EvaluationWriter {
 public:
  virtual ~EvaluationWriter() = default;
  // What the store holds of each of `events` that is recorded, and of every active event of
  // `pupils` that arose on or after that pupil's `from`. It may hold other events too (the
  // planner ignores them); each event at most once.
  virtual std::vector<RecordedEvent> recorded(const std::vector<PupilEvaluated>& pupils,
                                              const std::vector<Event>& events) = 0;
  // Records, changes and queues what the plan says, in its order, at `now`; returns how many
  // outbox items were queued (a key already in the outbox is not queued again).
  virtual int apply(const EvaluationPlan& plan, int64_t now) = 0;
  // Each pupil's checkpoint kept (an empty one: none kept any more).
  virtual void keepCheckpoints(const std::vector<PupilEvaluated>& pupils) = 0;
  virtual void commit() = 0;
};

// One event recorded for a pupil, in whatever state it is now, with every outbox item queued
// for it (notification, revisions, withdrawal) in queue order: a pupil's story for `explain`.
struct EventHistory {
  RecordedEvent event;
  std::string summary;     // what triggered it, as the event's payload says
  std::string payload;     // the event's JSON as recorded (a digest reads its pupils' figures)
  int64_t created_at = 0;  // recorded (unix ms)
  int64_t updated_at = 0;  // its state last changed (unix ms)
  std::vector<OutboxItem> deliveries;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Where each pupil's last evaluation got to (RuleSet::evaluate), by UPN.
  virtual std::unordered_map<std::string, std::string> evaluationCheckpoints() = 0;
  virtual std::unique_ptr<EvaluationWriter> beginEvaluation() = 0;
  // Every event recorded for the pupil, in every state (active, superseded, withdrawn,
  // historical), oldest first, each with its outbox items.
  virtual std::vector<EventHistory> eventHistory(const std::string& upn) = 0;

  // Records the events that hold now for `pupils` (the whole evaluated set) and queues outbox
  // items in the same transaction, as planEvaluation decides (new, revised, reinstated,
  // withdrawn, history before `notifyFrom`). Each pupil's checkpoint is kept in the same
  // transaction, so a crash never leaves a checkpoint past events that were not recorded.
  EvaluationOutcome commitEvaluation(const std::vector<PupilEvaluated>& pupils,
                                     const std::vector<Event>& events,
                                     const std::vector<SinkRoute>& routes, int64_t now,
                                     std::optional<Date> notifyFrom = std::nullopt);
};

}  // namespace markbridge
