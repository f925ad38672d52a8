#pragma once
// How each sink is doing, as a person needs to hear it: ok, retrying, paused: credentials (the
// destination refused our token, key or certificate: nothing reaches it until someone fixes
// it), paused: outage (it keeps failing: items wait and go when it is back). Worked out from
// the attempts of each sync and kept in the store, so `status` and /health tell the same story
// after the process that saw it has gone.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/outbox/sink.h"
#include "core/store/store.h"

namespace markbridge {

enum class SinkState { Ok, Retrying, PausedCredentials, PausedOutage };
std::string_view toString(SinkState state);  // "ok", "retrying", "paused: credentials", ...

struct SinkHealth {
  SinkState state = SinkState::Ok;
  std::string reason;         // the last failure, as the sink said it (never a secret)
  int failures_in_a_row = 0;  // retryable failures since it last answered
  int64_t since = 0;          // unix ms: when it entered this state
};

// Follows one sync's attempts. `outageFailures` retryable failures in a row are an outage (the
// delivery worker's circuit opens at the same count).
class SinkHealthTracker {
 public:
  SinkHealthTracker(std::map<std::string, SinkHealth> before, int outageFailures)
      : health_(std::move(before)), outageFailures_(outageFailures) {}
  void attempted(const std::string& sink, const DeliveryResult& result, int64_t nowMs);
  // Whether this sync sent anything to `sink`.
  bool tried(const std::string& sink) const { return tried_.count(sink) > 0; }
  // After the run, for the configured `sinks`: one with nothing pending that was not tried is
  // ok; one that was not tried but still has items keeps what it was.
  std::map<std::string, SinkHealth> finish(const std::vector<std::string>& sinks,
                                           const std::map<std::string, int>& pendingBySink,
                                           int64_t nowMs);

 private:
  std::map<std::string, SinkHealth> health_;
  std::map<std::string, bool> tried_;
  int outageFailures_;
};

class Gateway;
// Kept in the store's source_state under "_sinks", one row per configured sink.
std::map<std::string, SinkHealth> loadSinkHealth(Gateway& gateway);
// After a sync: finishes `tracker` over the gateway's sinks and keeps the result in the store.
std::map<std::string, SinkHealth> recordSinkHealth(Gateway& gateway, SinkHealthTracker& tracker,
                                                   int64_t nowMs);

}  // namespace markbridge
