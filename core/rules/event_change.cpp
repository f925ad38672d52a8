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

OutboxKind outboxKindFrom(std::string_view text) {
  if (text == "withdraw") return OutboxKind::Withdraw;
  if (text == "revise") return OutboxKind::Revise;
  return OutboxKind::Notify;
}

}  // namespace markbridge
