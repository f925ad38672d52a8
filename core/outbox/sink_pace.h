#pragma once
// How fast one sink may be sent to: at most `max_per_second` attempts a second (0: as fast as
// its answers come), slowed down when the destination asks. A 429, or a 503 with Retry-After,
// holds the whole sink for the time asked (not only the item that got it) and halves the rate
// (multiplicative decrease, at most once a second: one burst of 429s is one signal); each
// delivery then adds back about one attempt a second per second (additive increase), up to
// `max_per_second`; with none configured, the limit is lifted once it is well past (twice, plus
// 10) the rate that was refused. Times are the
// delivery clock's milliseconds, so tests inject them.

#include <cstdint>
#include <deque>
#include <optional>

namespace markbridge {

class SinkPace {
 public:
  // The slowest a throttling destination makes us: one attempt every 2 s.
  static constexpr double kMinPerSecond = 0.5;

  explicit SinkPace(double maxPerSecond = 0) : max_(maxPerSecond), limit_(maxPerSecond) {}

  // When the next attempt may start: `now` or later.
  int64_t nextStart(int64_t now) const;
  void started(int64_t now);
  // The destination asked us to slow down (429, 503 with Retry-After).
  void throttled(int64_t now, std::optional<int64_t> retryAfterMs);
  void succeeded(int64_t now);

  // Attempts a second now allowed (0: no limit).
  double limit() const { return limit_; }
  int64_t heldUntil() const { return heldUntil_; }

 private:
  // Attempts started in the last second.
  int recentStarts(int64_t now) const;

  double max_;    // configured (0: none)
  double limit_;  // in force (0: none)
  double nextAllowed_ = 0;
  int64_t heldUntil_ = 0;
  int64_t lastDecrease_ = -1'000'000'000;
  double slowedFrom_ = 0;       // the rate when the destination last asked us to slow down
  std::deque<int64_t> starts_;  // the last second's start times
};

}  // namespace markbridge
