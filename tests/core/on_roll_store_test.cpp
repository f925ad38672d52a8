// The admission register in the store (issue 16, item 1): on-roll periods kept with their
// history (added, amended, leaving date withdrawn), an older store opening with none, and marks
// outside every period stored but flagged and counted.

#include <gtest/gtest.h>

#include "core/store/sqlite_db.h"
#include "core/store/sqlite_schema.h"
#include "core/store/store.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

const std::string kUpn = "B801200005001";

OnRollRecord roll(const char* admitted, const char* left = nullptr, bool statesLeaving = true,
                  const char* reason = "", const char* destination = "") {
  OnRollRecord r;
  r.upn = kUpn;
  if (admitted) r.period.admitted = d(admitted);
  if (left) r.period.left = d(left);
  r.period.leaving_reason = reason;
  r.period.destination = destination;
  r.states_leaving = statesLeaving;
  return r;
}

ImportBatch batchOf(std::vector<OnRollRecord> periods, std::vector<Mark> marks = {},
                    const std::string& source = "sims") {
  static int n = 0;
  ImportBatch batch;
  batch.source = source;
  batch.origin = "export.csv";
  batch.fingerprint = "f" + std::to_string(++n);
  batch.pupils.push_back(Pupil{kUpn, "1", "Ann", "Smith", {}, "8", "8A", {}});
  batch.on_roll = std::move(periods);
  batch.marks = std::move(marks);
  return batch;
}

struct OnRollStore : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  std::vector<OnRollPeriod> periods() { return store->pupil(kUpn)->on_roll; }
};

}  // namespace

TEST_F(OnRollStore, APeriodIsStoredThenItsLeavingDateSetThenWithdrawnEachChangeKept) {
  auto added = store->importBatch(batchOf({roll("2024-09-02")}), 100);
  EXPECT_EQ(added.on_roll_added, 1);
  ASSERT_EQ(periods().size(), 1u);
  EXPECT_EQ(periods()[0].admitted, d("2024-09-02"));
  EXPECT_FALSE(periods()[0].left);

  // The same again changes nothing.
  auto same = store->importBatch(batchOf({roll("2024-09-02")}), 110);
  EXPECT_EQ(same.on_roll_added + same.on_roll_amended, 0);

  auto left = store->importBatch(
      batchOf({roll("2024-09-02", "2024-10-18", true, "Moved away", "Hill School")}), 200);
  EXPECT_EQ(left.on_roll_amended, 1);
  ASSERT_EQ(periods().size(), 1u);
  EXPECT_EQ(periods()[0].left, d("2024-10-18"));
  EXPECT_EQ(periods()[0].leaving_reason, "Moved away");
  EXPECT_EQ(periods()[0].destination, "Hill School");

  // The MIS took the leaving date back (entered on the wrong pupil).
  auto withdrawn = store->importBatch(batchOf({roll("2024-09-02")}), 300);
  EXPECT_EQ(withdrawn.on_roll_amended, 1);
  EXPECT_FALSE(periods()[0].left);
  EXPECT_EQ(periods()[0].leaving_reason, "");

  auto changes = store->onRollChanges(kUpn);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].change, "added");
  EXPECT_EQ(changes[1].change, "amended");
  EXPECT_FALSE(changes[1].old_left);
  EXPECT_EQ(changes[1].new_left, d("2024-10-18"));
  EXPECT_EQ(changes[1].new_reason, "Moved away");
  EXPECT_EQ(changes[2].old_left, d("2024-10-18"));
  EXPECT_FALSE(changes[2].new_left);
  EXPECT_EQ(changes[2].changed_at, 300);
  EXPECT_EQ(changes[2].source, "sims");
}

TEST_F(OnRollStore, ASourceThatCannotSayKeepsTheLeavingDateAndACensusLeaverClosesThePeriod) {
  store->importBatch(batchOf({roll("2024-09-02", "2024-10-18", true, "Moved away")}), 100);
  // An admission-date-only export says nothing about leaving.
  auto quiet = store->importBatch(batchOf({roll("2024-09-02", nullptr, false)}), 200);
  EXPECT_EQ(quiet.on_roll_amended, 0);
  EXPECT_EQ(periods()[0].left, d("2024-10-18"));
  // A leaving date with no admission date closes the latest period begun on or before it.
  store->importBatch(batchOf({roll("2025-01-06", nullptr, false)}), 300);
  auto census = store->importBatch(batchOf({roll(nullptr, "2025-02-14")}, {}, "census"), 400);
  EXPECT_EQ(census.on_roll_amended, 1);
  ASSERT_EQ(periods().size(), 2u);
  EXPECT_EQ(periods()[0].left, d("2024-10-18"));
  EXPECT_EQ(periods()[1].admitted, d("2025-01-06"));
  EXPECT_EQ(periods()[1].left, d("2025-02-14"));
}

TEST_F(OnRollStore, LeaveAndRejoinAreTwoPeriodsInOrderAndTheRegisterWalkCarriesThem) {
  store->importBatch(batchOf({roll("2024-11-04"), roll("2024-09-02", "2024-09-27")}), 100);
  std::vector<OnRollPeriod> seen;
  auto cal = test::autumnCalendar();
  store->forEachPupilRegister(cal, [&](const Pupil& p, const PupilRegister&) { seen = p.on_roll; });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].admitted, d("2024-09-02"));
  EXPECT_EQ(seen[1].admitted, d("2024-11-04"));
  std::vector<OnRollPeriod> walked;
  store->forEachRegister([&](const Pupil& p, const std::vector<Mark>&) { walked = p.on_roll; });
  EXPECT_EQ(walked, seen);
  EXPECT_TRUE(isOnRoll(seen, d("2024-09-27")));
  EXPECT_FALSE(isOnRoll(seen, d("2024-09-30")));
  EXPECT_TRUE(isOnRoll(seen, d("2024-11-04")));
}

TEST_F(OnRollStore, MarksOutsideEveryPeriodAreStoredButCountedAsAWarning) {
  std::vector<Mark> marks;
  test::addDays(marks, kUpn, {d("2024-10-30"), d("2024-10-31"), d("2024-11-04")}, "O", "O");
  marks.push_back(test::mark(kUpn, d("2024-10-29"), Session::AM, "-"));
  marks.push_back(test::mark(kUpn, d("2024-11-05"), Session::AM, "-"));
  // The period comes in the same import as the marks it decides about.
  auto outcome = store->importBatch(batchOf({roll("2024-11-04")}, marks), 100);
  EXPECT_EQ(outcome.marks_off_roll, 4);
  EXPECT_EQ(outcome.first_off_roll, d("2024-10-30"));
  EXPECT_EQ(outcome.marks_added, 7);  // kept: the MIS's register is the record
  // Off roll there is no register to take: the blank of 29 October is not "not taken"; the one
  // of 5 November, on roll, is.
  EXPECT_EQ(store->status().marks_not_taken, 1);
  ASSERT_EQ(store->registersNotTaken(10).size(), 1u);
  EXPECT_EQ(store->registersNotTaken(10)[0].date, d("2024-11-05"));
  // A pupil with no on-roll data never has marks off roll.
  ImportBatch other = batchOf({}, {});
  other.pupils[0].upn = "Q801200005002";
  test::addDays(other.marks, "Q801200005002", {d("2024-09-03")}, "/", "\\");
  EXPECT_EQ(store->importBatch(other, 200).marks_off_roll, 0);
}

TEST(OnRollSchema, AStoreFromBeforeTheAdmissionRegisterOpensAndItsPupilsHaveNoPeriods) {
  test::TempDir dir;
  auto path = (dir / "old.db").string();
  {
    SqliteDb db(path);
    migrateSqliteSchema(db, 5);  // as the store was before issue 16
    db.exec("INSERT INTO pupils VALUES('B801200005001','1','Ann','Smith',NULL,'7','7A',0,1);");
  }
  auto store = openSqliteStore(path);
  ASSERT_TRUE(store->pupil(kUpn));
  EXPECT_TRUE(store->pupil(kUpn)->on_roll.empty());
  EXPECT_EQ(store->importBatch(batchOf({roll("2024-09-02")}), 10).on_roll_added, 1);
  SqliteDb db(path);
  SqliteStatement version(db.handle(), "PRAGMA user_version");
  version.step();
  EXPECT_EQ(version.integer(0), 7);  // the latest (7: who each sync named)
}
