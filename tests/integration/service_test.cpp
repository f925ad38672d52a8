// `markbridge run` as a black box: started as its own process on port 0, driven through the
// admin API, stopped with SIGTERM in the middle of a delivery, reloaded with SIGHUP, and
// catching up on the register closes it missed while it was down.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/common/https_client.h"
#include "core/domain/upn.h"
#include "core/store/store.h"
#include "schedules/london_time.h"
#include "schedules/sync_schedule.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct Reply {
  int status = 0;
  std::string body;
};

struct ServiceFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  pid_t pid = -1;
  int port = 0;

  ~ServiceFixture() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // A register of `pupils` pupils each away ten school days from 16 September 2024.
  void writeRegister(int pupils) {
    auto cal = test::autumnCalendar();
    std::string csv = "UPN,Adno,Date,Session,Mark\n";
    for (int p = 0; p < pupils; ++p) {
      std::string upn = p == 0 ? "B801200005001" : "";
      if (p > 0) {
        char body[32];
        std::snprintf(body, sizeof body, "A80140003%04d", p);
        upn = body;
        upn[0] = upnCheckLetter(upn);
      }
      for (Date day : cal.schoolDays(test::d("2024-09-16"), test::d("2024-09-27")))
        for (const char* s : {"AM", "PM"})
          csv += upn + "," + std::to_string(3000 + p) + "," + day.iso() + "," + s + ",N\n";
    }
    dir.write("register.csv", csv);
  }

  void writeConfig(const std::string& calendarJson, nlohmann::json extra = nullptr) {
    dir.write("calendar.json", calendarJson);
    nlohmann::json config = {
        {"school", {{"urn", "140000"}, {"la", "801"}, {"estab", "4000"}, {"name", "Test School"}}},
        {"store", {{"sqlite", "register.db"}}},
        {"calendar", "calendar.json"},
        {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
        {"sinks",
         {{{"name", "la"},
           {"type", "la_portal"},
           {"base_url", server->baseUrl()},
           {"ca_file", test::certsDir() + "/ca.pem"},
           {"auth", {{"type", "bearer"}, {"token_env", "MB_LA_TOKEN"}}}}}},
        {"delivery", {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}},
        {"service",
         {{"admin_port", 0},
          {"port_file", "admin.port"},
          {"admin_token_env", "MB_ADMIN_TOKEN"},
          {"log_file", "markbridge.jsonl"}}}};
    if (!extra.is_null()) config.merge_patch(extra);
    dir.write("markbridge.json", config.dump(2));
  }

  void start() {
    std::filesystem::remove(dir / "admin.port");
    pid = test::spawnMarkbridge(
        {"run", "--config", "markbridge.json"},
        {{"MB_LA_TOKEN", "la-sandbox-token"}, {"MB_ADMIN_TOKEN", "admin-secret"}}, dir.path(),
        dir / "service.out", dir / "service.out");
    for (int i = 0; i < 200 && !std::filesystem::exists(dir / "admin.port"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(std::filesystem::exists(dir / "admin.port")) << log();
    std::ifstream(dir / "admin.port") >> port;
  }
  // The exit code after `signal`, or -1 if it has not stopped within `ms`.
  int signalAndWait(int signal, int ms) {
    ::kill(pid, signal);
    for (int waited = 0; waited < ms; waited += 10) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  Reply call(const std::string& method, const std::string& path, bool token = true) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (token) request.set("Authorization", "Bearer admin-secret");
    request.setContentLength(0);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    Reply reply;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), reply.body);
    reply.status = static_cast<int>(response.getStatus());
    return reply;
  }
  std::string log() {
    std::ifstream in(dir / "service.out");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
};

}  // namespace

TEST_F(ServiceFixture, ASyncThroughTheAdminApiDeliversAndShowsInMetrics) {
  writeRegister(1);
  writeConfig(test::autumnCalendarJson());
  start();
  EXPECT_EQ(call("GET", "/health", false).status, 200);
  EXPECT_EQ(call("GET", "/status", false).status, 401);  // everything else needs the token
  auto sync = call("POST", "/sync");
  ASSERT_EQ(sync.status, 200) << sync.body << log();
  auto report = nlohmann::json::parse(sync.body);
  EXPECT_EQ(report["delivered"], 1);
  ASSERT_EQ(server->received().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(server->received()[0].body)["type"], "unauthorised_10_day");
  auto metrics = call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("markbridge_syncs_total{result=\"ok\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("markbridge_outbox_items{sink=\"la\",state=\"delivered\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("markbridge_marks_imported_total 20"), std::string::npos);
  EXPECT_NE(metrics.find("markbridge_last_successful_sync_timestamp_seconds{connector=\"la\"}"),
            std::string::npos);
  auto status = nlohmann::json::parse(call("GET", "/status").body);
  EXPECT_EQ(status["pupils"], 1);
  EXPECT_EQ(call("GET", "/outbox?state=delivered").body.find("\"state\":\"delivered\"") !=
                std::string::npos,
            true);
  EXPECT_EQ(signalAndWait(SIGTERM, 5000), 0);
  // The JSON log file has the sync, and no pupil identifier at info.
  std::ifstream jsonl(dir / "markbridge.jsonl");
  std::string line, all;
  while (std::getline(jsonl, line)) {
    auto entry = nlohmann::json::parse(line);  // every line is JSON
    EXPECT_TRUE(entry.contains("time") && entry.contains("level"));
    all += line;
  }
  EXPECT_NE(all.find("sync asked for through the admin API"), std::string::npos) << all;
  EXPECT_EQ(all.find("B801200005001"), std::string::npos);
}

TEST_F(ServiceFixture, SigtermDuringADeliveryStopsCleanlyAndLosesNothing) {
  writeRegister(30);
  writeConfig(test::autumnCalendarJson());
  sandbox::Faults slow;
  slow.delay_ms = 100;  // each notification takes a tenth of a second
  server->setFaults(slow);
  start();
  std::thread syncing([&] {
    try {
      call("POST", "/sync");
    } catch (...) {
    }
  });
  for (int i = 0; i < 300 && server->received().size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  int code = signalAndWait(SIGTERM, 3000);
  syncing.join();
  EXPECT_EQ(code, 0) << log();
  auto delivered = server->received().size();
  EXPECT_GE(delivered, 3u);
  EXPECT_LT(delivered, 30u);  // it stopped part-way
  // The rest goes with the next sync, and nothing twice.
  server->setFaults(sandbox::Faults{});
  auto rest = test::runMarkbridge({"sync", "--config", "markbridge.json"},
                                  {{"MB_LA_TOKEN", "la-sandbox-token"}}, dir.path());
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(server->received().size(), 30u);
  auto store = openSqliteStore((dir / "register.db").string());
  EXPECT_EQ(store->outbox(OutboxState::Delivered, 100).size(), 30u);
}

TEST_F(ServiceFixture, AConfigWithProblemsIsRefusedOnSighupAndTheServiceCarriesOn) {
  writeRegister(1);
  writeConfig(test::autumnCalendarJson());
  start();
  dir.write("markbridge.json", "{\"school\": {\"urn\": \"12\"}}");
  ::kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(call("GET", "/health", false).status, 200);
  EXPECT_EQ(call("POST", "/sync").status, 200);  // still the old configuration
  EXPECT_EQ(server->received().size(), 1u);
  EXPECT_NE(log().find("configuration NOT reloaded"), std::string::npos) << log();
  EXPECT_EQ(signalAndWait(SIGTERM, 5000), 0);
}

TEST_F(ServiceFixture, OnStartItCatchesUpOnEveryCloseItMissedInOrder) {
  // A calendar around today, and a service last seen a week ago.
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  Date today = london::localDate(now);
  nlohmann::json calendar = {
      {"name", "this term"},
      {"terms", {{{"name", "now"}, {"start", (today - 30).iso()}, {"end", (today + 30).iso()}}}}};
  writeRegister(1);
  writeConfig(calendar.dump());
  {
    auto store = openSqliteStore((dir / "register.db").string());
    store->setSourceState("_service", "last_slot_at", std::to_string(now - 7 * 86400), 0);
  }
  ScheduleConfig schedule;
  std::vector<Problem> problems;
  auto cal = SchoolCalendar::fromJson(calendar, "c");
  auto missed = syncSlots(schedule, cal, now - 7 * 86400, now);
  ASSERT_GT(missed.size(), 5u);
  start();
  for (int i = 0; i < 200; ++i) {
    auto status = nlohmann::json::parse(call("GET", "/status").body);
    if (status["syncs"]["ok"].get<size_t>() >= missed.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto status = nlohmann::json::parse(call("GET", "/status").body);
  EXPECT_EQ(status["syncs"]["ok"].get<size_t>(), missed.size()) << log();
  EXPECT_NE(log().find("catching up on " + std::to_string(missed.size()) + " missed syncs"),
            std::string::npos);
  EXPECT_EQ(signalAndWait(SIGTERM, 5000), 0);
  auto store = openSqliteStore((dir / "register.db").string());
  EXPECT_EQ(std::stoll(*store->sourceState("_service", "last_slot_at")), missed.back().at);
}

TEST_F(ServiceFixture, TheAdminApiOverTlsRetriesADeadLetter) {
  writeRegister(1);
  auto certs = test::certsDir();
  writeConfig(
      test::autumnCalendarJson(),
      {{"service", {{"admin_cert", certs + "/server.pem"}, {"admin_key", certs + "/server.key"}}}});
  start();
  HttpsClient admin("https://127.0.0.1:" + std::to_string(port),
                    TlsSettings{certs + "/ca.pem", "", "", ""}, 30000);
  auto request = [&](const std::string& method, const std::string& path) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.headers["Authorization"] = "Bearer admin-secret";
    return admin.send(r);
  };
  sandbox::Faults refuse;
  refuse.fail = 1;
  refuse.status = 422;
  server->setFaults(refuse);
  auto first = request("POST", "/sync");
  ASSERT_EQ(first.status, 200) << first.transport_error << log();
  EXPECT_EQ(nlohmann::json::parse(first.body)["dead_lettered"], 1);
  auto dead = nlohmann::json::parse(request("GET", "/outbox?state=dead").body)["items"];
  ASSERT_EQ(dead.size(), 1u);
  auto seq = dead[0]["seq"].get<int64_t>();
  EXPECT_EQ(request("POST", "/outbox/" + std::to_string(seq) + "/retry").status, 200);
  EXPECT_EQ(request("POST", "/outbox/" + std::to_string(seq) + "/retry").status, 404);  // pending
  EXPECT_EQ(nlohmann::json::parse(request("POST", "/sync").body)["delivered"], 1);
  EXPECT_EQ(server->received().size(), 1u);
  EXPECT_EQ(signalAndWait(SIGTERM, 5000), 0);
}
