#include "core/outbox/delivery_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/domain/fault_point.h"
#include "core/domain/logging.h"

namespace markbridge {

DeliveryReport DeliveryWorker::run() {
  DeliveryReport report;
  auto log = namedLogger("outbox");
  const int64_t deadline = clock_.nowMs() + options_.run_budget_ms;
  for (;;) {
    int64_t now = clock_.nowMs();
    auto items = store_.dueOutbox(now, 100);
    if (items.empty()) {
      auto next = store_.nextOutboxDue();
      if (!next || *next > deadline) break;
      clock_.sleepMs(std::min(*next, deadline) - now);
      continue;
    }
    for (const auto& item : items) {
      auto sink = sinks_.find(item.sink);
      DeliveryResult result =
          sink == sinks_.end()
              ? DeliveryResult::retry("no sink named '" + item.sink + "' in the configuration")
              : sink->second->deliver(item,
                                      item.kind == OutboxKind::Notify
                                          ? std::string()
                                          : store_.deliveredReference(item.event_id, item.sink));
      int attempts = item.attempts + 1;
      now = clock_.nowMs();
      if (result.outcome == DeliveryResult::Outcome::Retry && options_.max_attempts > 0 &&
          attempts >= options_.max_attempts)
        result = DeliveryResult::reject("gave up after " + std::to_string(attempts) +
                                        " attempts; last: " + result.reason);
      switch (result.outcome) {
        case DeliveryResult::Outcome::Delivered:
          faultPoint("after-send");
          store_.recordDelivered(item.seq, result.reference, now);
          ++report.delivered;
          break;
        case DeliveryResult::Outcome::Retry: {
          // Retry-After is honoured, but never below the base delay nor above the cap.
          int64_t delay = result.retry_after_ms
                              ? std::clamp(*result.retry_after_ms, options_.backoff.base_ms,
                                           options_.backoff.cap_ms)
                              : backoffDelayMs(options_.backoff, attempts, random_);
          store_.recordRetry(item.seq, attempts, now + delay, result.reason);
          log->warn("{}: attempt {} failed, next in {} ms: {}", item.key, attempts, delay,
                    result.reason);
          ++report.retried;
          break;
        }
        case DeliveryResult::Outcome::Reject:
          store_.recordRejected(item.seq, attempts, result.reason, now);
          log->error("{}: rejected after {} attempt(s): {}", item.key, attempts, result.reason);
          ++report.rejected;
          break;
      }
      if (on_attempt) on_attempt(item, result);
    }
  }
  auto states = store_.outboxCounts();
  report.pending_left = states.count("pending") ? states.at("pending") : 0;
  return report;
}

}  // namespace markbridge
