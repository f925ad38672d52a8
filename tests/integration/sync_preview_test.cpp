// `markbridge sync --dry-run`: the binary previews a go-live against the sandbox LA over TLS:
// it lists what would be sent per sink, rule and stage, warns of event types no sink takes, and
// leaves the store, the drop folder and the destination untouched; the real sync then sends
// exactly what the preview listed.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// One pupil absent without reason for 11 school days from 16 September 2024, one present.
std::string goLiveExport() {
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n";
  for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
    auto iso = day.iso();
    std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
    bool absent = day >= test::d("2024-09-16");
    csv += "B801200005001,1001,Smith,Zoe,8B,8," + uk + ",AM," + (absent ? "N" : "/") + "\r\n";
    csv += "B801200005001,1001,Smith,Zoe,8B,8," + uk + ",PM," + (absent ? "N" : "\\") + "\r\n";
    csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + ",AM,/\r\n";
    csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + ",PM,\\\r\n";
  }
  return csv;
}

struct SyncPreview : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"}};

  SyncPreview() {
    dir.write("calendar.json", test::autumnCalendarJson());
    std::filesystem::create_directories(dir / "in");
    dir.write("in/register.csv", goLiveExport());
    auto la = test::laSink(server->baseUrl());
    la["events"] = {"unauthorised_10_day"};  // penalty notices go nowhere: the preview says so
    dir.write("markbridge.json", test::schoolConfig({{"sources",
                                                      {{{"name", "sims"},
                                                        {"type", "sims_csv"},
                                                        {"drop_folder", "in"},
                                                        {"settle_seconds", 0}}}},
                                                     {"sinks", nlohmann::json::array({la})}})
                                     .dump(2));
  }
  test::RunResult run(std::vector<std::string> args) {
    return test::runMarkbridge(args, env, dir.path());
  }
};

}  // namespace

TEST_F(SyncPreview, AGoLivePreviewListsWhatWouldBeSentAndChangesNothing) {
  auto preview = run({"sync", "--config", "markbridge.json", "--dry-run"});
  ASSERT_EQ(preview.exit_code, 0) << preview.out << preview.err;
  EXPECT_NE(preview.out.find("DRY RUN: nothing is sent"), std::string::npos) << preview.out;
  EXPECT_NE(preview.out.find("imported " + (dir / "in/register.csv").string()), std::string::npos)
      << preview.out;
  EXPECT_NE(preview.out.find("would send 1 item(s):\n  sink la:\n"
                             "    statutory.unauthorised_10_day notify: 1 item(s), 1 pupil(s), "
                             "oldest episode from 2024-09-16\n"),
            std::string::npos)
      << preview.out;
  EXPECT_NE(preview.err.find("penalty_threshold event(s) go to no sink"), std::string::npos)
      << preview.err;
  // Nothing happened: no request, no store, the export still waiting in the drop folder.
  EXPECT_TRUE(server->received().empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "register.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "in/register.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "in/archive/register.csv"));

  // The real sync sends what the preview listed, and a preview after it has nothing to send.
  auto sync = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(sync.exit_code, 0) << sync.out << sync.err;
  ASSERT_EQ(server->received().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(server->received()[0].body)["type"], "unauthorised_10_day");
  EXPECT_TRUE(std::filesystem::exists(dir / "in/archive/register.csv"));
  auto again = run({"sync", "--config", "markbridge.json", "--dry-run"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("would send 0 item(s)\n"), std::string::npos) << again.out;
  EXPECT_EQ(server->received().size(), 1u);
}

TEST_F(SyncPreview, ItemsAlreadyWaitingAreCountedAsTheNextSyncWouldSendThem) {
  sandbox::Faults down;
  down.fail = 1000;  // the LA answers 503 throughout: the item waits for the next sync
  server->setFaults(down);
  auto sync = run({"sync", "--config", "markbridge.json"});
  ASSERT_EQ(sync.exit_code, 0) << sync.out << sync.err;
  ASSERT_TRUE(server->received().empty());
  auto preview = run({"sync", "--config", "markbridge.json", "--dry-run"});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_NE(preview.out.find("would send 1 item(s) (1 of them already waiting before this sync)"),
            std::string::npos)
      << preview.out;
}

// A school whose copy of the statutory policy lists unresolved Ns in a weekly digest (issue 14:
// one line changed, docs/rules.md) and whose cpoms sink lists its events without "digest" would
// have the list recorded and sent nowhere. `check` and the dry run say so, naming the rule and
// the sink to add it to; with "digest" listed they say nothing of it.
TEST_F(SyncPreview, ADigestNoSinkTakesIsSaidLoudlyByCheckAndTheDryRun) {
  env["MB_CPOMS_KEY"] = "cpoms-sandbox-key";
  auto policy =
      nlohmann::json::parse(std::ifstream(test::sourceDir() + "/docs/policies/statutory.json"));
  bool changed = false;
  for (auto& rule : policy["rules"])
    if (rule["id"] == "n_unresolved") {
      rule["action"] = {{"digest", {{"every", "week"}, {"to", "attendance_officer"}}}};
      changed = true;
    }
  ASSERT_TRUE(changed);
  dir.write("statutory-digest.json", policy.dump(2));
  auto configure = [&](nlohmann::json events, const char* policy = "statutory-digest.json") {
    auto la = test::laSink(server->baseUrl());
    la["events"] = {"unauthorised_10_day"};
    auto cpoms = test::cpomsSink(server->baseUrl());
    cpoms["events"] = std::move(events);
    dir.write("markbridge.json", test::schoolConfig({{"sources",
                                                      {{{"name", "sims"},
                                                        {"type", "sims_csv"},
                                                        {"drop_folder", "in"},
                                                        {"settle_seconds", 0}}}},
                                                     {"sinks", nlohmann::json::array({la, cpoms})},
                                                     {"rules", {{"policies", {policy}}}}})
                                     .dump(2));
  };
  const std::string said =
      "the weekly digest of statutory.n_unresolved for attendance_officer GOES TO NO SINK: no "
      "sink in the configuration takes \"digest\"";
  configure({"concern", "task", "note"});
  auto check = run({"check", "--config", "markbridge.json"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find(said), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("add \"digest\" to the events of sink cpoms"), std::string::npos)
      << check.out;
  auto preview = run({"sync", "--config", "markbridge.json", "--dry-run"});
  ASSERT_EQ(preview.exit_code, 0) << preview.out << preview.err;
  EXPECT_NE(preview.err.find("WARNING: " + said), std::string::npos) << preview.err;

  configure({"concern", "task", "note", "digest"});
  check = run({"check", "--config", "markbridge.json"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out.find("GOES TO NO SINK"), std::string::npos) << check.out;
  preview = run({"sync", "--config", "markbridge.json", "--dry-run"});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_EQ(preview.err.find("GOES TO NO SINK"), std::string::npos) << preview.err;

  // The shipped statutory policy raises a task per pupil: no digest, nothing to say.
  configure({"concern", "task", "note"}, "statutory");
  check = run({"check", "--config", "markbridge.json"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out.find("GOES TO NO SINK"), std::string::npos) << check.out;
}
