// The decisions the HTTPS sinks make without a network: how long an OAuth2 token lives (and
// when to fetch the next), what a TLS-terminating proxy's refusal page means, and how a
// server's error answer is put in one line.

#include "connectors/outbound/common/sink_connection.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace markbridge;
using std::chrono::seconds;

namespace {

const char* kNginxNoCertificate = R"(<html>
<head><title>400 No required SSL certificate was sent</title></head>
<body>
<center><h1>400 Bad Request</h1></center>
<center>No required SSL certificate was sent</center>
<hr><center>nginx/1.22.1</center>
</body>
</html>
)";

const char* kNginxCertificateError = R"(<html>
<head><title>400 The SSL certificate error</title></head>
<body>
<center><h1>400 Bad Request</h1></center>
<center>The SSL certificate error</center>
<hr><center>nginx/1.22.1</center>
</body>
</html>
)";

HttpResponse answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST(TokenLifetime, ANumberOrAStringOfDigitsIsALifetime) {
  EXPECT_EQ(tokenLifetime({{"expires_in", 3599}}), seconds(3599));
  EXPECT_EQ(tokenLifetime({{"expires_in", "3599"}}), seconds(3599));
  EXPECT_EQ(tokenLifetime({{"expires_in", 3599.7}}), seconds(3599));
  EXPECT_EQ(tokenLifetime({{"expires_in", 0}}), seconds(0));
}

TEST(TokenLifetime, AnythingElseIsNoLifetime) {
  for (auto bad : {nlohmann::json("soon"), nlohmann::json(""), nlohmann::json("36OO"),
                   nlohmann::json("3599 "), nlohmann::json(-5), nlohmann::json(nullptr),
                   nlohmann::json::array({3600}), nlohmann::json(true)})
    EXPECT_EQ(tokenLifetime({{"expires_in", bad}}), std::nullopt) << bad.dump();
  EXPECT_EQ(tokenLifetime({{"access_token", "t"}}), std::nullopt);
  EXPECT_EQ(tokenLifetime(nlohmann::json::array()), std::nullopt);
}

TEST(TokenLifetime, ATokenIsFetchedAgainAMinuteEarlyOrHalfwayThroughAShortLife) {
  EXPECT_EQ(tokenRefreshAfter(seconds(3600)), seconds(3540));
  EXPECT_EQ(tokenRefreshAfter(seconds(120)), seconds(60));
  EXPECT_EQ(tokenRefreshAfter(seconds(30)), seconds(15));  // not at once: not per request
  EXPECT_EQ(tokenRefreshAfter(seconds(0)), seconds(0));
}

TEST(ProxyRefusal, NginxClientCertificatePagesAreRefusalsOfOurCertificate) {
  EXPECT_EQ(clientCertificateRefusal(400, kNginxNoCertificate),
            "HTTP 400: No required SSL certificate was sent");
  EXPECT_EQ(clientCertificateRefusal(400, kNginxCertificateError),
            "HTTP 400: The SSL certificate error");
  EXPECT_EQ(clientCertificateRefusal(495, ""),
            "HTTP 495: the client certificate failed verification");
  EXPECT_EQ(clientCertificateRefusal(496, "<html>...</html>"),
            "HTTP 496: no client certificate was sent");
  EXPECT_EQ(clientCertificateRefusal(400, R"({"error": "pupil.dob is required"})"), std::nullopt);
  EXPECT_EQ(clientCertificateRefusal(403, kNginxCertificateError), std::nullopt);
}

TEST(ProxyRefusal, PausesTheSinkWithOnePlainLineInsteadOfDeadLettering) {
  for (auto [status, page] : {std::pair{400, kNginxNoCertificate},
                              {400, kNginxCertificateError},
                              {495, kNginxCertificateError},
                              {496, kNginxNoCertificate}}) {
    auto result = deliveryResult("la", answer(status, page), "");
    EXPECT_EQ(result.outcome, DeliveryResult::Outcome::Retry) << status;
    EXPECT_TRUE(result.sink_unavailable);
    EXPECT_EQ(result.reason.rfind("sink la: TLS: the server refused our client certificate", 0), 0u)
        << result.reason;
    EXPECT_EQ(result.reason.find('<'), std::string::npos) << result.reason;
    EXPECT_EQ(result.reason.find('\n'), std::string::npos) << result.reason;
  }
  // Any other 400 is still the destination refusing the content: dead-lettered.
  auto content = deliveryResult("la", answer(400, R"({"error": "pupil.dob is required"})"), "");
  EXPECT_EQ(content.outcome, DeliveryResult::Outcome::Reject);
  // The refusal's words (which may quote the pupil) are kept apart from the reason a log gets.
  EXPECT_EQ(content.reason, "sink la: HTTP 400");
  EXPECT_EQ(content.answer, "pupil.dob is required");
  EXPECT_EQ(content.described(), "sink la: HTTP 400: pupil.dob is required");
  // An answer about the connection says no record's words: it stays in the reason.
  auto down = deliveryResult("la", answer(503, "<title>Portal closed for upgrade</title>"), "");
  EXPECT_EQ(down.reason, "sink la: HTTP 503: Portal closed for upgrade");
  EXPECT_TRUE(down.answer.empty());
}

TEST(AnswerExcerpt, AnHtmlPageIsItsTitleAndTextIsOneLine) {
  EXPECT_EQ(answerExcerpt("<html><head><title>502 Bad Gateway</title></head><body>x</body>"),
            "502 Bad Gateway");
  EXPECT_EQ(answerExcerpt(R"({"error": "invalid_client", "error_description": "bad secret"})"),
            "bad secret");
  EXPECT_EQ(answerExcerpt("line one\r\nline two\n\x1b[31mred"), "line one line two [31mred");
  EXPECT_EQ(answerExcerpt(std::string(500, 'x')).size(), 200u);
  auto result = deliveryResult(
      "la", answer(502, "<html><head><title>502 Bad Gateway</title></head></html>"), "");
  EXPECT_EQ(result.reason, "sink la: HTTP 502: 502 Bad Gateway");
}
