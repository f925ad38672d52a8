// OAuth2 client credentials against token endpoints as real servers behave: a lifetime sent as
// text, HTTP Basic client authentication only (RFC 6749 2.3.1) or the form only, an endpoint
// that is down (an outage, retried: not a wrong secret), and a lifetime shorter than the
// refresh margin. First the sandbox's token endpoint, then a real npm OAuth2 server nobody
// here wrote (oauth2-mock-server, tests/peers), started on a free port and stopped after.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/integration/peer_process.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct OAuth2 : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  std::unique_ptr<sandbox::SandboxServer> server;
  std::unique_ptr<Sink> sink;
  std::vector<Problem> problems;
  SystemClock clock;
  SystemRandom random;
  std::map<std::string, CircuitBreaker> circuits;
  std::vector<SinkRoute> routes = {{"cpoms", {"concern"}}};

  void start(const std::function<void(sandbox::SandboxOptions&)>& tune = {}) {
    server = test::startSandbox("server", tune);
  }
  // A CPOMS sink whose token comes from `tokenUrl` (the sandbox's own by default).
  bool build(nlohmann::json auth = nlohmann::json::object(), std::string tokenUrl = "") {
    ::setenv("MB_T_OAUTH", "oauth-sandbox-secret", 1);
    nlohmann::json a = {
        {"type", "oauth2"},
        {"token_url", tokenUrl.empty() ? server->baseUrl() + "/oauth/token" : tokenUrl},
        {"client_id", "markbridge"},
        {"client_secret_env", "MB_T_OAUTH"}};
    a.merge_patch(auth);
    nlohmann::json config = {{"name", "cpoms"},
                             {"type", "cpoms"},
                             {"base_url", server->baseUrl()},
                             {"ca_file", test::certsDir() + "/ca.pem"},
                             {"events", {"concern"}},
                             {"auth", a}};
    problems.clear();
    sink = findOutboundType("cpoms")->build(config, "$.sinks[0]", dir.path(),
                                            School{"140000", "801", "4000", "Demo"},
                                            ConfigContext{"markbridge.json", &problems});
    return sink != nullptr;
  }
  void queue(int n) {
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) {
      Event e;
      e.rule = "test.concern";
      e.type = "concern";
      e.pupil.upn = "B801200005001";
      e.episode = "2024-09-" + std::to_string(10 + i);
      e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
      e.from = e.to = e.occurred_on = test::d(e.episode.c_str());
      e.summary = "concern " + std::to_string(i);
      events.push_back(e);
    }
    store->commitEvaluation({"B801200005001"}, events, routes, clock.nowMs());
  }
  DeliveryReport deliver(int64_t budgetMs = 5000) {
    DeliveryOptions options;
    options.backoff = BackoffPolicy{20, 200};
    options.run_budget_ms = budgetMs;
    DeliveryWorker worker(*store, {{sink->name(), sink.get()}}, clock, random, options, circuits);
    return worker.run();
  }
  std::vector<OutboxItem> pending() { return store->outbox(OutboxState::Pending, 100); }
  int incidents() {
    int n = 0;
    for (const auto& r : server->received()) n += r.kind == "incident";
    return n;
  }
};

}  // namespace

TEST_F(OAuth2, ALifetimeSentAsTextIsALifetimeAndTheSyncGoesOn) {
  start([](sandbox::SandboxOptions& o) { o.oauth_expires_in_as_text = true; });
  ASSERT_TRUE(build());
  queue(3);
  DeliveryReport report;
  ASSERT_NO_THROW(report = deliver());
  EXPECT_EQ(report.delivered, 3);
  EXPECT_EQ(server->tokensIssued(), 1);  // "3600" kept the token for all three
}

TEST_F(OAuth2, ALifetimeUnderTheRefreshMarginIsNotATokenPerRequest) {
  start([](sandbox::SandboxOptions& o) { o.oauth_expires_in = 30; });  // margin is 60 s
  ASSERT_TRUE(build());
  queue(4);
  EXPECT_EQ(deliver().delivered, 4);
  EXPECT_EQ(server->tokensIssued(), 1);
}

TEST_F(OAuth2, ClientSecretBasicIsTheDefaultAndWorksWithABasicOnlyServer) {
  start([](sandbox::SandboxOptions& o) { o.oauth_client_auth = "basic"; });
  ASSERT_TRUE(build()) << problems.front().str();
  queue(1);
  EXPECT_EQ(deliver().delivered, 1) << (pending().empty() ? "" : pending()[0].last_error);
  EXPECT_EQ(incidents(), 1);
}

TEST_F(OAuth2, ClientSecretPostIsChosenInTheConfigForAFormOnlyServer) {
  start([](sandbox::SandboxOptions& o) { o.oauth_client_auth = "post"; });
  ASSERT_TRUE(build());  // the default, HTTP Basic: this server refuses it
  queue(1);
  EXPECT_EQ(deliver(300).delivered, 0);
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].attempts, 0);  // refused credentials pause the sink: no attempt spent
  EXPECT_NE(waiting[0].last_error.find("HTTP 401 client authentication failed (check client_id, "
                                       "the client secret and client_auth)"),
            std::string::npos)
      << waiting[0].last_error;
  circuits.clear();
  ASSERT_TRUE(build({{"client_auth", "client_secret_post"}}));
  store->recordRetry(waiting[0].seq, 0, clock.nowMs(), "");
  EXPECT_EQ(deliver().delivered, 1);
}

TEST_F(OAuth2, ClientSecretBasicChosenInTheConfigIsWhatABasicOnlyServerGets) {
  start([](sandbox::SandboxOptions& o) { o.oauth_client_auth = "basic"; });
  ASSERT_TRUE(build({{"client_auth", "client_secret_basic"}}));  // said in the config
  queue(1);
  EXPECT_EQ(deliver().delivered, 1) << (pending().empty() ? "" : pending()[0].last_error);
  EXPECT_EQ(server->tokensIssued(), 1);
  // The choice is what is sent: client_secret_post to the same Basic-only server is refused.
  circuits.clear();
  ASSERT_TRUE(build({{"client_auth", "client_secret_post"}}));
  queue(2);
  EXPECT_EQ(deliver(300).delivered, 0);
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_NE(waiting[0].last_error.find("HTTP 401 client authentication failed"), std::string::npos)
      << waiting[0].last_error;
  EXPECT_EQ(server->tokensIssued(), 1);
}

TEST_F(OAuth2, AnUnknownClientAuthIsAConfigurationProblemNamingIt) {
  start();
  EXPECT_FALSE(build({{"client_auth", "private_key_jwt"}}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.sinks[0].auth.client_auth");
  EXPECT_NE(problems[0].str().find("client_secret_basic or client_secret_post"), std::string::npos)
      << problems[0].str();
}

TEST_F(OAuth2, ATokenEndpointAnswering5xxIsAnOutageRetriedNotWrongCredentials) {
  start();
  ASSERT_TRUE(build());
  queue(1);
  sandbox::Faults down;
  down.fail = 2;  // the first two token requests get 503
  down.status = 503;
  server->setFaults(down);
  std::vector<std::string> reasons;
  DeliveryOptions options;
  options.backoff = BackoffPolicy{20, 200};
  options.run_budget_ms = 5000;
  DeliveryWorker worker(*store, {{"cpoms", sink.get()}}, clock, random, options, circuits);
  worker.on_attempt = [&](const OutboxItem&, const DeliveryResult& r) {
    if (r.outcome == DeliveryResult::Outcome::Retry) {
      reasons.push_back(r.reason);
      EXPECT_FALSE(r.sink_unavailable) << r.reason;  // not paused as if the secret were wrong
    }
  };
  auto report = worker.run();
  EXPECT_EQ(report.delivered, 1);  // retried with backoff within the sync, then delivered
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_NE(reasons[0].find("OAuth2 token endpoint " + server->baseUrl() +
                            "/oauth/token: HTTP 503 sandbox told to fail (an outage there; "
                            "retried)"),
            std::string::npos)
      << reasons[0];
  EXPECT_EQ(reasons[0].find("check client_id"), std::string::npos);
  EXPECT_EQ(server->tokensIssued(), 1);
}

// ---- A real OAuth2 server from npm ----------------------------------------------------------

namespace {

struct RealOAuth2Server {
  test::TempDir dir;
  std::unique_ptr<test::PeerProcess> process;
  std::string url;  // https://127.0.0.1:PORT
  std::string error;

  explicit RealOAuth2Server(std::vector<std::string> extra) {
    auto peers = std::filesystem::path(test::sourceDir()) / "tests/peers";
    if (!std::filesystem::exists(peers / "node_modules/oauth2-mock-server")) {
      error =
          "tests/peers/node_modules is missing: run `npm ci --prefix tests/peers` "
          "(scripts/test.sh does)";
      return;
    }
    std::vector<std::string> argv = {"node",
                                     (peers / "oauth2-peer.mjs").string(),
                                     "--cert",
                                     test::certsDir() + "/server.pem",
                                     "--key",
                                     test::certsDir() + "/server.key",
                                     "--port-file",
                                     (dir / "port").string(),
                                     "--client-secret",
                                     "oauth-sandbox-secret"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<test::PeerProcess>(argv, dir / "peer.log");
    if (!process->started()) {
      error = process->why();
      return;
    }
    if (!test::waitFor(
            [&] { return std::filesystem::exists(dir / "port") || !process->running(); }) ||
        !std::filesystem::exists(dir / "port")) {
      error = "oauth2-peer did not start: " + log();
      return;
    }
    url = "https://127.0.0.1:" + std::to_string(std::stoi(test::readFile(dir / "port")));
  }
  std::string log() const { return test::readFile(dir / "peer.log"); }
  int lines(const std::string& prefix) const {
    int n = 0;
    std::istringstream in(log());
    for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
    return n;
  }
};

}  // namespace

TEST_F(OAuth2, ARealBasicOnlyServerWithATextLifetimeIssuesOneTokenForTheSync) {
  RealOAuth2Server peer({"--client-auth", "basic", "--expires-in-text"});
  ASSERT_TRUE(peer.error.empty()) << peer.error;
  start([](sandbox::SandboxOptions& o) { o.accept_any_bearer = true; });
  ASSERT_TRUE(build(nlohmann::json::object(), peer.url + "/token"));
  queue(3);
  DeliveryReport report;
  ASSERT_NO_THROW(report = deliver());
  EXPECT_EQ(report.delivered, 3) << (pending().empty() ? "" : pending()[0].last_error);
  EXPECT_EQ(peer.lines("token 200 basic"), 1) << peer.log();
  EXPECT_EQ(peer.lines("token "), 1) << peer.log();
  // The destination got the server's own token: a signed JWT.
  for (const auto& r : server->received()) {
    EXPECT_EQ(std::count(r.bearer.begin(), r.bearer.end(), '.'), 2) << r.bearer;
    EXPECT_EQ(r.bearer.rfind("eyJ", 0), 0u) << r.bearer;
  }
}

TEST_F(OAuth2, ARealServerThatIsDownIsRetriedAndAFormOnlyOneRefusesBasicClearly) {
  RealOAuth2Server down({"--fail-first", "1", "--fail-status", "503"});
  ASSERT_TRUE(down.error.empty()) << down.error;
  start([](sandbox::SandboxOptions& o) { o.accept_any_bearer = true; });
  ASSERT_TRUE(build(nlohmann::json::object(), down.url + "/token"));
  queue(1);
  EXPECT_EQ(deliver().delivered, 1) << (pending().empty() ? "" : pending()[0].last_error);
  EXPECT_EQ(down.lines("token 503"), 1) << down.log();
  EXPECT_EQ(down.lines("token 200 basic"), 1) << down.log();

  RealOAuth2Server formOnly({"--client-auth", "post"});
  ASSERT_TRUE(formOnly.error.empty()) << formOnly.error;
  ASSERT_TRUE(build(nlohmann::json::object(), formOnly.url + "/token"));
  circuits.clear();
  queue(2);
  EXPECT_EQ(deliver(300).delivered, 0);
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].attempts, 0);
  EXPECT_NE(waiting[0].last_error.find("OAuth2 token refused by " + formOnly.url +
                                       "/token: HTTP 401 client authentication failed"),
            std::string::npos)
      << waiting[0].last_error;
  EXPECT_EQ(waiting[0].last_error.find("oauth-sandbox-secret"), std::string::npos);
  ASSERT_TRUE(build({{"client_auth", "client_secret_post"}}, formOnly.url + "/token"));
  circuits.clear();
  store->recordRetry(waiting[0].seq, 0, clock.nowMs(), "");
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(formOnly.lines("token 200 post"), 1) << formOnly.log();
}
