// `markbridge store copy` (issue 18, item 5): a school's SQLite store moved into PostgreSQL whole
// (register, amendments, imports, events, outbox with references and dead letters' answers,
// source state), read back through the PostgreSQL store as the service would read it, and a
// second copy of the same school refused with nothing changed. Needs the PostgreSQL server
// MARKBRIDGE_TEST_POSTGRES names (scripts/test.sh starts one); skipped without it, saying so.

#include "core/store/store_copy.h"

#include <gtest/gtest.h>

#include "core/store/postgres_store.h"
#include "core/store/sqlite_db.h"
#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kSchool = "140777";
const std::string kAnn = "B801200005001", kBen = "B801200005002";

ImportBatch week(const std::string& fingerprint, const char* annCode) {
  ImportBatch batch;
  batch.source = "sims";
  batch.origin = fingerprint + ".csv";
  batch.fingerprint = fingerprint;
  batch.pupils.push_back(Pupil{kAnn, "1", "Ann", "Smith", {}, "7", "7A", {}});
  batch.pupils.push_back(Pupil{kBen, "2", "Ben", "O'Neil", {}, "8", "8B", {}});
  for (Date day = d("2024-09-16"); day <= d("2024-09-27"); day = day + 1) {
    if (day.isWeekend()) continue;
    for (auto s : {Session::AM, Session::PM}) {
      batch.marks.push_back(test::mark(kAnn, day, s, annCode));
      batch.marks.push_back(test::mark(kBen, day, s, "/"));
    }
  }
  for (auto& m : batch.marks) m.source = "sims";
  batch.rows = static_cast<int>(batch.marks.size());
  return batch;
}

// What a store holds, as the service reads it: comparable between the two backends.
std::string contents(Store& store) {
  std::string text;
  auto s = store.status();
  text += "pupils " + std::to_string(s.pupils) + " marks " + std::to_string(s.marks) +
          " amendments " + std::to_string(s.amendments) + " imports " + std::to_string(s.imports) +
          " active " + std::to_string(s.active_events) + "\n";
  for (const auto& [state, n] : s.outbox_by_state) text += state + " " + std::to_string(n) + "\n";
  store.forEachRegister([&](const Pupil& p, const std::vector<Mark>& marks) {
    text += p.upn + " " + p.surname + ":";
    for (const auto& m : marks) text += std::string(m.code.str());
    text += "\n";
  });
  for (const auto& upn : {kAnn, kBen})
    for (const auto& h : store.eventHistory(upn)) {
      text += h.event.id + " " + h.payload.substr(0, 40) + "\n";
      for (const auto& o : h.deliveries)
        text += "  " + std::to_string(o.seq) + " " + o.key + " " + std::string(toString(o.state)) +
                " " + o.reference + " " + o.last_error + " " + o.response + "\n";
    }
  text += store.sourceState("mis", "updated_after").value_or("-");
  auto checkpoints = store.evaluationCheckpoints();  // packed in PostgreSQL, a row each in SQLite
  for (const auto& upn : {kAnn, kBen})
    text += "\ncheckpoint " + upn + " " +
            (checkpoints.count(upn)
                 ? std::to_string(checkpoints.at(upn).size()) + " bytes " + checkpoints.at(upn)
                 : std::string("none"));
  return text;
}

class StoreCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
    backend.open();  // the test's schema
    auto store = openSqliteStore(sqlitePath());
    store->importBatch(week("w1", "N"), 100);
    store->importBatch(week("w2", "O"), 200);  // Ann's marks amended: N -> O
    std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
    store->commitEvaluation({PupilEvaluated(kAnn, Date(), std::string("cp\0Ann", 6)),
                             PupilEvaluated(kBen, Date(), "cp-Ben")},
                            {test::tenDaysAway(kAnn, "a"), test::tenDaysAway(kBen, "b")}, routes,
                            300);
    auto items = store->outbox(std::nullopt, 10);
    store->recordDelivered(items.at(0).seq, "LA-100001", 400);
    store->recordRejected(items.at(1).seq, 3, "HTTP 422", 500, "{\"error\":\"pupil unknown\"}");
    store->setSourceState("mis", "updated_after", "2024-09-27T16:00:00Z", 600);
    before = contents(*store);
  }
  std::string sqlitePath() const { return (dir.path() / "register.db").string(); }

  test::TempDir dir;
  test::PostgresBackend backend{dir.path()};
  std::string before;
};

}  // namespace

TEST_F(StoreCopy, ASchoolsWholeHistoryIsReadFromPostgresAsItWasInSqlite) {
  auto copied = copySqliteToPostgres(sqlitePath(), backend.uri(), kSchool);
  int64_t rows = 0;
  for (const auto& t : copied) {
    rows += t.rows;
    EXPECT_EQ(t.sha256.size(), 64u) << t.table;
  }
  EXPECT_EQ(copied.size(), 15u);
  EXPECT_GT(rows, 10);
  auto postgres = openPostgresStore(backend.uri(), kSchool);
  EXPECT_EQ(contents(*postgres), before);
  EXPECT_NE(before.find("checkpoint " + kAnn + " 6 bytes"), std::string::npos) << before;
  for (const auto& t : copied)
    if (t.table == "evaluation_checkpoints") {
      EXPECT_EQ(t.rows, 2) << "counted as pupils";
    }
  // Nothing to deliver again: the delivered item stays delivered, the dead letter dead.
  EXPECT_TRUE(postgres->dueOutbox(1'000'000, 10).empty());
  // The school goes on in PostgreSQL: its next outbox item is numbered after the copied ones.
  int64_t last = 0;
  for (const auto& o : postgres->outbox(std::nullopt, 10)) last = std::max(last, o.seq);
  ASSERT_EQ(postgres->queueOutbox(
                {{"next", "la", "e-next", kAnn, OutboxKind::Notify, std::string("{}")}}, 700),
            1);
  EXPECT_GT(postgres->outbox(OutboxState::Pending, 10).at(0).seq, last);
}

TEST_F(StoreCopy, ASchoolAlreadyInPostgresIsRefusedAndLeftAlone) {
  copySqliteToPostgres(sqlitePath(), backend.uri(), kSchool);
  auto postgres = openPostgresStore(backend.uri(), kSchool);
  postgres->recordDelivered(postgres->outbox(OutboxState::Rejected, 10).at(0).seq, "LA-9", 800);
  auto after = contents(*postgres);
  try {
    copySqliteToPostgres(sqlitePath(), backend.uri(), kSchool);
    FAIL() << "a second copy of the school was not refused";
  } catch (const StoreCopyRefused& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("school 140777 is already in PostgreSQL at"), std::string::npos)
        << message;
    EXPECT_NE(message.find("2 in pupils"), std::string::npos) << message;
  }
  EXPECT_EQ(contents(*postgres), after);
  // Another school in the same database is its own: copied beside it.
  copySqliteToPostgres(sqlitePath(), backend.uri(), "140778");
  EXPECT_EQ(contents(*openPostgresStore(backend.uri(), "140778")), before);
}

// The command as a technician runs it: the password from PGPASSWORD, never the URI.
TEST_F(StoreCopy, TheCommandCopiesOnceSaysWhatItCopiedAndRefusesAPasswordInTheUri) {
  const auto uri = backend.uri();
  const auto colon = uri.find(':', 13), at = uri.find('@');
  const auto password = uri.substr(colon + 1, at - colon - 1);
  const auto withoutPassword = uri.substr(0, colon) + uri.substr(at);
  std::vector<std::string> args = {"store", "copy",          "--from",   "sqlite:" + sqlitePath(),
                                   "--to",  withoutPassword, "--school", kSchool};
  auto inUri = test::runMarkbridge(
      {"store", "copy", "--from", "sqlite:" + sqlitePath(), "--to", uri, "--school", kSchool}, {},
      dir.path());
  EXPECT_EQ(inUri.exit_code, 2);
  EXPECT_NE(inUri.err.find("holds a password"), std::string::npos) << inUri.err;
  EXPECT_EQ(inUri.err.find(password), std::string::npos);
  auto copied = test::runMarkbridge(args, {{"PGPASSWORD", password}}, dir.path());
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_NE(copied.out.find("school 140777 copied to PostgreSQL at 127.0.0.1"), std::string::npos)
      << copied.out;
  EXPECT_NE(copied.out.find("15 tables"), std::string::npos) << copied.out;
  EXPECT_EQ(contents(*openPostgresStore(uri, kSchool)), before);
  auto again = test::runMarkbridge(args, {{"PGPASSWORD", password}}, dir.path());
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("refused: school 140777 is already in"), std::string::npos) << again.err;
}
