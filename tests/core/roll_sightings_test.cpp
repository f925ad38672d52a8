// Who each sync's imports named (issue 16, item 5; schema 7): the store keeps when each source
// last named each pupil and which syncs listed pupils, so a pupil the roll's listings stop
// naming is found after N syncs, while a source that failed, was not run or brought the same
// file again does not count against anyone. End to end through the gateway with a real SIMS
// export, a real SQLite store and the sandbox LA portal over TLS.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/app/gateway.h"
#include "core/app/gateway_config.h"
#include "core/outbox/backoff.h"
#include "core/store/sqlite_db.h"
#include "core/store/sqlite_schema.h"
#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

ImportBatch naming(const std::vector<std::string>& upns, const std::string& source) {
  static int n = 0;
  ImportBatch batch;
  batch.source = source;
  batch.origin = "export.csv";
  batch.fingerprint = "roll" + std::to_string(++n);
  for (const auto& upn : upns) batch.pupils.push_back(Pupil{upn, "1", "A", "B", {}, "8", "8A", {}});
  return batch;
}

const std::string kA = "B801200005001", kB = "K801400023001";

}  // namespace

// Which syncs missed a pupil, on both backends: the register contract's
// ASyncThatListsThePupilsWithoutOneCountsAgainstThatOneOnly
// (tests/core/store_contract_register_test.cpp).

TEST(RollSightings, AStoreFromSchemaSixOpensAndNobodyIsMissingUntilNamedOnce) {
  test::TempDir dir;
  auto path = (dir / "old.db").string();
  {
    SqliteDb db(path);
    migrateSqliteSchema(db, 6);  // as the store was before children missing education
    db.exec("INSERT INTO pupils VALUES('B801200005001','1','Ann','Smith',NULL,'7','7A',0,1);");
  }
  auto store = openSqliteStore(path);
  store->importBatch(naming({kB}, "sims"), 100);
  store->importBatch(naming({kB}, "sims"), 200);
  EXPECT_TRUE(store->rollListingsMissed({"sims"}).empty());  // Ann was never seen by schema 7
  SqliteDb db(path);
  SqliteStatement version(db.handle(), "PRAGMA user_version");
  version.step();
  EXPECT_EQ(version.integer(0), 7);
}

namespace {

struct VirtualClock : Clock {
  int64_t now = 0;
  int64_t nowMs() override { return now; }
  void sleepMs(int64_t ms) override { now += ms; }
};

struct Highest : RandomSource {
  int64_t upTo(int64_t bound) override { return bound; }
};

std::string exportOf(const std::vector<std::string>& rows) {
  std::string csv = "UPN,Legal Surname,Legal Forename,Year,Admission Date,Date,Session,Mark\n";
  for (const auto& row : rows) csv += row + "\n";
  return csv;
}

}  // namespace

TEST(RollSightingsGateway, APupilGoneFromThreeExportsReachesTheLaOnceAndIsWithdrawnWhenBack) {
  test::TempDir dir;
  auto server = test::startSandbox();
  ::setenv("MB_LA_TOKEN", "la-sandbox-token", 1);
  dir.write("calendar.json", test::autumnCalendarJson());
  auto la = test::laSink(server->baseUrl());
  la["events"] = {"missing_education"};
  dir.write(
      "markbridge.json",
      test::schoolConfig({{"sources",
                           {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"export.csv"}}},
                            {{"name", "mis"}, {"type", "sims_csv"}, {"files", {"mis.csv"}}}}},
                          {"sinks", nlohmann::json::array({la})}})
          .dump(2));
  auto row = [](const std::string& upn, const char* day, const char* mark) {
    return upn + ",Smith,Ann,8,04/09/2023," + day + ",AM," + mark;
  };
  VirtualClock clock;
  Highest random;
  auto sync = [&](int64_t at) {
    std::vector<Problem> problems;
    Gateway gateway(loadGatewayConfig(dir / "markbridge.json", problems));
    EXPECT_TRUE(problems.empty());
    clock.now = at * 1000;
    gateway.setClock(&clock, &random);
    return gateway.sync({});
  };
  auto missingEducation = [&] {
    int n = 0;
    for (const auto& r : server->received())
      n += nlohmann::json::parse(r.body).value("type", "") == "missing_education";
    return n;
  };
  // Monday: both pupils in both exports (each source lists the roll: the default).
  dir.write("export.csv", exportOf({row(kA, "11/11/2024", "/"), row(kB, "11/11/2024", "/")}));
  dir.write("mis.csv", exportOf({row(kA, "11/11/2024", "/"), row(kB, "11/11/2024", "/")}));
  sync(1731344400);
  // Tuesday: B is not in it (1).
  dir.write("export.csv", exportOf({row(kA, "12/11/2024", "/")}));
  sync(1731430800);
  // Wednesday: the export was not refreshed (the same file) and the other source failed: its
  // file holds a code nobody knows and is refused whole. Neither counts.
  dir.write("mis.csv", exportOf({row(kA, "13/11/2024", "ZZ")}));
  auto failed = sync(1731517200);
  EXPECT_TRUE(failed.inputRejected());
  // Thursday (2) and Friday (3): B is missing from both.
  dir.write("export.csv", exportOf({row(kA, "14/11/2024", "/")}));
  sync(1731603600);
  EXPECT_EQ(missingEducation(), 0);
  dir.write("export.csv", exportOf({row(kA, "15/11/2024", "/")}));
  sync(1731690000);
  ASSERT_EQ(missingEducation(), 1);
  auto body = nlohmann::json::parse(server->received().back().body);
  EXPECT_EQ(body["pupil"]["upn"], kB);
  EXPECT_EQ(body["missing_education"]["reason"], "vanished");
  EXPECT_EQ(body["period"]["from"], "2024-11-12");
  EXPECT_EQ(body["period"]["to"], "2024-11-15");
  // The next sync sends nothing more.
  dir.write("export.csv", exportOf({row(kA, "18/11/2024", "/")}));
  sync(1731949200);
  EXPECT_EQ(server->received().size(), 1u);
  // B is back in the export: the LA's record is withdrawn, once.
  dir.write("export.csv", exportOf({row(kA, "19/11/2024", "/"), row(kB, "19/11/2024", "/")}));
  sync(1731949200 + 86400);
  auto received = server->received();
  ASSERT_EQ(received.size(), 2u);
  auto update = nlohmann::json::parse(received[1].body);
  EXPECT_EQ(update["type"], "update");
  EXPECT_EQ(update["corrects"]["type"], "missing_education");
  EXPECT_NE(update["update"].get<std::string>().find("withdrawn"), std::string::npos);
  sync(1731949200 + 2 * 86400);
  EXPECT_EQ(server->received().size(), 2u);
}
