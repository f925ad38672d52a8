// What is particular to the SQLite store: its file, and failures only SQLite can be made to
// show. What every backend does is in the contract suites (tests/core/store_contract_*.cpp),
// instantiated for SQLite in tests/core/store_backends.h.

#include <gtest/gtest.h>

#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "tests/core/store_backends.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

ImportBatch batchOf(std::vector<Mark> marks, std::string fingerprint) {
  ImportBatch batch;
  batch.source = marks.empty() ? "sims" : marks.front().source;  // the connector's name
  batch.origin = "export.csv";
  batch.fingerprint = std::move(fingerprint);
  for (auto& m : marks) {
    bool known = false;
    for (const auto& p : batch.pupils) known = known || p.upn == m.upn;
    if (!known) batch.pupils.push_back(Pupil{m.upn, "1", "Ann", "Smith", {}, "7", "7A", {}});
  }
  batch.marks = std::move(marks);
  batch.rows = static_cast<int>(batch.marks.size());
  return batch;
}

const std::string kUpn = "B801200005001";

}  // namespace

TEST(SqliteStore, AFailureMidImportLeavesNothingBehind) {
  test::TempDir dir;
  auto path = (dir / "r.db").string();
  auto store = openSqliteStore(path);
  {
    // Another writer makes the marks table refuse inserts part-way through the batch.
    SqliteDb other(path);
    other.exec("CREATE TRIGGER refuse BEFORE INSERT ON register_weeks WHEN NEW.week = " +
               std::to_string(d("2024-09-09").days()) +
               " BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END");
  }
  // Friday's week is written, then Monday's week fails.
  std::vector<Mark> marks;
  test::addDays(marks, kUpn, {d("2024-09-06"), d("2024-09-09")}, "/", "\\");
  EXPECT_THROW(store->importBatch(batchOf(marks, "half"), 1), StoreError);
  auto status = store->status();
  EXPECT_EQ(status.marks, 0);
  EXPECT_EQ(status.pupils, 0);
  EXPECT_EQ(status.imports, 0);
}

TEST(StoreFile, AFirstStartKilledBeforeItsFirstWriteLeavesAStoreThatOpensAgain) {
  // Opening makes the file; a process killed before it wrote anything used to leave 0 bytes,
  // which every later open refuses as a truncated store.
  test::TempDir dir;
  auto path = (dir / "register.db").string();
  { SqliteDb first(path); }
  EXPECT_GT(std::filesystem::file_size(path), 0u);
  EXPECT_NO_THROW({ SqliteDb again(path); });
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().find(".new-"), std::string::npos);
}

TEST(SqliteStore, AnEventInAStateThisVersionDoesNotKnowIsNamedNotGuessed) {
  test::TempDir dir;
  auto path = (dir / "r.db").string();
  auto store = openSqliteStore(path);
  auto e = test::tenDaysAway(kUpn);
  store->commitEvaluation({kUpn}, {e}, {}, 1);
  SqliteDb(path).exec("UPDATE events SET state='paused'");
  try {
    store->commitEvaluation({kUpn}, {e}, {}, 2);
    FAIL() << "an unknown state was read as some state";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find(e.id), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("'paused'"), std::string::npos) << error.what();
  }
  EXPECT_THROW(store->eventHistory(kUpn), StoreError);  // the pupil's history is not guessed either
  SqliteDb(path).exec("UPDATE events SET state='active', period_to='27/09/2024'");
  try {
    store->commitEvaluation({kUpn}, {e}, {}, 3);
    FAIL() << "a date that is not ISO was read";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("'27/09/2024'"), std::string::npos) << error.what();
  }
}
