// The outbox delivering to the real sandbox over real TLS, with certificates made for the test.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/outbound/common/connection_shelf.h"
#include "connectors/outbound/la_portal/la_portal_connector.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

// The next `fail` requests answered `status`, the next `drop` closed with no answer (named
// fields: a positional Faults{...} leaves the rest to -Wmissing-field-initializers).
sandbox::Faults failing(int fail, int status, int drop = 0) {
  sandbox::Faults faults;
  faults.fail = fail;
  faults.status = status;
  faults.drop = drop;
  return faults;
}

struct DeliveryFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  std::unique_ptr<sandbox::SandboxServer> server;
  std::unique_ptr<Sink> sink;
  SystemClock clock;
  SystemRandom random;
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day", "update"}}};

  void startSandbox(const std::string& cert = "server",
                    const std::function<void(sandbox::SandboxOptions&)>& tune = {}) {
    server = test::startSandbox(cert, tune);
  }

  // The sink a school's sync makes (the one before it let go: its connections on the shelf).
  void makeSink(const std::string& token, int timeoutMs = 2000,
                const nlohmann::json& more = nlohmann::json::object()) {
    ::setenv("MB_TEST_LA_TOKEN", token.c_str(), 1);
    nlohmann::json config = {{"name", "la"},
                             {"type", "la_portal"},
                             {"base_url", server->baseUrl()},
                             {"ca_file", test::certsDir() + "/ca.pem"},
                             {"auth", {{"type", "bearer"}, {"token_env", "MB_TEST_LA_TOKEN"}}},
                             {"timeout_ms", timeoutMs}};
    config.update(more);
    std::vector<Problem> problems;
    sink =
        buildLaPortalSink(config, "$.sinks[0]", dir.path(), School{"140000", "801", "4000", "Demo"},
                          ConfigContext{"c.json", &problems});
    ASSERT_TRUE(sink) << problems.front().str();
  }

  Event event(const char* episode = "2024-09-16") {
    Event e;
    e.rule = "statutory.unauthorised_10_day";
    e.type = "unauthorised_10_day";
    e.pupil.upn = "B801200005001";
    e.episode = episode;
    e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
    e.from = d(episode);
    e.to = e.from + 11;
    e.occurred_on = e.to;
    return e;
  }

  std::map<std::string, CircuitBreaker> circuits;

  // As a worker would before its destination goes: the connections its sinks let go are
  // closed, so the sandbox never stops with one open (its server would close it from another
  // thread than the one using it).
  ~DeliveryFixture() override {
    sink.reset();
    ConnectionShelf::ofProcess().closeAll();
    if (server) test::waitUntil([&] { return server->openConnections() == 0; });
  }

  DeliveryReport deliver(int64_t budgetMs = 5000, int maxAttempts = 0) {
    DeliveryOptions options;
    options.backoff = BackoffPolicy{20, 200};
    options.run_budget_ms = budgetMs;
    options.max_attempts = maxAttempts;
    DeliveryWorker worker(*store, {{"la", sink.get()}}, clock, random, options, circuits);
    return worker.run();
  }
};

}  // namespace

TEST_F(DeliveryFixture, RetriesAfter503ThenDeliversExactlyOnce) {
  startSandbox();
  makeSink("la-sandbox-token");
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  server->setFaults(failing(2, 503));
  auto report = deliver();
  EXPECT_EQ(report.delivered, 1);
  EXPECT_EQ(report.retried, 2);
  EXPECT_EQ(server->requests(), 3);
  auto received = server->received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].idempotency_key, event().id + "@la");
  auto items = store->outbox(OutboxState::Delivered, 10);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].reference, received[0].reference);
  EXPECT_EQ(items[0].attempts, 3);
  // A second run has nothing to send.
  EXPECT_EQ(deliver().delivered, 0);
  EXPECT_EQ(server->requests(), 3);
}

// A sink opens a connection for each request in flight. The first handshake is whole (the
// portal's certificate checked); the others resume the TLS session the portal gave it, so they
// skip the certificate and its signature, the most of a handshake's cost on both sides.
TEST_F(DeliveryFixture, ASinksConnectionsResumeTheTlsSessionOfItsFirst) {
  startSandbox();
  makeSink("la-sandbox-token", 10000);  // no retry on a busy machine: one whole handshake
  std::vector<PupilEvaluated> upns;
  std::vector<Event> events;
  for (int i = 0; i < 40; ++i) {
    events.push_back(event());
    auto& e = events.back();
    char upn[16];
    std::snprintf(upn, sizeof upn, "B8012000%05d", i);
    e.pupil.upn = upn;
    e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
    upns.emplace_back(upn);
  }
  store->commitEvaluation(upns, events, routes, clock.nowMs());
  auto report = deliver();
  EXPECT_EQ(report.delivered, 40);
  EXPECT_GT(server->handshakes(), 1);  // the items went on several connections at once
  EXPECT_EQ(server->resumedHandshakes(), server->handshakes() - 1);
  // A sink made again (the next school's sync sending the same way, a reload) takes up the
  // connections the first let go: no handshake at all.
  int before = server->handshakes();
  makeSink("la-sandbox-token", 10000);
  store->commitEvaluation({"B801200005001"}, {event("2024-10-07")}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(server->handshakes(), before);
  // Once they have been idle too long they are closed; the next connection resumes the session.
  sink->closeConnections();
  auto& shelf = ConnectionShelf::ofProcess();
  ASSERT_TRUE(shelf.nextClosing());
  shelf.closeIdle(*shelf.nextClosing() + std::chrono::hours(1));
  EXPECT_EQ(shelf.kept(), 0u);
  EXPECT_TRUE(test::waitUntil([&] { return server->openConnections() == 0; }))
      << server->openConnections() << " connection(s) still open";
  store->commitEvaluation({"B801200005001"}, {event("2024-10-07"), event("2024-11-04")}, routes,
                          clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(server->handshakes(), before + 1);
  EXPECT_EQ(server->resumedHandshakes(), before);
}

// A TLS session is offered again for an hour after the whole handshake it came from, and a
// kept-alive connection is sent on for as long: after that a new connection makes a whole
// handshake, so the destination's certificate (and ours) is checked again at least hourly.
// The hour is cut to nothing here; then the same requests with the hour.
TEST_F(DeliveryFixture, PastTheResumptionTimeEachRequestCheckedTheCertificateAgain) {
  startSandbox();
  HttpRequest request;
  request.path = "/api/v1/notifications";  // unauthorised: any answer ends the exchange
  request.body = "{}";
  TlsSettings tls;
  tls.ca_file = test::certsDir() + "/ca.pem";
  tls.resume_for = std::chrono::milliseconds(0);
  {
    HttpsClient client(server->baseUrl(), tls, 5000);
    for (int i = 0; i < 3; ++i) EXPECT_GT(client.send(request).status, 0);
  }
  EXPECT_EQ(server->handshakes(), 3);         // a new connection for each request
  EXPECT_EQ(server->resumedHandshakes(), 0);  // none offered the session of the one before
  tls.resume_for = std::chrono::minutes(60);
  HttpsClient client(server->baseUrl(), tls, 5000);
  for (int i = 0; i < 3; ++i) EXPECT_GT(client.send(request).status, 0);
  EXPECT_EQ(server->handshakes(), 4);  // one connection, kept alive
  client.close();
  EXPECT_GT(client.send(request).status, 0);
  EXPECT_EQ(server->handshakes(), 5);
  EXPECT_EQ(server->resumedHandshakes(), 1);  // the new connection resumed the session
}

// A destination closes idle connections (here after a second): the next sync does not send on
// the one it closed, which would fail the attempt for nothing, but connects again.
TEST_F(DeliveryFixture, AConnectionTheDestinationClosedWhileIdleIsNotSentOn) {
  startSandbox("server", [](sandbox::SandboxOptions& o) { o.keep_alive_seconds = 1; });
  makeSink("la-sandbox-token", 10000);
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  ASSERT_TRUE(test::waitUntil([&] { return server->openConnections() == 0; }));
  makeSink("la-sandbox-token", 10000);  // the next school's sync: the closed one is on the shelf
  store->commitEvaluation({"B801200005001"}, {event(), event("2024-10-07")}, routes, clock.nowMs());
  auto report = deliver();
  EXPECT_EQ(report.delivered, 1);
  EXPECT_EQ(report.retried, 0);
  EXPECT_EQ(server->handshakes(), 2);
}

// While a worker walks its schools, a connection no school has taken up for 4 s is closed as the
// next school's sync hands on its own: a school's own destination is not held open for the rest
// of the walk.
TEST_F(DeliveryFixture, AConnectionNoSchoolTookUpIsClosedAsTheWalkGoesOn) {
  // The first school's destination keeps idle connections for ten minutes; the next school's
  // destination is another.
  startSandbox("server", [](sandbox::SandboxOptions& o) { o.keep_alive_seconds = 600; });
  auto nextSchools = test::startSandbox("server");
  makeSink("la-sandbox-token", 10000);
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  sink->closeConnections();
  EXPECT_EQ(server->openConnections(), 1);  // on the shelf, idle
  auto due = std::chrono::steady_clock::now() + kKeepIdleConnectionFor;
  ASSERT_TRUE(test::waitUntil([&] { return std::chrono::steady_clock::now() >= due; }));
  auto firstSchools = std::move(server);
  server = std::move(nextSchools);
  makeSink("la-sandbox-token", 10000);
  store->commitEvaluation({"B801200005001"}, {event(), event("2024-10-07")}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  sink->closeConnections();
  EXPECT_TRUE(test::waitUntil([&] { return firstSchools->openConnections() == 0; }))
      << firstSchools->openConnections() << " connection(s) to the first destination still open";
}

// Schools sending to the same destination the same way share the connections, never the
// credentials: each request carries its own school's.
TEST_F(DeliveryFixture, TheNextSchoolsSyncSendsOnTheSameConnectionsWithItsOwnCredentials) {
  startSandbox("server", [](sandbox::SandboxOptions& o) { o.accept_any_bearer = true; });
  makeSink("first-school-token", 10000);
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(server->handshakes(), 1);
  makeSink("second-school-token", 10000);
  store->commitEvaluation({"B801200005001"}, {event(), event("2024-10-07")}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  EXPECT_EQ(server->handshakes(), 1);  // the first school's connection
  auto received = server->received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].bearer, "first-school-token");
  EXPECT_EQ(received[1].bearer, "second-school-token");
}

// A school whose sink has a client certificate of its own is that certificate on the wire: it
// never sends on a connection another school's certificate made. Here the second school's is
// from an authority the destination does not trust, so its sync must be refused, not delivered
// on the first school's connection.
TEST_F(DeliveryFixture, ASchoolsOwnClientCertificateNeverSendsOnAnothersConnection) {
  startSandbox("server", [](sandbox::SandboxOptions& o) {
    o.require_client_cert = true;
    o.ca_file = test::certsDir() + "/ca.pem";
  });
  auto certs = test::certsDir();
  makeSink("la-sandbox-token", 10000,
           {{"client_cert", certs + "/client.pem"}, {"client_key", certs + "/client.key"}});
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  EXPECT_EQ(deliver().delivered, 1);
  makeSink(
      "la-sandbox-token", 10000,
      {{"client_cert", certs + "/wrong-client.pem"}, {"client_key", certs + "/wrong-client.key"}});
  store->commitEvaluation({"B801200005001"}, {event(), event("2024-10-07")}, routes, clock.nowMs());
  EXPECT_EQ(deliver(2000).delivered, 0);
  EXPECT_EQ(server->received().size(), 1u);
  auto waiting = store->outbox(OutboxState::Pending, 10);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_NE(waiting[0].last_error.find("client certificate"), std::string::npos)
      << waiting[0].last_error;
}

TEST_F(DeliveryFixture, ADroppedConnectionIsRetriedAndDeliveredOnce) {
  startSandbox();
  makeSink("la-sandbox-token");
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  server->setFaults(failing(0, 503, 1));
  auto report = deliver();
  EXPECT_EQ(report.delivered, 1);
  EXPECT_GE(report.retried, 1);
  EXPECT_EQ(server->received().size(), 1u);
}

TEST_F(DeliveryFixture, ATimeoutIsRetriedAndThePortalStillHoldsOneRecord) {
  startSandbox();
  makeSink("la-sandbox-token", 300);
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  // The portal takes 1.2 s over the first request: the client gives up at 300 ms, but the
  // portal records the notification anyway. The retry carries the same Idempotency-Key.
  sandbox::Faults slow;
  slow.stall = 1;
  slow.stall_ms = 1200;
  server->setFaults(slow);
  auto report = deliver();
  EXPECT_EQ(report.delivered, 1);
  EXPECT_GE(report.retried, 1);
  auto failed = store->outbox(OutboxState::Delivered, 10);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_GE(failed[0].attempts, 2);
  // Let the stalled first request finish: it finds its key already recorded.
  test::waitUntil([&] { return server->duplicates() > 0; });
  EXPECT_EQ(server->duplicates(), 1);
  EXPECT_EQ(server->received().size(), 1u);
}

TEST_F(DeliveryFixture, AWithdrawalFollowsItsNotificationAndNamesItsReference) {
  startSandbox();
  makeSink("la-sandbox-token");
  store->commitEvaluation({"B801200005001"}, {event()}, routes, clock.nowMs());
  store->commitEvaluation({"B801200005001"}, {}, routes,
                          clock.nowMs());  // grounds gone before delivery
  auto report = deliver();
  EXPECT_EQ(report.delivered, 2);
  auto received = server->received();
  ASSERT_EQ(received.size(), 2u);
  auto original = nlohmann::json::parse(received[0].body);
  auto update = nlohmann::json::parse(received[1].body);
  EXPECT_EQ(original["type"], "unauthorised_10_day");
  EXPECT_EQ(update["type"], "update");
  EXPECT_EQ(update["corrects"]["reference"], received[0].reference);
}
