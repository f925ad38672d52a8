// Retry-After as servers send it: delay-seconds or an HTTP date (RFC 9110 10.2.3), shared by the
// MIS REST pull and the outbound sinks.

#include <gtest/gtest.h>

#include "connectors/common/https_client.h"
#include "connectors/inbound/mis_rest/mis_rest_connector.h"

using namespace markbridge;
using namespace std::chrono_literals;

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT
const auto kDate = std::chrono::system_clock::from_time_t(784111777);

HttpResponse throttled(const std::string& retryAfter) {
  HttpResponse response;
  response.status = 429;
  response.headers["retry-after"] = retryAfter;
  return response;
}

}  // namespace

TEST(RetryAfter, AnHttpDateIsTheWaitUntilThatMoment) {
  auto response = throttled("Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(response.retryAfterMs(kDate - 3500ms), 3500);
  EXPECT_EQ(response.retryAfterSeconds(kDate - 3500ms), 4);  // rounded up, never early
}

TEST(RetryAfter, TheObsoleteDateFormsAreReadToo) {
  EXPECT_EQ(throttled("Sunday, 06-Nov-94 08:49:37 GMT").retryAfterMs(kDate - 2s), 2000);
  EXPECT_EQ(throttled("Sun Nov  6 08:49:37 1994").retryAfterMs(kDate - 2s), 2000);
}

TEST(RetryAfter, ADateAlreadyPastMeansNowAndSecondsStaySeconds) {
  EXPECT_EQ(throttled("Sun, 06 Nov 1994 08:49:37 GMT").retryAfterMs(kDate + 10s), 0);
  EXPECT_EQ(throttled("120").retryAfterMs(kDate), 120000);
  EXPECT_EQ(throttled("120").retryAfterSeconds(kDate), 120);
}

TEST(RetryAfter, AnUnreadableValueIsIgnored) {
  EXPECT_FALSE(throttled("soon").retryAfterMs(kDate));
  EXPECT_FALSE(throttled("-5").retryAfterMs(kDate));
  EXPECT_FALSE(throttled("Sun, 06 Nov 1994 08:49:37 GMT and more").retryAfterMs(kDate));
  EXPECT_FALSE(HttpResponse{}.retryAfterMs(kDate));
}

TEST(MisRestRetry, AnHttpDateRetryAfterIsWaitedOutInsteadOfTheBackoff) {
  std::mt19937_64 random(1);
  // The API asked for 3.5 s: the pull waits 3.5 s, not a few ms of backoff.
  EXPECT_EQ(retryWaitMs(throttled("Sun, 06 Nov 1994 08:49:37 GMT"), 1, 5, random, kDate - 3500ms),
            3500);
  // At most a minute, whatever the API asks.
  EXPECT_EQ(retryWaitMs(throttled("Sun, 06 Nov 1994 08:49:37 GMT"), 1, 5, random, kDate - 2h),
            kMaxRetryAfterMs);
  EXPECT_EQ(retryWaitMs(throttled("99999999999"), 1, 5, random, kDate), kMaxRetryAfterMs);
  // Without Retry-After: backoff from the base (5 ms doubling, full jitter).
  HttpResponse unavailable;
  unavailable.status = 503;
  auto wait = retryWaitMs(unavailable, 2, 5, random, kDate);
  EXPECT_GE(wait, 0);
  EXPECT_LE(wait, 10);
}
