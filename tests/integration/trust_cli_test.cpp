// A trust's configuration through the `markbridge` binary: every school in one file, each with
// its own store and its own sink; --school, headings, the worst exit code, and a school's pupils
// and events never reaching another school's sink (compared key by key at two sandboxes).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/domain/upn.h"
#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "tests/core/store_backends.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// A valid UPN whose digits end in `n` (the check letter computed).
std::string upn(int n) {
  char body[32];
  std::snprintf(body, sizeof body, "A80140003%04d", n);
  std::string u = body;
  u[0] = upnCheckLetter(u);
  return u;
}

// Each pupil named is away (N) every school day from 16 September to 4 October 2024.
std::string registerOf(const std::vector<std::string>& upns) {
  auto cal = test::autumnCalendar();
  std::string csv = "UPN,Adno,Date,Session,Mark\n";
  int adno = 1000;
  for (const auto& u : upns) {
    ++adno;
    for (Date day : cal.schoolDays(test::d("2024-09-16"), test::d("2024-10-04")))
      for (const char* s : {"AM", "PM"})
        csv += u + "," + std::to_string(adno) + "," + day.iso() + "," + s + ",N\n";
  }
  return csv;
}

struct TrustCliFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> laA = test::startSandbox();
  std::unique_ptr<sandbox::SandboxServer> laB = test::startSandbox();
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"}};
  // The same pupil (moved school, or dual registered) is in both schools' registers.
  const std::string shared = upn(7);
  const std::vector<std::string> pupilsA = {upn(1), upn(2), shared};
  const std::vector<std::string> pupilsB = {upn(3), shared};

  static nlohmann::json school(const std::string& urn, const std::string& name,
                               const std::string& sandboxUrl) {
    auto sink = test::laSink(sandboxUrl);
    return {
        {"school", {{"urn", urn}, {"la", "801"}, {"estab", "400" + urn.substr(5)}, {"name", name}}},
        {"calendar", "calendar.json"},
        {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {urn + ".csv"}}}}},
        {"sinks", {sink}}};
  }

  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    dir.write("140001.csv", registerOf(pupilsA));
    dir.write("140002.csv", registerOf(pupilsB));
    nlohmann::json config = {
        {"schools",
         {school("140001", "Abbey Primary", laA->baseUrl()),
          school("140002", "Brook Academy", laB->baseUrl())}},
        {"delivery",
         {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}}};
    dir.write("trust.json", config.dump(2));
  }

  test::RunResult run(std::vector<std::string> args) {
    return test::runMarkbridge(args, env, dir.path());
  }

  // What a sandbox received: (school URN, pupil UPN) of each notification.
  static std::set<std::pair<std::string, std::string>> notified(
      const sandbox::SandboxServer& server) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : server.received()) {
      auto body = nlohmann::json::parse(r.body);
      seen.emplace(body["school"]["urn"].get<std::string>(),
                   body["pupil"]["upn"].get<std::string>());
    }
    return seen;
  }
};

}  // namespace

TEST_F(TrustCliFixture, EachSchoolsEventsReachOnlyItsOwnSink) {
  auto r = run({"sync", "--config", "trust.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // A heading per school, in the configuration's order.
  auto a = r.out.find("== school 140001 Abbey Primary ==");
  auto b = r.out.find("== school 140002 Brook Academy ==");
  ASSERT_NE(a, std::string::npos) << r.out;
  ASSERT_NE(b, std::string::npos) << r.out;
  EXPECT_LT(a, b);
  // Key by key: each sandbox holds exactly its school's pupils, each under its school's URN;
  // the pupil in both registers is two pupils, one notified to each school's LA.
  std::set<std::pair<std::string, std::string>> wantA, wantB;
  for (const auto& u : pupilsA) wantA.emplace("140001", u);
  for (const auto& u : pupilsB) wantB.emplace("140002", u);
  EXPECT_EQ(notified(*laA), wantA);
  EXPECT_EQ(notified(*laB), wantB);
  // One store per school, beside the configuration: neither holds the other's pupils.
  auto storeA = openSqliteStore((dir / "stores" / "140001.db").string());
  auto storeB = openSqliteStore((dir / "stores" / "140002.db").string());
  EXPECT_TRUE(storeA->pupil(upn(1)));
  EXPECT_FALSE(storeA->pupil(upn(3)));
  EXPECT_TRUE(storeB->pupil(upn(3)));
  EXPECT_FALSE(storeB->pupil(upn(1)));
  EXPECT_TRUE(storeA->pupil(shared));
  EXPECT_TRUE(storeB->pupil(shared));
  // A spreadsheet of every school's backtest: one header, a first column naming the school.
  auto csv = run({"backtest", "--config", "trust.json", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(csv.out.starts_with("school,policy,week,")) << csv.out;
  EXPECT_EQ(csv.out.find("\npolicy,"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("\n140001,"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("\n140002,"), std::string::npos) << csv.out;
  // A second sync sends nothing again, to either.
  r = run({"sync", "--config", "trust.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(laA->received().size(), wantA.size());
  EXPECT_EQ(laB->received().size(), wantB.size());
}

TEST_F(TrustCliFixture, APupilOnBothSchoolsRollsReachesAnLaPortalTheyShareFromEach) {
  // One LA's portal for both schools (a shared sink): the dual-registered pupil is away from
  // both, and each school's notification is its own record there. The same event id in each
  // school must not make the second look like a repeat of the first (Idempotency-Key).
  auto config = nlohmann::json::parse(std::ifstream(dir / "trust.json"));
  for (auto& school : config["schools"]) school.erase("sinks");
  config["sinks"] = {test::laSink(laA->baseUrl())};
  dir.write("trust.json", config.dump(2));
  auto r = run({"sync", "--config", "trust.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::set<std::pair<std::string, std::string>> want;
  for (const auto& u : pupilsA) want.emplace("140001", u);
  for (const auto& u : pupilsB) want.emplace("140002", u);
  EXPECT_EQ(notified(*laA), want);
  EXPECT_EQ(laA->received().size(), want.size());
  // Each key names its school: the two schools' keys never meet.
  for (const auto& record : laA->received()) {
    auto urn = nlohmann::json::parse(record.body)["school"]["urn"].get<std::string>();
    EXPECT_TRUE(record.idempotency_key.starts_with(urn + ":")) << record.idempotency_key;
  }
  EXPECT_TRUE(laB->received().empty());
}

TEST_F(TrustCliFixture, SchoolPicksOneAndWhatNeedsOneSchoolSaysSo) {
  auto r = run({"sync", "--config", "trust.json", "--school", "140002"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("140001"), std::string::npos) << r.out;
  EXPECT_TRUE(laA->received().empty());
  EXPECT_EQ(laB->received().size(), pupilsB.size());
  // Only the school named was synced: the other's store was never made.
  EXPECT_FALSE(std::filesystem::exists(dir / "stores" / "140001.db"));

  r = run({"status", "--config", "trust.json", "--school", "140009"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no school with URN 140009"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("140001 and 140002"), std::string::npos) << r.err;

  for (std::vector<std::string> oneSchool :
       {std::vector<std::string>{"explain", "--config", "trust.json", shared},
        {"outbox", "--config", "trust.json", "show", "1"},
        {"import", "--config", "trust.json", "140001.csv"}}) {
    r = run(oneSchool);
    EXPECT_EQ(r.exit_code, 2) << oneSchool[0];
    EXPECT_NE(r.err.find("name one with --school URN (140001 and 140002)"), std::string::npos)
        << r.err;
  }
  r = run({"explain", "--config", "trust.json", "--school", "140002", shared});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // The outbox of every school, each under its heading.
  r = run({"outbox", "--config", "trust.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("== school 140001 Abbey Primary =="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== school 140002 Brook Academy =="), std::string::npos) << r.out;
}

TEST_F(TrustCliFixture, OneSchoolsRefusedFileStopsNoOtherAndTheExitCodeIsTheWorst) {
  dir.write("140001.csv", "UPN,Adno,Date,Session,Mark\nnot-a-upn,1,2024-09-16,AM,N\n");
  auto r = run({"sync", "--config", "trust.json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // input rejected: the worst of 1 and 0
  EXPECT_NE(r.err.find("school 140001: REJECTED"), std::string::npos) << r.err;
  EXPECT_TRUE(laA->received().empty());
  EXPECT_EQ(laB->received().size(), pupilsB.size());
  // A destination that is down pauses one school's sink (7); a refused file (1) is worse.
  sandbox::Faults down;
  down.drop = 1000;
  laB->setFaults(down);
  dir.write("140002.csv", registerOf({upn(4)}));
  r = run({"sync", "--config", "trust.json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  r = run({"sync", "--config", "trust.json", "--school", "140002"});
  EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
}

TEST_F(TrustCliFixture, TheConsolesUsersAreOneListForEverySchool) {
  auto config = nlohmann::json::parse(std::ifstream(dir / "trust.json"));
  config["service"] = {{"console_users_file", "users.json"}};
  dir.write("trust.json", config.dump(2));
  // No users file yet: said once, for the deployment, not once per school.
  auto r = run({"user", "--config", "trust.json", "list"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out.find("== school"), std::string::npos) << r.out;
  auto first = r.err.find("cannot read the console users file");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("cannot read the console users file", first + 1), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("school 1400"), std::string::npos) << r.err;
}

TEST_F(TrustCliFixture, CheckChecksEverySchool) {
  auto r = run({"check", "--config", "trust.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("school Abbey Primary (URN 140001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("school Brook Academy (URN 140002"), std::string::npos) << r.out;
  auto config = nlohmann::json::parse(std::ifstream(dir / "trust.json"));
  config["schools"][1]["school"]["urn"] = "140001";
  config["schools"][1]["sources"][0]["files"] = "140002.csv";
  dir.write("trust.json", config.dump(2));
  r = run({"check", "--config", "trust.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("$.schools[1].school.urn: another school has this URN"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("$.schools[1].sources[0].files"), std::string::npos) << r.err;
}

TEST_F(TrustCliFixture, TheTrustExampleInTheDocsIsAccepted) {
  // docs/examples/trust.json as a technician sets it up: its drop folders made, its secrets in
  // the environment.
  auto example = nlohmann::json::parse(
      std::ifstream(std::filesystem::path(test::sourceDir()) / "docs" / "examples" / "trust.json"));
  for (auto& school : example["schools"]) {
    school["calendar"] = test::sourceDir() + "/schedules/calendars/demo-academy-2024-25.json";
    std::filesystem::create_directories(dir /
                                        school["sources"][0]["drop_folder"].get<std::string>());
  }
  dir.write("example.json", example.dump(2));
  auto r = test::runMarkbridge({"check", "--config", "example.json"},
                               {{"MB_LA801_TOKEN", "t1"},
                                {"MB_LA802_TOKEN", "t2"},
                                {"MB_CPOMS_KEY", "k"},
                                {"MB_ADMIN_TOKEN", "0123456789abcdef0123456789abcdef"}},
                               dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* heading :
       {"== school 140101 Abbey Primary ==", "== school 140102 Brook Academy ==",
        "== school 140201 Castle High =="})
    EXPECT_NE(r.out.find(heading), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("configuration OK"), std::string::npos) << r.out;
}

TEST_F(TrustCliFixture, OnPostgresqlTheSchoolsShareOneDatabaseKeyedByUrn) {
  if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
  test::PostgresBackend backend{dir.path()};
  backend.open();  // the test's own schema
  // The password from the environment, never in the configuration.
  std::string uri = backend.uri(), password;
  auto colon = uri.find(':', uri.find("://") + 3), at = uri.find('@');
  if (colon < at) {
    password = uri.substr(colon + 1, at - colon - 1);
    uri = uri.substr(0, colon) + uri.substr(at);
  }
  env["MB_PG_PASSWORD"] = password;
  auto config = nlohmann::json::parse(std::ifstream(dir / "trust.json"));
  config["store"] = {{"postgresql", uri}, {"password_env", "MB_PG_PASSWORD"}};
  dir.write("trust.json", config.dump(2));
  auto r = run({"sync", "--config", "trust.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::set<std::pair<std::string, std::string>> wantA, wantB;
  for (const auto& u : pupilsA) wantA.emplace("140001", u);
  for (const auto& u : pupilsB) wantB.emplace("140002", u);
  EXPECT_EQ(notified(*laA), wantA);
  EXPECT_EQ(notified(*laB), wantB);
  // Each school's status counts its own pupils only, from the one database.
  r = run({"status", "--config", "trust.json", "--school", "140002"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pupils " + std::to_string(pupilsB.size()) + ","), std::string::npos)
      << r.out;
  r = run({"sync", "--config", "trust.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(laA->received().size(), wantA.size());
  EXPECT_EQ(laB->received().size(), wantB.size());
}
