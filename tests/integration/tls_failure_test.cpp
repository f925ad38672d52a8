// TLS failures are told apart by OpenSSL's codes and Poco's exception types, not by the words
// of a message: real handshakes with the sandbox serving an untrusted, an expired and a
// wrongly-named certificate, and asking for a client certificate we do not send.

#include <gtest/gtest.h>

#include "connectors/common/http_policy.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

HttpResponse get(const sandbox::SandboxServer& server, TlsSettings tls = {}) {
  if (tls.ca_file.empty()) tls.ca_file = test::certsDir() + "/ca.pem";
  HttpsClient client(server.baseUrl(), tls, 5000);
  return client.send(HttpRequest{"GET", "/_sandbox/received", {}, "", std::nullopt});
}

}  // namespace

TEST(TlsFailureKinds, EachServerCertificateProblemIsItsOwnKind) {
  struct Case {
    const char* cert;
    TlsFailure kind;
    const char* says;
  } cases[] = {
      {"untrusted-server", TlsFailure::CertificateNotTrusted, "does not verify against ca_file"},
      {"expired-server", TlsFailure::CertificateExpired, "has expired"},
      {"other-host-server", TlsFailure::HostnameMismatch, "does not name the host"},
  };
  for (const auto& c : cases) {
    auto server = test::startSandbox(c.cert);
    auto response = get(*server);
    EXPECT_EQ(response.status, 0) << c.cert;
    EXPECT_EQ(response.tls_failure, c.kind) << c.cert << ": " << response.transport_error;
    EXPECT_TRUE(response.refused_us) << c.cert;
    EXPECT_EQ(classifyAnswer(response).kind, AnswerKind::TlsFailure) << c.cert;
    EXPECT_EQ(response.transport_error.rfind("TLS: the server's certificate ", 0), 0u)
        << response.transport_error;
    EXPECT_NE(response.transport_error.find(c.says), std::string::npos) << response.transport_error;
    EXPECT_EQ(server->requests(), 0) << c.cert;  // nothing got past the handshake
  }
}

TEST(TlsFailureKinds, AMissingOrUntrustedClientCertificateIsRefusedByTheServer) {
  auto server = test::startSandbox("server", [](sandbox::SandboxOptions& o) {
    o.require_client_cert = true;
    o.ca_file = test::certsDir() + "/ca.pem";
  });
  auto certs = test::certsDir();
  for (const char* bad : {"", "wrong-client", "expired-client"}) {
    TlsSettings tls;
    if (*bad) tls = {"", certs + "/" + bad + ".pem", certs + "/" + bad + ".key", ""};
    auto response = get(*server, tls);
    EXPECT_EQ(response.tls_failure, TlsFailure::ClientCertificateRefused)
        << bad << ": " << response.transport_error;
    EXPECT_TRUE(response.refused_us) << bad;
  }
  auto ok = get(*server, {"", certs + "/client.pem", certs + "/client.key", ""});
  EXPECT_EQ(ok.status, 200) << ok.transport_error;
  EXPECT_EQ(ok.tls_failure, TlsFailure::None);
}
