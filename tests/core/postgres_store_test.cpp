// What only the PostgreSQL store can show (its contract, shared with SQLite, is in
// tests/core/store_contract_*.cpp): many schools in one database, its errors, its migrations.
// Each test has a schema of its own in the server MARKBRIDGE_TEST_POSTGRES names (scripts/test.sh
// starts one); without it they are skipped, saying so.

#include "core/store/postgres_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <optional>
#include <set>
#include <thread>

#include "core/store/postgres_db.h"
#include "core/store/postgres_schema.h"
#include "core/store/sync_lease.h"
#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kUpn = "B801200005001";

ImportBatch oneMark(const std::string& fingerprint, const char* code = "N") {
  ImportBatch batch;
  batch.source = "sims";
  batch.origin = "export.csv";
  batch.fingerprint = fingerprint;
  batch.pupils.push_back(Pupil{kUpn, "1", "Ann", "Smith", {}, "7", "7A", {}});
  auto mark = test::mark(kUpn, d("2024-09-03"), Session::AM, code);
  mark.source = "sims";
  batch.marks.push_back(mark);
  batch.rows = 1;
  return batch;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
    store = backend.open();
  }
  test::TempDir dir;
  test::PostgresBackend backend{dir.path()};
  std::unique_ptr<Store> store;  // school test::PostgresBackend::kSchool
};

}  // namespace

TEST_F(PostgresStoreTest, SchoolsInOneDatabaseNeverSeeEachOthersRows) {
  auto other = openPostgresStore(backend.uri(), "100002");
  store->importBatch(oneMark("f1"), 100);
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
  store->commitEvaluation({kUpn}, {test::tenDaysAway(kUpn)}, routes, 1000);
  // The other school: the same pupil number, the same file, none of the first school's rows.
  EXPECT_EQ(other->status().pupils, 0);
  EXPECT_EQ(other->status().marks, 0);
  EXPECT_FALSE(other->pupil(kUpn).has_value());
  EXPECT_FALSE(other->alreadyImported("sims", "f1"));
  EXPECT_TRUE(other->outbox(std::nullopt, 10).empty());
  EXPECT_TRUE(other->eventHistory(kUpn).empty());
  auto item = store->outbox(std::nullopt, 10).at(0);
  EXPECT_FALSE(other->outboxItem(item.seq).has_value());
  other->recordDelivered(item.seq, "NOT-MINE", 2000);  // another school's seq changes nothing
  EXPECT_EQ(store->outboxItem(item.seq)->state, OutboxState::Pending);
  // Its own import of the same file is its own, with its own import ids.
  auto outcome = other->importBatch(oneMark("f1", "/"), 200);
  EXPECT_EQ(outcome.marks_added, 1);
  EXPECT_EQ(store->status().imports, 1);
  std::string code;
  store->forEachRegister([&](const Pupil&, const std::vector<Mark>& marks) {
    code = std::string(marks.at(0).code.str());
    EXPECT_EQ(marks.at(0).source, "sims");
  });
  EXPECT_EQ(code, "N");
}

TEST_F(PostgresStoreTest, AFailedStatementRollsTheImportBackWholeAndSaysWhatItWasDoing) {
  // The server refuses the register's rows part-way (a trigger stands in for a full disk): the
  // pupils written before them go too.
  PgConnection admin(backend.uri());
  admin.exec(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
      "'no space left (test)'; END $$; CREATE TRIGGER refuse BEFORE INSERT ON register_weeks FOR "
      "EACH ROW EXECUTE FUNCTION refuse();",
      "install the refusing trigger");
  try {
    store->importBatch(oneMark("f1"), 100);
    FAIL() << "the import was not refused";
  } catch (const PostgresError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("PostgreSQL at 127.0.0.1"), std::string::npos) << message;
    EXPECT_NE(message.find("could not write the new weeks of the register"), std::string::npos)
        << message;
    EXPECT_NE(message.find("no space left (test)"), std::string::npos) << message;
    EXPECT_EQ(e.sqlstate(), "P0001");
  }
  auto status = store->status();
  EXPECT_EQ(status.pupils, 0);
  EXPECT_EQ(status.imports, 0);
  EXPECT_FALSE(store->alreadyImported("sims", "f1"));
  // The connection is usable again: the failed transaction was rolled back, not left open.
  admin.exec("DROP TRIGGER refuse ON register_weeks", "drop the refusing trigger");
  EXPECT_EQ(store->importBatch(oneMark("f1"), 200).marks_added, 1);
}

TEST_F(PostgresStoreTest, AnOutcomeRefusedAmongThoseRecordedTogetherKeepsNoneAndSaysWhich) {
  // Outcomes recorded together go to the server without waiting for each answer: one the server
  // refuses (a trigger stands in for a full disk) fails them all, naming what it was recording,
  // and the connection goes on.
  store->importBatch(oneMark("f1"), 100);
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}},
                                   {"cpoms", {"unauthorised_10_day"}}};
  store->commitEvaluation({kUpn}, {test::tenDaysAway(kUpn)}, routes, 1000);
  auto due = store->dueOutbox(2000, 10);
  ASSERT_EQ(due.size(), 2u);
  PgConnection admin(backend.uri());
  admin.exec(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.state = "
      "'rejected' THEN RAISE EXCEPTION 'no space left (test)'; END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER refuse BEFORE UPDATE ON outbox FOR EACH ROW EXECUTE FUNCTION refuse();",
      "install the refusing trigger");
  try {
    store->recordTogether([&] {
      store->recordDelivered(due[0].seq, "LA-1", 3000);
      store->recordRejected(due[1].seq, 1, "HTTP 422", 3000, "{}");
      store->recordRetry(due[0].seq, 1, 4000, "never reached");
    });
    FAIL() << "the outcomes were not refused";
  } catch (const PostgresError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("could not record an outbox item rejected"), std::string::npos)
        << message;
    EXPECT_NE(message.find("no space left (test)"), std::string::npos) << message;
  }
  EXPECT_EQ(store->outboxItem(due[0].seq)->state, OutboxState::Pending);
  EXPECT_EQ(store->outboxItem(due[1].seq)->state, OutboxState::Pending);
  admin.exec("DROP TRIGGER refuse ON outbox", "drop the refusing trigger");
  store->recordTogether([&] {
    store->recordDelivered(due[0].seq, "LA-1", 5000);
    store->recordRejected(due[1].seq, 1, "HTTP 422", 5000, "{}");
  });
  EXPECT_EQ(store->outboxItem(due[0].seq)->state, OutboxState::Delivered);
  EXPECT_EQ(store->outboxItem(due[0].seq)->reference, "LA-1");
  EXPECT_EQ(store->outboxItem(due[1].seq)->state, OutboxState::Rejected);
}

TEST_F(PostgresStoreTest, AnItemAnotherTransactionHoldsLockedIsPassedOverNotWaitedFor) {
  // Another worker's transaction holds the first due item locked: a claim of one item takes the
  // next pupil's instead of waiting or coming back empty, and the first is claimed once free.
  const std::string other = "B801200005002";
  ASSERT_EQ(store->queueOutbox({{"k1", "la", "e1", kUpn, OutboxKind::Notify, std::string("{}")},
                                {"k2", "la", "e2", other, OutboxKind::Notify, std::string("{}")},
                                {"k3", "la", "e3", kUpn, OutboxKind::Notify, std::string("{}")}},
                               1000),
            3);
  PgConnection admin(backend.uri());
  admin.exec("BEGIN; SELECT 1 FROM outbox WHERE seq=(SELECT min(seq) FROM outbox WHERE upn='" +
                 kUpn + "') FOR UPDATE",
             "lock the first item");
  auto claimed = store->dueOutbox(2000, 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].upn, other);
  EXPECT_FALSE(claimed[0].more_in_line);
  admin.exec("ROLLBACK", "free the first item");
  auto rest = store->dueOutbox(2000, 10);  // with its own claim, not yet recorded, again
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].upn, kUpn);
  EXPECT_TRUE(rest[0].more_in_line);  // claimed now: k3 waits behind it
  EXPECT_EQ(rest[1].seq, claimed[0].seq);
  EXPECT_FALSE(rest[1].more_in_line);  // given as claimed before
}

TEST_F(PostgresStoreTest, AClaimLeavesTheRowsOfItemsUnderWayAsTheyAre) {
  // A delivery run asks for more after each answer: the items it has sent, and those it has
  // claimed and not sent yet, keep the claim they were given while it is fresh (their rows not
  // written again each time), and the others are claimed as before.
  const std::string other = "B801200005002";
  const int64_t kNow = 1'796'000'000'000;  // unix ms, as the service's clock gives them
  store->importBatch(oneMark("f1"), 100);
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
  store->commitEvaluation({kUpn, other}, {test::tenDaysAway(kUpn), test::tenDaysAway(other)},
                          routes, 1000);
  auto sent = store->dueOutbox(kNow, 1);
  ASSERT_EQ(sent.size(), 1u);
  PgConnection admin(backend.uri());
  auto rowOf = [&](int64_t seq) {  // its claim, and the row version's transaction
    PgStatement row(admin,
                    "SELECT claimed_until, xmin::text FROM outbox WHERE seq=" + std::to_string(seq),
                    "read a claim");
    EXPECT_TRUE(row.step());
    return std::make_pair(row.integer(0), row.text(1));
  };
  const auto sentRow = rowOf(sent[0].seq);
  auto rest = store->dueOutbox(kNow + 9000, 10, {sent[0].seq});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].upn, other);
  EXPECT_EQ(rowOf(sent[0].seq), sentRow);
  const auto otherRow = rowOf(rest[0].seq);
  EXPECT_EQ(otherRow.first, kNow + 9000 + 300'000);  // claimed now, for five minutes
  // Asked again with neither under way (a run that had not got to them): both are given, as
  // claimed before.
  auto again = store->dueOutbox(kNow + 10'000, 10, {});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(rowOf(sent[0].seq), sentRow);
  EXPECT_EQ(rowOf(rest[0].seq), otherRow);
  EXPECT_EQ(store->dueOutbox(kNow + 10'000, 1, {}).size(), 1u);  // the limit holds for those too
  EXPECT_EQ(rowOf(rest[0].seq), otherRow);                       // and nothing more was claimed
  // A claim made more than 30 s before is made again, for five minutes from now, so an item is
  // never handed out with less than four and a half minutes of its claim to run...
  ASSERT_EQ(store->dueOutbox(kNow + 200'000, 10, {}).size(), 2u);
  EXPECT_EQ(rowOf(sent[0].seq).first, kNow + 200'000 + 300'000);
  EXPECT_EQ(rowOf(rest[0].seq).first, kNow + 200'000 + 300'000);
  // ... nor keeps less while it is under way: its claim is made again, and it is not given.
  auto later = store->dueOutbox(kNow + 250'000, 10, {sent[0].seq});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].seq, rest[0].seq);
  EXPECT_EQ(rowOf(sent[0].seq).first, kNow + 250'000 + 300'000);
}

TEST_F(PostgresStoreTest, AConnectionTheServerDroppedIsMadeAgainForTheNextCall) {
  // The store's connection, told apart by its application name, ended by the server (as a
  // restart or a failover would): the call in flight fails, naming the server; the next one
  // connects again, and the service's next sync goes on from there.
  std::string name = "mb_" + backend.schema;
  auto own = openPostgresStore(backend.uri() + "&application_name=" + name, "100001");
  own->importBatch(oneMark("f1"), 100);
  PgConnection admin(backend.uri());
  PgStatement end(admin,
                  "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE "
                  "application_name=$1",
                  "end the store's connection");
  end.bind(1, name);
  ASSERT_TRUE(end.step());
  ASSERT_EQ(end.integer(0), 1);  // ended (waited for)
  end.reset();
  EXPECT_THROW(own->status(), StoreError);
  EXPECT_EQ(own->status().marks, 1);
  EXPECT_TRUE(own->alreadyImported("sims", "f1"));
  EXPECT_EQ(own->importBatch(oneMark("f2", "/"), 200).marks_amended, 1);  // a transaction too
}

TEST_F(PostgresStoreTest, StoresOpenedTogetherMigrateTheTablesOnce) {
  // A fresh schema opened by several workers at once: one migrates, the others wait and find it
  // done (an advisory lock), none fails.
  std::string uri = test::postgresUriInSchema(test::testPostgresUri(), backend.schema + "_x");
  PgConnection(test::testPostgresUri())
      .exec("CREATE SCHEMA " + backend.schema + "_x", "create a second schema");
  std::vector<std::thread> workers;
  std::vector<std::string> errors(4);
  for (std::size_t i = 0; i < errors.size(); ++i)
    workers.emplace_back([&, i] {
      try {
        openPostgresStore(uri, "10000" + std::to_string(i))->status();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& w : workers) w.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  PgConnection db(uri);
  PgStatement version(db, "SELECT version FROM schema_version", "read the schema version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.integer(0), postgresSchemaVersion());
  EXPECT_FALSE(version.step());  // one row
  PgConnection(test::testPostgresUri())
      .exec("DROP SCHEMA " + backend.schema + "_x CASCADE", "drop the second schema");
}

// Several workers share a school's outbox: each item is claimed by one (FOR UPDATE SKIP LOCKED),
// and a claim holds while its worker's connection lives, so a worker that died leaves nothing
// stuck behind it.
TEST_F(PostgresStoreTest, EachDueItemIsClaimedByOneWorkerUntilThatWorkerIsGone) {
  std::vector<OutboxEntry> entries;
  for (int i = 0; i < 10; ++i) {
    std::string upn = "B80120000510" + std::to_string(i);
    entries.push_back({"k" + std::to_string(i), "la", "e" + std::to_string(i), upn,
                       OutboxKind::Notify, std::string("{}")});
  }
  ASSERT_EQ(store->queueOutbox(entries, 1000), 10);
  auto first = openPostgresStore(backend.uri(), test::PostgresBackend::kSchool);
  auto second = openPostgresStore(backend.uri(), test::PostgresBackend::kSchool);
  auto seqs = [](const std::vector<OutboxItem>& items) {
    std::set<int64_t> s;
    for (const auto& i : items) s.insert(i.seq);
    return s;
  };
  auto mine = seqs(first->dueOutbox(2000, 4));
  ASSERT_EQ(mine.size(), 4u);
  auto theirs = seqs(second->dueOutbox(2000, 100));
  EXPECT_EQ(theirs.size(), 6u);
  for (auto seq : theirs) EXPECT_FALSE(mine.count(seq)) << seq;
  // A worker takes its own claims again (items it took and did not get to), never another's.
  EXPECT_EQ(seqs(first->dueOutbox(2000, 100)), mine);
  EXPECT_TRUE(store->dueOutbox(2000, 100).empty());
  // To a third, everything is claimed: due when the first claim runs out, not now.
  ASSERT_TRUE(store->nextOutboxDue().has_value());
  EXPECT_GT(*store->nextOutboxDue(), 2000 + 60'000);
  // An outcome recorded ends the claim: a retry is anyone's when it falls due.
  second->recordRetry(*theirs.begin(), 1, 3000, "HTTP 503");
  EXPECT_EQ(seqs(store->dueOutbox(3000, 100)), std::set<int64_t>{*theirs.begin()});
  // The first worker dies (its connection closes): its items are the others' at once.
  first.reset();
  std::set<int64_t> taken;
  ASSERT_TRUE(test::waitUntil([&] {
    taken = seqs(second->dueOutbox(3000, 100));
    return taken.size() == 9u;  // its own five left and the dead one's four (not the retry:
  })) << taken.size();          // the third took it)
  for (auto seq : mine) EXPECT_TRUE(taken.count(seq)) << seq;
}

// A sync delivers what its evaluation queued, through the same store: the items are that
// store's claims from the moment they are queued (not taken by another worker meanwhile, and
// not written again when its delivery takes them), and another worker's once it is gone.
TEST_F(PostgresStoreTest, ItemsAnEvaluationQueuesAreItsWorkersToDeliverUntilThatWorkerIsGone) {
  const std::string other = "B801200005002";
  store->importBatch(oneMark("f1"), 100);
  auto evaluating = openPostgresStore(backend.uri(), test::PostgresBackend::kSchool);
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
  evaluating->commitEvaluation({kUpn, other}, {test::tenDaysAway(kUpn), test::tenDaysAway(other)},
                               routes, 1000);
  EXPECT_TRUE(store->dueOutbox(2000, 10).empty());  // another worker's, while it lives
  using Claims = std::map<std::string, int>;
  EXPECT_EQ(store->outboxClaims(2000), (Claims{{thisWorker(), 2}}));  // what /status shows
  PgConnection admin(backend.uri());
  auto claims = [&] {  // each row's claim and version
    PgStatement rows(admin, "SELECT claimed_until, xmin::text FROM outbox ORDER BY seq",
                     "read the claims");
    std::vector<std::string> out;
    while (rows.step()) out.push_back(std::to_string(rows.integer(0)) + "/" + rows.text(1));
    return out;
  };
  const auto queued = claims();
  ASSERT_EQ(queued.size(), 2u);
  auto mine = evaluating->dueOutbox(2000, 10);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(claims(), queued);  // given as queued: no row written again
  // A delivery run that ends with an item unsent (its budget spent) gives it up: anyone's now.
  evaluating->recordDelivered(mine[0].seq, "LA-1", 2500);
  evaluating->endClaims();
  auto left = store->dueOutbox(3000, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].seq, mine[1].seq);
  store->recordRetry(left[0].seq, 1, 3000, "HTTP 503");
  EXPECT_TRUE(store->outboxClaims(3000).empty());
  // The evaluation's claims last while its worker lives: another evaluation's items are not
  // anyone's until that worker is gone.
  const std::string third = "B801200005003";
  evaluating->commitEvaluation({third}, {test::tenDaysAway(third)}, routes, 4000);
  EXPECT_EQ(store->dueOutbox(5000, 10).size(), 1u);  // only the retried one
  EXPECT_EQ(store->outboxClaims(5000), (Claims{{thisWorker(), 2}}));
  evaluating.reset();  // the worker is gone: its items are anyone's, and no longer its claims
  EXPECT_TRUE(test::waitUntil([&] {
    return store->outboxClaims(5000) == Claims{{thisWorker(), 1}};
  }));
  std::vector<OutboxItem> taken;
  ASSERT_TRUE(test::waitUntil([&] {
    taken = store->dueOutbox(5000, 10);
    return taken.size() == 2u;
  })) << taken.size();
}

// A school's sync runs on one worker at a time: a session lock on a connection of the worker's,
// freed when that worker is gone, with each sync in the database's sync log.
TEST_F(PostgresStoreTest, ASchoolsSyncLeaseIsHeldByOneWorkerAndFreedWhenItsConnectionGoes) {
  auto one = postgresSyncLeases(backend.uri(), test::PostgresBackend::kSchool);
  auto two = postgresSyncLeases(backend.uri(), test::PostgresBackend::kSchool);
  auto otherSchool = postgresSyncLeases(backend.uri(), "100002");
  // A run from 31 days ago: the log keeps 30 (it is gone from the log read at the end).
  PgConnection(backend.uri())
      .exec(
          "INSERT INTO sync_runs(school, worker, backend, what, started_at, finished_at) "
          "VALUES('100001', 'w:1', 0, 'long ago', (extract(epoch FROM now()) * 1000)::bigint "
          "- 31 * 86400000::bigint, 0)",
          "log a run from a month ago");
  auto held = one->tryTake("register close AM");
  ASSERT_TRUE(held);
  EXPECT_FALSE(two->tryTake("sync now"));
  EXPECT_TRUE(otherSchool->tryTake("sync now"));  // another school's is its own
  auto holder = two->holder();
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->worker, thisWorker());
  EXPECT_EQ(holder->what, "register close AM");
  EXPECT_NO_THROW(held->confirm());
  EXPECT_FALSE(held->lost());
  held.reset();  // the sync ended
  EXPECT_FALSE(two->holder().has_value());
  auto again = two->tryTake("nightly");
  ASSERT_TRUE(again);
  // The server ends the holder's connection (a restart, or its worker gone): the lease is free
  // for another, and the holder is told before its next step.
  PgConnection admin(backend.uri());
  PgStatement end(admin,
                  "SELECT pg_terminate_backend(backend, 10000) FROM sync_runs WHERE school=$1 AND "
                  "finished_at IS NULL AND what='nightly'",
                  "end the lease's connection");
  end.bind(1, std::string(test::PostgresBackend::kSchool));
  ASSERT_TRUE(end.step());
  end.reset();
  // Seen without a statement (what a delivery run checks before each request): the server's
  // goodbye is on the lease connection's socket.
  EXPECT_TRUE(test::waitUntil([&] { return again->lost(); }));
  EXPECT_THROW(again->confirm(), LeaseLost);
  auto third = one->tryTake("register close PM");
  EXPECT_TRUE(third);
  // The log: the first ran and finished, the lost one never finished and is said to have
  // stopped, the third is running.
  PgStatement runs(admin,
                   "SELECT what, finished_at IS NOT NULL, outcome FROM sync_runs WHERE "
                   "school=$1 ORDER BY id",
                   "read the sync log");
  runs.bind(1, std::string(test::PostgresBackend::kSchool));
  std::vector<std::string> log;
  while (runs.step())
    log.push_back(runs.text(0) + "|" + std::to_string(runs.integer(1)) + "|" + runs.text(2));
  EXPECT_EQ(log, (std::vector<std::string>{"register close AM|1|",
                                           "nightly|0|its worker stopped before the end",
                                           "register close PM|0|"}));
}

// Needs no server: the connection is refused before any password is sent.
TEST(PostgresStoreErrors, ARefusedConnectionNamesTheServerAndNeverThePassword) {
  try {
    openPostgresStore("postgresql://gateway:s3cret-Pa55@127.0.0.1:1/attendance", "100001");
    FAIL() << "no error";
  } catch (const StoreError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("cannot connect to PostgreSQL at 127.0.0.1:1, database attendance, "
                           "user gateway"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("refused"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
  EXPECT_EQ(describePostgresUri("postgresql://u:pw%zz@h/db"),
            "PostgreSQL (a connection URI that libpq cannot read: postgresql://user@host:port/"
            "database)");
}

// An import names its part's pupils to the server as one text[] parameter: every UPN a file can
// hold comes back as it went, whatever it holds (quotes, backslashes, commas, braces, the word
// NULL, nothing, spaces).
TEST_F(PostgresStoreTest, ATextArrayParameterCarriesEveryValueAsItIs) {
  const std::vector<std::string_view> values = {
      "A801200005001", "quote\"d", "back\\slash", "a,b", "{braced}", "NULL", "", " spaced ", "é"};
  PgConnection db(test::testPostgresUri());
  PgStatement echo(db, "SELECT unnest($1::text[])", "echo an array");
  echo.bindTextForm(1, pgTextArray(values));
  std::vector<std::string> back;
  while (echo.step()) {
    EXPECT_FALSE(echo.isNull(0));
    back.push_back(echo.text(0));
  }
  EXPECT_EQ(back, std::vector<std::string>(values.begin(), values.end()));
}

// Rows given as one binary array per column (PgArrayRows, upsertArrays) come back through
// unnest(...) as they went, row by row: text of any bytes a UTF-8 text can hold, bytea with NUL
// bytes, integers at their limits, NULLs; a row left short is refused before anything is sent.
TEST_F(PostgresStoreTest, RowsGivenAsArraysComeBackThroughUnnestAsTheyWent) {
  using Type = PgArrayRows::Type;
  PgArrayRows rows({Type::Text, Type::Bytea, Type::Integer, Type::Bigint});
  rows.row(4);
  rows.bytes("quote\"d, {braced} NULL é");
  rows.bytes(std::string_view("a\0b\xff", 4));
  rows.integer(INT32_MIN);
  rows.bigint(INT64_MAX);
  rows.row(4);
  rows.null();
  rows.bytes("");
  rows.integer(7);
  rows.null();
  PgConnection db(test::testPostgresUri());
  PgStatement echo(db, "SELECT * FROM " + rows.unnestOf(1), "echo the rows");
  for (std::size_t i = 0; i < rows.columns(); ++i)
    echo.bindView(static_cast<int>(i + 1), rows.column(i));
  ASSERT_TRUE(echo.step());
  EXPECT_EQ(echo.text(0), "quote\"d, {braced} NULL é");
  EXPECT_EQ(std::string(echo.blob(1)), std::string("a\0b\xff", 4));
  EXPECT_EQ(echo.integer(2), INT32_MIN);
  EXPECT_EQ(echo.integer(3), INT64_MAX);
  ASSERT_TRUE(echo.step());
  EXPECT_TRUE(echo.isNull(0));
  EXPECT_FALSE(echo.isNull(1));
  EXPECT_EQ(echo.blob(1).size(), 0u);
  EXPECT_EQ(echo.integer(2), 7);
  EXPECT_TRUE(echo.isNull(3));
  EXPECT_FALSE(echo.step());

  PgArrayRows shortRow({Type::Text, Type::Integer});
  shortRow.row(2);
  shortRow.bytes("only one");
  EXPECT_THROW(shortRow.column(0), StoreError);
  EXPECT_THROW(shortRow.row(2), StoreError);
  EXPECT_THROW(PgArrayRows({}), StoreError);
}

TEST_F(PostgresStoreTest, ATransactionWithAFailedStatementIsNeverTakenForCommitted) {
  // A statement fails inside a transaction and its error is caught: PostgreSQL would answer the
  // COMMIT with "ROLLBACK" and no error. commit() says so; nothing written before it is kept,
  // and the connection goes on.
  PgConnection db(test::testPostgresUri());
  db.exec("CREATE TEMP TABLE kept(n int)", "make a table");
  {
    PgTransaction tx(db);
    db.exec("INSERT INTO kept VALUES (1)", "write a row");
    EXPECT_THROW(db.exec("SELECT 1/0", "divide by zero"), PostgresError);
    try {
      tx.commit();
      ADD_FAILURE() << "a failed transaction was taken for committed";
    } catch (const PostgresError& e) {
      EXPECT_NE(std::string(e.what()).find("failed earlier, so nothing of it is kept"),
                std::string::npos)
          << e.what();
    }
  }
  PgStatement count(db, "SELECT count(*) FROM kept", "count the rows");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.integer(0), 0);
}

// Workers sharing a PostgreSQL store start their walk through the schools at one of their own
// (the same one each time); a store of its own (SQLite) is walked in the configuration's order.
TEST(WalkStart, WorkersSharingAStoreStartAtASchoolOfTheirOwn) {
  EXPECT_EQ(walkStart(300, false), 0u);
  EXPECT_EQ(walkStart(0, true), 0u);
  auto mine = walkStart(300, true);
  EXPECT_LT(mine, 300u);
  EXPECT_EQ(walkStart(300, true), mine);
  std::set<std::size_t> starts;  // spread over the schools, not all at the first
  for (std::size_t n = 2; n < 40; ++n) starts.insert(walkStart(n, true));
  EXPECT_GT(starts.size(), 1u);
  // The walk from there goes round every school once.
  EXPECT_EQ(walkOrder(4, false), (std::vector<std::size_t>{0, 1, 2, 3}));
  auto order = walkOrder(300, true);
  ASSERT_EQ(order.size(), 300u);
  EXPECT_EQ(order.front(), mine);
  EXPECT_EQ(order.back(), (mine + 299) % 300);
  EXPECT_EQ(std::set<std::size_t>(order.begin(), order.end()).size(), 300u);
}

namespace {

// Two workers walking `schools` schools from `starts`, as the service does at a register close:
// a sync takes a worker `ticks` steps; a school found done is passed over, one found held (the
// other worker syncing it) too, and the walk goes on from halfway through the rest. Each worker's
// schools found held are counted; every school must be synced once, by one worker.
std::array<int, 2> heldInAWalk(std::size_t schools, std::array<std::size_t, 2> starts,
                               std::array<int, 2> ticks) {
  std::vector<bool> done(schools);
  std::vector<int> holder(schools, -1), syncs(schools);
  std::array<std::vector<std::size_t>, 2> order;
  std::array<std::size_t, 2> at{};
  std::array<int, 2> busyUntil{}, held{};
  std::array<std::optional<std::size_t>, 2> syncing;
  for (int w = 0; w < 2; ++w) {
    order[w].resize(schools);
    std::iota(order[w].begin(), order[w].end(), std::size_t{0});
    std::rotate(order[w].begin(), order[w].begin() + static_cast<std::ptrdiff_t>(starts[w]),
                order[w].end());
  }
  for (int now = 0; std::count(done.begin(), done.end(), true) < static_cast<long>(schools);
       ++now) {
    for (int w = 0; w < 2; ++w)
      if (syncing[w] && busyUntil[w] <= now) {
        done[*syncing[w]] = true;
        holder[*syncing[w]] = -1;
        syncing[w].reset();
      }
    for (int w = 0; w < 2; ++w) {
      for (auto& n = at[w]; !syncing[w] && n < schools; ++n) {
        const auto school = order[w][n];
        if (done[school]) continue;
        if (holder[school] >= 0) {
          ++held[w];
          walkOnFromHalfway(order[w], n);
          continue;
        }
        holder[school] = w;
        ++syncs[school];
        syncing[w] = school;
        busyUntil[w] = now + ticks[w];
      }
    }
    if (now > static_cast<int>(schools) * 10) {
      ADD_FAILURE() << "the walk did not end";
      break;
    }
  }
  EXPECT_EQ(std::count(syncs.begin(), syncs.end(), 1), static_cast<long>(schools));
  return held;
}

}  // namespace

// Two workers meeting at a register close part after one finds the other's school held: each
// finds a school held at most about log2(schools) times, wherever they started and however their
// speeds differ (walking on past the held school, as before, they leapfrog to the end: half the
// schools found held, 150 of 300).
TEST(WalkStart, WorkersThatMeetPartInsteadOfLeapfrogging) {
  std::vector<std::size_t> order{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  walkOnFromHalfway(order, 2);
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 6, 7, 8, 9, 3, 4, 5}));
  walkOnFromHalfway(order, 9);  // nothing after it
  EXPECT_EQ(order.back(), 5u);
  for (std::size_t schools : {10u, 60u, 300u}) {
    const int bound = static_cast<int>(std::ceil(std::log2(schools))) + 1;
    for (std::size_t apart = 0; apart < schools; ++apart)
      for (auto ticks : {std::array{1, 1}, std::array{1, 2}, std::array{2, 3}}) {
        auto held = heldInAWalk(schools, {0, apart}, ticks);
        EXPECT_LE(std::max(held[0], held[1]), bound)
            << schools << " schools, " << apart << " apart, " << ticks[0] << ":" << ticks[1];
      }
  }
}
