#include "core/rules/event_change.h"

namespace markbridge {

std::string_view toString(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::Notify:
      return "notify";
    case OutboxKind::Withdraw:
      return "withdraw";
    case OutboxKind::Revise:
      return "revise";
  }
  return "?";
}

std::optional<OutboxKind> outboxKindFrom(std::string_view text) {
  for (auto kind : {OutboxKind::Notify, OutboxKind::Withdraw, OutboxKind::Revise})
    if (toString(kind) == text) return kind;
  return std::nullopt;
}

}  // namespace markbridge
