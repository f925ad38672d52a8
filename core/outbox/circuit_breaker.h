#pragma once
// One per sink: after `failures` retryable failures in a row (or at once, when the sink itself
// is unusable: credentials or certificates refused) the circuit opens and no item is sent to
// that sink, nor an attempt spent, until the cool-down has passed; then one item is tried
// (half open): success closes the circuit, failure opens it again for twice as long, up to
// `max_cooldown_ms`. An outage therefore costs a handful of requests, not every item's retries.

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace markbridge {

struct CircuitPolicy {
  int failures = 5;
  int64_t cooldown_ms = 60'000;
  int64_t max_cooldown_ms = 900'000;
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(CircuitPolicy policy = {}) : policy_(policy) {}
  // Whether an item may be sent now (half open: one trial at a time).
  bool allows(int64_t now) const { return !open_ || now >= openUntil_; }
  bool isOpen() const { return open_; }
  // The sink's health for `status` and /health: "ok"; "retrying" (failures, not paused yet);
  // "paused: credentials" (credentials or certificates refused: a person must fix them);
  // "paused: outage" (failures in a row: tried again after the cool-down).
  std::string_view health() const {
    if (open_) return credentials_ ? "paused: credentials" : "paused: outage";
    return inARow_ > 0 ? "retrying" : "ok";
  }
  int64_t openUntil() const { return openUntil_; }
  void succeeded() {
    open_ = false;
    credentials_ = false;
    inARow_ = 0;
    cooldown_ = 0;
  }
  // Returns true when this failure opened (or re-opened) the circuit.
  bool failed(int64_t now, bool sinkUnavailable) {
    ++inARow_;
    bool trial = open_;  // a half-open trial failed
    if (!trial && !sinkUnavailable && inARow_ < policy_.failures) return false;
    cooldown_ =
        cooldown_ == 0 ? policy_.cooldown_ms : std::min(cooldown_ * 2, policy_.max_cooldown_ms);
    open_ = true;
    credentials_ = sinkUnavailable;
    openUntil_ = now + cooldown_;
    return true;
  }

 private:
  CircuitPolicy policy_;
  bool open_ = false;
  bool credentials_ = false;
  int inARow_ = 0;
  int64_t cooldown_ = 0;
  int64_t openUntil_ = 0;
};

}  // namespace markbridge
