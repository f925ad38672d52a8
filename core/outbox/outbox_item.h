#pragma once
// A row of the durable outbox: one event for one sink. Its key is the Idempotency-Key sent with
// every attempt, so a retry after a crash can never create a second record at the destination.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/rules/event_change.h"

namespace markbridge {

// Rejected: dead-lettered (refused by the destination, or given up on), kept with the reason
// and the destination's answer until a person retries or discards it.
enum class OutboxState { Pending, Delivered, Rejected, Discarded };
std::optional<OutboxState> outboxStateFrom(std::string_view text);
std::string_view toString(OutboxState state);

struct OutboxItem {
  int64_t seq = 0;
  std::string key;  // Idempotency-Key
  std::string sink;
  std::string event_id;
  std::string upn;
  OutboxKind kind = OutboxKind::Notify;
  std::string payload;  // the event's JSON (the storage edge; sinks get it typed: SinkEvent)
  OutboxState state = OutboxState::Pending;
  int attempts = 0;
  int64_t created_at = 0;
  int64_t next_attempt_at = 0;
  std::string last_error;
  std::string reference;    // what the destination called the record it made
  std::string response;     // dead-lettered: the destination's answer (up to 4 KB)
  int64_t finished_at = 0;  // delivered, dead-lettered or discarded at (ms); 0 while pending
  // Why the store could not read this row as it stands (a kind this version does not know),
  // naming the table, the seq and the value; empty when it could. Such an item is never sent:
  // the delivery worker dead-letters it with this reason.
  std::string unreadable;
  // Set by OutboxStore::dueOutbox: a later pending item of the same pupil and sink waits behind
  // this one, and falls due once this one is delivered or dead-lettered (the delivery worker
  // then asks the store again).
  bool more_in_line = false;
};

// What `markbridge outbox` and /metrics show for one sink.
struct SinkOutboxStats {
  std::string sink;
  int pending = 0, delivered = 0, dead = 0, discarded = 0;
  int64_t retries = 0;            // attempts beyond the first, over all items
  int64_t oldest_pending_at = 0;  // ms; 0 when nothing is pending
};

}  // namespace markbridge
