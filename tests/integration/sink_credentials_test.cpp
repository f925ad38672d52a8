// Sinks against the real sandbox over real TLS: every way of proving who we are (API key,
// bearer token, OAuth2 client credentials, client certificates, an encrypted key), what the
// CPOMS profile makes, and each way credentials fail: one clear line naming the sink and the
// cause, the items kept waiting, nothing marked delivered.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/integration/peer_process.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

struct Credentials : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  std::unique_ptr<sandbox::SandboxServer> server;
  std::unique_ptr<Sink> sink;
  std::vector<Problem> problems;
  SystemClock clock;
  SystemRandom random;
  std::map<std::string, CircuitBreaker> circuits;
  std::vector<SinkRoute> routes;

  void start(const std::string& cert = "server", bool mutualTls = false) {
    server = test::startSandbox(cert, [&](sandbox::SandboxOptions& o) {
      o.require_client_cert = mutualTls;
      o.ca_file = test::certsDir() + "/ca.pem";
    });
  }
  // Builds the sink from its config, as `markbridge` does; false with `problems` otherwise.
  bool build(nlohmann::json config) {
    config["base_url"] = server->baseUrl();
    if (!config.contains("ca_file")) config["ca_file"] = test::certsDir() + "/ca.pem";
    auto type = findOutboundType(config["type"].get<std::string>());
    sink = type->build(config, "$.sinks[0]", dir.path(), School{"140000", "801", "4000", "Demo"},
                       ConfigContext{"markbridge.json", &problems});
    routes = {
        {config["name"].get<std::string>(), sink ? sink->eventTypes() : std::set<std::string>{}}};
    return sink != nullptr;
  }
  nlohmann::json laPortal(nlohmann::json extra = nlohmann::json::object()) {
    ::setenv("MB_T_LA", "la-sandbox-token", 1);
    nlohmann::json c = {{"name", "la"},
                        {"type", "la_portal"},
                        {"events", {"unauthorised_10_day", "update"}},
                        {"auth", {{"type", "bearer"}, {"token_env", "MB_T_LA"}}}};
    c.merge_patch(extra);
    return c;
  }
  nlohmann::json cpoms(nlohmann::json extra = nlohmann::json::object()) {
    ::setenv("MB_T_CPOMS", "cpoms-sandbox-key", 1);
    nlohmann::json c = {{"name", "cpoms"},
                        {"type", "cpoms"},
                        {"auth", {{"type", "api_key"}, {"key_env", "MB_T_CPOMS"}}}};
    c.merge_patch(extra);
    return c;
  }
  Event event(const std::string& type, const char* day, nlohmann::json action = nullptr) {
    Event e;
    e.rule = "test." + type;
    e.type = type;
    e.pupil.upn = "B801200005001";
    e.pupil.forename = "Ann";
    e.pupil.surname = "Smith";
    e.episode = day;
    e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
    e.from = e.to = e.occurred_on = d(day);
    e.summary = "summary of " + type + " on " + day;
    e.sessions_by_code = {{"N", 2}};
    if (!action.is_null()) e.action = action.dump();
    return e;
  }
  // One delivery run; with `attemptsAllowed`, it stops after that many attempts however long
  // they took (counted, not timed: a budget "too short for a retry" races the attempt itself).
  DeliveryReport deliver(int64_t budgetMs = 3000, int attemptsAllowed = 0) {
    DeliveryOptions options;
    options.backoff = BackoffPolicy{20, 200};
    options.run_budget_ms = budgetMs;
    DeliveryWorker worker(*store, {{sink->name(), sink.get()}}, clock, random, options, circuits);
    int attempts = 0;
    worker.on_attempt = [&](const OutboxItem&, const DeliveryResult&) { ++attempts; };
    worker.should_stop = [&] { return attemptsAllowed > 0 && attempts >= attemptsAllowed; };
    return worker.run();
  }
  std::vector<OutboxItem> pending() { return store->outbox(OutboxState::Pending, 100); }
  // Whatever is waiting is due now, and no sink is paused: the next deliver() tries it.
  void dueNow() {
    circuits.clear();
    for (const auto& item : pending())
      store->recordRetry(item.seq, item.attempts, clock.nowMs(), item.last_error);
  }
  // Delivers until nothing is pending (an attempt that timed out on a loaded machine is simply
  // tried again), at most a few runs; how many items were delivered.
  int deliverAll() {
    int delivered = 0;
    for (int run = 0; run < 5 && !pending().empty(); ++run) {
      dueNow();
      delivered += deliver().delivered;
    }
    return delivered;
  }
  std::vector<sandbox::Received> received(const std::string& kind) {
    std::vector<sandbox::Received> out;
    for (auto& r : server->received())
      if (r.kind == kind) out.push_back(r);
    return out;
  }
};

}  // namespace

TEST_F(Credentials, AWrongBearerTokenHoldsTheSinksItemsWithOneAttemptAndAClearReason) {
  start();
  ::setenv("MB_T_WRONG", "not-the-token", 1);
  ASSERT_TRUE(build(laPortal({{"auth", {{"token_env", "MB_T_WRONG"}}}})));
  store->commitEvaluation(
      {"B801200005001"},
      {event("unauthorised_10_day", "2024-09-16"), event("unauthorised_10_day", "2024-10-07")},
      routes, clock.nowMs());
  auto report = deliver(500);
  EXPECT_EQ(report.delivered + report.rejected, 0);
  EXPECT_EQ(server->requests(), 1);  // the sink is paused after the first refusal
  EXPECT_TRUE(server->received().empty());
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].last_error,
            "sink la: HTTP 401: invalid bearer token (check the sink's credentials)");
  EXPECT_EQ(waiting[0].attempts, 0);  // no attempt spent on a sink that cannot be used
}

TEST_F(Credentials, AnUntrustedServerCertificateIsNeverTalkedTo) {
  start("untrusted-server");
  ASSERT_TRUE(build(laPortal()));
  store->commitEvaluation({"B801200005001"}, {event("unauthorised_10_day", "2024-09-16")}, routes,
                          clock.nowMs());
  EXPECT_EQ(deliver(300).delivered, 0);
  EXPECT_EQ(server->requests(), 0);  // no request got past the handshake
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].last_error.rfind("sink la: TLS: the server's certificate does not verify "
                                        "against ca_file",
                                        0),
            0u)
      << waiting[0].last_error;
}

TEST_F(Credentials, MutualTlsNeedsAValidClientCertificateFromTheRightAuthority) {
  start("server", true);
  auto certs = test::certsDir();
  routes = {{"la", {"unauthorised_10_day"}}};
  store->commitEvaluation({"B801200005001"}, {event("unauthorised_10_day", "2024-09-16")}, routes,
                          clock.nowMs());
  auto dueNow = [&] {  // the sink was paused by the last failure: try again now
    circuits.clear();
    for (const auto& item : pending()) store->recordRetry(item.seq, 0, clock.nowMs(), "");
  };
  for (const char* bad : {"", "expired-client", "wrong-client"}) {
    dueNow();
    nlohmann::json tls = nlohmann::json::object();
    if (*bad)
      tls = {{"client_cert", certs + "/" + bad + ".pem"},
             {"client_key", certs + "/" + bad + ".key"}};
    ASSERT_TRUE(build(laPortal(tls))) << bad;
    EXPECT_EQ(deliver(300).delivered, 0) << bad;
    auto waiting = pending();
    ASSERT_EQ(waiting.size(), 1u) << bad;
    EXPECT_EQ(waiting[0].last_error.rfind("sink la: TLS: the server refused our client "
                                          "certificate",
                                          0),
              0u)
        << bad << ": " << waiting[0].last_error;
  }
  EXPECT_TRUE(server->received().empty());
  // The school's own certificate, its key under a passphrase read from the environment.
  ::setenv("MB_T_PASS", "dev-passphrase", 1);
  dueNow();
  ASSERT_TRUE(build(laPortal({{"client_cert", certs + "/client.pem"},
                              {"client_key", certs + "/client-encrypted.key"},
                              {"client_key_passphrase_env", "MB_T_PASS"}})))
      << (problems.empty() ? "" : problems.front().str());
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(received("notification").size(), 1u);
}

TEST_F(Credentials, AWrongKeyPassphraseIsAConfigurationProblemNamingTheKey) {
  start();
  ::setenv("MB_T_PASS", "not-it", 1);
  auto certs = test::certsDir();
  EXPECT_FALSE(build(laPortal({{"client_cert", certs + "/client.pem"},
                               {"client_key", certs + "/client-encrypted.key"},
                               {"client_key_passphrase_env", "MB_T_PASS"}})));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.sinks[0]");
  EXPECT_NE(problems[0].message.find("client-encrypted.key (wrong passphrase?)"), std::string::npos)
      << problems[0].message;
  EXPECT_EQ(problems[0].str().find("not-it"), std::string::npos);
}

TEST_F(Credentials, OAuth2TokensAreCachedAndFetchedAgainOnceWhenRefused) {
  start();
  ::setenv("MB_T_SECRET", "oauth-sandbox-secret", 1);
  nlohmann::json oauth = {{"type", "oauth2"},
                          {"token_url", server->baseUrl() + "/oauth/token"},
                          {"client_id", "markbridge"},
                          {"client_secret_env", "MB_T_SECRET"},
                          {"scope", "incidents"}};
  ASSERT_TRUE(build(cpoms({{"auth", oauth}})));
  store->commitEvaluation({"B801200005001"},
                          {event("concern", "2024-09-16"), event("concern", "2024-09-17")}, routes,
                          clock.nowMs());
  EXPECT_EQ(deliver().delivered, 2);
  EXPECT_EQ(server->tokensIssued(), 1);  // one token for both
  server->revokeTokens();
  store->commitEvaluation({"B801200005001"},
                          {event("concern", "2024-09-16"), event("concern", "2024-09-17"),
                           event("concern", "2024-09-18")},
                          routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);  // 401, a fresh token, sent again
  EXPECT_EQ(server->tokensIssued(), 2);
  EXPECT_EQ(received("incident").size(), 3u);
}

TEST_F(Credentials, AWrongOAuth2SecretHoldsTheItemsAndNeverShowsTheSecret) {
  start();
  ::setenv("MB_T_SECRET", "a-wrong-secret", 1);
  ASSERT_TRUE(build(cpoms({{"auth",
                            {{"type", "oauth2"},
                             {"token_url", server->baseUrl() + "/oauth/token"},
                             {"client_id", "markbridge"},
                             {"client_secret_env", "MB_T_SECRET"}}}})));
  store->commitEvaluation({"B801200005001"}, {event("concern", "2024-09-16")}, routes,
                          clock.nowMs());
  EXPECT_EQ(deliver(300).delivered, 0);
  EXPECT_TRUE(received("incident").empty());
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(
      waiting[0].last_error.rfind("sink cpoms: OAuth2 token refused by https://127.0.0.1:", 0), 0u)
      << waiting[0].last_error;
  EXPECT_NE(waiting[0].last_error.find("HTTP 401 client authentication failed"), std::string::npos);
  EXPECT_EQ(waiting[0].last_error.find("a-wrong-secret"), std::string::npos);
}

TEST_F(Credentials, CpomsConcernsTasksNotesAndCorrectionsLandOnOneIncidentEach) {
  start();
  ASSERT_TRUE(build(cpoms()));
  auto concern = event("concern", "2024-09-16",
                       {{"categories", {"Attendance", "Safeguarding"}}, {"alert", {"DSL"}}});
  auto task = event("task", "2024-09-17",
                    {{"assignee_role", "attendance_officer"},
                     {"due_on", "2024-09-19"},
                     {"text", "Find the reason for the N"}});
  auto note = event("note", "2024-09-18", {{"text", "Tutor conversation"}});
  store->commitEvaluation({"B801200005001"}, {concern, task, note}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 3);
  auto incidents = received("incident");
  ASSERT_EQ(incidents.size(), 3u);
  auto first = nlohmann::json::parse(incidents[0].body);
  EXPECT_EQ(first["categories"], nlohmann::json({"Attendance", "Safeguarding"}));
  EXPECT_EQ(first["alert"], nlohmann::json({"DSL"}));
  EXPECT_EQ(first["student"]["upn"], "B801200005001");
  EXPECT_NE(first["body"].get<std::string>().find("Sessions: N x2"), std::string::npos);
  auto actions = received("action");
  ASSERT_EQ(actions.size(), 1u);
  auto action = nlohmann::json::parse(actions[0].body);
  EXPECT_EQ(action["assignee_role"], "attendance_officer");
  EXPECT_EQ(action["due_on"], "2024-09-19");
  ASSERT_EQ(received("note").size(), 1u);
  // The concern's grounds vanish: a correction note on the same incident, nothing new.
  store->commitEvaluation({"B801200005001"}, {task, note}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  auto notes = received("note");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(received("incident").size(), 3u);
  EXPECT_NE(nlohmann::json::parse(notes[1].body)["text"].get<std::string>().find("Correction"),
            std::string::npos);
  EXPECT_EQ(server->duplicates(), 0);
}

TEST_F(Credentials, ATaskWhoseActionFailedAfterItsIncidentWasMadeGetsOneIncident) {
  start();
  ASSERT_TRUE(build(cpoms()));
  store->commitEvaluation({"B801200005001"},
                          {event("task", "2024-09-17", {{"assignee_role", "tutor"}})}, routes,
                          clock.nowMs());
  // The incident is made, then the action's request fails: the retry makes the incident again
  // with the same Idempotency-Key (the sandbox answers with the same id), then the action.
  sandbox::Faults faults;
  faults.pass = 1;  // the incident goes through
  faults.fail = 1;  // the action fails
  server->setFaults(faults);
  auto first = deliver(3000, 1);  // one attempt: the retry waits for the next run
  EXPECT_EQ(first.delivered, 0);
  EXPECT_EQ(received("incident").size(), 1u);
  EXPECT_TRUE(received("action").empty());
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(received("incident").size(), 1u);
  EXPECT_EQ(received("action").size(), 1u);
  EXPECT_EQ(server->duplicates(), 1);  // the incident asked for again, recognised
}

TEST_F(Credentials, LookupBeforeCreateFindsTheIncidentATimedOutAttemptMade) {
  start();
  ASSERT_TRUE(build(cpoms({{"lookup_before_create", true}, {"timeout_ms", 1000}})));
  store->commitEvaluation({"B801200005001"}, {event("concern", "2024-09-16")}, routes,
                          clock.nowMs());
  // The create is held unanswered until the test lets it go, so the attempt gives up on it at
  // its timeout however loaded the machine; the incident is made only after that, as a slow
  // backend does. (A create that answered 2.5 s late raced the 1 s timeout, which also had to
  // cover the lookup: on a loaded machine either could lose.)
  sandbox::Faults slow;
  slow.hold = 1;
  slow.hold_request = "POST /api/v1/incidents";
  server->setFaults(slow);
  // One attempt: the lookup finds nothing, the create times out. Should the machine be too slow
  // for the lookup itself within the timeout, the create was never sent: the next attempt
  // tries again, until one has reached it.
  for (int attempt = 0; attempt < 4 && server->holding() == 0; ++attempt) {
    dueNow();
    deliver(3000, 1);
  }
  ASSERT_EQ(server->holding(), 1) << "no attempt reached the create";
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);  // given up on, not delivered
  EXPECT_NE(waiting[0].last_error.find("timed out"), std::string::npos) << waiting[0].last_error;
  EXPECT_TRUE(received("incident").empty());
  server->release();  // the slow create goes on: the incident is made all the same
  ASSERT_TRUE(test::waitFor([&] { return received("incident").size() == 1; }));
  EXPECT_EQ(deliverAll(), 1) << (pending().empty() ? "" : pending()[0].last_error);
  EXPECT_EQ(received("incident").size(), 1u);
  EXPECT_EQ(server->duplicates(), 0);  // found by lookup, not re-posted
}

TEST_F(Credentials, AWebhookSendsWhatItsTemplateSaysAndCorrectsTheRecordItMade) {
  start();
  ASSERT_TRUE(build(cpoms({{"type", "webhook"},
                           {"name", "myconcern"},
                           {"events", {"concern"}},
                           {"request",
                            {{"method", "PUT"},
                             {"path", "/hooks/pupils/{{event.pupil.upn}}/concerns"},
                             {"headers", {{"X-School", "{{school.urn}}"}}},
                             {"body",
                              {{"upn", "{{event.pupil.upn}}"},
                               {"what", "{{event.summary}} ({{kind}})"},
                               {"sessions", "{{event.sessions_by_code}}"},
                               {"roles", "{{event.action.alert}}"}}}}},
                           {"correction",
                            {{"path", "/hooks/concerns/{{reference}}/notes"},
                             {"body", {{"note", "{{kind}}: {{event.summary}}"}}}}}})))
      << (problems.empty() ? "" : problems.front().str());
  auto concern = event("concern", "2024-09-16", {{"alert", {"DSL"}}});
  store->commitEvaluation({"B801200005001"}, {concern}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  auto hooks = received("hook");
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].path, "PUT /hooks/pupils/B801200005001/concerns");
  auto body = nlohmann::json::parse(hooks[0].body);
  EXPECT_EQ(body["upn"], "B801200005001");
  EXPECT_EQ(body["what"], "summary of concern on 2024-09-16 (notify)");
  EXPECT_EQ(body["sessions"], nlohmann::json({{"N", 2}}));  // a value, not text
  EXPECT_EQ(body["roles"], nlohmann::json({"DSL"}));
  store->commitEvaluation({"B801200005001"}, {}, routes, clock.nowMs());  // grounds gone
  EXPECT_EQ(deliver().delivered, 1);
  hooks = received("hook");
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[1].path, "POST /hooks/concerns/" + hooks[0].reference + "/notes");
  EXPECT_EQ(nlohmann::json::parse(hooks[1].body)["note"],
            "withdraw: summary of concern on 2024-09-16");
}

TEST_F(Credentials, AWebhookTemplateThatNamesNothingIsAConfigurationProblem) {
  start();
  EXPECT_FALSE(
      build(cpoms({{"type", "webhook"},
                   {"name", "form"},
                   {"events", {"concern"}},
                   {"request", {{"path", "/hooks/x"}, {"body", {{"who", "{{pupil.upn}}"}}}}}})));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.sinks[0].request");
  EXPECT_NE(problems[0].message.find("{{pupil.upn}} names nothing"), std::string::npos);
}

TEST_F(Credentials, AnUnreachableTokenEndpointIsAnOutageNotARefusal) {
  start();
  ::setenv("MB_T_SECRET", "oauth-sandbox-secret", 1);
  // Nothing listens on port 1: "Connection refused" is the network, not the secret.
  ASSERT_TRUE(build(cpoms({{"auth",
                            {{"type", "oauth2"},
                             {"token_url", "https://127.0.0.1:1/oauth/token"},
                             {"client_id", "markbridge"},
                             {"client_secret_env", "MB_T_SECRET"}}}})));
  store->commitEvaluation({"B801200005001"}, {event("concern", "2024-09-16")}, routes,
                          clock.nowMs());
  auto report = deliver(100);
  EXPECT_EQ(report.delivered, 0);
  auto waiting = pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_GE(waiting[0].attempts, 1);  // ordinary retries, counted, not a paused sink
  EXPECT_NE(waiting[0].last_error.find("OAuth2 token endpoint"), std::string::npos)
      << waiting[0].last_error;
}
