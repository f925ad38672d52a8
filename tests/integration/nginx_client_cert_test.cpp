// The LA portal behind a REAL nginx (Debian's package) with `ssl_verify_client on`, as councils
// deploy it: nginx finishes the TLS handshake whatever the client certificate, then answers a
// missing, expired or wrong-CA certificate with HTTP 400 and an HTML page. That answer is a
// refusal of our credentials: the sink pauses, every item waits (none is dead-lettered), and
// the reason is one plain line, not the page. nginx runs from its own temporary prefix on a
// free 127.0.0.1 port and is stopped after.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/integration/peer_process.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// nginx terminating mutual TLS in front of `upstreamPort` (the sandbox, over TLS).
struct Nginx {
  test::TempDir dir;
  std::unique_ptr<test::PeerProcess> process;
  uint16_t port = 0;
  std::string error;

  explicit Nginx(uint16_t upstreamPort) {
    auto certs = test::certsDir();
    for (int tries = 0; tries < 3 && port == 0; ++tries) {
      uint16_t candidate = test::freePort();
      std::ofstream(dir / "nginx.conf")
          << "daemon off;\nworker_processes 1;\npid " << (dir / "nginx.pid").string() << ";\n"
          << "error_log " << (dir / "error.log").string() << " info;\n"
          << (::geteuid() == 0 ? "user root;\n" : "") << "events { worker_connections 64; }\n"
          << "http {\n  log_format tls '$connection $ssl_session_reused $ssl_curve $status';\n"
          << "  access_log " << (dir / "access.log").string() << " tls;\n"
          << "  client_body_temp_path " << (dir / "body").string() << ";\n"
          << "  proxy_temp_path " << (dir / "proxy").string() << ";\n"
          << "  fastcgi_temp_path " << (dir / "fastcgi").string() << ";\n"
          << "  uwsgi_temp_path " << (dir / "uwsgi").string() << ";\n"
          << "  scgi_temp_path " << (dir / "scgi").string() << ";\n"
          << "  server {\n    listen 127.0.0.1:" << candidate << " ssl;\n"
          << "    server_name localhost;\n"
          << "    ssl_certificate " << certs << "/server.pem;\n"
          << "    ssl_certificate_key " << certs << "/server.key;\n"
          << "    ssl_client_certificate " << certs << "/ca.pem;\n"
          << "    ssl_verify_client on;\n"
          << "    location / {\n"
          << "      proxy_pass https://127.0.0.1:" << upstreamPort << ";\n"
          << "      proxy_ssl_trusted_certificate " << certs << "/ca.pem;\n"
          << "      proxy_ssl_verify on;\n      proxy_ssl_name localhost;\n"
          << "    }\n  }\n}\n";
      process = std::make_unique<test::PeerProcess>(
          std::vector<std::string>{"nginx", "-p", dir.path().string(), "-c",
                                   (dir / "nginx.conf").string(), "-e",
                                   (dir / "error.log").string()},
          dir / "nginx.out");
      if (!process->started()) {
        error = process->why();
        return;
      }
      if (test::waitFor([&] { return test::accepting(candidate) || !process->running(); }) &&
          process->running())
        port = candidate;
    }
    if (port == 0)
      error = "nginx did not start: " + test::readFile(dir / "nginx.out") +
              test::readFile(dir / "error.log");
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
};

struct BehindNginx : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  Nginx nginx{server->port()};
  std::unique_ptr<Sink> sink;
  SystemClock clock;
  SystemRandom random;
  std::map<std::string, CircuitBreaker> circuits;
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
  static constexpr int kItems = 12;

  void SetUp() override {
    ASSERT_TRUE(nginx.error.empty()) << nginx.error;
    std::vector<PupilEvaluated> pupils;
    std::vector<Event> events;
    for (int n = 0; n < kItems; ++n) {
      Event e;
      e.rule = "statutory.unauthorised_10_day";
      e.type = "unauthorised_10_day";
      e.pupil.upn = test::numberedUpn(n);
      e.episode = "2024-09-16";
      e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
      e.from = test::d("2024-09-16");
      e.to = e.occurred_on = test::d("2024-09-30");
      pupils.emplace_back(e.pupil.upn);
      events.push_back(e);
    }
    store->commitEvaluation(pupils, events, routes, clock.nowMs());
  }
  // The LA portal sink through nginx, with the client certificate `cert` ("" for none).
  void build(const std::string& cert) {
    ::setenv("MB_T_LA", "la-sandbox-token", 1);
    nlohmann::json config = {{"name", "la"},
                             {"type", "la_portal"},
                             {"base_url", nginx.url()},
                             {"ca_file", test::certsDir() + "/ca.pem"},
                             {"events", {"unauthorised_10_day"}},
                             {"auth", {{"type", "bearer"}, {"token_env", "MB_T_LA"}}}};
    if (!cert.empty()) {
      config["client_cert"] = test::certsDir() + "/" + cert + ".pem";
      config["client_key"] = test::certsDir() + "/" + cert + ".key";
    }
    std::vector<Problem> problems;
    sink = findOutboundType("la_portal")
               ->build(config, "$.sinks[0]", dir.path(), School{"140000", "801", "4000", "Demo"},
                       ConfigContext{"markbridge.json", &problems});
    ASSERT_TRUE(sink) << problems.front().str();
  }
  DeliveryReport deliver(int64_t budgetMs = 3000) {
    DeliveryOptions options;
    options.backoff = BackoffPolicy{20, 200};
    options.run_budget_ms = budgetMs;
    DeliveryWorker worker(*store, {{"la", sink.get()}}, clock, random, options, circuits);
    return worker.run();
  }
};

}  // namespace

TEST_F(BehindNginx, ARefusedClientCertificatePausesTheSinkAndKeepsEveryItem) {
  struct Case {
    const char* cert;
    const char* page;
  };
  for (auto [cert, page] : {Case{"", "HTTP 400: No required SSL certificate was sent"},
                            Case{"expired-client", "HTTP 400: The SSL certificate error"},
                            Case{"wrong-client", "HTTP 400: The SSL certificate error"}}) {
    SCOPED_TRACE(*cert ? cert : "no certificate");
    circuits.clear();
    for (const auto& item : store->outbox(OutboxState::Pending, 100))
      store->recordRetry(item.seq, 0, clock.nowMs(), "");
    build(cert);
    auto report = deliver(300);
    EXPECT_EQ(report.delivered, 0);
    EXPECT_EQ(report.rejected, 0);  // nothing dead-lettered
    EXPECT_EQ(report.pending_left, kItems);
    EXPECT_TRUE(store->outbox(OutboxState::Rejected, 100).empty());
    int tried = 0;
    for (const auto& item : store->outbox(OutboxState::Pending, 100)) {
      EXPECT_EQ(item.attempts, 0);  // a paused sink spends no attempts
      if (item.last_error.empty()) continue;
      ++tried;
      EXPECT_EQ(item.last_error.rfind("sink la: TLS: the server refused our client certificate", 0),
                0u)
          << item.last_error;
      EXPECT_NE(item.last_error.find(page), std::string::npos) << item.last_error;
      EXPECT_EQ(item.last_error.find('<'), std::string::npos) << item.last_error;  // no HTML
      EXPECT_EQ(item.last_error.find('\n'), std::string::npos);
    }
    EXPECT_EQ(tried, 1);  // paused after the first refusal, not 12 refusals
  }
  EXPECT_EQ(server->requests(), 0);  // nginx let nothing through
}

TEST_F(BehindNginx, TheSchoolsOwnCertificateGoesThrough) {
  build("client");
  EXPECT_EQ(deliver().delivered, kItems);
  EXPECT_EQ(server->received().size(), static_cast<std::size_t>(kItems));
  // nginx's log, a line a request: "connection reused group status" (reused: "r" when the
  // connection resumed a TLS session, "." for a whole handshake). The sink's first connection
  // makes the whole handshake, with the school's certificate; the others it opens resume its
  // session. Every key exchange is X25519 (Poco's own default, X448, cost about a millisecond
  // on each side of every connection).
  std::map<std::string, std::string> connections;  // connection -> reused
  std::istringstream log(test::readFile(nginx.dir / "access.log"));
  for (std::string connection, reused, group, status;
       log >> connection >> reused >> group >> status;) {
    EXPECT_EQ(status, "202");  // accepted
    EXPECT_EQ(group, "X25519");
    connections[connection] = reused;
  }
  int whole = 0;
  for (const auto& [connection, reused] : connections) whole += reused == "." ? 1 : 0;
  EXPECT_GT(connections.size(), 1u);
  EXPECT_EQ(whole, 1);
}
