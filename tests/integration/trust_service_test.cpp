// One `markbridge run` for a trust's schools, as a black box on port 0: each school synced on
// its own (POST /sync?school=URN, and its missed register closes caught up at start), /status,
// /health and /metrics per school, one school's refused file and paused sink never stopping
// another's syncs, and schools added and removed by a reload (SIGHUP).

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/domain/upn.h"
#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "schedules/london_time.h"
#include "schedules/sync_schedule.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

std::string upn(int n) {
  char body[32];
  std::snprintf(body, sizeof body, "A80140005%04d", n);
  std::string u = body;
  u[0] = upnCheckLetter(u);
  return u;
}

struct Reply {
  int status = 0;
  std::string body;
};

struct TrustServiceFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> laA = test::startSandbox();
  std::unique_ptr<sandbox::SandboxServer> laB = test::startSandbox();
  pid_t pid = -1;
  int port = 0;
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  Date today = london::localDate(now);
  // A term around today: the schedule has register closes behind and ahead.
  nlohmann::json calendar = {
      {"name", "this term"},
      {"terms", {{{"name", "now"}, {"start", (today - 40).iso()}, {"end", (today + 40).iso()}}}}};

  ~TrustServiceFixture() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // Each pupil away (N) every school day of the last four weeks.
  void writeRegister(const std::string& file, const std::vector<std::string>& upns) {
    auto cal = SchoolCalendar::fromJson(calendar, "c");
    std::string csv = "UPN,Adno,Date,Session,Mark\n";
    int adno = 100;
    for (const auto& u : upns) {
      ++adno;
      for (Date day : cal.schoolDays(today - 28, today - 1))
        for (const char* s : {"AM", "PM"})
          csv += u + "," + std::to_string(adno) + "," + day.iso() + "," + s + ",N\n";
    }
    dir.write(file, csv);
  }

  static nlohmann::json school(const std::string& urn, const std::string& name,
                               const std::string& url, const std::string& tokenEnv) {
    auto sink = test::laSink(url);
    sink["auth"]["token_env"] = tokenEnv;
    return {
        {"school", {{"urn", urn}, {"la", "801"}, {"estab", "400" + urn.substr(5)}, {"name", name}}},
        {"calendar", "calendar.json"},
        {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {urn + ".csv"}}}}},
        {"sinks", {sink}}};
  }
  nlohmann::json schoolA() { return school("140001", "Abbey Primary", laA->baseUrl(), "MB_A"); }
  nlohmann::json schoolB() { return school("140002", "Brook Academy", laB->baseUrl(), "MB_B"); }

  void writeConfig(const nlohmann::json& schools) {
    dir.write("calendar.json", calendar.dump());
    nlohmann::json config = {
        {"schools", schools},
        {"delivery", {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}},
        {"service",
         {{"admin_port", 0},
          {"port_file", "admin.port"},
          {"admin_token_env", "MB_ADMIN_TOKEN"},
          {"log_file", "markbridge.jsonl"}}}};
    dir.write("trust.json", config.dump(2));
  }

  void start(std::map<std::string, std::string> env = {},
             std::vector<std::string> args = {"run", "--config", "trust.json"}) {
    std::filesystem::remove(dir / "admin.port");
    env.emplace("MB_A", "la-sandbox-token");
    env.emplace("MB_B", "la-sandbox-token");
    env.emplace("MB_ADMIN_TOKEN", "admin-secret");
    pid = test::spawnMarkbridge(args, env, dir.path(), dir / "service.out", dir / "service.out");
    ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(dir / "admin.port"); }))
        << log();
    std::ifstream(dir / "admin.port") >> port;
  }
  int stop() {
    ::kill(pid, SIGTERM);
    int status = 0;
    if (!test::waitUntil([&] { return ::waitpid(pid, &status, WNOHANG) == pid; })) return -1;
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
  // A sync of one school, asked for until it runs (a scheduled one may be under way).
  Reply syncSchool(const std::string& urn) {
    Reply reply;
    test::waitUntil([&] {
      reply = call("POST", "/sync?school=" + urn);
      return reply.status != 409;
    });
    return reply;
  }
  nlohmann::json get(const std::string& path) {
    return nlohmann::json::parse(call("GET", path).body);
  }
  std::string log() {
    std::ifstream in(dir / "service.out");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static std::set<std::pair<std::string, std::string>> notified(const sandbox::SandboxServer& s) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : s.received()) {
      auto body = nlohmann::json::parse(r.body);
      seen.emplace(body["school"]["urn"].get<std::string>(),
                   body["pupil"]["upn"].get<std::string>());
    }
    return seen;
  }
  static const nlohmann::json* schoolIn(const nlohmann::json& list, const std::string& urn) {
    for (const auto& s : list)
      if ((s["school"].is_string() ? s["school"].get<std::string>()
                                   : s["school"]["urn"].get<std::string>()) == urn)
        return &s;
    return nullptr;
  }
};

}  // namespace

TEST_F(TrustServiceFixture, EachSchoolIsSyncedOnItsOwnAndShownOnItsOwn) {
  writeRegister("140001.csv", {upn(1), upn(2)});
  writeRegister("140002.csv", {upn(3), upn(2)});  // upn(2) in both: two pupils
  writeConfig(nlohmann::json::array({schoolA(), schoolB()}));
  start();
  // A sync, or an outbox, is one school's: the API says which there are.
  auto unnamed = call("POST", "/sync");
  EXPECT_EQ(unnamed.status, 400);
  EXPECT_NE(unnamed.body.find("140001 and 140002"), std::string::npos) << unnamed.body;
  EXPECT_EQ(call("POST", "/sync?school=999999").status, 404);
  auto sync = syncSchool("140001");
  ASSERT_EQ(sync.status, 200) << sync.body << log();
  EXPECT_EQ(nlohmann::json::parse(sync.body)["delivered"], 2);
  EXPECT_EQ(notified(*laA), (std::set<std::pair<std::string, std::string>>{{"140001", upn(1)},
                                                                           {"140001", upn(2)}}));
  EXPECT_TRUE(laB->received().empty());
  ASSERT_EQ(syncSchool("140002").status, 200) << log();
  EXPECT_EQ(notified(*laB), (std::set<std::pair<std::string, std::string>>{{"140002", upn(3)},
                                                                           {"140002", upn(2)}}));
  EXPECT_EQ(laA->received().size(), 2u);

  auto status = get("/status");
  ASSERT_EQ(status["schools"].size(), 2u) << status.dump();
  for (const char* urn : {"140001", "140002"}) {
    auto* s = schoolIn(status["schools"], urn);
    ASSERT_TRUE(s) << status.dump();
    EXPECT_EQ((*s)["pupils"], 2);
    EXPECT_EQ((*s)["syncs"]["ok"].get<int>() >= 1, true);
    EXPECT_EQ((*s)["health"]["status"], "ok");
    EXPECT_EQ((*s)["outbox_claims"], nlohmann::json::array());  // SQLite: no claims, and none held
  }
  EXPECT_EQ(get("/status?school=140002")["schools"].size(), 1u);
  auto health = nlohmann::json::parse(call("GET", "/health", false).body);
  EXPECT_EQ(health["status"], "ok") << health.dump();
  EXPECT_EQ(health["schools"].size(), 2u);
  auto metrics = call("GET", "/metrics").body;
  for (const char* line :
       {"markbridge_outbox_items{school=\"140001\",sink=\"la\",state=\"delivered\"} 2",
        "markbridge_outbox_items{school=\"140002\",sink=\"la\",state=\"delivered\"} 2",
        "markbridge_delivered_total{school=\"140001\"} 2"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  // One HELP per metric, whatever the number of schools.
  std::size_t helps = 0;
  for (auto at = metrics.find("# HELP markbridge_syncs_total"); at != std::string::npos;
       at = metrics.find("# HELP markbridge_syncs_total", at + 1))
    ++helps;
  EXPECT_EQ(helps, 1u);
  auto outbox = call("GET", "/outbox?school=140002&state=delivered");
  EXPECT_EQ(outbox.status, 200);
  EXPECT_EQ(nlohmann::json::parse(outbox.body)["items"].size(), 2u);
  EXPECT_EQ(call("GET", "/outbox").status, 400);
  EXPECT_EQ(stop(), 0);
  // Every line a school's sync logged says which school, whichever part logged it; no pupil's
  // UPN at info.
  std::ifstream jsonl(dir / "markbridge.jsonl");
  std::set<std::string> importsLogged;
  for (std::string line; std::getline(jsonl, line);) {
    auto entry = nlohmann::json::parse(line);
    if (entry["logger"] == "sims" && entry.contains("school"))
      importsLogged.insert(entry["school"].get<std::string>());
    if (entry["level"] == "info") {
      for (int n : {1, 2, 3}) EXPECT_EQ(line.find(upn(n)), std::string::npos) << line;
    }
  }
  EXPECT_EQ(importsLogged, (std::set<std::string>{"140001", "140002"}));
}

TEST_F(TrustServiceFixture, OneSchoolsRefusedFileAndPausedSinkNeverStopAnothersSyncs) {
  // Both schools were last seen a week ago: the start catches up on every close they missed.
  writeRegister("140001.csv", {upn(1)});
  writeRegister("140002.csv", {upn(3), upn(4)});
  writeConfig(nlohmann::json::array({schoolA(), schoolB()}));
  for (const char* urn : {"140001", "140002"}) {
    std::filesystem::create_directories(dir / "stores");
    auto store = openSqliteStore((dir / "stores" / (std::string(urn) + ".db")).string());
    store->setSourceState("_service", "last_slot_at", std::to_string(now - 7 * 86400), 0);
  }
  auto missed =
      syncSlots(ScheduleConfig{}, SchoolCalendar::fromJson(calendar, "c"), now - 7 * 86400, now);
  ASSERT_GT(missed.size(), 2u);
  // School A: the LA refuses its token (its sink pauses), and its file is refused from the
  // second sync on. School B is fine.
  start({{"MB_A", "not-the-token"}});
  auto okSyncs = [&](const std::string& urn) {
    auto status = get("/status");
    auto* s = schoolIn(status["schools"], urn);
    return s ? (*s)["syncs"]["ok"].get<std::size_t>() : 0;
  };
  ASSERT_TRUE(test::waitUntil([&] { return okSyncs("140002") >= missed.size(); })) << log();
  EXPECT_EQ(notified(*laB), (std::set<std::pair<std::string, std::string>>{{"140002", upn(3)},
                                                                           {"140002", upn(4)}}));
  EXPECT_TRUE(laA->received().empty());
  auto health = nlohmann::json::parse(call("GET", "/health", false).body);
  EXPECT_EQ(health["status"], "degraded") << health.dump();
  ASSERT_FALSE(health["problems"].empty());
  for (const auto& p : health["problems"]) {
    EXPECT_EQ(p["school"], "140001") << health.dump();
    EXPECT_NE(p["problem"].get<std::string>().find("school 140001: sink la is paused"),
              std::string::npos)
        << health.dump();
  }
  EXPECT_EQ((*schoolIn(health["schools"], "140002"))["status"], "ok") << health.dump();
  // A's export is now refused whole; B's next sync still runs and sends its new pupil.
  dir.write("140001.csv", "UPN,Adno,Date,Session,Mark\nnot-a-upn,1,2024-09-16,AM,N\n");
  writeRegister("140002.csv", {upn(3), upn(4), upn(5)});
  auto refused = syncSchool("140001");
  EXPECT_EQ(refused.status, 200) << refused.body;
  ASSERT_EQ(syncSchool("140002").status, 200);
  EXPECT_EQ(laB->received().size(), 3u);
  EXPECT_NE(log().find("school 140001: "), std::string::npos);
  EXPECT_EQ(stop(), 0);
}

TEST_F(TrustServiceFixture, ASchoolAddedOrRemovedIsAReload) {
  writeRegister("140001.csv", {upn(1)});
  writeRegister("140002.csv", {upn(3)});
  writeConfig(nlohmann::json::array({schoolA()}));
  start();
  ASSERT_EQ(get("/status")["schools"].size(), 1u);
  EXPECT_EQ(call("POST", "/sync?school=140002").status, 404);
  // Added: served after SIGHUP, its store made, its syncs its own.
  writeConfig(nlohmann::json::array({schoolA(), schoolB()}));
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] { return get("/status")["schools"].size() == 2u; })) << log();
  EXPECT_NE(log().find("schools added: 140002"), std::string::npos) << log();
  ASSERT_EQ(syncSchool("140002").status, 200) << log();
  EXPECT_EQ(notified(*laB), (std::set<std::pair<std::string, std::string>>{{"140002", upn(3)}}));
  EXPECT_TRUE(std::filesystem::exists(dir / "stores" / "140002.db"));
  // A configuration with a problem is refused whole: both schools stay served.
  auto broken = schoolB();
  broken["school"]["urn"] = "140001";
  writeConfig(nlohmann::json::array({schoolA(), broken}));
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return log().find("configuration NOT reloaded") != std::string::npos;
  })) << log();
  EXPECT_EQ(get("/status")["schools"].size(), 2u);
  // Removed: no longer served; its store is kept.
  writeConfig(nlohmann::json::array({schoolB()}));
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] { return get("/status")["schools"].size() == 1u; })) << log();
  EXPECT_NE(log().find("schools removed: 140001"), std::string::npos) << log();
  EXPECT_EQ(call("POST", "/sync?school=140001").status, 404);
  EXPECT_TRUE(std::filesystem::exists(dir / "stores" / "140001.db"));
  EXPECT_EQ(stop(), 0);
}

// `markbridge run --school URN`: a worker of its own for one school of the trust (a large one),
// at the start and at every reload; a URN the configuration lacks stops it, naming the schools.
TEST_F(TrustServiceFixture, RunWithSchoolServesThatSchoolAlone) {
  writeRegister("140001.csv", {upn(1)});
  writeRegister("140002.csv", {upn(3)});
  writeConfig(nlohmann::json::array({schoolA(), schoolB()}));
  auto refused = test::runMarkbridge({"run", "--config", "trust.json", "--school", "149999"},
                                     {{"MB_ADMIN_TOKEN", "admin-secret"}}, dir.path());
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("140001 and 140002"), std::string::npos) << refused.err;
  start({}, {"run", "--config", "trust.json", "--school", "140002"});
  auto schools = get("/status")["schools"];
  ASSERT_EQ(schools.size(), 1u) << schools.dump();
  EXPECT_EQ(call("POST", "/sync?school=140001").status, 404);
  ASSERT_EQ(syncSchool("140002").status, 200) << log();
  EXPECT_EQ(notified(*laB), (std::set<std::pair<std::string, std::string>>{{"140002", upn(3)}}));
  EXPECT_TRUE(laA->received().empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "stores" / "140001.db"));
  // A reload keeps to the school named.
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return log().find("configuration reloaded") != std::string::npos;
  })) << log();
  EXPECT_EQ(get("/status")["schools"].size(), 1u);
  EXPECT_EQ(stop(), 0);
}

TEST_F(TrustServiceFixture, AStoreThatCannotBeOpenedAtAReloadHoldsBackOnlyItsOwnSchool) {
  writeRegister("140001.csv", {upn(1)});
  writeRegister("140002.csv", {upn(3)});
  writeRegister("140003.csv", {upn(5)});
  writeConfig(nlohmann::json::array({schoolA(), schoolB()}));
  start();
  ASSERT_EQ(get("/status")["schools"].size(), 2u);
  // Brook's store damaged on disk (its running connection keeps the file it opened), a new
  // school whose store is not a database, and Abbey's export moved to a file of today's.
  dir.write("stores/140002.db.new", "this is not a database");
  std::filesystem::rename(dir / "stores" / "140002.db.new", dir / "stores" / "140002.db");
  dir.write("stores/140003.db", "nor is this");
  writeRegister("140001-today.csv", {upn(1), upn(2)});
  auto abbey = schoolA();
  abbey["sources"][0]["files"] = {"140001-today.csv"};
  auto cedar = school("140003", "Cedar School", laB->baseUrl(), "MB_B");
  writeConfig(nlohmann::json::array({abbey, schoolB(), cedar}));
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return log().find("configuration reloaded") != std::string::npos ||
           log().find("configuration NOT reloaded") != std::string::npos;
  })) << log();
  EXPECT_EQ(log().find("configuration NOT reloaded"), std::string::npos) << log();
  EXPECT_NE(log().find("school 140003 NOT added: its store cannot be opened"), std::string::npos)
      << log();
  EXPECT_NE(log().find("it goes on with the configuration it was running"), std::string::npos);
  EXPECT_EQ(call("POST", "/sync?school=140003").status, 404);
  // /status shows both schools served; Brook's entry says its store cannot be read.
  auto status = get("/status");
  ASSERT_EQ(status["schools"].size(), 2u) << status.dump();
  const auto* brook = schoolIn(status["schools"], "140002");
  ASSERT_NE(brook, nullptr);
  EXPECT_EQ((*brook)["health"]["status"], "degraded") << brook->dump();
  EXPECT_NE((*brook)["error"].get<std::string>().find("store cannot be read"), std::string::npos);
  EXPECT_EQ((*schoolIn(status["schools"], "140001"))["health"]["status"], "ok");
  // Cedar, not served, is named in /status, /health and /metrics, with what to do; Brook's
  // entry in /health says it runs the configuration it had.
  ASSERT_EQ(status["schools_not_added"].size(), 1u) << status.dump();
  EXPECT_EQ(status["schools_not_added"][0]["urn"], "140003");
  auto health = get("/health");
  EXPECT_EQ(health["status"], "degraded");
  int cedarProblems = 0, brookKept = 0;
  for (const auto& p : health["problems"]) {
    auto said = p["problem"].get<std::string>();
    if (p["school"] == "140003" && said.find("NOT served") != std::string::npos &&
        p["action"].get<std::string>().find("markbridge status --school 140003") !=
            std::string::npos)
      ++cedarProblems;
    if (p["school"] == "140002" &&
        said.find("it goes on with the configuration it was running") != std::string::npos)
      ++brookKept;
  }
  EXPECT_EQ(cedarProblems, 1) << health.dump();
  EXPECT_EQ(brookKept, 1) << health.dump();
  auto metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("markbridge_schools_not_added 1\n"), std::string::npos);
  // Abbey took its new settings up: its sync reads today's export.
  ASSERT_EQ(syncSchool("140001").status, 200) << log();
  EXPECT_EQ(notified(*laA).count({"140001", upn(2)}), 1u) << log();
  // Cedar's store put right: the next reload adds it.
  std::filesystem::remove(dir / "stores" / "140003.db");
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return log().find("schools added: 140003") != std::string::npos;
  })) << log();
  ASSERT_EQ(syncSchool("140003").status, 200) << log();
  EXPECT_EQ(notified(*laB).count({"140003", upn(5)}), 1u);
  // Brook's store still damaged: it stays on its old settings, and says so; Cedar is no longer
  // held back.
  status = get("/status");
  EXPECT_TRUE(status["schools_not_added"].empty()) << status.dump();
  EXPECT_NE(call("GET", "/metrics").body.find("markbridge_schools_not_added 0\n"),
            std::string::npos);
  auto keptBack = [&] {
    auto health = get("/health");
    for (const auto& p : health["problems"])
      if (p["school"] == "140002" &&
          p["problem"].get<std::string>().find("goes on with the configuration it was running") !=
              std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(keptBack()) << get("/health").dump();
  // Brook's store put right (the damaged file moved aside: a new one is made): the next reload
  // takes Brook up and its concern goes.
  std::filesystem::rename(dir / "stores" / "140002.db", dir / "stores" / "140002.db.broken");
  std::size_t reloads = 0;
  for (auto at = log().find("configuration reloaded"); at != std::string::npos;
       at = log().find("configuration reloaded", at + 1))
    ++reloads;
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    std::size_t now = 0;
    for (auto at = log().find("configuration reloaded"); at != std::string::npos;
         at = log().find("configuration reloaded", at + 1))
      ++now;
    return now > reloads;
  })) << log();
  EXPECT_FALSE(keptBack()) << get("/health").dump();
  EXPECT_EQ(stop(), 0);
}
