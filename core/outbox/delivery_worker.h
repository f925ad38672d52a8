#pragma once
// Drains the durable outbox through the sinks. An item is marked delivered only after the
// destination acknowledged it; a crash in between means one more attempt with the same
// Idempotency-Key, which the destination recognises, so nothing is lost or doubled.

#include <functional>
#include <map>
#include <string>

#include "core/outbox/backoff.h"
#include "core/outbox/sink.h"
#include "core/store/store.h"

namespace markbridge {

struct DeliveryOptions {
  BackoffPolicy backoff;
  int64_t run_budget_ms = 30000;  // how long one sync may wait for retries before leaving them
  int max_attempts = 0;           // 0: no limit (items wait for the next sync)
};

struct DeliveryReport {
  int delivered = 0;
  int retried = 0;
  int rejected = 0;
  int pending_left = 0;
};

class DeliveryWorker {
 public:
  DeliveryWorker(Store& store, std::map<std::string, Sink*> sinks, Clock& clock,
                 RandomSource& random, DeliveryOptions options)
      : store_(store),
        sinks_(std::move(sinks)),
        clock_(clock),
        random_(random),
        options_(options) {}

  DeliveryReport run();
  // Called after each attempt (the CLI prints deliveries from here).
  std::function<void(const OutboxItem&, const DeliveryResult&)> on_attempt;

 private:
  Store& store_;
  std::map<std::string, Sink*> sinks_;
  Clock& clock_;
  RandomSource& random_;
  DeliveryOptions options_;
};

}  // namespace markbridge
