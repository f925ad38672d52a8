// The circuit breaker's rule on an injected clock (plain milliseconds): it opens on an outage
// (a failure rate over the window at volume, or attempts in a row without an answer, or the sink
// unusable), never on a destination that succeeds most of the time; half open, a few trials
// close it or open it again for twice as long.

#include "core/outbox/circuit_breaker.h"

#include <gtest/gtest.h>

#include <random>

using namespace markbridge;

namespace {

using F = CircuitBreaker::Failure;

CircuitPolicy defaults() {
  return CircuitPolicy{};  // 10 without an answer, 80% of >= 20 in 60 s, 3 trials, 60 s pause
}

}  // namespace

TEST(CircuitBreakerRule, ADestinationThatSucceedsSixtyPercentOfTheTimeIsNeverPaused) {
  CircuitBreaker circuit(defaults());
  std::mt19937 random(17);
  int64_t now = 0;
  int opened = 0;
  // 20,000 attempts, 40% failing (30% 503s, 10% dropped connections), 50 a second.
  for (int i = 0; i < 20'000; ++i, now += 20) {
    ASSERT_TRUE(circuit.allows(now)) << "paused after " << i << " attempts";
    circuit.started(now);
    int roll = static_cast<int>(random() % 100);
    if (roll < 30)
      opened += circuit.failed(now, F::Answer);
    else if (roll < 40)
      opened += circuit.failed(now, F::NoAnswer);
    else
      circuit.succeeded(now);
  }
  EXPECT_EQ(opened, 0);
  EXPECT_EQ(circuit.health(), "ok");
}

TEST(CircuitBreakerRule, OpensWhenTheFailureRateAtVolumeReachesTheThreshold) {
  CircuitBreaker circuit(defaults());
  int64_t now = 1'000'000;
  // 19 failures are under the minimum volume: it stays closed however bad they are.
  for (int i = 0; i < 19; ++i) EXPECT_FALSE(circuit.failed(now + i, F::Answer)) << i;
  EXPECT_FALSE(circuit.isOpen());
  EXPECT_EQ(circuit.health(), "retrying");
  // The 20th makes the volume: 100% failed, it opens for the first pause.
  EXPECT_TRUE(circuit.failed(now + 19, F::Answer));
  EXPECT_EQ(circuit.health(), "paused: outage");
  EXPECT_EQ(circuit.openUntil(), now + 19 + 60'000);
  EXPECT_FALSE(circuit.allows(now + 19 + 59'999));
  EXPECT_EQ(circuit.openedBecause(), "failure rate over the window");
}

TEST(CircuitBreakerRule, SeventyNinePercentStaysClosedEightyPercentOpens) {
  CircuitBreaker below(defaults());
  int64_t now = 0;
  for (int i = 0; i < 21; ++i) below.succeeded(now);  // 21 ok, then 79 failed: 79%
  for (int i = 0; i < 79; ++i) EXPECT_FALSE(below.failed(now, F::Answer)) << i;
  CircuitBreaker at(defaults());
  for (int i = 0; i < 20; ++i) at.succeeded(now);  // 20 ok, then 80 failed: 80% at the last
  for (int i = 0; i < 79; ++i) EXPECT_FALSE(at.failed(now, F::Answer)) << i;
  EXPECT_TRUE(at.failed(now, F::Answer));
}

TEST(CircuitBreakerRule, OldFailuresLeaveTheWindow) {
  CircuitBreaker circuit(defaults());
  for (int i = 0; i < 19; ++i) circuit.failed(0, F::Answer);
  // A minute later they no longer count: 19 more failures are again under the volume.
  for (int i = 0; i < 19; ++i) EXPECT_FALSE(circuit.failed(61'000, F::Answer));
  EXPECT_EQ(circuit.windowRequests(61'000), 19);
  EXPECT_EQ(circuit.failurePercent(61'000), 100);
}

TEST(CircuitBreakerRule, AttemptsInARowWithoutAnAnswerOpenItBeforeTheVolume) {
  CircuitBreaker circuit(defaults());
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(circuit.failed(i, F::NoAnswer));
  circuit.failed(9, F::Answer);  // an answer (503) breaks the run: the destination is there
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(circuit.failed(10 + i, F::NoAnswer)) << i;
  EXPECT_TRUE(circuit.failed(19, F::NoAnswer));  // the tenth in a row
  EXPECT_EQ(circuit.openedBecause(), "attempts in a row without an answer");
}

TEST(CircuitBreakerRule, RefusedCredentialsOpenItAtOnce) {
  CircuitBreaker circuit(defaults());
  EXPECT_TRUE(circuit.failed(5, F::SinkUnavailable));
  EXPECT_EQ(circuit.health(), "paused: credentials");
}

TEST(CircuitBreakerRule, HalfOpenAllowsAFewTrialsAndClosesWhenTheyAllSucceed) {
  CircuitBreaker circuit(defaults());
  for (int i = 0; i < 10; ++i) circuit.failed(0, F::NoAnswer);
  ASSERT_TRUE(circuit.isOpen());
  int64_t after = circuit.openUntil();
  EXPECT_FALSE(circuit.allows(after - 1));
  // Half open: three trials may be in flight, no fourth until they answer.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(circuit.allows(after));
    circuit.started(after);
  }
  EXPECT_FALSE(circuit.allows(after));
  circuit.succeeded(after + 10);
  circuit.succeeded(after + 11);
  EXPECT_TRUE(circuit.isOpen());  // two of three
  circuit.succeeded(after + 12);
  EXPECT_FALSE(circuit.isOpen());
  EXPECT_EQ(circuit.health(), "ok");
  EXPECT_EQ(circuit.windowRequests(after + 12), 0);  // the outage's failures are forgotten
  // The next outage starts again from the first pause.
  for (int i = 0; i < 10; ++i) circuit.failed(after + 20, F::NoAnswer);
  EXPECT_EQ(circuit.openUntil(), after + 20 + 60'000);
}

TEST(CircuitBreakerRule, AFailedTrialDoublesThePauseUpToTheCap) {
  CircuitPolicy policy = defaults();
  policy.max_cooldown_ms = 200'000;
  CircuitBreaker circuit(policy);
  for (int i = 0; i < 10; ++i) circuit.failed(0, F::NoAnswer);
  std::vector<int64_t> pauses;
  int64_t now = 0;
  for (int round = 0; round < 4; ++round) {
    pauses.push_back(circuit.openUntil() - now);
    now = circuit.openUntil();
    ASSERT_TRUE(circuit.allows(now));
    circuit.started(now);
    circuit.started(now);
    EXPECT_TRUE(circuit.failed(now, F::Answer));       // the first trial fails: open again
    EXPECT_FALSE(circuit.failed(now + 1, F::Answer));  // the second, sent before: no change
  }
  pauses.push_back(circuit.openUntil() - now);
  EXPECT_EQ(pauses, (std::vector<int64_t>{60'000, 120'000, 200'000, 200'000, 200'000}));
}

TEST(CircuitBreakerRule, AnswersToRequestsSentBeforeItOpenedChangeNothing) {
  CircuitBreaker circuit(defaults());
  for (int i = 0; i < 10; ++i) circuit.failed(100, F::NoAnswer);
  ASSERT_TRUE(circuit.isOpen());
  circuit.succeeded(200);  // in flight when it opened: not a trial
  circuit.succeeded(300);
  circuit.succeeded(400);
  EXPECT_TRUE(circuit.isOpen());
}
