// The PostgreSQL store's kept year (core/store/postgres_register_read.h): a register read gives
// the pupil's earlier weeks from one kept row, and anything that changed one of those weeks,
// whoever wrote it, is read from its rows instead. (That every read shows every import is the
// register contract's EachReadOfTheRegistersShowsEveryImportSoFar, on both backends.)

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/store/postgres_db.h"
#include "core/store/postgres_register_read.h"
#include "core/store/postgres_schema.h"
#include "core/store/postgres_store.h"
#include "core/store/register_week.h"
#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kUpn = "B801200005001";
const std::string kSchool = test::PostgresBackend::kSchool;

ImportBatch weeksOf(Date from, Date to, const char* am, const char* pm, const std::string& id) {
  ImportBatch batch;
  batch.source = "sims";
  batch.origin = "export.csv";
  batch.fingerprint = id;
  batch.pupils.push_back(Pupil{kUpn, "1", "Ann", "Smith", {}, "7", "7A", {}});
  test::addDays(batch.marks, kUpn, test::autumnCalendar().schoolDays(from, to), am, pm);
  for (auto& m : batch.marks) m.source = "sims";
  batch.rows = static_cast<int>(batch.marks.size());
  return batch;
}

// register_changes' row for the school: changed_from, kept_to (nullopt: NULL), version.
struct Changes {
  std::optional<int64_t> changed_from, kept_to;
  int64_t version = -1;
};

class KeptYear : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
    store = backend.open();
    db.emplace(backend.uri());
  }

  Changes changes() {
    PgStatement s(*db,
                  "SELECT changed_from, kept_to, version FROM register_changes WHERE school=$1",
                  "read register_changes");
    s.bind(1, kSchool);
    Changes c;
    if (!s.step()) return c;
    if (!s.isNull(0)) c.changed_from = s.integer(0);
    if (!s.isNull(1)) c.kept_to = s.integer(1);
    c.version = s.integer(2);
    return c;
  }
  // The pupils the kept year holds (its rows unpacked).
  int64_t keptRows() {
    PgStatement s(*db, "SELECT pupils FROM register_years WHERE school=$1", "read the kept rows");
    s.bind(1, kSchool);
    std::vector<PackedEntry> pupils;
    while (s.step())
      if (!unpackEntries(s.blob(0), pupils)) return -1;
    return static_cast<int64_t>(pupils.size());
  }
  // The pupil's code on `day` as a read of the registers gives it.
  std::string codeOn(Date day, Session s) {
    std::string code;
    store->forEachPupilRegister(calendar, [&](const Pupil& p, const PupilRegister& reg) {
      if (p.upn == kUpn) code = std::string(reg.at(day, s).str());
    });
    return code;
  }
  void sql(const std::string& statement) { db->exec(statement, "change the register by hand"); }

  SchoolCalendar calendar = test::autumnCalendar();
  test::TempDir dir;
  test::PostgresBackend backend{dir.path()};
  std::unique_ptr<Store> store;
  std::optional<PgConnection> db;
};

int64_t weekOf(const char* iso) {
  return d(iso).monday().days();
}

// The slot byte a week row's codes hold for `code`.
uint8_t slotOf(const char* code) {
  uint8_t n = 1;
  while (std::string(codeOfSlot(n).str()) != code) ++n;
  return n;
}

// The school's one pupil, and its week rows of these Mondays (each `week`), written by SQL into
// a store of an earlier schema.
void writeThePupil(PgConnection& old, std::initializer_list<const char*> mondays,
                   const RegisterWeek& week) {
  old.exec("INSERT INTO pupils VALUES('" + kSchool + "', '" + kUpn +
               "', '1', 'Ann', 'Smith', NULL, '7', '7A', 0, 1)",
           "write a pupil under an earlier schema");
  PgStatement row(old, "INSERT INTO register_weeks VALUES($1, $2, $3, $4, $5, '')",
                  "write a week under an earlier schema");
  for (const char* monday : mondays)
    row.bind(1, kSchool)
        .bind(2, kUpn)
        .bind(3, weekOf(monday))
        .bindBlob(4, week.codesBlob())
        .bindBlob(5, week.importsBlob())
        .run();
}

}  // namespace

TEST_F(KeptYear, AReadKeepsTheYearAndAChangeByAnyWriterIsReadFromItsRows) {
  store->importBatch(weeksOf(d("2024-09-03"), d("2024-10-18"), "/", "N", "six weeks"), 1);
  EXPECT_EQ(changes().changed_from, weekOf("2024-09-02"));  // nothing kept yet
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), "N");
  // Kept up to the latest week written (that week read from its rows); nothing changed since.
  EXPECT_EQ(keptRows(), 1);
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-14"));
  EXPECT_FALSE(changes().changed_from.has_value());

  // Another writer than the import (a hand-made fix, a tool) changes and deletes kept weeks.
  sql("UPDATE register_weeks SET codes=overlay(codes placing '\\x" + std::string("04") +
      "'::bytea from 4) WHERE school='" + kSchool +
      "' AND week=" + std::to_string(weekOf("2024-09-09")));
  sql("DELETE FROM register_weeks WHERE school='" + kSchool +
      "' AND week=" + std::to_string(weekOf("2024-09-16")));
  EXPECT_EQ(changes().changed_from, weekOf("2024-09-09"));
  std::string fourth(codeOfSlot(4).str());
  EXPECT_NE(fourth, "N");
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), fourth);  // slot 4: Tuesday PM
  EXPECT_EQ(codeOn(d("2024-09-17"), Session::PM), std::string(Code::notTaken().str()));
  EXPECT_FALSE(changes().changed_from.has_value());  // kept again, with both
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), fourth);
  EXPECT_EQ(codeOn(d("2024-09-17"), Session::PM), std::string(Code::notTaken().str()));
  EXPECT_EQ(codeOn(d("2024-09-24"), Session::PM), "N");

  // Weeks of a pupil the pupils table did not have when the year was kept: read on their own.
  const std::string other = "A801200005002";
  sql("INSERT INTO register_weeks SELECT school, '" + other +
      "', week, codes, imports, extras FROM register_weeks WHERE school='" + kSchool +
      "' AND upn='" + kUpn + "'");
  EXPECT_EQ(codeOn(d("2024-09-24"), Session::PM), "N");  // the year kept again, without them
  EXPECT_FALSE(changes().changed_from.has_value());
  sql("INSERT INTO pupils SELECT school, '" + other +
      "', mis_id, forename, surname, dob, year_group, reg_group, flags, updated_at FROM pupils "
      "WHERE school='" +
      kSchool + "' AND upn='" + kUpn + "'");
  std::string theirs;
  store->forEachPupilRegister(calendar, [&](const Pupil& p, const PupilRegister& reg) {
    if (p.upn == other) theirs = std::string(reg.at(d("2024-09-24"), Session::PM).str());
  });
  EXPECT_EQ(theirs, "N");
  EXPECT_EQ(keptRows(), 2);  // and kept with the year from then on

  // A week row inserted where a kept pupil had none (the week deleted above), by SQL.
  sql("INSERT INTO register_weeks SELECT school, upn, " + std::to_string(weekOf("2024-09-16")) +
      ", codes, imports, extras FROM register_weeks " + "WHERE school='" + kSchool + "' AND upn='" +
      kUpn + "' AND week=" + std::to_string(weekOf("2024-09-09")));
  EXPECT_EQ(codeOn(d("2024-09-17"), Session::PM), fourth);
  EXPECT_FALSE(changes().changed_from.has_value());

  // A psql session whose search_path does not name the store's schema (the default), fixing a
  // kept week by its schema-qualified name: the store's own register_changes is told.
  PgConnection(test::testPostgresUri())
      .exec("UPDATE " + backend.schema + ".register_weeks SET codes=overlay(codes placing " +
                "'\\x01'::bytea from 4) WHERE school='" + kSchool + "' AND upn='" + kUpn +
                "' AND week=" + std::to_string(weekOf("2024-09-23")),
            "fix a week by hand from another schema");
  EXPECT_EQ(codeOn(d("2024-09-24"), Session::PM), std::string(codeOfSlot(1).str()));

  // Emptied whole (TRUNCATE): nothing is kept, nothing is read.
  sql("TRUNCATE register_weeks");
  EXPECT_EQ(keptRows(), 0);
  EXPECT_EQ(codeOn(d("2024-09-24"), Session::PM), std::string(Code::notTaken().str()));
}

TEST_F(KeptYear, ACalendarStartingEarlierOrLaterThanTheKeptYearReadsItsOwnWeeks) {
  store->importBatch(weeksOf(d("2024-09-03"), d("2024-10-18"), "/", "N", "six weeks"), 1);
  // A row on the Friday before the autumn calendar's first week, for a calendar from August.
  sql("INSERT INTO register_weeks SELECT school, upn, " + std::to_string(weekOf("2024-08-26")) +
      ", codes, imports, extras FROM register_weeks WHERE school='" + kSchool +
      "' AND week=" + std::to_string(weekOf("2024-09-09")));
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), "N");  // kept from 2 September
  auto from = [](const char* start) {
    return SchoolCalendar::fromJson(
        nlohmann::json::parse(std::string(R"({"name": "c", "terms": [{"name": "t", "start": ")") +
                              start + R"(", "end": "2024-12-20"}]})"),
        "test");
  };
  for (const char* start : {"2024-09-16", "2024-08-27", "2024-09-02", "2024-09-23"}) {
    const auto other = from(start);
    std::map<std::string, std::string> seen;
    store->forEachPupilRegister(other, [&](const Pupil& p, const PupilRegister& reg) {
      for (const char* day : {"2024-08-27", "2024-09-10", "2024-09-17", "2024-10-15"})
        seen[day] = std::string(reg.at(d(day), Session::PM).str());
      (void)p;
    });
    const std::string none(Code::notTaken().str());
    const Date first = other.first();
    for (const char* day : {"2024-08-27", "2024-09-10", "2024-09-17", "2024-10-15"})
      EXPECT_EQ(seen[day], d(day) < first ? none : std::string("N")) << start << " " << day;
  }
}

TEST_F(KeptYear, NotKeptFromARegisterThatChangedWhileItWasRead) {
  store->importBatch(weeksOf(d("2024-09-03"), d("2024-10-18"), "/", "N", "six weeks"), 1);
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), "N");
  store->importBatch(weeksOf(d("2024-10-21"), d("2024-11-15"), "/", "/", "three more"), 2);
  const auto before = changes();
  ASSERT_TRUE(before.changed_from.has_value());

  // A read begins (a kept year is due: it is behind), then an import amends a kept week.
  PgConnection reading(backend.uri());
  KeptYearRead read(reading, kSchool, calendar);
  store->importBatch(weeksOf(d("2024-09-10"), d("2024-09-10"), "/", "L", "amended"), 3);
  PupilRegister reg(calendar);
  read.fill(kUpn, reg);
  read.keep();
  const auto after = changes();
  EXPECT_EQ(after.kept_to, before.kept_to);  // not kept from what the read saw
  EXPECT_EQ(after.changed_from, weekOf("2024-09-09"));
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), "L");
  EXPECT_EQ(changes().kept_to, weekOf("2024-11-11"));
}

// A kept week row moved by hand to another week, or to another school: the week it left is told
// as changed (its codes are gone from it), not only the week it went to (the update's trigger
// reads the old rows as well as the new).
TEST_F(KeptYear, AKeptWeekRowMovedByHandIsReadAgainFromTheWeekItLeft) {
  store->importBatch(weeksOf(d("2024-09-03"), d("2024-10-18"), "/", "N", "seven weeks"), 1);
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), "N");
  ASSERT_EQ(changes().kept_to, weekOf("2024-10-14"));  // 9 and 16 September among the kept
  ASSERT_FALSE(changes().changed_from.has_value());
  const std::string notTaken(Code::notTaken().str());

  sql("UPDATE register_weeks SET week=week + 42 WHERE school='" + kSchool +
      "' AND week=" + std::to_string(weekOf("2024-09-09")));
  EXPECT_EQ(changes().changed_from, weekOf("2024-09-09"));
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), notTaken);
  EXPECT_EQ(codeOn(d("2024-10-22"), Session::PM), "N");  // where it went
  ASSERT_FALSE(changes().changed_from.has_value());      // kept again

  sql("UPDATE register_weeks SET school='another school' WHERE school='" + kSchool +
      "' AND week=" + std::to_string(weekOf("2024-09-16")));
  EXPECT_EQ(changes().changed_from, weekOf("2024-09-16"));
  EXPECT_EQ(codeOn(d("2024-09-17"), Session::PM), notTaken);
  EXPECT_EQ(codeOn(d("2024-09-24"), Session::PM), "N");

  // Rows rewritten where they are (as an import does) tell their own weeks only.
  ASSERT_FALSE(changes().changed_from.has_value());
  sql("UPDATE register_weeks SET codes=codes WHERE school='" + kSchool +
      "' AND week=" + std::to_string(weekOf("2024-09-23")));
  EXPECT_EQ(changes().changed_from, weekOf("2024-09-23"));
}

TEST_F(KeptYear, AStoreFromBeforeTheKeptYearIsReadWholeAndThenKept) {
  // Weeks written under schema 2 (no triggers then); opening the store migrates it.
  store.reset();
  backend.startAgainAtSchema(2);
  PgConnection old(backend.uri());
  RegisterWeek week;
  week.slots[1].code = slotOf("N");  // Monday PM
  writeThePupil(old, {"2024-09-09", "2024-09-16", "2024-10-14", "2024-10-21"}, week);
  store = openPostgresStore(backend.uri(), kSchool);
  EXPECT_EQ(changes().kept_to, std::nullopt);
  for (const char* monday : {"2024-09-09", "2024-09-16", "2024-10-14", "2024-10-21"})
    EXPECT_EQ(codeOn(d(monday), Session::PM), "N") << monday;
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-21"));
  EXPECT_EQ(keptRows(), 1);
  for (const char* monday : {"2024-09-09", "2024-09-16", "2024-10-14", "2024-10-21"})
    EXPECT_EQ(codeOn(d(monday), Session::PM), "N") << monday;
  EXPECT_EQ(codeOn(d("2024-09-23"), Session::PM), std::string(Code::notTaken().str()));
}

// Reads look a pupil's weeks up Monday by Monday (schema 6: the key is week before pupil), so
// the table refuses a week that is not a Monday: a row fixed by hand cannot fall between the
// weeks a read looks up, and be missed.
TEST_F(KeptYear, AWeekRowThatIsNotAMondayIsRefused) {
  store->importBatch(weeksOf(d("2024-09-03"), d("2024-09-06"), "/", "N", "a week"), 1);
  const auto monday = std::to_string(weekOf("2024-09-02"));
  try {
    sql("UPDATE register_weeks SET week=week + 1 WHERE school='" + kSchool +
        "' AND week=" + monday);
    FAIL() << "a Tuesday was stored as a week";
  } catch (const PostgresError& e) {
    EXPECT_EQ(e.sqlstate(), "23514") << e.what();  // check_violation
    EXPECT_NE(std::string(e.what()).find("register_weeks_week_is_a_monday"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(codeOn(d("2024-09-03"), Session::PM), "N");
}

// The kept year in several rows (here one a pupil), whatever order their numbers put them in:
// each pupil's earlier weeks come from its own entry. A row that cannot be unpacked (broken by
// hand) is passed over: its pupils are read from their week rows, and the year kept again.
TEST_F(KeptYear, AYearKeptInManyRowsIsReadPupilByPupilAndARowThatCannotBeReadIsPassedOver) {
  const std::vector<std::string> upns = {"B801200005001", "B801200005002", "B801200005003"};
  const std::vector<std::string> codes = {"N", "L", "M"};
  ImportBatch batch;
  batch.source = "sims";
  batch.origin = "export.csv";
  batch.fingerprint = "three pupils";
  for (std::size_t i = 0; i < upns.size(); ++i) {
    batch.pupils.push_back(Pupil{upns[i], std::to_string(i), "Ann", "Smith", {}, "7", "7A", {}});
    test::addDays(batch.marks, upns[i], calendar.schoolDays(d("2024-09-03"), d("2024-10-18")), "/",
                  codes[i].c_str());
  }
  for (auto& m : batch.marks) m.source = "sims";
  batch.rows = static_cast<int>(batch.marks.size());
  store->importBatch(batch, 1);
  {
    PgConnection reading(backend.uri());
    KeptYearRead read(reading, kSchool, calendar, 1);  // a row for each pupil
    PupilRegister reg(calendar);
    for (const auto& upn : upns) read.fill(upn, reg);
    read.keep();
  }
  auto rows = [&] {
    PgStatement s(*db, "SELECT count(*) FROM register_years WHERE school=$1", "count kept rows");
    s.bind(1, kSchool);
    return s.step() ? s.integer(0) : -1;
  };
  ASSERT_EQ(rows(), 3);
  EXPECT_EQ(keptRows(), 3);
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-14"));
  auto tuesdayPm = [&] {
    std::map<std::string, std::string> seen;
    store->forEachPupilRegister(calendar, [&](const Pupil& p, const PupilRegister& reg) {
      seen[p.upn] = std::string(reg.at(d("2024-09-10"), Session::PM).str());
    });
    return seen;
  };
  // Numbered against the pupils' order: each still read from its own.
  sql("UPDATE register_years SET part=10 - part WHERE school='" + kSchool + "'");
  auto seen = tuesdayPm();
  for (std::size_t i = 0; i < upns.size(); ++i) EXPECT_EQ(seen[upns[i]], codes[i]) << upns[i];
  // What a read gives is the kept row's: the second pupil's 10 September (its entry: the UPN's
  // length, the UPN, the codes' length, then 14 bytes a week from 2 September) changed in it.
  const int tuesdayPmAt = 2 + 13 + 4 + 14 + 3 + 1;  // 1-based, as overlay() counts
  char byte[8];
  std::snprintf(byte, sizeof byte, "%02x", slotOf("U"));
  sql("UPDATE register_years SET pupils=overlay(pupils placing '\\x" + std::string(byte) +
      "'::bytea from " + std::to_string(tuesdayPmAt) + ") WHERE school='" + kSchool +
      "' AND part=9");
  EXPECT_EQ(tuesdayPm()[upns[1]], "U");
  // Cut short: its pupil's weeks are read from the register, and the year kept again, whole.
  sql("UPDATE register_years SET pupils=substr(pupils, 1, 20) WHERE school='" + kSchool +
      "' AND part=9");
  seen = tuesdayPm();
  for (std::size_t i = 0; i < upns.size(); ++i) EXPECT_EQ(seen[upns[i]], codes[i]) << upns[i];
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(keptRows(), 3);
  seen = tuesdayPm();
  for (std::size_t i = 0; i < upns.size(); ++i) EXPECT_EQ(seen[upns[i]], codes[i]) << upns[i];
}

// The kept year reaches the latest week written (that week is read from its rows), and is made
// again at the first read of each new week, not at every read.
TEST_F(KeptYear, KeptAgainAtTheFirstReadOfEachNewWeekOnly) {
  store->importBatch(weeksOf(d("2024-09-03"), d("2024-10-16"), "/", "N", "to Wednesday"), 1);
  EXPECT_EQ(codeOn(d("2024-09-10"), Session::PM), "N");
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-14"));
  const auto kept = changes().version;
  EXPECT_EQ(codeOn(d("2024-10-16"), Session::PM), "N");
  EXPECT_EQ(changes().version, kept);  // read again the same week: not made again

  store->importBatch(weeksOf(d("2024-10-17"), d("2024-10-18"), "/", "L", "Thursday"), 2);
  const auto thursday = changes().version;
  EXPECT_EQ(codeOn(d("2024-10-17"), Session::PM), "L");
  EXPECT_EQ(changes().version, thursday);  // a day more of the same week: not made again
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-14"));

  store->importBatch(weeksOf(d("2024-10-21"), d("2024-10-21"), "/", "M", "next Monday"), 3);
  EXPECT_EQ(codeOn(d("2024-10-21"), Session::PM), "M");
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-21"));  // made again, with last week
  EXPECT_EQ(codeOn(d("2024-10-17"), Session::PM), "L");

  // Last week amended (the Monday's usual fixes): read from its rows until the next new week,
  // the year not made again for it.
  store->importBatch(weeksOf(d("2024-10-18"), d("2024-10-18"), "/", "U", "Friday fixed"), 4);
  const auto amended = changes().version;
  EXPECT_EQ(codeOn(d("2024-10-18"), Session::PM), "U");
  EXPECT_EQ(codeOn(d("2024-10-17"), Session::PM), "L");
  EXPECT_EQ(changes().version, amended);
  EXPECT_EQ(changes().changed_from, weekOf("2024-10-14"));
  // A week further back amended: the year made again.
  store->importBatch(weeksOf(d("2024-10-08"), d("2024-10-08"), "/", "G", "a week before"), 5);
  EXPECT_EQ(codeOn(d("2024-10-08"), Session::PM), "G");
  EXPECT_EQ(codeOn(d("2024-10-18"), Session::PM), "U");
  EXPECT_FALSE(changes().changed_from.has_value());
  EXPECT_EQ(changes().kept_to, weekOf("2024-10-21"));
}

// A store whose year was kept a row a pupil (schema 3 to 6): opening it drops that kept year,
// whatever it held, and the next read reads the week rows and keeps the year again, packed.
TEST_F(KeptYear, AYearKeptPupilByPupilBeforeSchema7IsDroppedAndKeptAgainPacked) {
  store.reset();
  backend.startAgainAtSchema(6);
  PgConnection old(backend.uri());
  RegisterWeek week;
  week.slots[1].code = slotOf("N");  // Monday PM
  writeThePupil(old, {"2024-09-02", "2024-09-09", "2024-09-16", "2024-09-23"}, week);
  std::string kept;  // the old kept year's row says otherwise: L on each Monday afternoon
  RegisterWeek otherwise;
  otherwise.slots[1].code = slotOf("L");
  for (int weeks = 0; weeks < 4; ++weeks) kept += otherwise.codesBlob();
  PgStatement year(old, "INSERT INTO register_years VALUES($1, $2, $3)", "keep a year");
  year.bind(1, kSchool).bind(2, kUpn).bindBlob(3, kept).run();
  old.exec("UPDATE register_changes SET changed_from=NULL, kept_from=" +
               std::to_string(weekOf("2024-09-02")) +
               ", kept_to=" + std::to_string(weekOf("2024-09-23")),
           "record the kept year");
  store = openPostgresStore(backend.uri(), kSchool);
  EXPECT_EQ(changes().kept_to, std::nullopt);
  for (const char* monday : {"2024-09-02", "2024-09-09", "2024-09-16", "2024-09-23"})
    EXPECT_EQ(codeOn(d(monday), Session::PM), "N") << monday;
  EXPECT_EQ(changes().kept_to, weekOf("2024-09-23"));
  EXPECT_EQ(keptRows(), 1);
  for (const char* monday : {"2024-09-02", "2024-09-09", "2024-09-16", "2024-09-23"})
    EXPECT_EQ(codeOn(d(monday), Session::PM), "N") << monday;
}
