// Delivery that never loses or duplicates, against the real sandbox over mutual TLS: a
// destination that fails 30% of requests at random, answers late and drops connections (some
// after keeping the record); and the gateway killed with SIGKILL at 50 random points of a large
// sync (MARKBRIDGE_FAULT: a fault point and the pass at which it dies, never a time), restarted
// each time. Both with 8 requests in flight per sink. Afterwards every outbox item is
// delivered, the destination holds exactly one record per item (counted and compared key by
// key), and each pupil's records reached it in the order the outbox queued them.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/domain/upn.h"
#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// `pupils` pupils, each away (N) for ten school days from 16 September: each gets the LA
// notification and the statutory concerns and tasks.
std::string largeRegister(int pupils) {
  auto cal = test::autumnCalendar();
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n";
  for (int p = 0; p < pupils; ++p) {
    char body[32];
    std::snprintf(body, sizeof body, "A80140002%04d", p % 10000);
    std::string upn = body;
    upn[0] = upnCheckLetter(upn);
    for (Date day : cal.schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
      auto iso = day.iso();
      std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
      bool away = day >= test::d("2024-09-16") && day <= test::d("2024-09-27");
      std::string row = upn + "," + std::to_string(2000 + p) + ",Surname,Forename,8B,8," + uk;
      csv += row + ",AM," + (away ? "N" : "/") + "\r\n";
      csv += row + ",PM," + (away ? "N" : "\\") + "\r\n";
    }
  }
  return csv;
}

struct Reliability : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server =
      test::startSandbox("server", [](sandbox::SandboxOptions& o) {
        o.require_client_cert = true;
        o.ca_file = test::certsDir() + "/ca.pem";
      });
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"},
                                            {"MB_CPOMS_KEY", "cpoms-sandbox-key"}};

  void configure(int pupils) {
    dir.write("calendar.json", test::autumnCalendarJson());
    dir.write("register.csv", largeRegister(pupils));
    auto certs = test::certsDir();
    nlohmann::json tls = {{"base_url", server->baseUrl()},
                          {"ca_file", certs + "/ca.pem"},
                          {"client_cert", certs + "/client.pem"},
                          {"client_key", certs + "/client.key"},
                          {"timeout_ms", 400},
                          {"max_in_flight", 8}};
    nlohmann::json la = {{"name", "la"},
                         {"type", "la_portal"},
                         {"events", {"unauthorised_10_day", "penalty_threshold", "update"}},
                         {"auth", {{"type", "bearer"}, {"token_env", "MB_LA_TOKEN"}}}};
    nlohmann::json cpoms = {{"name", "cpoms"},
                            {"type", "cpoms"},
                            {"auth", {{"type", "api_key"}, {"key_env", "MB_CPOMS_KEY"}}}};
    la.merge_patch(tls);
    cpoms.merge_patch(tls);
    nlohmann::json config = {
        {"school", {{"urn", "140000"}, {"la", "801"}, {"estab", "4000"}, {"name", "Test School"}}},
        {"store", {{"sqlite", "register.db"}}},
        {"calendar", "calendar.json"},
        {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
        {"sinks", {la, cpoms}},
        {"delivery",
         {{"base_backoff_ms", 10},
          {"max_backoff_ms", 100},
          {"run_budget_seconds", 20},
          {"circuit_failures", 50},
          {"circuit_pause_seconds", 1}}},
        {"log_level", "error"}};
    dir.write("markbridge.json", config.dump(2));
  }
  // A sync; with `fault` ("point:N") it kills itself the Nth time it passes that point.
  test::RunResult sync(const std::string& fault = "") {
    auto withFault = env;
    if (!fault.empty()) withFault["MARKBRIDGE_FAULT"] = fault;
    return test::runMarkbridge({"sync", "--config", "markbridge.json"}, withFault, dir.path());
  }
  // Every outbox item delivered, and the sandbox holding exactly one record per request the
  // items stand for: a notification, an incident, an action, a note.
  void expectEachItemDeliveredExactlyOnce() {
    auto store = openSqliteStore((dir / "register.db").string());
    auto items = store->outbox(std::nullopt, 1'000'000);
    ASSERT_FALSE(items.empty());
    for (const auto& item : items)
      ASSERT_EQ(item.state, OutboxState::Delivered) << item.key << ": " << item.last_error;
    auto expected = test::recordsFor(items);
    auto got = test::recordsAt(*server);
    EXPECT_EQ(got.size(), expected.size());
    EXPECT_TRUE(got == expected) << "the destination's records differ from the outbox";
    std::set<std::string> incidentIds;
    for (const auto& r : server->received()) {
      if (r.kind == "incident") {
        EXPECT_TRUE(incidentIds.insert(r.reference).second);
      }
    }
    expectEachPupilInOrder(items);
  }
  // Each pupil's items reached each destination in the outbox's order: the first record of an
  // item (its notification, or its incident, action or note) never comes before the records of
  // the pupil's earlier items for that sink (a correction never overtakes what it corrects, an
  // action never precedes its incident).
  void expectEachPupilInOrder(const std::vector<OutboxItem>& items) {
    std::map<std::string, const OutboxItem*> byRecordKey;
    for (const auto& item : items)
      for (const char* suffix : {"", "/incident", "/action", "/note"})
        byRecordKey[item.key + suffix] = &item;
    std::map<std::string, int64_t> lastSeq;  // sink|pupil -> the latest item seen
    int checked = 0, pupilsWithSeveral = 0;
    std::map<std::string, int> itemsPerPupil;
    for (const auto& item : items) ++itemsPerPupil[item.sink + "|" + item.upn];
    for (const auto& [key, n] : itemsPerPupil) pupilsWithSeveral += n > 1;
    for (const auto& r : server->received()) {
      auto it = byRecordKey.find(r.idempotency_key);
      ASSERT_NE(it, byRecordKey.end()) << r.idempotency_key;
      const auto& item = *it->second;
      auto& last = lastSeq[item.sink + "|" + item.upn];
      EXPECT_GE(item.seq, last) << "pupil " << item.upn << ": " << item.key << " reached sink "
                                << item.sink << " after a later item";
      last = std::max(last, item.seq);
      ++checked;
    }
    EXPECT_GT(pupilsWithSeveral, 0);  // the order was put to the test
    EXPECT_EQ(checked, static_cast<int>(server->received().size()));
  }
};

}  // namespace

TEST_F(Reliability, ThirtyPercentFailuresSlowAnswersAndDroppedConnectionsLoseAndDoubleNothing) {
  configure(20);
  sandbox::Faults chaos;
  chaos.fail_percent = 30;
  chaos.drop_percent = 10;  // half of them after the record was kept: the answer is lost
  chaos.slow_percent = 5;
  chaos.slow_ms = 450;  // beyond the 400 ms timeout: the record is kept, the client gives up
  server->setFaults(chaos);
  auto first = sync();
  ASSERT_NE(first.exit_code, 2) << first.err;
  // The destination recovers; the next syncs finish the job.
  server->setFaults(sandbox::Faults{});
  for (int i = 0; i < 5; ++i)
    if (sync().out.find(" 0 still pending") != std::string::npos) break;
  expectEachItemDeliveredExactlyOnce();
  EXPECT_GT(server->duplicates(), 0);  // retries of requests whose answer was lost: recognised
}

TEST_F(Reliability, KilledAtFiftyRandomPointsOfALargeSyncNothingIsLostOrDoubled) {
  configure(160);
  // Where each run dies: inside the import (written, not committed), after an evaluation batch
  // was committed (before any delivery), twice after the LA's acceptance and CPOMS's note of it
  // were recorded (the note not yet sent), then 46 times after the Nth delivery the destination
  // acknowledged but before the outbox recorded it. 160 pupils give several hundred items; 46
  // runs of at most 5 sends each cannot run out of items, so every run reaches its point.
  std::vector<std::string> faults = {"after-import-part:1", "after-evaluation-batch:1",
                                     "after-la-notice-queued:1", "after-la-notice-queued:3"};
  std::mt19937 random(20241125);
  while (faults.size() < 50) faults.push_back("after-send:" + std::to_string(1 + random() % 5));
  int killed = 0;
  for (const auto& fault : faults) {
    auto run = sync(fault);
    EXPECT_EQ(run.signal, SIGKILL) << fault << " was not reached: " << run.out << run.err;
    killed += run.signal == SIGKILL;
  }
  EXPECT_EQ(killed, 50);
  for (int i = 0; i < 5; ++i) {
    auto run = sync();
    ASSERT_NE(run.exit_code, 2) << run.err;
    if (run.out.find(" 0 still pending") != std::string::npos) break;
  }
  expectEachItemDeliveredExactlyOnce();
  EXPECT_GE(server->duplicates(), 46);  // each send killed before it was recorded went again
  std::printf("killed %d of 50 runs; %zu records at the destination, %d repeats recognised\n",
              killed, server->received().size(), server->duplicates());
}
