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

class Store : public RegisterStore, public EventStore, public OutboxStore {
 public:
  ~Store() override = default;
  virtual StoreStatus status() = 0;
};

std::unique_ptr<Store> openSqliteStore(const std::string& path);
// A consistent copy of the SQLite store at `from` written to `to` (VACUUM INTO: one read
// transaction, so a sync writing meanwhile is not seen half-done). `sync --dry-run` works on it.
void copySqliteStore(const std::string& from, const std::string& to);

}  // namespace markbridge
