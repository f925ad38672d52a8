#include "core/outbox/delivery_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/domain/fault_point.h"
#include "core/domain/logging.h"

namespace markbridge {
namespace {

std::string maskedUpn(const std::string& upn) {
  return upn.size() < 5 ? upn : upn.substr(0, 1) + "..." + upn.substr(upn.size() - 4);
}

}  // namespace

DeliveryReport DeliveryWorker::run() {
  DeliveryReport report;
  auto log = namedLogger("outbox");
  const int64_t deadline = clock_.nowMs() + options_.run_budget_ms;
  std::set<std::string> reportedDown;  // sinks whose outage was logged this run
  int attempted = 0;
  for (;;) {
    if (should_stop && should_stop()) break;
    int64_t now = clock_.nowMs();
    auto items = store_.dueOutbox(now, 100);
    if (items.empty()) {
      auto next = store_.nextOutboxDue();
      if (!next || *next > deadline) break;
      // With a stop to watch for, waits in short steps, so a shutdown is not held up by a
      // backoff.
      int64_t until = std::min(*next, deadline);
      if (should_stop) until = std::min(until, now + 250);
      clock_.sleepMs(until - now);
      continue;
    }
    for (const auto& item : items) {
      if (should_stop && should_stop()) break;
      now = clock_.nowMs();
      if (attempted > 0 && now >= deadline) {
        report.out_of_budget = true;  // the rest wait for the next sync, untouched
        break;
      }
      if (options_.give_up_after_ms > 0 && now - item.created_at > options_.give_up_after_ms) {
        auto hours = (now - item.created_at) / 3'600'000;
        store_.recordRejected(item.seq, item.attempts,
                              "gave up after " + std::to_string(hours) +
                                  " hours undelivered; last error: " + item.last_error,
                              now, "");
        log->error(
            "ALERT: {} for pupil {} could not be delivered to sink {} in {} hours and "
            "was dead-lettered; see `markbridge outbox show {}`",
            item.event_id, maskedUpn(item.upn), item.sink, hours, item.seq);
        ++report.rejected;
        continue;
      }
      auto& circuit = circuits_.try_emplace(item.sink, options_.circuit).first->second;
      if (!circuit.allows(now)) {
        // Not attempted, no attempt spent: it waits for the circuit to half-open.
        store_.recordRetry(item.seq, item.attempts, circuit.openUntil(), item.last_error);
        ++report.deferred;
        continue;
      }
      auto sink = sinks_.find(item.sink);
      ++attempted;
      DeliveryResult result;
      try {
        result =
            sink == sinks_.end()
                ? DeliveryResult::retry("no sink named '" + item.sink + "' in the configuration")
                : sink->second->deliver(item,
                                        item.kind == OutboxKind::Notify
                                            ? std::string()
                                            : store_.deliveredReference(item.event_id, item.sink));
      } catch (const std::exception& e) {
        // One item that cannot even be put into a request (a stored value the payload cannot
        // carry) is dead-lettered for a person; the rest of the school's items go on.
        result = DeliveryResult::reject(
            "sink " + item.sink + ": this item could not be made into a request: " + e.what());
      }
      if (sink == sinks_.end()) result.sink_unavailable = true;
      int attempts = item.attempts + (result.sink_unavailable ? 0 : 1);
      now = clock_.nowMs();
      if (result.outcome == DeliveryResult::Outcome::Retry && !result.sink_unavailable &&
          options_.max_attempts > 0 && attempts >= options_.max_attempts)
        result = DeliveryResult::reject("gave up after " + std::to_string(attempts) +
                                        " attempts; last: " + result.reason);
      switch (result.outcome) {
        case DeliveryResult::Outcome::Delivered:
          faultPoint("after-send");
          store_.recordDelivered(item.seq, result.reference, now);
          circuit.succeeded();
          ++report.delivered;
          break;
        case DeliveryResult::Outcome::Retry: {
          bool opened = circuit.failed(now, result.sink_unavailable);
          // Retry-After is honoured, but never below the base delay nor above the cap.
          int64_t delay = result.retry_after_ms
                              ? std::clamp(*result.retry_after_ms, options_.backoff.base_ms,
                                           options_.backoff.cap_ms)
                              : backoffDelayMs(options_.backoff, attempts, random_);
          int64_t next = std::max(now + delay, opened ? circuit.openUntil() : 0);
          store_.recordRetry(item.seq, attempts, next, result.reason);
          if (result.sink_unavailable) {
            // One clear line per sink and run, not one per item.
            if (reportedDown.insert(item.sink).second)
              log->error("{} (its items wait; nothing is marked delivered)", result.reason);
          } else {
            log->warn("{}: attempt {} failed, next in {} ms: {}", item.key, attempts, next - now,
                      result.reason);
            if (opened)
              log->warn("sink {}: {} failures in a row, pausing it for {} s", item.sink,
                        options_.circuit.failures, (circuit.openUntil() - now) / 1000);
          }
          ++report.retried;
          break;
        }
        case DeliveryResult::Outcome::Reject:
          store_.recordRejected(item.seq, attempts, result.reason, now, result.response_body);
          circuit.succeeded();  // the sink answered: it is up
          log->error("{}: dead-lettered after {} attempt(s): {}", item.key, attempts,
                     result.reason);
          ++report.rejected;
          break;
      }
      if (on_attempt) on_attempt(item, result);
    }
    if (report.out_of_budget) break;
  }
  auto states = store_.outboxCounts();
  report.pending_left = states.count("pending") ? states.at("pending") : 0;
  if (report.out_of_budget)
    log->warn(
        "delivery stopped at its run budget of {} ms with items still due: {} item(s) wait for "
        "the next sync",
        options_.run_budget_ms, report.pending_left);
  return report;
}

}  // namespace markbridge
