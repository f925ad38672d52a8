#pragma once
// Capped exponential backoff with full jitter, and the clock and random source it runs on,
// injected so that tests are deterministic.

#include <cstdint>
#include <random>

namespace markbridge {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t nowMs() = 0;
  virtual void sleepMs(int64_t ms) = 0;
};

class SystemClock : public Clock {
 public:
  int64_t nowMs() override;
  void sleepMs(int64_t ms) override;
};

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Uniform in [0, bound].
  virtual int64_t upTo(int64_t bound) = 0;
};

class SystemRandom : public RandomSource {
 public:
  int64_t upTo(int64_t bound) override;

 private:
  std::mt19937_64 engine_{std::random_device{}()};
};

struct BackoffPolicy {
  int64_t base_ms = 1000;
  int64_t cap_ms = 300000;
  // While its sink is not paused, a failed item waits at most this long: the destination is up
  // and answering, and the circuit breaker, not each item's backoff, protects it when it is
  // down. (A 3,000-item go-live against a destination failing 40% of the time would otherwise
  // wait minutes on its unluckiest items' doubling backoff.)
  int64_t healthy_cap_ms = 10000;
};

// The wait before attempt `attempt + 1` after `attempt` failures (attempt >= 1):
// uniform in [0, min(cap, base * 2^(attempt-1))].
int64_t backoffDelayMs(const BackoffPolicy& policy, int attempt, RandomSource& random);

}  // namespace markbridge
