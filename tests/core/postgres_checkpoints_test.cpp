// The PostgreSQL store's packed evaluation checkpoints (core/store/postgres_checkpoints.h): many
// pupils' checkpoints a row, each row covering the UPNs from its first to the next row's. Kept
// and dropped in batches of every shape, they read back as a plain map of them would hold, and
// the rows stay in order; a row broken by hand is passed over; a store of schema 7 (a row a
// pupil) keeps every checkpoint through its migration. Skipped, saying so, without
// MARKBRIDGE_TEST_POSTGRES (scripts/test.sh starts a server).

#include "core/store/postgres_checkpoints.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "core/store/packed_entries.h"
#include "core/store/postgres_schema.h"
#include "core/store/postgres_store.h"
#include "tests/core/store_backends.h"

using namespace markbridge;

namespace {

using Checkpoints = std::map<std::string, std::string>;

const std::string kSchool = test::PostgresBackend::kSchool;

std::string upnOf(int n) {
  return "A8012000" + std::to_string(10000 + n);
}

class PackedCheckpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
    backend.open().reset();  // the schema made, the tables migrated
    db.emplace(backend.uri());
  }
  void keep(const std::vector<PupilEvaluated>& pupils, std::size_t rowBytes) {
    PgTransaction tx(*db);
    keepCheckpoints(*db, kSchool, pupils, rowBytes);
    tx.commit();
  }
  // The rows as stored: first_upn, and the UPNs the row holds.
  std::vector<std::pair<std::string, std::vector<std::string>>> rows() {
    PgStatement s(*db,
                  "SELECT first_upn, pupils FROM evaluation_checkpoints WHERE school=$1 ORDER BY "
                  "first_upn",
                  "read the rows");
    s.bind(1, kSchool);
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    while (s.step()) {
      std::vector<PackedEntry> entries;
      EXPECT_TRUE(unpackEntries(s.blob(1), entries)) << s.text(0);
      std::vector<std::string> upns;
      for (const auto& e : entries) upns.emplace_back(e.key);
      out.emplace_back(s.text(0), upns);
    }
    return out;
  }
  void sql(const std::string& statement) { db->exec(statement, "change the rows by hand"); }

  test::TempDir dir;
  test::PostgresBackend backend{dir.path()};
  std::optional<PgConnection> db;
};

}  // namespace

TEST_F(PackedCheckpoints, KeptAndDroppedInBatchesOfEveryShapeTheyReadBackAsAMapOfThemHolds) {
  std::mt19937 random(20241202);
  Checkpoints expected;
  auto pick = [&](int below) { return static_cast<int>(random() % static_cast<unsigned>(below)); };
  for (int round = 0; round < 120; ++round) {
    // A run of neighbours (as an evaluation's batch), or pupils scattered over the school.
    std::vector<PupilEvaluated> pupils;
    const int first = pick(300), count = 1 + pick(60);
    const bool run = pick(2) == 0;
    for (int i = 0; i < count; ++i) {
      const std::string upn = upnOf(run ? first + i : pick(300));
      std::string checkpoint;
      if (pick(5) != 0) {  // otherwise dropped
        checkpoint.resize(static_cast<std::size_t>(1 + pick(90)));
        for (auto& c : checkpoint) c = static_cast<char>(pick(256));  // any byte, \0 among them
      }
      pupils.emplace_back(upn, Date(), checkpoint);
      if (checkpoint.empty())
        expected.erase(upn);
      else
        expected[upn] = checkpoint;
    }
    keep(pupils, 400);  // a few pupils a row: many rows, split and merged as they change
    auto read = readCheckpoints(*db, kSchool);
    ASSERT_EQ(Checkpoints(read.begin(), read.end()), expected) << "round " << round;
    // Each row starts with its first pupil, holds them in order, and ends before the next row.
    auto stored = rows();
    for (std::size_t r = 0; r < stored.size(); ++r) {
      const auto& [firstUpn, upns] = stored[r];
      ASSERT_FALSE(upns.empty()) << "round " << round;
      EXPECT_EQ(upns.front(), firstUpn);
      EXPECT_TRUE(std::is_sorted(upns.begin(), upns.end()));
      if (r + 1 < stored.size()) {
        EXPECT_LT(upns.back(), stored[r + 1].first);
      }
    }
  }
  EXPECT_GT(rows().size(), 5u);  // what the checks rest on: many rows
}

TEST_F(PackedCheckpoints, ARowThatCannotBeReadIsPassedOverAndItsPupilsKeptAgain) {
  std::vector<PupilEvaluated> pupils;
  for (int n = 0; n < 30; ++n) pupils.emplace_back(upnOf(n), Date(), "cp" + std::to_string(n));
  keep(pupils, 100);
  auto stored = rows();
  ASSERT_GE(stored.size(), 3u);
  const auto& broken = stored[1];
  sql("UPDATE evaluation_checkpoints SET pupils=substr(pupils, 1, 5) WHERE school='" + kSchool +
      "' AND first_upn='" + broken.first + "'");
  auto read = readCheckpoints(*db, kSchool);
  EXPECT_EQ(read.size(), 30 - broken.second.size());
  for (const auto& upn : broken.second) EXPECT_EQ(read.count(upn), 0u) << upn;
  EXPECT_EQ(read.at(upnOf(0)), "cp0");
  // Kept again over it: the broken row goes, the pupils given are kept, the others stay.
  keep({PupilEvaluated(broken.second.front(), Date(), "again")}, 100);
  read = readCheckpoints(*db, kSchool);
  EXPECT_EQ(read.at(broken.second.front()), "again");
  EXPECT_EQ(read.at(upnOf(29)), "cp29");
  EXPECT_EQ(read.size(), 30 - broken.second.size() + 1);
}

TEST_F(PackedCheckpoints, AStoreOfARowAPupilKeepsEveryCheckpointThroughItsMigration) {
  backend.startAgainAtSchema(7);
  PgConnection old(backend.uri());
  Checkpoints expected = {
      {upnOf(2), std::string("c\0p2", 4)}, {upnOf(1), "cp1"}, {upnOf(3), "cp3"}};
  PgStatement row(old, "INSERT INTO evaluation_checkpoints VALUES($1, $2, $3)", "keep one");
  for (const auto& [upn, data] : expected)
    row.bind(1, kSchool).bind(2, upn).bindBlob(3, data).run();
  row.bind(1, "another school").bind(2, upnOf(1)).bindBlob(3, "theirs").run();
  auto store = openPostgresStore(backend.uri(), kSchool);  // migrated
  auto read = store->evaluationCheckpoints();
  EXPECT_EQ(Checkpoints(read.begin(), read.end()), expected);
  auto theirs = readCheckpoints(*db, "another school");
  EXPECT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[upnOf(1)], "theirs");
  EXPECT_EQ(rows().front().first, upnOf(1));
}
