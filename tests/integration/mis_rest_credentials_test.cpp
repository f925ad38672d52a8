// The MIS REST source with the sinks' credentials (connectors/common/credentials.h): OAuth2
// client credentials and a client certificate for mutual TLS, against the sandbox MIS over real
// TLS into a real SQLite store; refused credentials are not retried and say what to fix.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "connectors/inbound/mis_rest/mis_rest_connector.h"
#include "core/app/store_receiver.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

nlohmann::json mark(const std::string& upn, const std::string& session, const std::string& code,
                    const std::string& updated) {
  return {{"id", upn + session},
          {"student", {{"upn", upn}, {"mis_id", "1001"}, {"forename", "Ann"}, {"surname", "Lee"}}},
          {"date", {{"date", "2024-09-03 00:00:00.000000"}}},
          {"session", session},
          {"attendance_code", {{"code", code}}},
          {"updated_at", {{"date", updated + ".000000"}}}};
}

struct MisRestCredentials : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server;
  std::unique_ptr<Store> store = openSqliteStore((dir / "register.db").string());
  SchoolCalendar calendar = test::autumnCalendar();
  std::vector<Problem> problems;

  void start(const std::function<void(sandbox::SandboxOptions&)>& tune = {}) {
    server = test::startSandbox("server", tune);
    server->setMisAttendance({mark("B801200005001", "AM", "/", "2024-09-03 09:10:00"),
                              mark("B801200005001", "PM", "N", "2024-09-03 13:40:00")},
                             1);
    ::setenv("MB_T_MIS_TOKEN", "mis-sandbox-token", 1);
    ::setenv("MB_T_MIS_SECRET", "oauth-sandbox-secret", 1);
    ::setenv("MB_T_MIS_PASS", "dev-passphrase", 1);
  }
  nlohmann::json oauth2(const std::string& clientAuth = "client_secret_basic") {
    return {{"type", "oauth2"},
            {"token_url", server->baseUrl() + "/oauth/token"},
            {"client_id", "markbridge"},
            {"client_secret_env", "MB_T_MIS_SECRET"},
            {"client_auth", clientAuth}};
  }
  std::unique_ptr<InboundConnector> connector(const nlohmann::json& extra) {
    nlohmann::json config = {{"name", "arbor"},
                             {"type", "mis_rest"},
                             {"base_url", server->baseUrl()},
                             {"school_id", "A1930499544"},
                             {"ca_file", test::certsDir() + "/ca.pem"},
                             {"retry_base_ms", 5},
                             {"max_attempts", 3}};
    config.update(extra);
    problems.clear();
    return buildMisRestConnector(config, "$.sources[0]", dir.path(), {"c.json", &problems});
  }
  std::vector<ImportResult> pull(InboundConnector& source) {
    std::vector<ImportResult> results;
    StoreReceiver receiver(*store, calendar, 100,
                           [&](ImportResult&& r) { results.push_back(std::move(r)); });
    source.pull(receiver);
    return results;
  }
};

}  // namespace

TEST_F(MisRestCredentials, OAuth2ClientCredentialsFetchATokenKeepItAndRefreshItOnceOn401) {
  start();
  for (const char* clientAuth : {"client_secret_basic", "client_secret_post"}) {
    auto arbor = connector({{"auth", oauth2(clientAuth)}});
    ASSERT_TRUE(arbor) << problems.front().str();
    int issuedBefore = server->tokensIssued();
    auto pulled = pull(*arbor);
    ASSERT_EQ(pulled.size(), 1u);
    ASSERT_TRUE(pulled[0].problems.empty()) << clientAuth << ": " << pulled[0].problems[0].str();
    EXPECT_EQ(server->misRequests() > 0, true);
    // Two pages, one token: it is kept between requests.
    EXPECT_EQ(server->tokensIssued(), issuedBefore + 1) << clientAuth;
  }
  // The authorisation server revokes every token early: the next pull's 401 fetches a new one
  // and the pull goes on, with no retry spent.
  auto arbor = connector({{"auth", oauth2()}});
  ASSERT_TRUE(arbor);
  ASSERT_TRUE(pull(*arbor)[0].problems.empty());
  int issued = server->tokensIssued();
  server->revokeTokens();
  server->setMisAttendance({mark("B801200005001", "PM", "I", "2024-09-05 10:00:00")}, 1);
  auto again = pull(*arbor);
  ASSERT_TRUE(again[0].problems.empty()) << again[0].problems[0].str();
  EXPECT_EQ(again[0].outcome.marks_amended, 1);
  EXPECT_EQ(server->tokensIssued(), issued + 1);
  EXPECT_EQ(arbor->counters().retries, 0);
  EXPECT_EQ(arbor->credentialsRefused(), 0);
}

TEST_F(MisRestCredentials, AWrongClientSecretIsRefusedOnceNamingWhatToCheck) {
  start();
  ::setenv("MB_T_MIS_SECRET", "not-the-secret", 1);
  auto arbor = connector({{"auth", oauth2()}});
  ASSERT_TRUE(arbor) << problems.front().str();
  auto refused = pull(*arbor);
  ASSERT_EQ(refused[0].problems.size(), 1u);
  const auto& message = refused[0].problems[0].message;
  EXPECT_NE(message.find("OAuth2 token refused by " + server->baseUrl() + "/oauth/token: HTTP 401"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("check client_id, the client secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-the-secret"), std::string::npos);  // never the secret
  EXPECT_EQ(arbor->counters().retries, 0);  // the same secret gets the same answer
  EXPECT_EQ(arbor->credentialsRefused(), 1);
  EXPECT_EQ(server->misRequests(), 0);
  EXPECT_FALSE(store->sourceState("arbor", "updated_after"));
}

TEST_F(MisRestCredentials, MutualTlsSendsTheClientCertificateItsKeyUnderAPassphrase) {
  start([](sandbox::SandboxOptions& o) {
    o.require_client_cert = true;
    o.ca_file = test::certsDir() + "/ca.pem";
  });
  auto certs = test::certsDir();
  auto arbor = connector({{"token_env", "MB_T_MIS_TOKEN"},
                          {"client_cert", certs + "/client.pem"},
                          {"client_key", certs + "/client-encrypted.key"},
                          {"client_key_passphrase_env", "MB_T_MIS_PASS"}});
  ASSERT_TRUE(arbor) << problems.front().str();
  auto pulled = pull(*arbor);
  ASSERT_TRUE(pulled[0].problems.empty()) << pulled[0].problems[0].str();
  EXPECT_EQ(pulled[0].outcome.marks_added, 2);

  // With OAuth2 as well: the token endpoint sits behind the same mutual TLS.
  auto both = connector({{"auth", oauth2()},
                         {"client_cert", certs + "/client.pem"},
                         {"client_key", certs + "/client.key"}});
  ASSERT_TRUE(both) << problems.front().str();
  EXPECT_TRUE(pull(*both)[0].problems.empty());

  // No certificate, or one from another authority: refused at once, saying what to fix.
  for (const char* bad : {"", "wrong-client"}) {
    nlohmann::json extra = {{"token_env", "MB_T_MIS_TOKEN"}};
    if (*bad) {
      extra["client_cert"] = certs + "/" + bad + ".pem";
      extra["client_key"] = certs + "/" + bad + ".key";
    }
    auto refusedSource = connector(extra);
    ASSERT_TRUE(refusedSource) << problems.front().str();
    auto refused = pull(*refusedSource);
    ASSERT_EQ(refused[0].problems.size(), 1u) << bad;
    const auto& message = refused[0].problems[0].message;
    EXPECT_NE(message.find("TLS: the server refused our client certificate"), std::string::npos)
        << bad << ": " << message;
    EXPECT_NE(message.find("check client_cert and client_key"), std::string::npos) << message;
    EXPECT_EQ(refusedSource->counters().retries, 0) << bad;
    EXPECT_EQ(refusedSource->credentialsRefused(), 1) << bad;
  }
}

TEST_F(MisRestCredentials, TheSinksKeyNamesAreCheckedTheSameWay) {
  start();
  auto certs = test::certsDir();
  EXPECT_FALSE(connector({{"token_env", "MB_T_MIS_TOKEN"}, {"auth", oauth2()}}));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].location, "$.sources[0].auth");
  EXPECT_FALSE(connector({{"auth", {{"type", "oauth2"}, {"token_url", "http://x/token"}}}}));
  bool namesTokenUrl = false;
  for (const auto& p : problems) namesTokenUrl |= p.location == "$.sources[0].auth.token_url";
  EXPECT_TRUE(namesTokenUrl);
  EXPECT_FALSE(
      connector({{"token_env", "MB_T_MIS_TOKEN"}, {"client_cert", certs + "/client.pem"}}));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].location, "$.sources[0].client_key");
  ::setenv("MB_T_MIS_PASS", "not-it", 1);
  EXPECT_FALSE(connector({{"token_env", "MB_T_MIS_TOKEN"},
                          {"client_cert", certs + "/client.pem"},
                          {"client_key", certs + "/client-encrypted.key"},
                          {"client_key_passphrase_env", "MB_T_MIS_PASS"}}));
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].str().find("client-encrypted.key"), std::string::npos) << problems[0].str();
}

TEST_F(MisRestCredentials, TheDocsExampleWithOAuth2AndAClientCertificateWorksAsShown) {
  start([](sandbox::SandboxOptions& o) {
    o.require_client_cert = true;
    o.ca_file = test::certsDir() + "/ca.pem";
  });
  auto source = test::docExample(
      "### Credentials: bearer token, OAuth2 client credentials, client certificates");
  ASSERT_TRUE(source.is_object()) << "no ```json example under the credentials heading";
  // Pointed at the sandbox and the development certificates; every other key as documented.
  auto certs = test::certsDir();
  auto secret = dir.write("mis-client-secret", "oauth-sandbox-secret\n");
  std::filesystem::permissions(
      secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  source["base_url"] = server->baseUrl();
  source["ca_file"] = certs + "/ca.pem";
  source["auth"]["token_url"] = server->baseUrl() + "/oauth/token";
  source["auth"]["client_id"] = "markbridge";
  source["auth"]["client_secret_file"] = secret.string();
  source["client_cert"] = certs + "/client.pem";
  source["client_key"] = certs + "/client-encrypted.key";
  ::setenv(source.value("client_key_passphrase_env", "").c_str(), "dev-passphrase", 1);
  server->setMisAttendance(
      {{{"id", "A1"},
        {"student",
         {{"data",
           {{"id", "S1"},
            {"mis_id", "1001"},
            {"forename", "Ann"},
            {"surname", "Lee"},
            {"education_details", {{"data", {{"id", "E1"}, {"upn", "B801200005001"}}}}}}}}},
        {"session", "AM"},
        {"date", {{"date", "2024-09-03 00:00:00.000000"}}},
        {"attendance_code", {{"data", {{"id", "C1"}, {"code", "/"}}}}},
        {"updated_at", {{"date", "2024-09-03 09:10:00.000000"}}}}},
      2);
  problems.clear();
  auto arbor = buildMisRestConnector(source, "$.sources[0]", dir.path(), {"c.json", &problems});
  ASSERT_TRUE(arbor) << problems.front().str();
  auto pulled = pull(*arbor);
  ASSERT_TRUE(pulled[0].problems.empty()) << pulled[0].problems[0].str();
  EXPECT_EQ(pulled[0].outcome.marks_added, 1);
  EXPECT_EQ(server->tokensIssued(), 1);
}
