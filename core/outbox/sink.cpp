#include "core/outbox/sink.h"

namespace markbridge {

DeliveryResult classifyHttpStatus(int status, const std::string& reference,
                                  const std::string& detail,
                                  std::optional<int64_t> retryAfterSeconds) {
  if (status >= 200 && status < 300) return DeliveryResult::delivered(reference);
  std::string reason = "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  if (status == 408 || status == 429 || (status >= 500 && status != 501)) {
    std::optional<int64_t> afterMs;
    if (retryAfterSeconds) afterMs = *retryAfterSeconds * 1000;
    return DeliveryResult::retry(reason, afterMs);
  }
  return DeliveryResult::reject(reason);
}

void Sink::count(const DeliveryResult& result) {
  switch (result.outcome) {
    case DeliveryResult::Outcome::Delivered:
      ++counters_.records;
      break;
    case DeliveryResult::Outcome::Retry:
      ++counters_.retries;
      break;
    case DeliveryResult::Outcome::Reject:
      ++counters_.failures;
      break;
  }
}

}  // namespace markbridge
