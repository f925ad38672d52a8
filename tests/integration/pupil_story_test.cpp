// Black-box tests of the binary for looking at what happened: `explain` tells a pupil's whole
// story (every episode in every state, what each sink was sent and when, the amendments behind a
// withdrawal), and the commands that only look run without the sinks' tokens in the
// environment, while `sync` still refuses loudly without them. A real SQLite store and the LA
// sandbox over TLS.

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

TEST_F(PupilStoryFixture, ExplainTellsAWithdrawnNotificationsWholeStory) {
  auto first = run({"sync"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  // Sync names the rule and when it was delivered.
  EXPECT_TRUE(has(first.out, "-> la reference "));
  EXPECT_TRUE(has(first.out, "(rule statutory.unauthorised_10_day)")) << first.out;
  // The office records 20 and 27 Sep as illness: no run of 10 unauthorised days is left.
  std::string amended = registerCsv();
  for (const char* day : {"20/09/2024", "27/09/2024"})
    for (const char* s : {"AM", "PM"}) {
      std::string from = std::string(day) + "," + s + ",N", to = std::string(day) + "," + s + ",I";
      amended.replace(amended.find(from), from.size(), to);
    }
  dir.write("register.csv", amended);
  auto second = run({"sync"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  ASSERT_EQ(server->received().size(), 2u);
  std::string reference = server->received()[0].reference;

  auto story = look({"explain", "B801200005001"});
  ASSERT_EQ(story.exit_code, 0) << story.err;
  const auto& out = story.out;
  // The rule no longer holds on the register as it stands, but its episode is not forgotten.
  EXPECT_TRUE(has(out, "statutory.unauthorised_10_day: does not hold")) << out;
  EXPECT_TRUE(has(out,
                  "never fired on the register as it stands (its recorded episodes are "
                  "below)"))
      << out;
  EXPECT_TRUE(has(out,
                  "2024-09-27  rule statutory.unauthorised_10_day (unauthorised_10_day): "
                  "withdrawn\n    grounds 2024-09-16..2024-09-27"))
      << out;
  EXPECT_TRUE(has(out, "    la: notification delivered ")) << out;
  EXPECT_TRUE(has(out, ", reference " + reference + " [outbox 1]")) << out;
  EXPECT_TRUE(has(out, "    la: withdrawal delivered ")) << out;
  EXPECT_TRUE(has(out,
                  ": its grounds no longer hold after the register was amended: 2024-09-20 "
                  "AM N -> I by sims at "))
      << out;
  // The amendments themselves: session, old and new code with their sources, when.
  EXPECT_TRUE(has(out, "mark amendments (4): session, old -> new, by, when")) << out;
  EXPECT_TRUE(has(out, "  2024-09-27 PM  N (sims) -> I (sims)  ")) << out;
  // Measures rounded with their unit and threshold.
  EXPECT_TRUE(has(out,
                  "  measure now: 5 school days since 2024-09-30 (holds at 10 school days "
                  "or more)\n"))
      << out;
  EXPECT_FALSE(has(out, "Zed")) << "a pupil's name on the console";
  EXPECT_FALSE(has(out, "B801200005001")) << "a whole UPN on the console";

  // The outbox names the rule and when each item was delivered.
  auto list = look({"outbox", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, "withdraw unauthorised_10_day  B...5001  tries 1  ref ")) << list.out;
  EXPECT_TRUE(has(list.out, "  delivered 20")) << list.out;
  EXPECT_TRUE(has(list.out, "  rule statutory.unauthorised_10_day")) << list.out;
  auto show = look({"outbox", "show", "2"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(has(show.out, "  raised by    rule statutory.unauthorised_10_day\n")) << show.out;
  EXPECT_TRUE(has(show.out, "  delivered    20")) << show.out;
}

TEST_F(PupilStoryFixture, ExplainSaysWhyARuleCannotHoldForThisPupil) {
  // A pupil in year 12 without a date of birth is not of compulsory school age at all; one born
  // on 1 Oct 2007 left it in June 2024. The calendar runs to 4 Apr 2025: explain looks as of
  // then.
  std::string csv = "UPN,Adno,Date,Session,Mark,Year,DOB\n";
  for (const char* s : {"AM", "PM"}) {
    csv += std::string("B801200005001,1001,03/09/2024,") + s + ",N,12,\n";
    // Sixteen in 2023-24: compulsory school age ended on the last Friday of June 2024.
    csv += std::string("K801400023001,1002,03/09/2024,") + s + ",N,11,01/10/2007\n";
  }
  dir.write("register.csv", csv);
  ASSERT_EQ(run({"import", "--source", "sims", "register.csv"}).exit_code, 0);
  auto story = look({"explain", "1001"});
  ASSERT_EQ(story.exit_code, 0) << story.err;
  EXPECT_TRUE(has(story.out, "statutory.unauthorised_10_day: does not hold\n")) << story.out;
  EXPECT_TRUE(has(story.out,
                  "  cannot hold: not of compulsory school age (year 12, no date of "
                  "birth on record); the rule counts compulsory school age only"))
      << story.out;
  auto older = look({"explain", "1002"});
  ASSERT_EQ(older.exit_code, 0) << older.err;
  EXPECT_TRUE(has(older.out,
                  "  cannot hold after 2024-06-28: not of compulsory school age from "
                  "the next day (the rule counts compulsory school age only)"))
      << older.out;
}

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
