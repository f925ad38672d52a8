// A destination that accepts the TCP connection and never says a word: timeout_ms is a hard
// limit on each attempt (connect, TLS handshake, request and answer together) and
// run_budget_seconds on the whole delivery phase, so a sync ends and releases the sync lock.
// The wall time is bounded generously (a hard bound is the behaviour under test); what is
// asserted exactly is what happened: attempts made, items still pending, nothing rejected.

#include <Poco/Net/Context.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "connectors/common/https_client.h"
#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/integration/peer_process.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_listener.h"

using namespace markbridge;
using Millis = std::chrono::milliseconds;

namespace {

// Accepts every connection on 127.0.0.1 and holds it open without reading or writing.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size);
    ::listen(fd_, 64);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
          int client = ::accept(fd_, nullptr, nullptr);
          if (client >= 0) {
            held_.push_back(client);
            ++accepted_;
          }
        }
      }
    });
  }
  ~SilentListener() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_;
  std::thread thread_;
};

// A TLS listener on 127.0.0.1 and the thread that answers it (a subclass's start()), stopped
// by stop(), which a subclass's destructor calls first (its members outlive the thread).
class AnsweringServer {
 public:
  AnsweringServer(const AnsweringServer&) = delete;
  AnsweringServer& operator=(const AnsweringServer&) = delete;
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server_->address().port());
  }

 protected:
  AnsweringServer() : server_(test::tlsListener()) {}
  ~AnsweringServer() { stop(); }
  void start(std::function<void()> answer) { thread_ = std::thread(std::move(answer)); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Waits `ms`; true when stopping (at once).
  bool pause(Millis ms) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, ms, [&] { return stop_; });
  }
  // The next connection, or nullopt when stopping.
  std::optional<Poco::Net::StreamSocket> accept() {
    while (!server_->poll(Poco::Timespan(50'000), Poco::Net::Socket::SELECT_READ))
      if (pause(Millis(0))) return std::nullopt;
    return server_->acceptConnection();
  }

 private:
  std::unique_ptr<Poco::Net::SecureServerSocket> server_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// Finishes the TLS handshake, reads the request, then answers one byte every 100 ms: each read
// is quick, so only a limit on the whole exchange ends it.
class DribblingServer : public AnsweringServer {
 public:
  DribblingServer() {
    start([this] {
      while (auto client = accept()) {
        try {
          char request[4096];
          client->receiveBytes(request, sizeof request);
          std::string answer =
              "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: "
              "40\r\n\r\n{\"reference\": \"LA-1\", \"pad\": \"xxxxxx\"}";
          for (char c : answer) {
            if (pause(Millis(100))) break;
            client->sendBytes(&c, 1);
            ++sent_;
          }
        } catch (const Poco::Exception&) {
          // the client gave up and closed the connection
        }
      }
    });
  }
  ~DribblingServer() { stop(); }
  int bytesSent() const { return sent_; }

 private:
  std::atomic<int> sent_{0};
};

// One kept-alive connection: the first request is answered after `firstAfter`, in full; the
// second gets its answer a byte every 100 ms (each read quick: only a limit on the whole
// exchange ends it).
class SlowerSecondAnswer : public AnsweringServer {
 public:
  explicit SlowerSecondAnswer(Millis firstAfter) {
    start([this, firstAfter] {
      auto client = accept();
      if (!client) return;
      try {
        char request[4096];
        client->receiveBytes(request, sizeof request);
        if (pause(firstAfter)) return;
        std::string first =
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: "
            "20\r\n\r\n{\"reference\": \"LA-1\"}";
        client->sendBytes(first.data(), static_cast<int>(first.size()));
        client->receiveBytes(request, sizeof request);
        for (char c : std::string("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")) {
          if (pause(Millis(100))) return;
          client->sendBytes(&c, 1);
        }
      } catch (const Poco::Exception&) {
        // the client gave up and closed the connection
      }
    });
  }
  ~SlowerSecondAnswer() { stop(); }
};

int64_t elapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - since).count();
}

Event absence(const std::string& upn) {
  Event e;
  e.rule = "statutory.unauthorised_10_day";
  e.type = "unauthorised_10_day";
  e.pupil.upn = upn;
  e.episode = "2024-09-16";
  e.id = Event::makeId(e.rule, upn, e.episode);
  e.from = test::d("2024-09-16");
  e.to = test::d("2024-09-30");
  e.occurred_on = e.to;
  return e;
}

}  // namespace

TEST(HardTimeout, AServerThatAcceptsAndNeverAnswersIsCutOffAtTimeoutMs) {
  SilentListener silent;
  HttpsClient client(silent.url(), TlsSettings{test::certsDir() + "/ca.pem", "", "", ""}, 2000);
  auto start = std::chrono::steady_clock::now();
  auto response = client.send(HttpRequest{"POST", "/api/v1/notifications", {}, "{}", {}});
  auto took = elapsedMs(start);
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.timed_out);
  EXPECT_FALSE(response.refused_us);  // an outage, not a credentials problem
  EXPECT_EQ(response.transport_error.rfind("timed out: no complete answer within 2000 ms", 0), 0u)
      << response.transport_error;
  EXPECT_EQ(silent.accepted(), 1);
  // Connect, handshake, send and receive together: one timeout, not one per phase (it took
  // three before). Generous slack for a loaded machine.
  EXPECT_LT(took, 2000 + 2000) << "the attempt took " << took << " ms";
}

TEST(HardTimeout, AnAnswerThatComesAByteAtATimeIsCutOffAtTimeoutMs) {
  DribblingServer dribbling;
  HttpsClient client(dribbling.url(), TlsSettings{test::certsDir() + "/ca.pem", "", "", ""}, 1500);
  auto start = std::chrono::steady_clock::now();
  auto response = client.send(HttpRequest{"POST", "/api/v1/notifications", {}, "{}", {}});
  auto took = elapsedMs(start);
  EXPECT_EQ(response.status, 0);  // a part of an answer is not an answer
  EXPECT_TRUE(response.timed_out) << response.transport_error;
  EXPECT_GT(dribbling.bytesSent(), 0);  // it was answering, slowly
  // The whole answer would take over 10 s; each byte came well within the read timeout.
  EXPECT_LT(took, 1500 + 2500) << "the attempt took " << took << " ms";
}

TEST(HardTimeout, ARequestsOwnDeadlineEndsItSoonerThanTheTimeout) {
  SilentListener silent;
  HttpsClient client(silent.url(), TlsSettings{test::certsDir() + "/ca.pem", "", "", ""}, 60000);
  HttpRequest request{"POST", "/x", {}, "{}", {}};
  request.deadline = std::chrono::steady_clock::now() + Millis(500);
  auto start = std::chrono::steady_clock::now();
  auto response = client.send(request);
  EXPECT_TRUE(response.timed_out) << response.transport_error;
  EXPECT_LT(elapsedMs(start), 500 + 2500);
}

TEST(HardTimeout, TheRunBudgetStopsDeliveryAndLeavesTheRestPending) {
  SilentListener silent;
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  ::setenv("MB_T_SILENT", "token", 1);
  std::vector<Problem> problems;
  nlohmann::json config = {{"name", "la"},
                           {"type", "la_portal"},
                           {"base_url", silent.url()},
                           {"ca_file", test::certsDir() + "/ca.pem"},
                           {"timeout_ms", 1000},
                           // One at a time, so the attempts count the budget's timeouts.
                           {"max_in_flight", 1},
                           {"auth", {{"type", "bearer"}, {"token_env", "MB_T_SILENT"}}},
                           {"events", {"unauthorised_10_day"}}};
  auto sink = findOutboundType("la_portal")
                  ->build(config, "$.sinks[0]", dir.path(), School{"140000", "801", "4000", "D"},
                          ConfigContext{"markbridge.json", &problems});
  ASSERT_TRUE(sink) << problems.front().str();
  std::vector<Event> events;
  std::vector<PupilEvaluated> pupils;
  for (int n = 0; n < 10; ++n) {
    pupils.emplace_back(test::numberedUpn(n));
    events.push_back(absence(test::numberedUpn(n)));
  }
  SystemClock clock;
  SystemRandom random;
  store->commitEvaluation(pupils, events, {{"la", {"unauthorised_10_day"}}}, clock.nowMs());
  DeliveryOptions options;
  options.backoff = BackoffPolicy{20, 200};
  options.circuit.failures = 1000;  // no pause to hide behind: the budget alone must stop it
  options.run_budget_ms = 2000;
  std::map<std::string, CircuitBreaker> circuits;
  DeliveryWorker worker(*store, {{"la", sink.get()}}, clock, random, options, circuits);
  int attempts = 0;
  worker.on_attempt = [&](const OutboxItem&, const DeliveryResult&) { ++attempts; };
  auto start = std::chrono::steady_clock::now();
  auto report = worker.run();
  auto took = elapsedMs(start);
  EXPECT_TRUE(report.out_of_budget);
  EXPECT_EQ(report.delivered, 0);
  EXPECT_EQ(report.rejected, 0);
  EXPECT_EQ(report.pending_left, 10);
  // About budget / timeout attempts (2, maybe 3 on a slow machine), never all ten.
  EXPECT_GE(attempts, 2);
  EXPECT_LE(attempts, 3);
  EXPECT_EQ(silent.accepted(), attempts);
  for (const auto& item : store->outbox(OutboxState::Pending, 100)) {
    if (item.attempts > 0) {
      EXPECT_NE(item.last_error.find("timed out"), std::string::npos) << item.last_error;
    }
  }
  // Budget + one timeout + slack: before, each of the ten attempts took three timeouts.
  EXPECT_LT(took, 2000 + 1000 + 3000) << "delivery took " << took << " ms";
}

TEST(HardTimeout, ASyncAgainstASilentDestinationEndsWithinItsBudgetAndFreesTheLock) {
  SilentListener silent;
  test::TempDir dir;
  // Five pupils, each absent without reason from 16 Sep 2024: five notifications to send.
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n";
  for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-03"), test::d("2024-10-04")))
    for (int n = 0; n < 5; ++n) {
      auto iso = day.iso();
      std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
      const char* mark = day >= test::d("2024-09-16") ? "N" : "/";
      for (const char* session : {"AM", "PM"})
        csv += test::numberedUpn(n) + "," + std::to_string(1000 + n) + ",Pupil,Test,8B,8," + uk +
               "," + session + "," + mark + "\r\n";
    }
  dir.write("register.csv", csv);
  dir.write("calendar.json", test::autumnCalendarJson());
  nlohmann::json config = {
      {"school", {{"urn", "140000"}, {"la", "801"}, {"estab", "4000"}, {"name", "Test School"}}},
      {"store", {{"sqlite", "register.db"}}},
      {"calendar", "calendar.json"},
      {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
      {"sinks",
       {{{"name", "la"},
         {"type", "la_portal"},
         {"base_url", silent.url()},
         {"ca_file", test::certsDir() + "/ca.pem"},
         {"timeout_ms", 2000},
         {"max_in_flight", 1},  // one at a time: the connections count the attempts
         {"auth", {{"type", "bearer"}, {"token_env", "MB_LA_TOKEN"}}}}}},
      {"delivery", {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 1}}}};
  dir.write("markbridge.json", config.dump(2));
  auto start = std::chrono::steady_clock::now();
  // Killed only if it runs on far past any bound (a hung test would hide the answer).
  auto sync = test::runMarkbridge({"sync", "--config", "markbridge.json"}, {{"MB_LA_TOKEN", "t"}},
                                  dir.path(), 60000);
  auto took = elapsedMs(start);
  EXPECT_EQ(sync.signal, 0) << "still running after 60 s";
  EXPECT_NE(sync.exit_code, -1);
  // Budget 1 s + one 2 s attempt + generous slack for the import and a loaded machine; before,
  // five attempts of three timeouts each ran before the sink paused.
  EXPECT_LT(took, 1000 + 2000 + 4000) << "sync took " << took << " ms\n" << sync.out << sync.err;
  EXPECT_EQ(silent.accepted(), 1);  // one attempt, then the budget was spent
  auto store = openSqliteStore((dir / "register.db").string());
  EXPECT_EQ(store->outbox(OutboxState::Pending, 100).size(), 5u);
  EXPECT_TRUE(store->outbox(OutboxState::Rejected, 100).empty());
  store.reset();
  // The sync lock was released: the next sync runs (and stops at its budget again).
  auto again = test::runMarkbridge({"sync", "--config", "markbridge.json"}, {{"MB_LA_TOKEN", "t"}},
                                   dir.path(), 60000);
  EXPECT_EQ(again.signal, 0);
  EXPECT_NE(again.exit_code, 4) << again.err;  // 4: another sync is running
  EXPECT_EQ(silent.accepted(), 2);
}

TEST(HardTimeout, AKeptAliveConnectionsNextRequestIsCutOffAtItsOwnTimeoutNotTheFirstOnes) {
  // The first answer takes a second; the second request, on the same connection, has its full
  // 2 s from when it was sent (not until the first one's deadline), and no longer.
  SlowerSecondAnswer server(Millis(1000));
  HttpsClient client(server.url(), TlsSettings{test::certsDir() + "/ca.pem", "", "", ""}, 2000);
  auto first = client.send(HttpRequest{"POST", "/api/v1/notifications", {}, "{}", {}});
  ASSERT_EQ(first.status, 202) << first.transport_error;
  auto start = std::chrono::steady_clock::now();
  auto second = client.send(HttpRequest{"POST", "/api/v1/notifications", {}, "{}", {}});
  auto took = elapsedMs(start);
  EXPECT_EQ(second.status, 0);
  EXPECT_TRUE(second.timed_out) << second.transport_error;
  EXPECT_GE(took, 1900) << "cut off at the first request's deadline";
  EXPECT_LT(took, 2000 + 2500) << "the attempt took " << took << " ms";
}

TEST(HardTimeout, AKeptAliveConnectionsNextRequestWithASoonerDeadlineEndsThen) {
  // The first request's deadline is a minute away; the second's own, half a second.
  SlowerSecondAnswer server(Millis(0));
  HttpsClient client(server.url(), TlsSettings{test::certsDir() + "/ca.pem", "", "", ""}, 60000);
  auto first = client.send(HttpRequest{"POST", "/api/v1/notifications", {}, "{}", {}});
  ASSERT_EQ(first.status, 202) << first.transport_error;
  HttpRequest request{"POST", "/api/v1/notifications", {}, "{}", {}};
  request.deadline = std::chrono::steady_clock::now() + Millis(500);
  auto start = std::chrono::steady_clock::now();
  auto second = client.send(request);
  EXPECT_TRUE(second.timed_out) << second.transport_error;
  EXPECT_LT(elapsedMs(start), 500 + 2500);
}
