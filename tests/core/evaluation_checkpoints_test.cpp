// A sync after the afternoon register resumes every pupil from the same day as the morning's
// (a checkpoint is the state at the end of the day before: today's registers may still change),
// so every checkpoint is as the morning's sync kept it, and is not written again: on a trust's
// PostgreSQL that write was the biggest of an afternoon close. A real SQLite store, with a
// trigger of the test's counting the checkpoints written.

#include <gtest/gtest.h>

#include "core/app/evaluation.h"
#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "tests/support/morning_sync.h"
#include "tests/support/policy_register.h"

using namespace markbridge;
using test::d;

namespace {

struct CheckpointWrites : ::testing::Test, test::PolicyRegister {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "register.db").string());
  RuleSet rules = test::shippedPolicies({"statutory"});
  const std::vector<SinkRoute> routes{{"la", {"unauthorised_10_day"}}};
  int64_t now = 1'000;

  CheckpointWrites() : test::PolicyRegister(test::autumnCalendar()) {
    set(schoolDays("2024-09-16", 10), "O", "O");
  }
  // The registers closed through `last` (its afternoon's too when `afternoon`), then a sync.
  void syncAfter(Date last, bool afternoon) {
    store->importBatch(exportAt(now,
                                [&](const Mark& m) {
                                  return m.date < last || (m.date == last &&
                                                           (afternoon || m.session == Session::AM));
                                }),
                       now);
    now += 1'000;
    evaluateRegisters(*store, cal, rules, routes, last, now, true);
  }
  // Checkpoints written (kept or dropped) since the store was made.
  int64_t checkpointsWritten() {
    SqliteDb db((dir / "register.db").string());
    if (!counting) {
      db.exec(
          "CREATE TABLE test_writes(n INTEGER); INSERT INTO test_writes VALUES(0); "
          "CREATE TRIGGER test_kept AFTER INSERT ON evaluation_checkpoints BEGIN "
          "UPDATE test_writes SET n=n+1; END; "
          "CREATE TRIGGER test_dropped AFTER DELETE ON evaluation_checkpoints BEGIN "
          "UPDATE test_writes SET n=n+1; END;");
      counting = true;
    }
    SqliteStatement count(db.handle(), "SELECT n FROM test_writes");
    return count.step() ? count.integer(0) : -1;
  }
  bool counting = false;
};

}  // namespace

TEST_F(CheckpointWrites, TheAfternoonsSyncWritesNoCheckpointTheMorningsKept) {
  checkpointsWritten();
  syncAfter(d("2024-09-26"), true);  // Thursday
  EXPECT_EQ(checkpointsWritten(), 1);
  syncAfter(d("2024-09-27"), false);  // Friday morning: resumes, keeps Thursday's end
  EXPECT_EQ(checkpointsWritten(), 2) << "the morning's new checkpoint was not written";
  syncAfter(d("2024-09-27"), true);  // Friday afternoon: the same checkpoint
  EXPECT_EQ(checkpointsWritten(), 2) << "an unchanged checkpoint was written again";
  // And what the afternoon found is what it always was: the LA told of the ten days.
  EXPECT_EQ(store->outbox(OutboxState::Pending, 10).size(), 1u);
}

// The rules' digest a checkpoint must match is worked out once for a school's pupils: with the
// same rules the next day's sync resumes every pupil, with other rules none (each is walked from
// the calendar's start, or what the new rules find on earlier days would go unlooked at). The
// other rules here keep checkpoints of the same shape (the same policy, another setting), so
// only the digest tells them apart.
TEST_F(CheckpointWrites, UnderOtherRulesNoPupilResumesFromTheOldRulesCheckpoint) {
  syncAfter(d("2024-09-26"), true);
  auto same = evaluateRegisters(*store, cal, rules, routes, d("2024-09-27"), now += 1'000, true);
  ASSERT_GT(same.pupils, 0);
  EXPECT_EQ(same.resumed, same.pupils);
  std::vector<Problem> problems;
  auto other = RuleSet::fromJson(
      nlohmann::json{{"policies", {"statutory"}}, {"admission_register", {{"deletion", false}}}},
      "$.rules", test::sourceDir() + "/docs/policies", ConfigContext{"c.json", &problems});
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  auto changed = evaluateRegisters(*store, cal, other, routes, d("2024-09-30"), now += 1'000, true);
  EXPECT_EQ(changed.pupils, same.pupils);
  EXPECT_EQ(changed.resumed, 0);
  auto again = evaluateRegisters(*store, cal, other, routes, d("2024-10-01"), now += 1'000, true);
  EXPECT_EQ(again.resumed, again.pupils);  // the new policy's own checkpoints
}
