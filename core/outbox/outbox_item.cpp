#include "core/outbox/outbox_item.h"

namespace markbridge {

std::string_view toString(OutboxState state) {
  switch (state) {
    case OutboxState::Pending:
      return "pending";
    case OutboxState::Delivered:
      return "delivered";
    case OutboxState::Rejected:
      return "rejected";
    case OutboxState::Discarded:
      return "discarded";
  }
  return "?";
}

std::optional<OutboxState> outboxStateFrom(std::string_view text) {
  for (auto state : {OutboxState::Pending, OutboxState::Delivered, OutboxState::Rejected,
                     OutboxState::Discarded})
    if (toString(state) == text) return state;
  if (text == "dead") return OutboxState::Rejected;
  return std::nullopt;
}

}  // namespace markbridge
