// Several `markbridge run` workers sharing one PostgreSQL store (issue 18, items 3 and 4), as
// black boxes: 3 workers, 20 schools catching up on two weeks of register closes, a sandbox
// failing 20% of requests, a worker SIGKILLed while it syncs 20 times (another started in its
// place), and PostgreSQL restarted once on the way. At the end every outbox item of every school
// is delivered, the sandbox holds exactly one record per item (compared key by key), and the
// database's sync log shows no school's sync ever running on two workers at once.
//
// The cluster is the test's own (scripts/pg-test-cluster.sh), so restarting it disturbs no other
// test; it runs where MARKBRIDGE_TEST_POSTGRES says PostgreSQL is installed (scripts/test.sh).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "core/app/gateway.h"
#include "core/app/gateway_config.h"
#include "core/app/service.h"
#include "core/domain/upn.h"
#include "core/store/postgres_db.h"
#include "core/store/postgres_store.h"
#include "schedules/london_time.h"
#include "schedules/sync_schedule.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The test's own PostgreSQL, started by the script the test suite uses.
struct Cluster {
  std::string uri, dir;
  Cluster() {
    auto out = script("start");
    for (std::size_t at = 0; at < out.size();) {
      auto end = out.find('\n', at);
      auto line = out.substr(at, end - at);
      at = end == std::string::npos ? out.size() : end + 1;
      for (const std::string name : {"MARKBRIDGE_TEST_POSTGRES=", "MARKBRIDGE_TEST_POSTGRES_DIR="})
        if (auto p = line.find(name); p != std::string::npos)
          (name.size() > 26 ? dir : uri) = line.substr(p + name.size());
    }
  }
  ~Cluster() {
    if (!dir.empty()) script("stop " + dir);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  void restart() { script("restart " + dir); }
  void pause() { script("pause " + dir); }  // the server stopped until restart()
  // The URI without its password, and the password (a configuration may not hold one).
  std::string password() const {
    auto colon = uri.find(':', 13), at = uri.find('@');
    return uri.substr(colon + 1, at - colon - 1);
  }
  std::string withoutPassword() const {
    return uri.substr(0, uri.find(':', 13)) + uri.substr(uri.find('@'));
  }
  static std::string script(const std::string& args) {
    std::string command =
        "bash " + test::sourceDir() + "/scripts/pg-test-cluster.sh " + args + " 2>/dev/null";
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
      char buffer[512];
      while (std::fgets(buffer, sizeof buffer, p)) out += buffer;
      ::pclose(p);
    }
    return out;
  }
};

struct SyncRun {
  std::string school, worker, what;
  int64_t started = 0;
  std::optional<int64_t> finished;
};

class WorkersFixture : public ::testing::Test {
 protected:
  // The trust: 20 schools, 20 kills. Under AddressSanitizer (where memory is not
  // measured) every process runs several times slower: 8 and 8, the same checks.
  static constexpr int kSchools = test::kMemoryIsMeasured ? 20 : 8, kPupils = 3, kWorkers = 3,
                       kKills = test::kMemoryIsMeasured ? 20 : 8;

  void SetUp() override {
    if (std::getenv("MARKBRIDGE_TEST_POSTGRES") == nullptr)
      GTEST_SKIP() << "MARKBRIDGE_TEST_POSTGRES is not set, so several workers were NOT tested: "
                      "run scripts/test.sh";
    cluster = std::make_unique<Cluster>();
    ASSERT_FALSE(cluster->dir.empty()) << "the test's PostgreSQL did not start";
  }
  void TearDown() override {
    for (auto pid : workers) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  static std::string urn(int school) { return std::to_string(141000 + school); }
  static std::string upn(int school, int pupil) {
    char body[32];
    std::snprintf(body, sizeof body, "A8014%02d00%04d", school, pupil);
    std::string u = body;
    u[0] = upnCheckLetter(u);
    return u;
  }

  // Each school's pupils away (N) every school day of the last four weeks; the register closes
  // of the last two weeks not synced yet, so each worker has many slots to catch up on.
  void writeTrust(int daysBehind = 14) {
    auto today = london::localDate(nowMs() / 1000);
    nlohmann::json calendar = {
        {"name", "this term"},
        {"terms", {{{"name", "now"}, {"start", (today - 40).iso()}, {"end", (today + 40).iso()}}}}};
    dir.write("calendar.json", calendar.dump());
    auto cal = SchoolCalendar::fromJson(calendar, "c");
    nlohmann::json schools = nlohmann::json::array();
    for (int s = 0; s < kSchools; ++s) {
      std::string csv = "UPN,Adno,Date,Session,Mark\n";
      for (int p = 0; p < kPupils; ++p)
        for (Date day : cal.schoolDays(today - 28, today - 1))
          for (const char* session : {"AM", "PM"})
            csv += upn(s, p) + "," + std::to_string(100 + p) + "," + day.iso() + "," + session +
                   ",N\n";
      dir.write(urn(s) + ".csv", csv);
      schools.push_back(
          {{"school",
            {{"urn", urn(s)},
             {"la", "801"},
             {"estab", std::to_string(4100 + s)},
             {"name", "School " + std::to_string(s)}}},
           {"calendar", "calendar.json"},
           {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {urn(s) + ".csv"}}}}}});
    }
    nlohmann::json config = {
        {"schools", schools},
        {"store", {{"postgresql", cluster->withoutPassword()}, {"password_env", "MB_PG_PASSWORD"}}},
        {"sinks", {test::laSink(sandbox->baseUrl()), test::cpomsSink(sandbox->baseUrl())}},
        {"delivery", {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}},
        {"service", {{"admin_port", -1}}}};
    dir.write("trust.json", config.dump(2));
    // Every school's store made, and its last synced slot put `daysBehind` days back.
    for (int s = 0; s < kSchools; ++s)
      openPostgresStore(cluster->uri, urn(s))
          ->setSourceState("_service", "last_slot_at",
                           std::to_string(nowMs() / 1000 - daysBehind * 86400), nowMs());
  }

  // The trust with nothing to catch up on, its secrets in this process's environment, for a
  // gateway or a service run in this process.
  void trustHere() {
    writeTrust(0);
    ::setenv("MB_PG_PASSWORD", cluster->password().c_str(), 1);
    ::setenv("MB_LA_TOKEN", "la-sandbox-token", 1);
    ::setenv("MB_CPOMS_KEY", "cpoms-sandbox-key", 1);
  }
  // That trust served by a Service in this process (not started).
  std::unique_ptr<Service> serviceHere() {
    trustHere();
    return std::make_unique<Service>(dir / "trust.json", clock);
  }
  pid_t startWorker() {
    static int started = 0;
    auto out = dir / ("worker" + std::to_string(++started) + ".out");
    auto pid = test::spawnMarkbridge({"run", "--config", "trust.json"},
                                     {{"MB_PG_PASSWORD", cluster->password()},
                                      {"MB_LA_TOKEN", "la-sandbox-token"},
                                      {"MB_CPOMS_KEY", "cpoms-sandbox-key"}},
                                     dir.path(), out, out);
    outputs[pid] = out;
    return pid;
  }
  // The end of a worker's output, for a failure's message.
  std::string said(pid_t pid) {
    std::ifstream in(outputs[pid]);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  }

  std::vector<SyncRun> runs(PgConnection& db) {
    PgStatement s(db,
                  "SELECT school, worker, what, started_at, finished_at FROM sync_runs ORDER BY "
                  "school, started_at, id",
                  "read the sync log");
    std::vector<SyncRun> all;
    while (s.step()) {
      SyncRun r{s.text(0), s.text(1), s.text(2), s.integer(3), std::nullopt};
      if (!s.isNull(4)) r.finished = s.integer(4);
      all.push_back(r);
    }
    return all;
  }

  // A worker syncing a school now (its run started and not finished), if any.
  std::optional<pid_t> syncing(PgConnection& db) {
    PgStatement s(db, "SELECT worker FROM sync_runs WHERE finished_at IS NULL AND outcome=''",
                  "find a sync under way");
    while (s.step()) {
      auto worker = s.text(0);
      auto pid = static_cast<pid_t>(std::stol(worker.substr(worker.rfind(':') + 1)));
      if (std::find(workers.begin(), workers.end(), pid) != workers.end()) return pid;
    }
    return std::nullopt;
  }

  // Every school's last synced slot is its last register close (or night) before now.
  bool everySchoolCaughtUp(PgConnection& db) {
    auto calendar = SchoolCalendar::load(dir / "calendar.json");
    int64_t now = nowMs() / 1000;
    auto slots = syncSlots(ScheduleConfig{}, calendar, now - 15 * 86400, now);
    if (slots.empty()) return true;
    PgStatement s(db,
                  "SELECT count(*) FROM source_state WHERE source='_service' AND "
                  "key='last_slot_at' AND value::bigint >= $1",
                  "count the schools caught up");
    s.bind(1, slots.back().at);
    s.step();
    return s.integer(0) == kSchools;
  }

  bool everyItemDelivered(PgConnection& db, int& items) {
    PgStatement s(db, "SELECT count(*), count(*) FILTER (WHERE state<>'delivered') FROM outbox",
                  "count the outbox");
    s.step();
    items = static_cast<int>(s.integer(0));
    return items > 0 && s.integer(1) == 0;
  }

  test::TempDir dir;
  std::unique_ptr<Cluster> cluster;
  SystemClock clock;
  std::unique_ptr<sandbox::SandboxServer> sandbox = test::startSandbox();
  std::vector<pid_t> workers;
  std::map<pid_t, std::filesystem::path> outputs;
};

}  // namespace

TEST_F(WorkersFixture, KilledWorkersAndARestartedDatabaseLoseAndDoubleNothing) {
  sandbox::Faults faults;
  faults.fail_percent = 20;
  sandbox->setFaults(faults);
  writeTrust();
  for (int i = 0; i < kWorkers; ++i) workers.push_back(startWorker());
  PgConnection db(cluster->uri);
  std::mt19937 random(2026);
  std::map<std::string, int64_t> killedAt;  // worker ("host:pid") -> when SIGKILL was sent
  int64_t restartedAt = 0;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  for (int kill = 0; kill < kKills; ++kill) {
    std::optional<pid_t> victim;
    // A worker caught in a sync; with every slot done, any worker.
    test::waitUntil([&] { return (victim = syncing(db)).has_value(); }, std::chrono::seconds(5));
    if (!victim) victim = workers[random() % workers.size()];
    killedAt[std::string(host) + ":" + std::to_string(*victim)] = nowMs();
    ::kill(*victim, SIGKILL);
    ::waitpid(*victim, nullptr, 0);
    std::replace(workers.begin(), workers.end(), *victim, startWorker());
    if (kill == kKills / 2) {
      restartedAt = nowMs();
      cluster->restart();  // every worker's connections dropped mid-run
      try {
        db.exec("SELECT 1", "see the connection the restart ended");
      } catch (const StoreError&) {
        // As the workers' do: the next statement connects again.
      }
    }
  }
  // Every school caught up to its last register close and every item delivered, by the
  // workers left running; then they are stopped, so nothing changes while it is checked.
  int items = 0;
  ASSERT_TRUE(
      test::waitUntil([&] { return everySchoolCaughtUp(db) && everyItemDelivered(db, items); },
                      std::chrono::seconds(90)))
      << items << " items; not every school caught up or not every item delivered";
  // Every worker still running (none stopped on its own: a refused connection, a crash), then
  // each stopped cleanly.
  for (auto pid : workers)
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "worker " << pid << ":\n" << said(pid);
  for (auto pid : workers) ::kill(pid, SIGTERM);
  for (auto pid : workers) {
    int status = -1;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker " << pid << ":\n"
                                                               << said(pid);
  }
  workers.clear();
  ASSERT_TRUE(everyItemDelivered(db, items));
  EXPECT_GE(items, kSchools * kPupils);  // an LA notification for each pupil, at least

  // Exactly one record per item at the destination, key by key, for every school.
  // Each school's keys begin with its URN (DeliveryWorker::key_scope).
  std::multiset<std::string> expected;
  std::size_t all = 0;
  for (int s = 0; s < kSchools; ++s) {
    auto outbox = openPostgresStore(cluster->uri, urn(s))->outbox(std::nullopt, 100'000);
    all += outbox.size();
    expected.merge(test::recordsFor(outbox, urn(s) + ":"));
  }
  EXPECT_EQ(static_cast<int>(all), items);
  auto got = test::recordsAt(*sandbox);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "the destination's records differ from the outbox";

  // No school's sync ever ran on two workers at once: each run began after the one before it
  // ended, or (a killed worker's, never finished) after its worker was killed.
  auto log = runs(db);
  std::set<std::string> schoolsSynced, workersSeen;
  for (std::size_t i = 1; i < log.size(); ++i) {
    const auto &before = log[i - 1], &run = log[i];
    schoolsSynced.insert(run.school);
    workersSeen.insert(run.worker);
    if (before.school != run.school) continue;
    if (before.finished) {
      EXPECT_GE(run.started, *before.finished)
          << run.school << ": " << run.what << " on " << run.worker << " began before "
          << before.what << " on " << before.worker << " ended";
    } else if (killedAt.count(before.worker)) {
      EXPECT_GE(run.started, killedAt[before.worker]) << run.school << ": " << run.what;
    } else {
      // Cut short by the database's restart (its lease went with its connection).
      EXPECT_LT(before.started, restartedAt)
          << run.school << ": " << before.what << " on " << before.worker
          << " never ended, and its worker was neither killed nor cut off by the restart";
      EXPECT_GE(run.started, restartedAt) << run.school << ": " << run.what;
    }
  }
  EXPECT_EQ(static_cast<int>(schoolsSynced.size()), kSchools);
  EXPECT_GT(workersSeen.size(), static_cast<std::size_t>(kWorkers));  // the killed and the new
  int unfinished = 0;
  for (const auto& r : log) unfinished += !r.finished;
  std::cout << log.size() << " syncs by " << workersSeen.size() << " workers, " << unfinished
            << " cut short (" << killedAt.size() << " workers killed, the database restarted "
            << "once); " << items << " outbox items, " << got.size() << " records at the sandbox\n";
  EXPECT_GT(unfinished, 0) << "no worker was killed during a sync: the test proved nothing";
}

// A database that does not answer is waited for; one that refuses the worker's password is not:
// the worker stops at once, exit code 6, saying why.
TEST_F(WorkersFixture, AWorkerWhosePasswordIsRefusedStopsAndSaysSo) {
  writeTrust();
  auto r = test::runMarkbridge({"run", "--config", "trust.json"},
                               {{"MB_PG_PASSWORD", "not-the-password"},
                                {"MB_LA_TOKEN", "la-sandbox-token"},
                                {"MB_CPOMS_KEY", "cpoms-sandbox-key"}},
                               dir.path(), 60'000);
  EXPECT_EQ(r.signal, 0) << "the worker kept trying a refused password";
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("trying again"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-the-password"), std::string::npos);
}

// A trust's worker whose database connections drop between its start and its schools' start
// (PostgreSQL restarting, a failover) says so for each school (/health) and starts each again
// a few seconds later, never stopping: the last test's worker stopped with exit code 6 on this.
// In-process, so the connections can be cut exactly there: every client backend but the test's
// own is terminated after the service is made and before it runs. The worker's schools share
// one connection (PgConnectionShare): the first school's start finds it cut and says so, and
// the next, a moment later, finds it made again.
TEST_F(WorkersFixture, SchoolsWhoseStoreFailsAtTheStartAreStartedAgainAndTheWorkerGoesOn) {
  auto made = serviceHere();  // nothing to catch up on: the schools' starts are looked at
  auto& service = *made;
  PgConnection admin(cluster->uri);
  PgStatement cut(admin,
                  "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                  "backend_type = 'client backend' AND pid <> pg_backend_pid()",
                  "cut the worker's connections");
  ASSERT_TRUE(cut.step());
  ASSERT_EQ(cut.integer(0), 1) << "the worker's schools share one connection";
  std::atomic<int> exitCode{-1};
  std::thread running([&] { exitCode = service.run(false); });
  auto storeFailed = [&](const std::string& urn) {
    for (const auto& c : service.concerns(urn))
      if (c.problem.find("the school's store failed") != std::string::npos) return true;
    return false;
  };
  // Said for the first school at once (it is tried again 5 s later at the soonest)...
  bool said = test::waitUntil([&] { return storeFailed(urn(0)) || exitCode >= 0; },
                              std::chrono::seconds(10));
  // ...then every school started (its next sync worked out, which only a started school's is),
  // the failure no longer said.
  bool caughtUp = test::waitUntil(
      [&] {
        for (int s = 0; s < kSchools; ++s)
          if (service.figures(urn(s)).next_sync.empty() || storeFailed(urn(s))) return false;
        return true;
      },
      std::chrono::seconds(120));
  // Every school started again on the one connection, made again once.
  PgStatement connections(admin,
                          "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                          "'markbridge worker'",
                          "count the worker's connections");
  ASSERT_TRUE(connections.step());
  EXPECT_EQ(connections.integer(0), 1) << "one connection for " << kSchools << " schools";
  int stoppedWith = exitCode;
  service.stop();
  running.join();
  EXPECT_TRUE(said) << "no school's store failure was said: the test proved nothing";
  EXPECT_EQ(stoppedWith, -1) << "the worker stopped (exit code " << stoppedWith << ")";
  EXPECT_TRUE(caughtUp) << "a school was not started again";
  EXPECT_EQ(exitCode, 0);
}

TEST_F(WorkersFixture, TheAdminApiReadsEverySchoolThroughOneConnectionForEachThread) {
  auto made = serviceHere();
  auto& service = *made;
  // Every connection made from here on is in the server's log.
  PgConnection admin(cluster->uri);
  admin.exec("ALTER SYSTEM SET log_connections = on", "log every connection");
  admin.exec("SELECT pg_reload_conf()", "take up the setting");
  ASSERT_TRUE(test::waitUntil([&] {
    PgConnection fresh(cluster->uri);
    PgStatement show(fresh, "SHOW log_connections", "read the setting");
    return show.step() && show.text(0) == "on";
  }));
  const auto log = std::filesystem::path(cluster->dir) / "postgres.log";
  auto connectionsMade = [&] {
    std::ifstream in(log);
    std::string line;
    int made = 0;
    while (std::getline(in, line)) made += line.find("connection authorized") != std::string::npos;
    return made;
  };
  const int before = connectionsMade();
  // What /status, /metrics and the console's trust page read, three times over, on one thread
  // as the admin API serves a request.
  int named = -1;
  std::thread serving([&] {
    for (int round = 0; round < 3; ++round)
      for (int s = 0; s < kSchools; ++s) {
        EXPECT_EQ(service.openStore(urn(s))->status().pupils, 0);
        EXPECT_FALSE(service.syncRunning(urn(s)));
      }
    PgStatement open(admin,
                     "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                     "'markbridge admin'",
                     "count the admin API's connections");
    if (open.step()) named = static_cast<int>(open.integer(0));
  });
  serving.join();
  EXPECT_EQ(connectionsMade() - before, 1)
      << "connections made for " << 3 * kSchools << " schools' reads and leases";
  EXPECT_EQ(named, 1) << "the reads' connection, kept while its thread lived";
}

// A sync whose lease is lost while it delivers (the database restarted, or the server ended the
// lease's connection) sends nothing more: another worker may hold the school by then and claim
// its items. The answers already under way are recorded, the rest wait for whichever worker
// holds the school next, and the sync says the lease was lost.
TEST_F(WorkersFixture, ASyncWhoseLeaseIsLostWhileItDeliversSendsNothingMore) {
  trustHere();
  auto config = nlohmann::json::parse(std::ifstream(dir / "trust.json"));
  for (auto& sink : config["sinks"]) sink["max_in_flight"] = 1;  // one request at a time in all
  dir.write("trust.json", config.dump(2));
  std::vector<Problem> problems;
  Gateway gateway(loadGatewayConfig(dir / "trust.json", problems, urn(0)));
  ASSERT_TRUE(problems.empty());
  PgConnection admin(cluster->uri);
  int attempts = 0;
  bool ended = false;
  SyncObserver observer;
  observer.attempted = [&](const OutboxItem&, const DeliveryResult&) {
    if (++attempts > 1) return;
    // The first answer is in: the server ends the connection of the run's lease (the running
    // one: a lost run's row is marked by the next to take the lease), and is waited for.
    PgStatement end(admin,
                    "SELECT pg_terminate_backend(backend, 10000) FROM sync_runs WHERE school=$1 "
                    "AND finished_at IS NULL AND outcome=''",
                    "end the lease's connection");
    end.bind(1, urn(0));
    ended = end.step() && end.integer(0) == 1;
  };
  auto counts = [&] { return openPostgresStore(cluster->uri, urn(0))->outboxCounts(); };
  EXPECT_THROW(gateway.sync(observer), LeaseLost);
  ASSERT_TRUE(ended);
  EXPECT_EQ(attempts, 1);
  auto after = counts();
  EXPECT_EQ(after["delivered"], 1);
  EXPECT_GE(after["pending"], 2 * kPupils) << "items sent after the lease was lost";
  // The same between registers (the service's retry of waiting items): it stops as the sync
  // did, and counts what it sent.
  attempts = 0;
  ended = false;
  auto retried = gateway.deliverWaiting(observer);
  ASSERT_TRUE(ended);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(retried.delivery.delivered, 1);
  EXPECT_EQ(counts()["pending"], after["pending"] - 1);
}

// TLS to the server (`sslmode=verify-full` with the CA given in the URI, as docs/operations.md
// shows): the store's connection is encrypted and the server verified; a server whose
// certificate the CA given did not sign is refused, naming the server and why, never the
// password.
TEST_F(WorkersFixture, TheStoreTalksToTheServerOverVerifiedTlsAndRefusesOneItCannotVerify) {
  // The server given the development certificate for 127.0.0.1 and its key, owned by the
  // cluster's owner and readable by it alone, as PostgreSQL requires of a key.
  const auto data = std::filesystem::path(cluster->dir) / "data";
  struct stat owner {};
  ASSERT_EQ(::stat(data.c_str(), &owner), 0);
  for (const char* file : {"server.pem", "server.key"}) {
    auto to = data / file;
    std::filesystem::copy_file(std::filesystem::path(test::certsDir()) / file, to,
                               std::filesystem::copy_options::overwrite_existing);
    ASSERT_EQ(::chown(to.c_str(), owner.st_uid, owner.st_gid), 0);
    ASSERT_EQ(::chmod(to.c_str(), 0600), 0);
  }
  PgConnection admin(cluster->uri);
  admin.exec("ALTER SYSTEM SET ssl_cert_file = 'server.pem'", "set the certificate");
  admin.exec("ALTER SYSTEM SET ssl_key_file = 'server.key'", "set the key");
  admin.exec("ALTER SYSTEM SET ssl = on", "switch TLS on");
  admin.exec("SELECT pg_reload_conf()", "take up the settings");
  const auto verified =
      cluster->uri + "?sslmode=verify-full&sslrootcert=" + test::certsDir() + "/ca.pem";
  bool encrypted = false;
  std::string refused;  // the last refusal, while the reload is not taken up yet
  ASSERT_TRUE(test::waitUntil([&] {
    try {
      PgConnection db(verified);
      PgStatement ssl(db, "SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                      "read whether the connection is encrypted");
      encrypted = ssl.step() && ssl.integer(0) == 1;
      return true;
    } catch (const PostgresError& e) {
      refused = e.what();
      return false;
    }
  })) << refused;
  EXPECT_TRUE(encrypted);
  // The store itself, as a worker opens it.
  EXPECT_EQ(openPostgresStore(verified, urn(0))->status().pupils, 0);
  // Another CA's server (or a man in the middle): refused.
  try {
    PgConnection db(cluster->uri + "?sslmode=verify-full&sslrootcert=" + test::certsDir() +
                    "/other-ca.pem");
    FAIL() << "a server the CA given did not sign was accepted";
  } catch (const PostgresError& e) {
    std::string said = e.what();
    EXPECT_NE(said.find("127.0.0.1"), std::string::npos) << said;
    EXPECT_NE(said.find("certificate verify failed"), std::string::npos) << said;
    EXPECT_EQ(said.find(cluster->password()), std::string::npos) << said;
  }
}

// PostgreSQL not answering when a worker starts (restarting, failing over, its machine still
// booting): the worker says so and tries again with a growing pause, never stopping, and serves
// its schools once the database answers. Nothing to do by hand.
TEST_F(WorkersFixture, AWorkerStartedWhileTheDatabaseIsDownWaitsForItAndThenServes) {
  writeTrust(0);
  cluster->pause();
  auto pid = startWorker();
  workers.push_back(pid);
  // Tried at once, then after 1 s and 2 s: the pause grows.
  ASSERT_TRUE(test::waitUntil([&] {
    return said(pid).find("trying again in 2 s") != std::string::npos;
  })) << said(pid);
  EXPECT_NE(said(pid).find("trying again in 1 s"), std::string::npos) << said(pid);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << said(pid);  // still running
  cluster->restart();
  ASSERT_TRUE(test::waitUntil([&] {
    return said(pid).find("serving " + std::to_string(kSchools) + " schools") != std::string::npos;
  })) << said(pid);
  EXPECT_EQ(said(pid).find(cluster->password()), std::string::npos);
}
