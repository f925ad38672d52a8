#include "core/outbox/backoff.h"

#include <gtest/gtest.h>

#include "core/outbox/circuit_breaker.h"
#include "core/outbox/sink.h"

using namespace markbridge;

namespace {
// Always the top of the allowed range, so the ceiling itself is observable.
struct Highest : RandomSource {
  int64_t upTo(int64_t bound) override { return bound; }
};
struct Lowest : RandomSource {
  int64_t upTo(int64_t) override { return 0; }
};
}  // namespace

TEST(Backoff, CeilingDoublesPerAttemptUpToTheCap) {
  Highest high;
  BackoffPolicy policy{100, 1000};
  EXPECT_EQ(backoffDelayMs(policy, 1, high), 100);
  EXPECT_EQ(backoffDelayMs(policy, 2, high), 200);
  EXPECT_EQ(backoffDelayMs(policy, 4, high), 800);
  EXPECT_EQ(backoffDelayMs(policy, 5, high), 1000);
  EXPECT_EQ(backoffDelayMs(policy, 60, high), 1000);  // no overflow far out
}

TEST(Backoff, FullJitterMayWaitNothing) {
  Lowest low;
  EXPECT_EQ(backoffDelayMs(BackoffPolicy{100, 1000}, 3, low), 0);
  SystemRandom random;
  for (int i = 0; i < 200; ++i) {
    auto delay = backoffDelayMs(BackoffPolicy{100, 1000}, 3, random);
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, 400);
  }
}

TEST(CircuitHealth, SaysWhetherASinkIsPausedForItsCredentialsOrAnOutage) {
  CircuitPolicy policy{2, 1000, 8000};
  policy.trials = 1;
  CircuitBreaker circuit(policy);
  using F = CircuitBreaker::Failure;
  EXPECT_EQ(circuit.health(), "ok");
  circuit.failed(0, F::NoAnswer);
  EXPECT_EQ(circuit.health(), "retrying");
  circuit.failed(10, F::NoAnswer);
  EXPECT_EQ(circuit.health(), "paused: outage");
  circuit.succeeded(1010);  // the trial after the pause
  EXPECT_EQ(circuit.health(), "ok");
  circuit.failed(1020, F::SinkUnavailable);  // credentials or a certificate refused
  EXPECT_EQ(circuit.health(), "paused: credentials");
  circuit.succeeded(2020);
  EXPECT_EQ(circuit.health(), "ok");
}
