#pragma once
// How each sink is doing, as a person needs to hear it: ok, retrying, paused: credentials (the
// destination refused our token, key or certificate: nothing reaches it until someone fixes
// it), paused: outage (it keeps failing: items wait and go when it is back). A sink is paused
// exactly when its circuit breaker (core/outbox/circuit_breaker.h) is open, so what `status`
// and /health say is what delivery does; the attempts of each run say ok or retrying. Kept in
// the store, so `status` and /health tell the same story after the process that saw it has gone.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/outbox/circuit_breaker.h"
#include "core/outbox/sink.h"
#include "core/store/store.h"

namespace markbridge {

enum class SinkState { Ok, Retrying, PausedCredentials, PausedOutage };
std::string_view toString(SinkState state);  // "ok", "retrying", "paused: credentials", ...

struct SinkHealth {
  SinkState state = SinkState::Ok;
  std::string reason;          // the last failure, as the sink said it (never a secret)
  int failures_in_a_row = 0;   // retryable failures since it last answered
  int64_t since = 0;           // unix ms: when it entered this state
  int64_t paused_until = 0;    // paused: when its items are tried again (unix ms; 0: not paused)
  std::string paused_because;  // paused: why its breaker opened ("failure rate over the window")
};

// Follows one delivery run's attempts.
class SinkHealthTracker {
 public:
  explicit SinkHealthTracker(std::map<std::string, SinkHealth> before)
      : health_(std::move(before)) {}
  void attempted(const std::string& sink, const DeliveryResult& result, int64_t nowMs);
  // Whether this sync sent anything to `sink`.
  bool tried(const std::string& sink) const { return tried_.count(sink) > 0; }
  // After the run, for the configured `sinks`: one whose circuit is open is paused (for
  // credentials or an outage, until it closes); otherwise one with nothing pending that was not
  // tried is ok, and one that was not tried but still has items keeps what it was (never
  // paused: its circuit is closed).
  std::map<std::string, SinkHealth> finish(const std::vector<std::string>& sinks,
                                           const std::map<std::string, int>& pendingBySink,
                                           const std::map<std::string, CircuitBreaker>& circuits,
                                           int64_t nowMs);

 private:
  std::map<std::string, SinkHealth> health_;
  std::map<std::string, bool> tried_;
};

class Gateway;
// Kept in the store's source_state under "_sinks", one row per configured sink.
std::map<std::string, SinkHealth> loadSinkHealth(Gateway& gateway);
// After a sync: finishes `tracker` over the gateway's sinks and keeps the result in the store.
std::map<std::string, SinkHealth> recordSinkHealth(Gateway& gateway, SinkHealthTracker& tracker,
                                                   int64_t nowMs);

}  // namespace markbridge
