// Black-box tests of the binary for looking at what happened: the commands that only look run
// without the sinks' tokens in the environment, while `sync` still refuses loudly without them.
// A real SQLite store and the LA sandbox over TLS.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/domain/upn.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// Two pupils: B...5001 absent without reason every session from 16 Sep to 4 Oct 2024 (15 school
// days: the LA is told on the 10th, 27 Sep), K...3001 present throughout.
std::string registerCsv() {
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\n";
  for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
    auto iso = day.iso();
    std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
    bool absent = day >= test::d("2024-09-16");
    for (const char* s : {"AM", "PM"}) {
      std::string present = std::string(s) == "AM" ? "/" : "\\";
      csv += "B801200005001,1001,Brown,Zed,8B,8," + uk + "," + s + "," + (absent ? "N" : present) +
             "\n";
      csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + "," + s + "," + present + "\n";
    }
  }
  return csv;
}

struct PupilStoryFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server;

  void SetUp() override {
    server = test::startSandbox();
    dir.write("calendar.json", test::autumnCalendarJson());
    dir.write("register.csv", registerCsv());
    nlohmann::json config = test::schoolConfig(
        {{"sources",
          {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}},
           {{"name", "census"},
            {"type", "census_xml"},
            {"periods", {{"termly", {{"from", "2024-09-03"}, {"to", "2024-10-04"}}}}}}}},
         {"sinks", nlohmann::json::array({test::laSink(server->baseUrl())})}});
    dir.write("markbridge.json", config.dump(2));
  }

  // With the LA token in the environment.
  test::RunResult run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", "markbridge.json"});
    return test::runMarkbridge(args, {{"MB_LA_TOKEN", "la-sandbox-token"}}, dir.path());
  }
  // With no token at all (an empty variable is not set, whatever the test's own environment).
  test::RunResult look(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", "markbridge.json"});
    return test::runMarkbridge(args, {{"MB_LA_TOKEN", ""}}, dir.path());
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_F(PupilStoryFixture, LookingCommandsRunWithoutTheSinksTokensAndSyncRefusesWithout) {
  ASSERT_EQ(run({"sync"}).exit_code, 0);
  // A second B...5001 on roll, so the masked form is ambiguous.
  dir.write("more.csv",
            "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\n"
            "B801200355001,1003,Smith,Ann,9C,9,03/09/2024,AM,/\n");
  auto imported = look({"import", "--source", "sims", "more.csv"});  // delivers nothing
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  auto status = look({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.out, "  sink la: ok, 0 pending")) << status.out;
  EXPECT_TRUE(has(status.out, "  source sims: last good import ")) << status.out;
  auto list = look({"outbox"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, "     1  delivered la")) << list.out;
  EXPECT_EQ(look({"outbox", "show", "1"}).exit_code, 0);
  auto reconcile = look({"reconcile"});
  EXPECT_EQ(reconcile.exit_code, 0) << reconcile.err;
  EXPECT_TRUE(has(reconcile.out, "compared, ")) << reconcile.out;
  auto policy = test::runMarkbridge(
      {"check", "--policy", test::sourceDir() + "/docs/policies/statutory.json"},
      {{"MB_LA_TOKEN", ""}}, dir.path());
  EXPECT_EQ(policy.exit_code, 0) << policy.err;

  // A pupil named every way the outputs and the MIS name them.
  for (std::string named : {"B801200005001", "b801200005001", "1001", "Zed Brown", "brown, zed"}) {
    auto explained = look({"explain", named});
    EXPECT_EQ(explained.exit_code, 0) << named << ": " << explained.err;
    EXPECT_TRUE(has(explained.out, "pupil B...5001 (year 8, 8B), admission number 1001, as of "))
        << named << ": " << explained.out;
  }
  auto masked = look({"explain", "K...3001"});
  EXPECT_TRUE(has(masked.out, "pupil K...3001 (year 8, 8B), admission number 1002")) << masked.err;
  // Two pupils behind one masked UPN, and two named Ann Smith: each listed, none chosen.
  auto ambiguous = look({"explain", "B...5001"});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_TRUE(has(ambiguous.err,
                  "'B...5001' names 2 pupils; name one by full UPN or admission "
                  "number:\n  B...5001 adm 1001 (year 8, 8B)\n  B...5001 adm 1003 "
                  "(year 9, 9C)\n"))
      << ambiguous.err;
  auto twoAnns = look({"explain", "Ann Smith"});
  EXPECT_EQ(twoAnns.exit_code, 2);
  EXPECT_TRUE(has(twoAnns.err, "names 2 pupils")) << twoAnns.err;
  EXPECT_FALSE(has(twoAnns.err, "Smith, Ann")) << twoAnns.err;
  auto nobody = look({"explain", "Q801200005002"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_TRUE(has(nobody.err, "no pupil with UPN, admission number or name 'Q...5002'"))
      << nobody.err;

  // Delivering needs the token, and says so.
  auto sync = look({"sync"});
  EXPECT_EQ(sync.exit_code, 2) << sync.out;
  EXPECT_TRUE(has(sync.err,
                  "$.sinks[0].auth.token_env: environment variable MB_LA_TOKEN is not "
                  "set"))
      << sync.err;
}
