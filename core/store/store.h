#pragma once
// The store: the register, the events and the outbox, three interfaces a backend implements
// (register_store.h, event_store.h, outbox_store.h). SQLite is the embedded default; another
// engine implements the same three, and the contract tests in tests/core/store_contract_*.cpp
// run against it by adding one instantiation. Code that needs one part takes that interface.

#include <map>
#include <memory>
#include <string>

#include "core/outbox/outbox_store.h"
#include "core/store/event_store.h"
#include "core/store/register_store.h"

namespace markbridge {

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

// The admission register at a glance, for `status` (issue 16, item 7).
struct OnRollSummary {
  int on_roll = 0;           // pupils a period covers on the day
  int without_roll = 0;      // pupils with no on-roll data (every school day counts for them)
  int joined = 0, left = 0;  // admissions and leaving dates in [from, to]
  // Active returns and children-missing-education notifications not yet delivered to every
  // sink that takes them, by type ("new_pupil" -> 2), with the earliest new pupil return's due day.
  std::map<std::string, int> waiting;
  std::string earliest_due;
  int office_tasks = 0;  // deletion returns waiting for the office to record missing fields
  int vanished = 0;      // pupils the roll's listings stopped naming (missing education)
};

class Store : public RegisterStore, public EventStore, public OutboxStore {
 public:
  ~Store() override = default;
  virtual StoreStatus status() = 0;
  // `today` decides who is on roll; [from, to] is the week the joiners and leavers are counted in.
  virtual OnRollSummary onRollSummary(Date today, Date from, Date to) = 0;
};

std::unique_ptr<Store> openSqliteStore(const std::string& path);
// A consistent copy of the SQLite store at `from` written to `to` (VACUUM INTO: one read
// transaction, so a sync writing meanwhile is not seen half-done). `sync --dry-run` works on it.
void copySqliteStore(const std::string& from, const std::string& to);

}  // namespace markbridge
