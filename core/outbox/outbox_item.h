#pragma once
// A row of the durable outbox: one event for one sink. Its key is the Idempotency-Key sent with
// every attempt, so a retry after a crash can never create a second record at the destination.

#include <cstdint>
#include <string>

namespace markbridge {

// Notify: a new record. Withdraw: its grounds are gone. Revise: the grounds still hold but the
// register was amended, so the record's period or sessions changed.
enum class OutboxKind { Notify, Withdraw, Revise };
enum class OutboxState { Pending, Delivered, Rejected };
std::string_view toString(OutboxKind kind);
OutboxKind outboxKindFrom(std::string_view text);
std::string_view toString(OutboxState state);

struct OutboxItem {
  int64_t seq = 0;
  std::string key;  // Idempotency-Key
  std::string sink;
  std::string event_id;
  std::string upn;
  OutboxKind kind = OutboxKind::Notify;
  std::string payload;  // the event's JSON
  OutboxState state = OutboxState::Pending;
  int attempts = 0;
  int64_t created_at = 0;
  int64_t next_attempt_at = 0;
  std::string last_error;
  std::string reference;  // what the destination called the record it made
};

}  // namespace markbridge
