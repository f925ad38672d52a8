#include "core/outbox/sink.h"

namespace markbridge {

DeliveryResult classifyHttpStatus(int status, const std::string& reference,
                                  const std::string& detail,
                                  std::optional<int64_t> retryAfterSeconds) {
  if (status >= 200 && status < 300) {
    auto result = DeliveryResult::delivered(reference);
    result.http_status = status;
    return result;
  }
  std::string reason = "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  if (status == 408 || status == 429 || (status >= 500 && status != 501)) {
    std::optional<int64_t> afterMs;
    if (retryAfterSeconds) afterMs = *retryAfterSeconds * 1000;
    auto result = DeliveryResult::retry(reason, afterMs);
    result.http_status = status;
    return result;
  }
  auto result = DeliveryResult::reject(reason);
  result.http_status = status;
  return result;
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
