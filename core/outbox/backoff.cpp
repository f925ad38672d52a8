#include "core/outbox/backoff.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace markbridge {

int64_t SystemClock::nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SystemClock::sleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

int64_t SystemRandom::upTo(int64_t bound) {
  return std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(bound, 0))(engine_);
}

int64_t backoffDelayMs(const BackoffPolicy& policy, int attempt, RandomSource& random) {
  int shift = std::clamp(attempt - 1, 0, 40);
  int64_t ceiling = policy.cap_ms;
  if (policy.base_ms <= (policy.cap_ms >> shift)) ceiling = policy.base_ms << shift;
  return random.upTo(std::min(ceiling, policy.cap_ms));
}

}  // namespace markbridge
