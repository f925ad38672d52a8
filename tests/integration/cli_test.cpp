// Black-box tests of the `markbridge` binary with config files, a real SQLite file and the
// sandbox over TLS, including a `kill -9` between the outbox write and the delivery.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "core/store/sync_lease.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

const std::string kHeader =
    "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n";

// Two pupils: one absent without reason for 11 school days from 16 Sep 2024, one present.
std::string registerCsv(const char* firstDayAmCode = "N") {
  auto cal = test::autumnCalendar();
  std::string csv = kHeader;
  int n = 0;
  for (Date day : cal.schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
    auto iso = day.iso();
    std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
    bool absent = day >= test::d("2024-09-16");
    std::string am = absent ? (n == 0 ? firstDayAmCode : "N") : "/";
    std::string pm = absent ? "N" : "\\";
    n += absent;
    csv += "B801200005001,1001,\"O'Brien, Jr\",Zoë,8B,8," + uk + ",AM," + am + "\r\n";
    csv += "B801200005001,1001,\"O'Brien, Jr\",Zoë,8B,8," + uk + ",PM," + pm + "\r\n";
    csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + ",AM,/\r\n";
    csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + ",PM,\\\r\n";
  }
  return csv;
}

struct CliFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server;
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"}};

  void SetUp() override {
    server = test::startSandbox();
    dir.write("calendar.json", test::autumnCalendarJson());
    dir.write("register.csv", registerCsv());
    writeConfig();
  }

  void writeConfig(nlohmann::json changes = nlohmann::json::object()) {
    nlohmann::json config = test::schoolConfig(
        {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
         {"sinks", nlohmann::json::array({test::laSink(server->baseUrl())})},
         {"delivery",
          {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}}});
    config.merge_patch(changes);
    dir.write("markbridge.json", config.dump(2));
  }

  test::RunResult run(std::vector<std::string> args,
                      std::map<std::string, std::string> extra = {}) {
    auto e = env;
    for (const auto& [k, v] : extra) e[k] = v;
    return test::runMarkbridge(args, e, dir.path());
  }
};

}  // namespace

// Linux drops every POSIX lock a process holds on a file when it closes ANY descriptor to that
// file. The service opens its store again while its own connection is open (each admin API
// request, a reload); when that open read the file's header through a descriptor of its own,
// the service lost its lock, and the next `markbridge status` to close believed it was the
// store's last reader: it removed the write-ahead log under the running service, whose later
// commits went to a deleted file, and the store was destroyed when the service stopped.
TEST_F(CliFixture, AStatusWhileTheServiceHoldsTheStoreNeverRemovesTheServicesLog) {
  ASSERT_EQ(run({"sync", "--config", "markbridge.json"}).exit_code, 0);
  auto path = (dir.path() / "register.db").string();
  auto service = openSqliteStore(path);      // the running service's connection
  { auto request = openSqliteStore(path); }  // an admin API request's, opened and closed
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));
  auto status = run({"status", "--config", "markbridge.json"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"))
      << "`status` removed the log the service still writes to";
}

// `status` only reads: opening a store that needs no migration takes no write lock, so it
// answers while a sync holds a write transaction instead of failing with "locked".
TEST_F(CliFixture, StatusAnswersWhileASyncIsWriting) {
  ASSERT_EQ(run({"sync", "--config", "markbridge.json"}).exit_code, 0);
  SqliteDb sync((dir.path() / "register.db").string());
  sync.exec("BEGIN IMMEDIATE");
  auto status = run({"status", "--config", "markbridge.json"});
  sync.exec("ROLLBACK");
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
}

TEST_F(CliFixture, SyncDeliversTheNotificationOnceAndASecondSyncSendsNothing) {
  auto first = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("delivered  unauthorised_10_day"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("1 delivered"), std::string::npos);
  ASSERT_EQ(server->received().size(), 1u);
  auto body = nlohmann::json::parse(server->received()[0].body);
  EXPECT_EQ(body["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(body["period"]["from"], "2024-09-16");
  // Names never reach the log or console output.
  EXPECT_EQ(first.out.find("Zoë"), std::string::npos);
  EXPECT_EQ(first.err.find("Zoë"), std::string::npos);
  EXPECT_EQ(first.err.find("la-sandbox-token"), std::string::npos);

  auto second = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("already imported"), std::string::npos) << second.out;
  EXPECT_EQ(server->requests(), 1);
}

TEST_F(CliFixture, TheOutboxCommandShowsRetriesAndDiscardsDeadLetters) {
  sandbox::Faults refuse;
  refuse.fail = 1;
  refuse.status = 422;  // the portal refuses the notification: dead-lettered
  server->setFaults(refuse);
  auto sync = run({"sync", "--config", "markbridge.json"});
  EXPECT_EQ(sync.exit_code, 3) << sync.out << sync.err;
  auto list = run({"outbox", "--config", "markbridge.json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("la                  0          0        0      1          0  -"),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("     1  dead      la        notify   unauthorised_10_day  B...5001"),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("sink la: HTTP 422: sandbox told to fail"), std::string::npos);
  auto show = run({"outbox", "--config", "markbridge.json", "show", "1"});
  EXPECT_NE(show.out.find("answer       {\"error\":\"sandbox told to fail\"}"), std::string::npos)
      << show.out;
  EXPECT_EQ(run({"outbox", "--config", "markbridge.json", "--state", "pending"})
                .out.find("  dead      la"),
            std::string::npos);

  auto retry = run({"outbox", "--config", "markbridge.json", "retry", "dead"});
  EXPECT_NE(retry.out.find("1 item(s) back to pending"), std::string::npos) << retry.out;
  ASSERT_EQ(run({"sync", "--config", "markbridge.json"}).exit_code, 0);
  EXPECT_EQ(server->received().size(), 1u);
  auto after = run({"outbox", "--config", "markbridge.json", "--state", "delivered"});
  EXPECT_NE(after.out.find("     1  delivered"), std::string::npos) << after.out;
  auto discard = run({"outbox", "--config", "markbridge.json", "discard", "1"});
  EXPECT_EQ(discard.exit_code, 2);  // delivered: nothing to discard
  EXPECT_NE(discard.err.find("is not pending or dead-lettered"), std::string::npos);
}

// A portal that refuses a record may quote it back (the pupil's name, their UPN). Those words are
// kept with the dead letter for the people who may read them, never printed or logged by a sync.
TEST_F(CliFixture, ARefusalQuotingThePupilIsKeptForTheOutboxNeverLogged) {
  sandbox::Faults refuse;
  refuse.fail = 1;
  refuse.status = 422;
  refuse.echo = true;  // the refused notification's text comes back, in capitals and \u-escaped
  server->setFaults(refuse);
  auto sync = run({"sync", "--config", "markbridge.json"}, {{"MARKBRIDGE_LOG_LEVEL", "info"}});
  ASSERT_EQ(sync.exit_code, 3) << sync.out << sync.err;
  for (const auto& printed : {sync.out, sync.err}) {
    EXPECT_EQ(printed.find("O'BRIEN"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("O\\u0027Brien"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("B801200005001"), std::string::npos) << printed;
  }
  EXPECT_NE(sync.err.find("sink la: HTTP 422 (its answer: `markbridge outbox show 1`)"),
            std::string::npos)
      << sync.err;
  EXPECT_NE(sync.out.find("sink la: HTTP 422; its answer: `outbox show 1`"), std::string::npos)
      << sync.out << sync.err;
  auto show = run({"outbox", "--config", "markbridge.json", "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("O'BRIEN"), std::string::npos) << show.out;  // kept, for the DSL
}

TEST_F(CliFixture, ASecondSyncOfTheSameStoreDoesNotStackOnTheFirst) {
  {
    auto leases = fileSyncLeases(dir / "register.db");
    auto held = leases->tryTake("a sync");  // as a running sync holds it
    ASSERT_TRUE(held);
    EXPECT_FALSE(fileSyncLeases(dir / "register.db")->tryTake("another"));
    auto second = run({"sync", "--config", "markbridge.json"});
    EXPECT_EQ(second.exit_code, 4) << second.err;
    EXPECT_NE(second.err.find("another sync of this store is running"), std::string::npos);
    EXPECT_TRUE(server->received().empty());
  }
  EXPECT_EQ(run({"sync", "--config", "markbridge.json"}).exit_code, 0);  // released: it runs
  EXPECT_EQ(server->received().size(), 1u);
}

TEST_F(CliFixture, MarksOnDaysTheCalendarSaysAreNotSchoolDaysAreFlagged) {
  std::string csv = kHeader + "B801200005001,1001,S,A,8B,8,29/10/2024,AM,/\r\n" +
                    "B801200005001,1001,S,A,8B,8,04/09/2024,AM,/\r\n";
  dir.write("half-term.csv", csv);
  auto result = run({"import", "--config", "markbridge.json", "half-term.csv"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning: 1 marks fall on days the calendar says are not school days "
                            "(first 2024-10-29)"),
            std::string::npos)
      << result.err;
}

TEST_F(CliFixture, KilledBetweenOutboxWriteAndDeliveryDeliversExactlyOnceAfterRestart) {
  auto crashed =
      run({"sync", "--config", "markbridge.json"}, {{"MARKBRIDGE_FAULT", "after-evaluate"}});
  EXPECT_EQ(crashed.signal, SIGKILL);
  EXPECT_EQ(server->requests(), 0);
  auto restarted = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(server->received().size(), 1u);
  EXPECT_EQ(server->requests(), 1);
}

TEST_F(CliFixture, KilledAfterSendingBeforeRecordingItIsSentAgainButRecordedOnce) {
  auto crashed = run({"sync", "--config", "markbridge.json"}, {{"MARKBRIDGE_FAULT", "after-send"}});
  EXPECT_EQ(crashed.signal, SIGKILL);
  EXPECT_EQ(server->received().size(), 1u);
  auto restarted = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(server->requests(), 2);          // the same notification went twice...
  EXPECT_EQ(server->duplicates(), 1);        // ...with the same Idempotency-Key
  EXPECT_EQ(server->received().size(), 1u);  // so the portal holds one record
  auto status = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(status.out.find("pending 0 delivered 1 rejected 0"), std::string::npos) << status.out;
}

TEST_F(CliFixture, AnAmendmentAfterDeliveryRevisesTheSameRecord) {
  ASSERT_EQ(run({"sync", "--config", "markbridge.json"}).exit_code, 0);
  // The school learns the first morning was illness: the run now starts a day later, and is
  // still 10 days or more, so the LA's record is revised rather than withdrawn and doubled.
  dir.write("amended.csv", registerCsv("I"));
  auto imported = run({"import", "--config", "markbridge.json", "amended.csv"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("1 amended"), std::string::npos) << imported.out;
  auto sync = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  auto received = server->received();
  ASSERT_EQ(received.size(), 2u);
  auto update = nlohmann::json::parse(received[1].body);
  EXPECT_EQ(update["type"], "update");
  EXPECT_EQ(update["corrects"]["reference"], received[0].reference);
  EXPECT_EQ(update["period"]["from"], "2024-09-17");
  EXPECT_NE(update["update"].get<std::string>().find("revised"), std::string::npos);
  EXPECT_NE(sync.out.find("update (revision)"), std::string::npos) << sync.out;
}

TEST_F(CliFixture, ABadFileIsRejectedWholeWithFileLineColumnAndValue) {
  std::string csv = registerCsv();
  csv.replace(csv.find(",AM,N"), 5, ",AM,QX");  // an unknown code deep in the file
  dir.write("bad.csv", csv);
  auto result = run({"import", "--config", "markbridge.json", "bad.csv"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("bad.csv:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(":9: unknown attendance code"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("(value 'QX')"), std::string::npos) << result.err;
  auto status = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(status.out.find("pupils 0, marks 0"), std::string::npos) << status.out;
}

TEST_F(CliFixture, CheckNamesTheJsonPathOfEachProblem) {
  writeConfig(nlohmann::json::parse(R"({"school": {"urn": "12"}, "delivery": {"retries": 3},
                                        "sinks": [{"name": "la", "type": "la_portal", "base_url": "http://x"}]})"));
  auto result = run({"check", "--config", "markbridge.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("$.school.urn: must be 6 digits (value '12')"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("$.delivery.retries: unknown setting"), std::string::npos);
  EXPECT_NE(result.err.find("$.sinks[0].ca_file: is required"), std::string::npos);
  EXPECT_NE(result.err.find("$.sinks[0].base_url: must start with https://"), std::string::npos);
}

TEST_F(CliFixture, CheckNamesAMissingSecretWithoutPrintingAnySecret) {
  auto result = run({"check", "--config", "markbridge.json"}, {{"MB_LA_TOKEN", ""}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(
      result.err.find("$.sinks[0].auth.token_env: environment variable MB_LA_TOKEN is not set"),
      std::string::npos)
      << result.err;
  auto ok = run({"check", "--config", "markbridge.json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "register.db"));  // check changes nothing
  EXPECT_EQ(ok.out.find("la-sandbox-token"), std::string::npos);
}

TEST_F(CliFixture, CheckValidatesAPolicyAndWarnsOfStagesNoPupilCanReach) {
  auto shipped = run(
      {"check", "--policy", test::sourceDir() + "/docs/policies/st-johns-graduated-response.json"});
  EXPECT_EQ(shipped.exit_code, 0) << shipped.err;
  EXPECT_NE(shipped.out.find("policy OK"), std::string::npos) << shipped.out;
  EXPECT_EQ(shipped.out.find("warning"), std::string::npos) << shipped.out;

  auto pct = [](const char* op, int t) {
    return nlohmann::json{{"measure", "percent"}, {"codes", "attendance"}, {op, t}};
  };
  nlohmann::json policy = {{"name", "ours"},
                           {"ladders",
                            {{{"id", "letters"},
                              {"jump", true},
                              {"stages",
                               {{{"id", "one"},
                                 {"when", pct("less_than", 90)},
                                 {"action", {{"note", nlohmann::json::object()}}}},
                                {{"id", "two"},
                                 {"when", pct("less_than", 95)},
                                 {"action", {{"note", nlohmann::json::object()}}}}}}}}}};
  std::ofstream(dir / "ours.json") << policy.dump(2);
  writeConfig({{"rules", {{"policies", {"statutory", "ours.json"}}}}});
  auto warned = run({"check", "--config", "markbridge.json"});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.out.find("warning: policy ours: $.ladders[0].stages[0] (one) can never be "
                            "entered: whenever its condition holds so does that of the later "
                            "stage two"),
            std::string::npos)
      << warned.out;

  policy["ladders"][0]["stages"][1]["when"] = {{"measure", "percent"},
                                               {"codes", nlohmann::json::array({"ZZ"})}};
  std::ofstream(dir / "ours.json") << policy.dump(2);
  auto broken = run({"check", "--config", "markbridge.json"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("$.ladders[0].stages[1].when.codes[0]"), std::string::npos)
      << broken.err;
  EXPECT_NE(broken.err.find("ours.json"), std::string::npos) << broken.err;
}

TEST_F(CliFixture, TheConfigurationReferenceInDocsMatchesTheCode) {
  auto described = run({"describe"});
  ASSERT_EQ(described.exit_code, 0);
  std::ifstream in(test::sourceDir() + "/docs/configuration-reference.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_NE(doc.str().find(described.out), std::string::npos)
      << "docs/configuration-reference.md is stale: regenerate it with `markbridge describe`";
}

TEST_F(CliFixture, ASyncWhoseDeliveriesWereRefusedForCredentialsExitsFiveAndStatusSaysSo) {
  writeConfig({{"delivery", {{"circuit_pause_seconds", 1}}}});
  auto before = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(before.out.find("source sims: last good import never"), std::string::npos)
      << before.out;
  auto refused = run({"sync", "--config", "markbridge.json"}, {{"MB_LA_TOKEN", "not-the-token"}});
  EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("sink la is paused: the destination refused our credentials"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("not-the-token"), std::string::npos);
  EXPECT_TRUE(server->received().empty());
  auto status = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(status.out.find("sink la: paused: credentials, 1 pending, since "), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("source sims: last good import 20"), std::string::npos) << status.out;
  // Fixed: once the sink's pause is over (1 s here) the kept item goes, and it is ok again.
  test::RunResult fixed;
  test::waitUntil([&] {
    fixed = run({"sync", "--config", "markbridge.json"});
    if (fixed.exit_code != 5) return true;
    EXPECT_NE(fixed.err.find("sink la is still paused"), std::string::npos) << fixed.err;
    return false;
  });
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_EQ(server->received().size(), 1u);
  EXPECT_NE(run({"status", "--config", "markbridge.json"}).out.find("sink la: ok, 0 pending"),
            std::string::npos);
}

// Issue 11 item 14 for a refused client certificate (above: a refused token): the destination's
// TLS handshake refuses the certificate, the sync exits 5 and status shows the sink paused.
TEST_F(CliFixture, ASyncWhoseClientCertificateWasRefusedExitsFiveAndStatusSaysSo) {
  server = test::startSandbox("server", [](sandbox::SandboxOptions& o) {
    o.require_client_cert = true;
    o.ca_file = test::certsDir() + "/ca.pem";
  });
  auto sink = test::laSink(server->baseUrl());
  sink["client_cert"] = test::certsDir() + "/wrong-client.pem";  // from another authority
  sink["client_key"] = test::certsDir() + "/wrong-client.key";
  writeConfig({{"sinks", nlohmann::json::array({sink})}});
  auto refused = run({"sync", "--config", "markbridge.json"});
  EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("sink la is paused: the destination refused our credentials (sink "
                             "la: TLS: the server refused our client certificate"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(server->received().empty());
  auto status = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(status.out.find("sink la: paused: credentials, 1 pending"), std::string::npos)
      << status.out;
}

// Issue 17: `status` says a sink is paused exactly when its breaker opened (here on the
// failure rate, after 3 attempts), and when its items go again; before the breaker opens, the
// same failures are "retrying".
TEST_F(CliFixture, StatusSaysPausedWhenTheSinksBreakerOpenedAndWhenItIsTriedAgain) {
  sandbox::Faults down;
  down.fail = 1000;
  down.status = 503;
  server->setFaults(down);
  writeConfig({{"delivery",
                {{"circuit_min_requests", 3},
                 {"circuit_failure_percent", 80},
                 {"circuit_pause_seconds", 600},
                 {"run_budget_seconds", 2}}}});
  auto sync = run({"sync", "--config", "markbridge.json"});
  EXPECT_EQ(sync.exit_code, 7) << sync.out << sync.err;
  EXPECT_NE(sync.err.find("sink la is paused: the destination is down (sink la: HTTP 503: "
                          "sandbox told to fail; failure rate over the window); its items are "
                          "kept and tried again from "),
            std::string::npos)
      << sync.err;
  EXPECT_EQ(server->requests(), 3);  // the breaker opened on the third 503: no more attempts
  auto status = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(status.out.find("sink la: paused: outage, 1 pending, since "), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find(", tried again from 20"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("(its breaker opened: failure rate over the window)"),
            std::string::npos)
      << status.out;

  // With the breaker's volume out of reach, three 503s are failures, not an outage.
  run({"outbox", "--config", "markbridge.json", "retry", "--sink", "la"});
  writeConfig({{"delivery", {{"circuit_min_requests", 1000}, {"run_budget_seconds", 1}}}});
  EXPECT_EQ(run({"sync", "--config", "markbridge.json"}).exit_code, 0);
  status = run({"status", "--config", "markbridge.json"});
  EXPECT_NE(status.out.find("sink la: retrying, 1 pending"), std::string::npos) << status.out;
}

TEST_F(CliFixture, AFileNameWithANewlineCannotForgeALineOfOutputOrLog) {
  writeConfig(
      {{"sources",
        {{{"name", "sims"}, {"type", "sims_csv"}, {"drop_folder", "in"}, {"settle_seconds", 0}}}}});
  std::filesystem::create_directories(dir / "in");
  dir.write("in/register.csv\n[2024-10-01 09:00:00.000] [service] [info] FORGED", registerCsv());
  auto sync = run({"sync", "--config", "markbridge.json"});
  for (const std::string& text : {sync.out, sync.err}) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      EXPECT_NE(line.rfind("[2024-10-01 09:00:00.000] [service] [info] FORGED", 0), 0u) << text;
  }
}
