#pragma once
// The register store: pupils, marks with their amendments, import history, escalation events
// and the outbox. SQLite is the embedded default; other engines implement the same interface.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/domain/import_batch.h"
#include "core/outbox/outbox_item.h"
#include "core/rules/event.h"
#include "core/rules/register.h"

namespace markbridge {

struct ImportOutcome {
  bool already_imported = false;  // the same bytes from the same source came before
  int pupils_added = 0;
  int pupils_updated = 0;
  int marks_added = 0;
  int marks_amended = 0;
  int marks_unchanged = 0;
};

// An amended entry, kept as the regulations ask: original entry, amended entry, when, by what.
struct Amendment {
  std::string upn;
  Date date;
  Session session = Session::AM;
  std::string old_code, new_code;
  std::string old_source, new_source;
  int64_t amended_at = 0;
};

// A session for which some pupils have no mark yet: a data-quality problem, never an absence.
struct RegisterNotTaken {
  Date date;
  Session session = Session::AM;
  int pupils = 0;
};

// Which sink gets which event types.
struct SinkRoute {
  std::string sink;
  std::set<std::string> types;
};

// One pupil evaluated: events that arose on or after `from` were looked for again (earlier ones
// stand as they are), and where the evaluation got to, for the next one to resume from.
struct PupilEvaluated {
  PupilEvaluated(std::string upn_) : upn(std::move(upn_)) {}
  PupilEvaluated(const char* upn_) : upn(upn_) {}
  PupilEvaluated(std::string upn_, Date from_, std::string checkpoint_)
      : upn(std::move(upn_)), from(from_), checkpoint(std::move(checkpoint_)) {}
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

struct StoreStatus {
  int pupils = 0;
  int64_t marks = 0;
  int64_t amendments = 0;
  int64_t marks_not_taken = 0;
  int imports = 0;
  std::string last_import_at;                                // ISO UTC
  std::map<std::string, std::string> last_import_by_source;  // source -> ISO UTC of its last
  int active_events = 0;
  std::map<std::string, int> outbox_by_state;  // "pending" -> n
  int64_t oldest_pending_at = 0;
};

// Writes one import (a file, an API pull) part by part inside one transaction, so a large file
// never has to be held whole: commit() makes all of it visible at once; destroying the writer
// without commit() leaves the store as it was. Marks from a source of lower `priority` than the
// source that wrote the stored mark are not applied; a blank never erases a taken mark.
class ImportWriter {
 public:
  virtual ~ImportWriter() = default;
  virtual void add(const ImportBatch& part, ImportOutcome& outcome) = 0;
  // Records the import (source, origin, fingerprint, rows) and commits.
  virtual void commit(const ImportBatch& summary, ImportOutcome& outcome) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // All of the batch or none of it. A batch with problems is refused whole.
  ImportOutcome importBatch(const ImportBatch& batch, int64_t now);
  virtual bool alreadyImported(const std::string& source, const std::string& fingerprint) = 0;
  virtual std::unique_ptr<ImportWriter> beginImport(int64_t now) = 0;
  // The latest sessions with registers not taken, newest first.
  virtual std::vector<RegisterNotTaken> registersNotTaken(int limit) = 0;
  // Every census (or other return's) total stored, by pupil.
  virtual std::vector<AttendanceTotals> attendanceTotals() = 0;
  // What a source remembered after its last stored import, or nothing.
  virtual std::optional<std::string> sourceState(const std::string& source,
                                                 const std::string& key) = 0;
  // Remembered outside an import (the service's schedule: "_service").
  virtual void setSourceState(const std::string& source, const std::string& key,
                              const std::string& value, int64_t now) = 0;
  // Every pupil's UPN and MIS id, for matching marks that carry only an MIS id.
  virtual std::vector<std::pair<std::string, std::string>> pupilIds() = 0;
  virtual std::optional<Pupil> pupil(const std::string& upn) = 0;
  // Each pupil's register, marks in date and session order.
  virtual void forEachRegister(
      const std::function<void(const Pupil&, const std::vector<Mark>&)>& visit) = 0;
  virtual std::vector<Amendment> amendments(const std::string& upn) = 0;
  // Each pupil's codes laid over `calendar` (what rules read): the same as forEachRegister
  // without building Mark objects. The register passed is valid during the call.
  virtual void forEachPupilRegister(
      const SchoolCalendar& calendar,
      const std::function<void(const Pupil&, const PupilRegister&)>& visit);

  // Where each pupil's last evaluation got to (RuleSet::evaluate), by UPN.
  virtual std::unordered_map<std::string, std::string> evaluationCheckpoints() = 0;
  // Records the events that hold now for `pupils` (the whole evaluated set) and queues outbox
  // items in the same transaction: new events are queued for each routed sink; an event that
  // held before and holds no longer (of those that arose on or after the pupil's `from`) is
  // withdrawn and a correction is queued; a new event that overlaps a lapsed one of the same
  // rule revises that record instead. A new event that arose before `notifyFrom` is recorded
  // as history: never sent, never corrected. Each pupil's checkpoint is kept, in the same
  // transaction, so a crash never leaves a checkpoint past events that were not recorded.
  virtual EvaluationOutcome commitEvaluation(const std::vector<PupilEvaluated>& pupils,
                                             const std::vector<Event>& events,
                                             const std::vector<SinkRoute>& routes, int64_t now,
                                             std::optional<Date> notifyFrom = std::nullopt) = 0;

  // Pending items due at `now`, oldest first, at most one per (sink, pupil) so each pupil's
  // events reach a sink in order.
  virtual std::vector<OutboxItem> dueOutbox(int64_t now, int limit) = 0;
  // When the next item that is not waiting behind another falls due.
  virtual std::optional<int64_t> nextOutboxDue() = 0;
  virtual std::vector<OutboxItem> outbox(std::optional<OutboxState> state, int limit) = 0;
  virtual void recordDelivered(int64_t seq, const std::string& reference, int64_t now) = 0;
  virtual void recordRetry(int64_t seq, int attempts, int64_t nextAttemptAt,
                           const std::string& error) = 0;
  virtual void recordRejected(int64_t seq, int attempts, const std::string& error, int64_t now,
                              const std::string& response) = 0;
  virtual std::optional<OutboxItem> outboxItem(int64_t seq) = 0;
  // A dead-lettered (or discarded) item back to pending, due now, its attempts reset and its
  // give-up deadline started again; a pending item due now, its attempts kept; false when there
  // is no such item or it was delivered.
  virtual bool retryOutbox(int64_t seq, int64_t now) = 0;
  // Every pending item of `sink` due now (a paused sink resumed by hand); how many.
  virtual int retrySinkPending(const std::string& sink, int64_t now) = 0;
  // A pending or dead-lettered item set aside for good (kept for the record); false otherwise.
  virtual bool discardOutbox(int64_t seq, int64_t now, const std::string& why) = 0;
  virtual std::vector<SinkOutboxStats> outboxBySink() = 0;
  // How many outbox items are in each state ("pending" -> n); cheap, for every delivery run.
  virtual std::map<std::string, int> outboxCounts() = 0;
  // The destination's reference for the record an event updates (for corrections and revisions).
  virtual std::string deliveredReference(const std::string& eventId, const std::string& sink) = 0;

  virtual StoreStatus status() = 0;
};

std::unique_ptr<Store> openSqliteStore(const std::string& path);

}  // namespace markbridge
