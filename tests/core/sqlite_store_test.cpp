#include <gtest/gtest.h>

#include "core/store/sqlite_db.h"
#include "core/store/store.h"
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

std::string codeOf(Store& store, Date day, Session s) {
  std::string code = "(none)";
  store.forEachRegister([&](const Pupil&, const std::vector<Mark>& marks) {
    for (const auto& m : marks)
      if (m.date == day && m.session == s) code = std::string(m.code.str());
  });
  return code;
}

}  // namespace

TEST(SqliteStore, KeepsTheRegisterInARealFileAcrossReopening) {
  test::TempDir dir;
  auto path = (dir / "register.db").string();
  {
    auto store = openSqliteStore(path);
    auto outcome = store->importBatch(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "/"),
                                               test::mark(kUpn, d("2024-09-03"), Session::PM, "N")},
                                              "f1"),
                                      100);
    EXPECT_EQ(outcome.marks_added, 2);
    EXPECT_EQ(outcome.pupils_added, 1);
  }
  auto reopened = openSqliteStore(path);
  EXPECT_EQ(reopened->status().marks, 2);
  EXPECT_EQ(codeOf(*reopened, d("2024-09-03"), Session::PM), "N");
  EXPECT_EQ(reopened->pupil(kUpn)->reg_group, "7A");
}

TEST(SqliteStore, ReimportingTheSameFileChangesNothing) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  auto batch = batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "N")}, "same-bytes");
  store->importBatch(batch, 100);
  auto again = store->importBatch(batch, 200);
  EXPECT_TRUE(again.already_imported);
  EXPECT_EQ(again.marks_added + again.marks_amended, 0);
  auto status = store->status();
  EXPECT_EQ(status.imports, 1);
  EXPECT_EQ(status.marks, 1);
  // The same marks in different bytes: imported, but every mark is unchanged.
  auto sameMarks = store->importBatch(batchOf(batch.marks, "other-bytes"), 300);
  EXPECT_FALSE(sameMarks.already_imported);
  EXPECT_EQ(sameMarks.marks_unchanged, 1);
  EXPECT_EQ(store->status().amendments, 0);
}

TEST(SqliteStore, AChangedMarkIsAnAmendmentThatKeepsTheOriginal) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  store->importBatch(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "N")}, "monday"), 100);
  auto later = test::mark(kUpn, d("2024-09-03"), Session::AM, "I");
  later.source = "arbor";
  auto outcome = store->importBatch(batchOf({later}, "tuesday"), 200);
  EXPECT_EQ(outcome.marks_amended, 1);
  EXPECT_EQ(codeOf(*store, d("2024-09-03"), Session::AM), "I");
  auto amendments = store->amendments(kUpn);
  ASSERT_EQ(amendments.size(), 1u);
  EXPECT_EQ(amendments[0].old_code, "N");
  EXPECT_EQ(amendments[0].new_code, "I");
  EXPECT_EQ(amendments[0].old_source, "test");
  EXPECT_EQ(amendments[0].new_source, "arbor");
  EXPECT_EQ(amendments[0].amended_at, 200);
}

TEST(SqliteStore, ABlankInALaterExportNeverErasesATakenMark) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  store->importBatch(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "/")}, "a"), 1);
  auto blank = test::mark(kUpn, d("2024-09-03"), Session::AM, "/");
  blank.code = Code::notTaken();
  store->importBatch(batchOf({blank}, "b"), 2);
  EXPECT_EQ(codeOf(*store, d("2024-09-03"), Session::AM), "/");
}

TEST(SqliteStore, RefusesABatchWithProblemsAndStoresNothing) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  auto batch = batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "/")}, "bad");
  batch.problems.push_back(Problem{"bad.csv", 3, 9, "", "ZZ", "unknown attendance code"});
  EXPECT_THROW(store->importBatch(batch, 1), StoreError);
  auto status = store->status();
  EXPECT_EQ(status.marks, 0);
  EXPECT_EQ(status.pupils, 0);
  EXPECT_EQ(status.imports, 0);
}

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
