// The one classification both directions share (connectors/common/http_policy.h): what each
// answer means, how text is encoded into URLs and forms, and the backoff's bounds.

#include "connectors/common/http_policy.h"

#include <gtest/gtest.h>

using namespace markbridge;

namespace {

HttpResponse answer(int status, const std::string& body = "", const std::string& retryAfter = "") {
  HttpResponse response;
  response.status = status;
  response.body = body;
  if (!retryAfter.empty()) response.headers["retry-after"] = retryAfter;
  return response;
}

}  // namespace

TEST(HttpPolicy, EncodingKeepsOnlyUnreservedCharactersInValues) {
  EXPECT_EQ(urlEncode("2024-09-03 09:10:00"), "2024-09-03%2009%3A10%3A00");
  EXPECT_EQ(urlEncode("a+b&c=d/e~f_g.h"), "a%2Bb%26c%3Dd%2Fe~f_g.h");
  EXPECT_EQ(urlEncode("Zoë"), "Zo%C3%AB");
  EXPECT_EQ(formEncode({{"grant_type", "client_credentials"}, {"scope", "read write"}}),
            "grant_type=client_credentials&scope=read%20write");
  // A rendered webhook path keeps its shape; what cannot stand in a URL is encoded.
  EXPECT_EQ(pathEncode("/hooks/a b?ref=x&y=\"1\"#z"), "/hooks/a%20b?ref=x&y=%221%22%23z");
}

TEST(HttpPolicy, EachAnswerHasOneMeaningForBothDirections) {
  EXPECT_EQ(classifyAnswer(answer(200)).kind, AnswerKind::Ok);
  EXPECT_EQ(classifyAnswer(answer(204)).kind, AnswerKind::Ok);
  for (int status : {408, 500, 502, 503, 504})
    EXPECT_EQ(classifyAnswer(answer(status)).kind, AnswerKind::Retryable) << status;
  EXPECT_EQ(classifyAnswer(answer(429)).kind, AnswerKind::RateLimited);
  for (int status : {401, 403})
    EXPECT_EQ(classifyAnswer(answer(status)).kind, AnswerKind::CredentialsRefused) << status;
  for (int status : {400, 404, 409, 422, 501})
    EXPECT_EQ(classifyAnswer(answer(status)).kind, AnswerKind::Refused) << status;
  // nginx refusing our client certificate after the handshake is a TLS failure, not a 400.
  auto page =
      classifyAnswer(answer(400, "<title>400 No required SSL certificate was sent</title>"));
  EXPECT_EQ(page.kind, AnswerKind::TlsFailure);
  EXPECT_EQ(page.tls, TlsFailure::ClientCertificateRefused);
  EXPECT_TRUE(page.needsAPerson());
  EXPECT_EQ(classifyAnswer(answer(496)).tls, TlsFailure::ClientCertificateRefused);
}

TEST(HttpPolicy, RetryAfterComesWithRateLimitsAndOutagesOnly) {
  auto now = std::chrono::system_clock::from_time_t(784111777);
  auto throttled = classifyAnswer(answer(429, "", "7"), now);
  EXPECT_TRUE(throttled.retryable());
  EXPECT_EQ(throttled.retry_after_ms, 7000);
  EXPECT_EQ(classifyAnswer(answer(503, "", "Sun, 06 Nov 1994 08:49:40 GMT"), now).retry_after_ms,
            3000);
  EXPECT_FALSE(classifyAnswer(answer(401, "", "7"), now).retry_after_ms);
  EXPECT_FALSE(classifyAnswer(answer(404, "", "7"), now).retryable());
}

TEST(HttpPolicy, TransportFailuresAreRetriedButRefusedCertificatesAndClientsAreNot) {
  HttpResponse dropped;
  dropped.transport_error = "Connection reset by peer";
  EXPECT_EQ(classifyAnswer(dropped).kind, AnswerKind::Retryable);
  HttpResponse handshake;
  handshake.tls_failure = TlsFailure::HandshakeFailure;  // e.g. a plain-HTTP port
  EXPECT_EQ(classifyAnswer(handshake).kind, AnswerKind::Retryable);
  for (auto kind : {TlsFailure::CertificateNotTrusted, TlsFailure::HostnameMismatch,
                    TlsFailure::CertificateExpired, TlsFailure::ClientCertificateRefused}) {
    HttpResponse tls;
    tls.tls_failure = kind;
    tls.refused_us = true;
    auto c = classifyAnswer(tls);
    EXPECT_EQ(c.kind, AnswerKind::TlsFailure);
    EXPECT_EQ(c.tls, kind);
    EXPECT_FALSE(c.retryable());
  }
  HttpResponse tokenRefused;  // the OAuth2 token endpoint said no
  tokenRefused.refused_us = true;
  EXPECT_EQ(classifyAnswer(tokenRefused).kind, AnswerKind::CredentialsRefused);
}

TEST(HttpPolicy, BackoffIsFullJitterUnderADoublingCap) {
  std::mt19937_64 random(42);
  int64_t highest = 0;
  for (int i = 0; i < 2000; ++i) {
    auto wait = backoffMs(3, 100, random);  // cap 400
    ASSERT_GE(wait, 0);
    ASSERT_LE(wait, 400);
    highest = std::max(highest, wait);
  }
  EXPECT_GT(highest, 300);  // spread over the whole range, not bunched at the start
  for (int i = 0; i < 100; ++i) ASSERT_LE(backoffMs(40, 100, random), 100 << 10);
}
