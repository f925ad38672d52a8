// The PostgreSQL import's own paths, each held to what the SQLite store makes of the same parts
// (core/store/postgres_import.cpp): a school's first import, which reads back only what it wrote
// itself; the weeks of a part's last pupil, held back for the next part; pupils and weeks that
// come back in a later part; a later import over a stored register; the new weeks' COPY the
// server writes while the next part is laid, whose failure must still undo the whole import.
// Skipped, saying so, without MARKBRIDGE_TEST_POSTGRES (scripts/test.sh starts a server).

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "core/store/postgres_db.h"
#include "core/store/postgres_store.h"
#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

std::string upn(int n) {
  return "C80120000" + std::to_string(5000 + n);
}

Pupil pupil(int n, const std::string& regGroup = "7A") {
  return Pupil{
      upn(n), std::to_string(n), "Forename" + std::to_string(n), "Surname", {}, "7", regGroup, {}};
}

// `count` sessions of pupil `n` from the morning of `from`, weekdays only, each `code`.
void marks(ImportBatch& part, int n, const char* from, int count, const char* code) {
  Date day = d(from);
  Session session = Session::AM;
  for (int i = 0; i < count; ++i) {
    while (day.isWeekend()) day = day + 1;
    auto m = test::mark(upn(n), day, session, code);
    m.source = "sims";
    if (std::string_view(code) == "L") m.minutes_late = 10 + i;
    part.marks.push_back(m);
    if (session == Session::PM) day = day + 1;
    session = session == Session::AM ? Session::PM : Session::AM;
  }
}

ImportBatch part() {
  ImportBatch p;
  p.source = "sims";
  p.origin = "export.csv";
  return p;
}

// One import's parts, as a connector hands them on, then its summary.
struct Import {
  std::vector<ImportBatch> parts;
  std::string fingerprint;
};

// The summary an import's writer is committed with.
ImportBatch summaryOf(const std::string& fingerprint) {
  auto summary = part();
  summary.fingerprint = fingerprint;
  summary.rows = 1;
  return summary;
}

std::string outcomeOf(Store& store, const Import& import, int64_t now) {
  ImportOutcome outcome;
  auto writer = store.beginImport(now);
  for (const auto& p : import.parts) writer->add(p, outcome);
  writer->commit(summaryOf(import.fingerprint), outcome);
  std::ostringstream out;
  out << "pupils +" << outcome.pupils_added << " ~" << outcome.pupils_updated << "; marks +"
      << outcome.marks_added << " ~" << outcome.marks_amended << " =" << outcome.marks_unchanged
      << " not applied " << outcome.marks_not_applied;
  return out.str();
}

// Everything a store holds of the register, in one comparable text.
std::string snapshot(Store& store) {
  std::ostringstream out;
  auto status = store.status();
  out << "status: " << status.pupils << " pupils, " << status.marks << " marks, "
      << status.amendments << " amendments, " << status.marks_not_taken << " not taken, "
      << status.imports << " imports\n";
  for (const auto& [id, misId] : store.pupilIds()) {
    auto p = store.pupil(id);
    out << "pupil " << id << " " << misId << " " << p->forename << " " << p->reg_group << "\n";
    for (const auto& a : store.amendments(id))
      out << "  amended " << a.date.iso() << " " << toString(a.session) << " " << a.old_code << "->"
          << a.new_code << " " << a.old_source << "->" << a.new_source << "\n";
  }
  store.forEachRegister([&](const Pupil& p, const std::vector<Mark>& register_) {
    out << "register " << p.upn << ":";
    for (const auto& m : register_) {
      out << " " << m.date.iso() << toString(m.session) << "=" << m.code.str() << "/" << m.source;
      if (!m.source_code.empty()) out << "(" << m.source_code << ")";
      if (m.minutes_late) out << "+" << *m.minutes_late;
    }
    out << "\n";
  });
  for (const auto& n : store.registersNotTaken(100))
    out << "not taken " << n.date.iso() << " " << toString(n.session) << " " << n.pupils << "\n";
  return out.str();
}

// The first import, in three parts: pupils whose marks a part boundary cuts (held back), a
// pupil whose weeks come back two parts later (read back from the server), a pupil named twice
// in one part, a mark changed within the import, a register not taken and then taken.
Import firstImport() {
  Import import{{part(), part(), part()}, "first"};
  auto& one = import.parts[0];
  auto& two = import.parts[1];
  auto& three = import.parts[2];
  for (int n = 0; n < 4; ++n) one.pupils.push_back(pupil(n));
  marks(one, 0, "2024-09-02", 30, "/");
  marks(one, 1, "2024-09-02", 20, "N");
  marks(one, 2, "2024-09-02", 5, "/");  // its week goes on in the next part
  two.pupils.push_back(pupil(1, "7B"));
  two.pupils.push_back(pupil(4));
  two.pupils.push_back(pupil(1, "7C"));  // named twice: the second record wins
  marks(two, 2, "2024-09-04", 12, "L");
  marks(two, 4, "2024-09-09", 4, "-");
  marks(two, 0, "2024-09-02", 2, "I");  // amended within the import
  marks(two, 0, "2024-09-30", 6, "M");  // new weeks of a pupil written two parts back
  marks(two, 3, "2024-09-16", 8, "/");
  marks(three, 4, "2024-09-09", 4, "/");  // taken after all
  marks(three, 2, "2024-09-11", 4, "/");  // the pupil held back, then written, comes back
  marks(three, 1, "2024-09-02", 1, "-");  // a blank never erases a taken mark
  marks(three, 3, "2024-09-23", 2, "/");  // held back at the end: written by commit()
  return import;
}

// A later export over the stored register, in two parts: amendments, unchanged marks, new weeks,
// a new pupil, blanks.
Import laterImport() {
  Import import{{part(), part()}, "later"};
  auto& one = import.parts[0];
  auto& two = import.parts[1];
  one.pupils.push_back(pupil(0));
  one.pupils.push_back(pupil(5));
  marks(one, 0, "2024-09-02", 40, "/");
  marks(one, 5, "2024-09-02", 10, "O");
  marks(one, 4, "2024-09-09", 4, "C");
  two.pupils.push_back(pupil(2, "7D"));
  marks(two, 2, "2024-09-02", 30, "N");
  marks(two, 3, "2024-09-16", 8, "-");
  marks(two, 1, "2024-09-02", 20, "N");
  marks(two, 5, "2024-09-16", 2, "-");
  return import;
}

// The import is refused whole, its error saying what it was doing and the server's reason.
void expectRefused(Store& store, const Import& import, const std::string& doing,
                   const std::string& reason) {
  try {
    outcomeOf(store, import, 100);
    ADD_FAILURE() << "the import was not refused";
  } catch (const PostgresError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(doing), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << message;
  }
}

class PostgresImport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
    postgres = postgresBackend.open();
    sqlite = sqliteBackend.open();
  }
  test::TempDir dir;
  test::SqliteBackend sqliteBackend{dir.path()};
  test::PostgresBackend postgresBackend{dir.path()};
  std::unique_ptr<Store> postgres, sqlite;
};

}  // namespace

TEST_F(PostgresImport, AFirstImportInPartsStoresWhatSqliteStores) {
  EXPECT_EQ(outcomeOf(*postgres, firstImport(), 100), outcomeOf(*sqlite, firstImport(), 100));
  auto stored = snapshot(*postgres);
  EXPECT_EQ(stored, snapshot(*sqlite));
  // What the comparison rests on: the paths were taken.
  EXPECT_NE(stored.find("pupil " + upn(1) + " 1 Forename1 7C"), std::string::npos) << stored;
  EXPECT_NE(stored.find("amended 2024-09-02 AM /->I"), std::string::npos) << stored;
  EXPECT_NE(stored.find("2024-09-30AM=M"), std::string::npos) << stored;
  EXPECT_NE(stored.find("2024-09-11PM=/"), std::string::npos) << stored;
  EXPECT_NE(stored.find("2024-09-23PM=/"), std::string::npos) << stored;
  EXPECT_NE(stored.find("=L/sims(L)+10"), std::string::npos) << stored;
  EXPECT_EQ(stored.find("\nnot taken"), std::string::npos) << stored;  // taken in part three
}

TEST_F(PostgresImport, ALaterImportOverAStoredRegisterStoresWhatSqliteStores) {
  ASSERT_EQ(outcomeOf(*postgres, firstImport(), 100), outcomeOf(*sqlite, firstImport(), 100));
  EXPECT_EQ(outcomeOf(*postgres, laterImport(), 200), outcomeOf(*sqlite, laterImport(), 200));
  auto stored = snapshot(*postgres);
  EXPECT_EQ(stored, snapshot(*sqlite));
  EXPECT_NE(stored.find("amended 2024-09-02 AM I->/"), std::string::npos) << stored;
  EXPECT_NE(stored.find("not taken 2024-09-16 AM 1"), std::string::npos) << stored;
  // The same export a third time changes nothing.
  auto again = laterImport();
  again.fingerprint = "again";
  auto outcome = outcomeOf(*postgres, again, 300);
  EXPECT_EQ(outcome, outcomeOf(*sqlite, again, 300));
  EXPECT_NE(outcome.find("marks +0 ~0"), std::string::npos) << outcome;
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
}

TEST_F(PostgresImport, ANewWeeksCopyTheServerRefusesUndoesTheWholeImport) {
  // The server refuses one pupil's weeks (a trigger stands in for a full disk). Their COPY is
  // not waited for: the refusal comes at the import's next statement, and takes the whole
  // import with it, parts before and after.
  PgConnection admin(postgresBackend.uri());
  admin.exec("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.upn='" +
                 upn(1) +
                 "' THEN RAISE EXCEPTION 'no space left (test)'; END IF; RETURN NEW; END $$; "
                 "CREATE TRIGGER refuse BEFORE INSERT ON register_weeks FOR EACH ROW EXECUTE "
                 "FUNCTION refuse();",
             "install the refusing trigger");
  expectRefused(*postgres, firstImport(), "could not write the new weeks of the register",
                "no space left (test)");
  auto status = postgres->status();
  EXPECT_EQ(status.pupils, 0);
  EXPECT_EQ(status.marks, 0);
  EXPECT_EQ(status.imports, 0);
  admin.exec("DROP TRIGGER refuse ON register_weeks", "drop the refusing trigger");
  EXPECT_EQ(outcomeOf(*postgres, firstImport(), 200), outcomeOf(*sqlite, firstImport(), 200));
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
}

TEST_F(PostgresImport, AStatementRefusedInAPipelineUndoesTheImportAndTheConnectionGoesOn) {
  // Registers not taken are written many statements to a round trip (PgPipeline): one refused
  // takes the import with it, says what it was doing, and leaves the connection usable.
  PgConnection admin(postgresBackend.uri());
  admin.exec(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
      "'refused (test)'; END $$; CREATE TRIGGER refuse BEFORE INSERT ON registers_not_taken FOR "
      "EACH ROW EXECUTE FUNCTION refuse();",
      "install the refusing trigger");
  expectRefused(*postgres, firstImport(), "could not record a register not taken",
                "refused (test)");
  EXPECT_EQ(postgres->status().marks, 0);
  admin.exec("DROP TRIGGER refuse ON registers_not_taken", "drop the refusing trigger");
  EXPECT_EQ(outcomeOf(*postgres, firstImport(), 200), outcomeOf(*sqlite, firstImport(), 200));
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
}

namespace {

// `pupils` pupils from `first`, each with `weeks` weeks of `code` from 2 September 2024.
ImportBatch weeksOf(int first, int pupils, int weeks, const char* code) {
  auto p = part();
  for (int n = first; n < first + pupils; ++n) {
    p.pupils.push_back(pupil(n));
    marks(p, n, "2024-09-02", weeks * 10, code);
  }
  return p;
}

}  // namespace

TEST_F(PostgresImport,
       ALaterImportChangingMoreWeeksThanItsTemporaryTableIsMadeForStoresWhatSqliteStores) {
  // Changed weeks go through a temporary table, emptied after each part by a DELETE and, once
  // more than 10,000 rows have gone through it in the import, by a TRUNCATE. Four parts of 3,900
  // changed weeks each, the second changing the first's weeks again (rows the DELETE left would
  // be written twice by one statement, which the server refuses), the third crossing 10,000.
  ASSERT_EQ(outcomeOf(*postgres, Import{{weeksOf(0, 450, 26, "/")}, "first"}, 100),
            outcomeOf(*sqlite, Import{{weeksOf(0, 450, 26, "/")}, "first"}, 100));
  Import later{{weeksOf(0, 150, 26, "N"), weeksOf(0, 150, 26, "L"), weeksOf(150, 150, 26, "N"),
                weeksOf(300, 150, 26, "N")},
               "later"};
  auto outcome = outcomeOf(*postgres, later, 200);
  EXPECT_EQ(outcome, outcomeOf(*sqlite, later, 200));
  EXPECT_NE(outcome.find("~156000"), std::string::npos) << outcome;  // every mark amended once
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
}

namespace {

// The register's week rows in the order the table holds them: "pupil@MM-DD ...".
std::string rowsInTableOrder(const std::string& uri) {
  PgConnection admin(uri);
  PgStatement rows(admin, "SELECT upn, week FROM register_weeks ORDER BY ctid",
                   "read the week rows in the table's order");
  std::string out;
  while (rows.step()) {
    auto monday = Date::fromDays(static_cast<int32_t>(rows.integer(1))).iso();
    out += std::to_string(std::stoi(rows.text(0).substr(9)) - 5000) + "@" + monday.substr(5) + " ";
  }
  return out;
}

}  // namespace

TEST_F(PostgresImport, AFirstImportSortedByPupilWritesItsNewestTwoWeeksLastWeekByWeek) {
  // A year's export sorted by pupil, in two parts: each pupil's weeks would lie together, and
  // the weeks the next syncs write into and read again (the current week and the one before)
  // one in each pupil's stretch of the table. They are written last, week by week.
  Import first{{weeksOf(0, 3, 4, "/"), weeksOf(3, 2, 4, "/")}, "first"};
  EXPECT_EQ(outcomeOf(*postgres, first, 100), outcomeOf(*sqlite, first, 100));
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
  EXPECT_EQ(rowsInTableOrder(postgresBackend.uri()),
            "0@09-02 0@09-09 1@09-02 1@09-09 2@09-02 2@09-09 3@09-02 3@09-09 4@09-02 4@09-09 "
            "0@09-16 1@09-16 2@09-16 3@09-16 4@09-16 0@09-23 1@09-23 2@09-23 3@09-23 4@09-23 ");
}

TEST_F(PostgresImport, APartReadingWeeksStillHeldToWriteLastFindsThemWritten) {
  // An export sorted by date: the second part goes on with the pupils and the week of the first.
  // The rows held to be written last are written before that part reads them, not made twice
  // (which the server would refuse as a duplicate key).
  Import first{{weeksOf(0, 3, 2, "/"), part()}, "first"};
  for (int n = 0; n < 3; ++n) marks(first.parts[1], n, "2024-09-13", 4, "N");
  auto outcome = outcomeOf(*postgres, first, 100);
  EXPECT_EQ(outcome, outcomeOf(*sqlite, first, 100));
  EXPECT_NE(outcome.find("~6"), std::string::npos) << outcome;  // Friday's marks amended
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
}

// Pupils go in as one array per column (upsertArrays): every detail comes back as written, and
// as SQLite keeps it, whether the pupil is new or rewritten: text that an array's text form
// would have to escape, a date of birth or none (an element that is NULL), flags.
TEST_F(PostgresImport, PupilsWrittenAndRewrittenKeepEveryDetailAsSqliteDoes) {
  auto first = part();
  first.has_flags = true;
  Pupil named = pupil(0);
  named.surname = "O'Brien, \"Jo\" {\\} Zoë";
  named.dob = d("2013-02-28");
  named.flags.sen = named.flags.fsm = true;
  Pupil noDob = pupil(1);
  first.pupils = {named, noDob};
  marks(first, 0, "2024-09-02", 2, "/");
  Import one{{first}, "one"};
  ASSERT_EQ(outcomeOf(*postgres, one, 100), outcomeOf(*sqlite, one, 100));
  {  // no date of birth: NULL, as SQLite keeps it (not an empty text read back as none)
    PgConnection db(postgresBackend.uri());
    PgStatement dob(db, "SELECT dob IS NULL FROM pupils WHERE school=$1 AND upn=$2", "read a dob");
    dob.bind(1, test::PostgresBackend::kSchool).bind(2, upn(1));
    ASSERT_TRUE(dob.step());
    EXPECT_EQ(dob.integer(0), 1);
  }
  auto later = part();
  later.has_flags = true;
  Pupil renamed = named;
  renamed.forename = "Zoë-Ann";
  renamed.reg_group = "7B";
  renamed.flags.cla = true;
  Pupil given = noDob;
  given.dob = d("2012-11-30");
  later.pupils = {renamed, given};
  Import two{{later}, "two"};
  EXPECT_EQ(outcomeOf(*postgres, two, 200), outcomeOf(*sqlite, two, 200));
  for (const auto& expected : {renamed, given}) {
    auto stored = postgres->pupil(expected.upn);
    ASSERT_TRUE(stored.has_value()) << expected.upn;
    EXPECT_EQ(stored->surname, expected.surname);
    EXPECT_EQ(stored->forename, expected.forename);
    EXPECT_EQ(stored->dob, expected.dob);
    EXPECT_EQ(stored->flags, expected.flags);
    EXPECT_EQ(stored->reg_group, expected.reg_group);
    EXPECT_EQ(*stored, *sqlite->pupil(expected.upn));
  }
  EXPECT_FALSE(postgres->pupil(upn(1))->flags.sen);
}

// A later import reads the stored weeks and pupils it names either one by one (a few of the
// school's pupils) or as one range of the key from its first pupil to its last (a quarter of
// them or more, as a register close's file names them all), passing over the pupils between
// that it does not name. Both find every stored row: a week not found would be written as new
// (which the server refuses as a duplicate key) and a pupil not found counted as added.
TEST_F(PostgresImport, ALaterImportFindsTheStoredRowsOfFewPupilsOrOfARangeOfThem) {
  Import first{{weeksOf(0, 20, 2, "/")}, "first"};
  ASSERT_EQ(outcomeOf(*postgres, first, 100), outcomeOf(*sqlite, first, 100));
  auto some = [](std::initializer_list<int> pupils, const char* code) {
    auto p = part();
    for (int n : pupils) {
      p.pupils.push_back(pupil(n, "8" + std::string(code)));
      marks(p, n, "2024-09-09", 4, code);
    }
    return p;
  };
  Import few{{some({3, 16}, "N")}, "few"};  // 2 of 20: looked up
  auto outcome = outcomeOf(*postgres, few, 200);
  EXPECT_EQ(outcome, outcomeOf(*sqlite, few, 200));
  EXPECT_NE(outcome.find("pupils +0 ~2; marks +0 ~8"), std::string::npos) << outcome;
  Import many{{some({2, 5, 8, 11, 14, 17}, "L")}, "many"};  // 6 of 20: a range, 10 passed over
  outcome = outcomeOf(*postgres, many, 300);
  EXPECT_EQ(outcome, outcomeOf(*sqlite, many, 300));
  EXPECT_NE(outcome.find("pupils +0 ~6; marks +0 ~24"), std::string::npos) << outcome;
  EXPECT_EQ(snapshot(*postgres), snapshot(*sqlite));
}

// A server, database or role whose default isolation is serializable (or repeatable read):
// a writer's first statement, the wait for the school's lock, would take its snapshot before
// the writer ahead of it committed, and it would then not see that writer's rows (its new
// weeks written again, refused as a duplicate key; or the other's marks overwritten). Writers
// begin read committed whatever the default: the second import, queued behind the first, finds
// the first's week and amends it.
TEST_F(PostgresImport, AnImportQueuedBehindAnotherSeesItsRowsWhateverTheDefaultIsolation) {
  const std::string waiter = "markbridge-test-waiter-" + postgresBackend.schema;
  const std::string serializable =
      postgresBackend.uri() + "%20-cdefault_transaction_isolation%3Dserializable";
  auto first = openPostgresStore(serializable, test::PostgresBackend::kSchool);
  auto second = openPostgresStore(serializable + "&application_name=" + waiter,
                                  test::PostgresBackend::kSchool);
  ImportOutcome firstOutcome, secondOutcome;
  auto writing = first->beginImport(100);
  Import one{{weeksOf(0, 2, 1, "/")}, "one"};
  writing->add(one.parts[0], firstOutcome);
  std::string secondFailed;
  std::atomic<bool> secondEnded{false};
  std::thread queued([&] {
    try {
      auto writer = second->beginImport(200);  // waits for the first's lock
      auto later = weeksOf(0, 2, 1, "N");
      writer->add(later, secondOutcome);
      writer->commit(summaryOf("two"), secondOutcome);
    } catch (const std::exception& e) {
      secondFailed = e.what();
    }
    secondEnded = true;
  });
  {  // the second import waits for the lock (its first statement has begun) before the first
     // commits; one that ended without waiting is not waited for (the checks below fail)
    PgConnection admin(test::testPostgresUri());
    PgStatement waiting(admin,
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name=$1 AND "
                        "wait_event_type='Lock'",
                        "look for the waiting import");
    for (int64_t n = 0; n == 0 && !secondEnded;) {
      waiting.bind(1, waiter);
      n = waiting.step() ? waiting.integer(0) : 0;
      waiting.reset();
    }
  }
  writing->commit(summaryOf("one"), firstOutcome);
  queued.join();
  EXPECT_EQ(secondFailed, "");
  EXPECT_EQ(firstOutcome.marks_added, 20);
  EXPECT_EQ(secondOutcome.marks_amended, 20);  // the first's marks, seen and amended
  EXPECT_EQ(secondOutcome.marks_added, 0);
}
