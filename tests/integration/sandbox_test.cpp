// The sandbox speaks the protocols the tests and the demo rely on: auth, idempotency, faults.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/common/https_client.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct SandboxFixture : ::testing::Test {
  std::unique_ptr<sandbox::SandboxServer> server;
  std::unique_ptr<HttpsClient> client;

  void SetUp() override {
    server = test::startSandbox();
    client = std::make_unique<HttpsClient>(
        server->baseUrl(), TlsSettings{test::certsDir() + "/ca.pem", "", "", ""}, 2000);
  }

  HttpResponse post(const std::string& path, const nlohmann::json& body,
                    std::map<std::string, std::string> headers) {
    HttpRequest request;
    request.path = path;
    request.headers = std::move(headers);
    request.body = body.dump();
    return client->send(request);
  }
};

const nlohmann::json kIncident = {
    {"student", {{"upn", "B801200005001"}}}, {"categories", {"Attendance"}}, {"body", "10 days"}};

}  // namespace

TEST_F(SandboxFixture, CpomsIncidentsNeedTheApiKeyAndAreCreatedOncePerIdempotencyKey) {
  auto denied =
      post("/api/v1/incidents", kIncident, {{"X-API-Key", "wrong"}, {"Idempotency-Key", "k1"}});
  EXPECT_EQ(denied.status, 401);
  auto created = post("/api/v1/incidents", kIncident,
                      {{"X-API-Key", "cpoms-sandbox-key"}, {"Idempotency-Key", "k1"}});
  ASSERT_EQ(created.status, 201) << created.body;
  int id = nlohmann::json::parse(created.body)["id"];
  auto again = post("/api/v1/incidents", kIncident,
                    {{"X-API-Key", "cpoms-sandbox-key"}, {"Idempotency-Key", "k1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(nlohmann::json::parse(again.body)["id"], id);
  auto task = post("/api/v1/incidents/" + std::to_string(id) + "/actions",
                   {{"assignee_role", "attendance officer"}, {"text", "call home"}},
                   {{"X-API-Key", "cpoms-sandbox-key"}, {"Idempotency-Key", "k2"}});
  EXPECT_EQ(task.status, 201);
  auto received = server->received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].kind, "incident");
  EXPECT_EQ(received[1].kind, "action");
  EXPECT_EQ(server->duplicates(), 1);
}

TEST_F(SandboxFixture, NotificationsWithoutAnIdempotencyKeyOrPupilAreRefused) {
  auto noKey = post("/api/v1/notifications", {{"type", "update"}, {"pupil", {{"upn", "x"}}}},
                    {{"Authorization", "Bearer la-sandbox-token"}});
  EXPECT_EQ(noKey.status, 400);
  auto noPupil = post("/api/v1/notifications", {{"type", "update"}},
                      {{"Authorization", "Bearer la-sandbox-token"}, {"Idempotency-Key", "k"}});
  EXPECT_EQ(noPupil.status, 422);
  EXPECT_TRUE(server->received().empty());
}

TEST_F(SandboxFixture, FaultsAreSetOverHttpAndUsedUp) {
  auto set = post("/_sandbox/faults", {{"fail", 1}, {"status", 429}}, {});
  ASSERT_EQ(set.status, 200);
  auto body = nlohmann::json{{"type", "update"}, {"pupil", {{"upn", "x"}}}};
  std::map<std::string, std::string> auth = {{"Authorization", "Bearer la-sandbox-token"},
                                             {"Idempotency-Key", "k"}};
  EXPECT_EQ(post("/api/v1/notifications", body, auth).status, 429);
  EXPECT_EQ(post("/api/v1/notifications", body, auth).status, 202);
  HttpRequest list;
  list.method = "GET";
  list.path = "/_sandbox/received";
  auto listed = nlohmann::json::parse(client->send(list).body);
  EXPECT_EQ(listed["received"].size(), 1u);
  EXPECT_EQ(listed["requests"], 2);
}

// The sandbox LA portal takes the portal's notification types, with OTW's
// ehcp_attendance_concern (only for a pupil with an EHC plan), and refuses any other type.
TEST_F(SandboxFixture, TheLaPortalTakesEhcpAttendanceConcernsForPupilsWithAPlanOnly) {
  std::map<std::string, std::string> auth = {{"Authorization", "Bearer la-sandbox-token"}};
  auto send = [&](const nlohmann::json& body, const char* key) {
    auto headers = auth;
    headers["Idempotency-Key"] = key;
    return post("/api/v1/notifications", body, headers);
  };
  auto ehcp =
      send({{"type", "ehcp_attendance_concern"}, {"pupil", {{"upn", "x"}, {"ehcp", true}}}}, "k1");
  EXPECT_EQ(ehcp.status, 202) << ehcp.body;
  auto noPlan =
      send({{"type", "ehcp_attendance_concern"}, {"pupil", {{"upn", "y"}, {"ehcp", false}}}}, "k2");
  EXPECT_EQ(noPlan.status, 422);
  auto unknown = send({{"type", "falling_attendance"}, {"pupil", {{"upn", "z"}}}}, "k3");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(server->received().size(), 1u);
}
