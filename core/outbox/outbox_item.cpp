#include "core/outbox/outbox_item.h"

namespace markbridge {

std::string_view toString(OutboxKind kind) { return kind == OutboxKind::Notify ? "notify" : "withdraw"; }

std::string_view toString(OutboxState state) {
  switch (state) {
    case OutboxState::Pending: return "pending";
    case OutboxState::Delivered: return "delivered";
    case OutboxState::Rejected: return "rejected";
  }
  return "?";
}

}  // namespace markbridge
