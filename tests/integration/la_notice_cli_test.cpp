// CPOMS is told when the LA is (issue 14 item 5), through the binary against the sandbox LA
// portal and CPOMS over TLS: a note on the pupil once the portal ACCEPTS a notification (not
// before it answers, not when it refuses it), exactly once when the process is killed between
// the portal's acceptance and the note, and a withdrawal note on the same incident when an
// amended register withdraws the notification. The school turns it on with one word in the
// cpoms sink's events: "la_notice".

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// One pupil away without reason (N) from 16 September 2024 to 4 October, 15 school days: the LA
// is told of 10 days' unauthorised absence on 27 September. `presentOn`: days marked present
// instead (an amended register).
std::string exportWith(const std::set<std::string>& presentOn = {}) {
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n";
  for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
    auto iso = day.iso();
    std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
    bool absent = day >= test::d("2024-09-16") && !presentOn.count(iso);
    csv += "B801200005001,1001,Smith,Zoe,8B,8," + uk + ",AM," + (absent ? "N" : "/") + "\r\n";
    csv += "B801200005001,1001,Smith,Zoe,8B,8," + uk + ",PM," + (absent ? "N" : "\\") + "\r\n";
  }
  return csv;
}

struct LaNoticeToCpoms : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"},
                                            {"MB_CPOMS_KEY", "cpoms-sandbox-key"}};

  LaNoticeToCpoms() {
    dir.write("calendar.json", test::autumnCalendarJson());
    std::filesystem::create_directories(dir / "in");
    dir.write("in/register.csv", exportWith());
    auto la = test::laSink(server->baseUrl());
    la["events"] = {"unauthorised_10_day"};
    auto cpoms = test::cpomsSink(server->baseUrl());
    cpoms["events"] = {"la_notice"};  // only the notes, to count them
    dir.write("markbridge.json",
              test::schoolConfig(
                  {{"sources",
                    {{{"name", "sims"},
                      {"type", "sims_csv"},
                      {"drop_folder", "in"},
                      {"settle_seconds", 0}}}},
                   {"sinks", nlohmann::json::array({la, cpoms})},
                   {"delivery",
                    {{"base_backoff_ms", 10}, {"max_backoff_ms", 50}, {"run_budget_seconds", 5}}}})
                  .dump(2));
  }
  test::RunResult sync(const std::string& fault = "") {
    auto withFault = env;
    if (!fault.empty()) withFault["MARKBRIDGE_FAULT"] = fault;
    return test::runMarkbridge({"sync", "--config", "markbridge.json"}, withFault, dir.path());
  }
  std::vector<sandbox::Received> received(const std::string& kind) const {
    std::vector<sandbox::Received> out;
    for (const auto& r : server->received())
      if (r.kind == kind) out.push_back(r);
    return out;
  }
  // The outbox items queued for CPOMS (the notes).
  std::vector<OutboxItem> notes() {
    auto store = openSqliteStore((dir / "register.db").string());
    std::vector<OutboxItem> out;
    for (const auto& item : store->outbox(std::nullopt, 1000))
      if (item.sink == "cpoms") out.push_back(item);
    return out;
  }
};

}  // namespace

TEST_F(LaNoticeToCpoms, TheNoteIsMadeOnlyAfterThePortalAcceptsTheNotification) {
  // The portal is down: the notification waits, and CPOMS hears nothing of it.
  sandbox::Faults down;
  down.fail = 1000;
  server->setFaults(down);
  auto first = sync();
  ASSERT_EQ(first.exit_code, 7) << first.out << first.err;  // the sink paused: items wait
  EXPECT_TRUE(server->received().empty());
  EXPECT_TRUE(notes().empty()) << "a note was queued before the LA accepted anything";

  // It comes back (the officer resumes the paused sink): the notification, then the note on
  // the pupil, in the same sync.
  server->setFaults(sandbox::Faults{});
  auto resumed = test::runMarkbridge(
      {"outbox", "retry", "--sink", "la", "--config", "markbridge.json"}, env, dir.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  auto second = sync();
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  auto told = received("notification");
  ASSERT_EQ(told.size(), 1u);
  auto incidents = received("incident");
  auto cpomsNotes = received("note");
  ASSERT_EQ(incidents.size(), 1u);
  ASSERT_EQ(cpomsNotes.size(), 1u);
  auto items = notes();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, OutboxState::Delivered);
  EXPECT_EQ(incidents[0].idempotency_key, items[0].key + "/incident");
  EXPECT_EQ(items[0].key, told[0].idempotency_key + "/la_notice@cpoms");
  auto incident = nlohmann::json::parse(incidents[0].body);
  EXPECT_EQ(incident["student"]["upn"], "B801200005001");
  auto text = nlohmann::json::parse(cpomsNotes[0].body).value("text", "");
  EXPECT_EQ(text.rfind("The LA was notified: unauthorised_10_day, period 2024-09-16 to "
                       "2024-09-27, LA reference " +
                           told[0].reference + ", accepted by the LA portal ",
                       0),
            0u)
      << text;
  EXPECT_EQ(cpomsNotes[0].path, "POST /api/v1/incidents/" + incidents[0].reference + "/notes");
  EXPECT_NE(second.out.find("la_notice"), std::string::npos) << second.out;
  // The pupil's name is in CPOMS (sent names anyway), never in the log.
  EXPECT_EQ(second.err.find("Smith"), std::string::npos) << second.err;

  // Syncing again sends nothing more.
  auto third = sync();
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(server->received().size(), 3u);
}

TEST_F(LaNoticeToCpoms, ANotificationThePortalRefusesGivesNoNote) {
  sandbox::Faults refuse;
  refuse.fail = 1;
  refuse.status = 422;  // dead-lettered at once
  server->setFaults(refuse);
  auto run = sync();
  ASSERT_EQ(run.exit_code, 3) << run.out << run.err;  // dead-lettered
  auto store = openSqliteStore((dir / "register.db").string());
  ASSERT_EQ(store->outbox(OutboxState::Rejected, 10).size(), 1u);
  EXPECT_TRUE(notes().empty());
  EXPECT_TRUE(server->received().empty());
}

TEST_F(LaNoticeToCpoms, KilledBetweenThePortalsAcceptanceAndTheNoteItIsMadeExactlyOnce) {
  // Killed after the portal accepted, before anything was recorded: the notification goes
  // again with its key (the portal recognises it) and the note is queued with it.
  auto killed = sync("after-send:1");
  ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
  ASSERT_EQ(received("notification").size(), 1u);
  EXPECT_TRUE(notes().empty());
  // Killed again, after the acceptance and its note were recorded together, before the note
  // was sent: it waits, pending.
  killed = sync("after-la-notice-queued:1");
  ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
  EXPECT_EQ(server->duplicates(), 1);
  auto items = notes();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, OutboxState::Pending);
  EXPECT_TRUE(received("incident").empty());
  // The next sync sends it, once; the one after sends nothing.
  for (int i = 0; i < 2; ++i) {
    auto run = sync();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  EXPECT_EQ(received("notification").size(), 1u);
  EXPECT_EQ(received("incident").size(), 1u);
  EXPECT_EQ(received("note").size(), 1u);
  items = notes();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, OutboxState::Delivered);
}

TEST_F(LaNoticeToCpoms, AWithdrawnNotificationIsANoteOnTheSameIncidentSayingWhy) {
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  ASSERT_EQ(received("incident").size(), 1u);
  const auto incident = received("incident")[0].reference;
  // The office finds the pupil was in on two Mondays: no run of 10 days is left, and the LA's
  // notification is withdrawn.
  dir.write("in/register-amended.csv", exportWith({"2024-09-23", "2024-09-30"}));
  run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto told = received("notification");
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(told[1].body)["type"], "update");
  auto cpomsNotes = received("note");
  ASSERT_EQ(cpomsNotes.size(), 2u);
  EXPECT_EQ(received("incident").size(), 1u);  // no second record for the pupil
  EXPECT_EQ(cpomsNotes[1].path, "POST /api/v1/incidents/" + incident + "/notes");
  auto text = nlohmann::json::parse(cpomsNotes[1].body).value("text", "");
  EXPECT_NE(text.find("The LA notification unauthorised_10_day (period 2024-09-16 to 2024-09-27, "
                      "LA reference " +
                      told[0].reference + ") was withdrawn; the LA portal accepted the withdrawal"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Why: the register was amended and the grounds for the notification no "
                      "longer hold"),
            std::string::npos)
      << text;
  auto items = notes();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].kind, OutboxKind::Withdraw);
  EXPECT_EQ(items[1].key, told[1].idempotency_key + "/la_notice@cpoms");
}
