#pragma once
// What a destination is asked to do with an event's record. The rules decide it (the event
// lifecycle planner); the outbox carries it to each sink.

#include <optional>
#include <string_view>

namespace markbridge {

// Notify: a new record. Withdraw: its grounds are gone. Revise: the grounds still hold but the
// register was amended, so the record's period or sessions changed.
enum class OutboxKind { Notify, Withdraw, Revise };
std::string_view toString(OutboxKind kind);
// Nothing for text that names no kind: a store row with one is refused, never guessed at.
std::optional<OutboxKind> outboxKindFrom(std::string_view text);

}  // namespace markbridge
