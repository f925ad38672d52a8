// A sink's pace on an injected clock (plain milliseconds): max_per_second spaces attempts; a
// 429 or a 503 with Retry-After holds the whole sink and halves its rate (once per burst); each
// delivery adds the rate back a little at a time.

#include "core/outbox/sink_pace.h"

#include <gtest/gtest.h>

#include "core/outbox/sink.h"

using namespace markbridge;

TEST(SinkPaceRule, WithoutALimitAttemptsGoAtOnce) {
  SinkPace pace;
  for (int64_t t = 0; t < 100; ++t) {
    EXPECT_EQ(pace.nextStart(t), t);
    pace.started(t);
  }
}

TEST(SinkPaceRule, MaxPerSecondSpacesAttempts) {
  SinkPace pace(4);  // one every 250 ms
  int64_t now = 10'000;
  std::vector<int64_t> starts;
  for (int i = 0; i < 5; ++i) {
    now = pace.nextStart(now);
    starts.push_back(now);
    pace.started(now);
  }
  EXPECT_EQ(starts, (std::vector<int64_t>{10'000, 10'250, 10'500, 10'750, 11'000}));
}

TEST(SinkPaceRule, RetryAfterHoldsTheWholeSinkAndHalvesItsRate) {
  SinkPace pace;
  int64_t now = 5'000;
  for (int i = 0; i < 40; ++i) pace.started(now + i * 20);  // 40 in the last 800 ms
  now += 800;
  pace.throttled(now, 2'000);
  EXPECT_EQ(pace.heldUntil(), now + 2'000);
  EXPECT_EQ(pace.nextStart(now), now + 2'000);  // every item waits, not only the one refused
  EXPECT_DOUBLE_EQ(pace.limit(), 20);
  // The rest of the same burst answers 429 too: one signal, not forty halvings.
  for (int i = 0; i < 10; ++i) pace.throttled(now + 10 + i, 2'000);
  EXPECT_DOUBLE_EQ(pace.limit(), 20);
  // At 20 a second after the hold: 50 ms apart.
  int64_t first = pace.nextStart(now);
  pace.started(first);
  EXPECT_EQ(pace.nextStart(first), first + 50);
}

TEST(SinkPaceRule, DeliveriesAddTheRateBackOneASecondPerSecondUpToTheLimit) {
  SinkPace pace(30);
  pace.started(0);
  pace.throttled(1, std::nullopt);
  EXPECT_DOUBLE_EQ(pace.limit(), SinkPace::kMinPerSecond);  // one in the last second: 0.5
  int64_t now = 1;
  double before = pace.limit();
  for (int i = 0; i < 200; ++i) {
    now = pace.nextStart(now);
    pace.started(now);
    pace.succeeded(now);
    EXPECT_GE(pace.limit(), before);
    before = pace.limit();
  }
  EXPECT_GT(pace.limit(), 10);
  for (int i = 0; i < 5'000; ++i) pace.succeeded(now);
  EXPECT_DOUBLE_EQ(pace.limit(), 30);  // never above max_per_second
}

TEST(SinkPaceRule, WithoutAConfiguredLimitTheSlowdownLiftsOnceItNoLongerBinds) {
  SinkPace pace;
  pace.started(0);
  pace.throttled(0, std::nullopt);
  ASSERT_GT(pace.limit(), 0);
  int64_t now = 0;
  for (int i = 0; i < 2'000 && pace.limit() > 0; ++i) {
    now = pace.nextStart(now);
    pace.started(now);
    pace.succeeded(now);
  }
  EXPECT_EQ(pace.limit(), 0);
}

TEST(SinkPaceRule, AFiveOhThreeWithoutRetryAfterIsNotASlowDown) {
  // The worker calls throttled() only for DeliveryResult::throttled(): 429, or 503 with
  // Retry-After.
  auto plain = DeliveryResult::retry("HTTP 503");
  plain.http_status = 503;
  EXPECT_FALSE(plain.throttled());
  auto asked = DeliveryResult::retry("HTTP 503", 2'000);
  asked.http_status = 503;
  EXPECT_TRUE(asked.throttled());
  auto busy = DeliveryResult::retry("HTTP 429");
  busy.http_status = 429;
  EXPECT_TRUE(busy.throttled());
}
