#include "core/outbox/sink.h"

namespace markbridge {

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
