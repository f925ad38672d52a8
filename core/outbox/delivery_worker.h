#pragma once
// Drains the durable outbox through the sinks. An item is marked delivered only after the
// destination acknowledged it; a crash in between means one more attempt with the same
// Idempotency-Key, which the destination recognises, so nothing is lost or doubled.
//
// Each sink has up to its max_in_flight attempts under way at once, on threads of their own,
// started no faster than its pace allows (sink_pace.h) and only while its circuit is closed
// (circuit_breaker.h). A pupil's items for a sink go one at a time, in order: the store offers
// only the oldest pending one, and it stays pending until its answer is recorded. Only this
// thread reads and writes the store.

#include <functional>
#include <map>
#include <string>

#include "core/outbox/backoff.h"
#include "core/outbox/circuit_breaker.h"
#include "core/outbox/outbox_store.h"
#include "core/outbox/sink.h"
#include "core/outbox/sink_pace.h"

namespace markbridge {

struct DeliveryOptions {
  BackoffPolicy backoff;
  CircuitPolicy circuit;
  // How long one sync's delivery may take, waits for retries included: no attempt starts after
  // it (the first one always does), so a run ends within the budget plus one attempt, whose
  // length the sink's own timeout bounds. What is left waits for the next sync.
  int64_t run_budget_ms = 30000;
  int max_attempts = 0;  // 0: no limit (items wait for the next sync)
  // An item still undelivered this long after it was queued is dead-lettered and an alert
  // logged: a person must look (0: never).
  int64_t give_up_after_ms = 72LL * 3600 * 1000;
};

struct DeliveryReport {
  int delivered = 0;
  int retried = 0;
  int rejected = 0;  // dead-lettered: refused by the destination, or given up on
  int deferred = 0;  // not tried: their sink's circuit was open
  int pending_left = 0;
  bool out_of_budget = false;  // stopped at run_budget_ms with items still due
};

class DeliveryWorker {
 public:
  // `circuits` (one per sink, created as needed) outlive the worker: the service keeps them
  // from one sync to the next.
  DeliveryWorker(OutboxStore& store, std::map<std::string, Sink*> sinks, Clock& clock,
                 RandomSource& random, DeliveryOptions options,
                 std::map<std::string, CircuitBreaker>& circuits)
      : store_(store),
        sinks_(std::move(sinks)),
        clock_(clock),
        random_(random),
        options_(options),
        circuits_(circuits) {}

  DeliveryReport run();
  // The most attempts that were under way at once in the last run (all sinks).
  int peakInFlight() const { return peakInFlight_; }
  // Called after each attempt (the CLI prints deliveries from here).
  std::function<void(const OutboxItem&, const DeliveryResult&)> on_attempt;
  // Checked between items: true stops the run after the item in flight (graceful shutdown).
  std::function<bool()> should_stop;
  // When set, each sink's pace is taken from here and put back after the run, so a rate a
  // destination slowed us to (429, Retry-After) holds for the next run too, and is only
  // raised again by answers (the gateway keeps them from one sync to the next).
  std::map<std::string, SinkPace>* kept_paces = nullptr;
  // What each Idempotency-Key sent begins with ("URN:"): a trust's school's keys never meet
  // another school's at a destination they share (the same pupil dual registered in two
  // schools has the same event ids in each). Empty for a single school: its keys as stored.
  std::string key_scope;

 private:
  OutboxStore& store_;
  std::map<std::string, Sink*> sinks_;
  Clock& clock_;
  RandomSource& random_;
  DeliveryOptions options_;
  std::map<std::string, CircuitBreaker>& circuits_;
  int peakInFlight_ = 0;
};

}  // namespace markbridge
