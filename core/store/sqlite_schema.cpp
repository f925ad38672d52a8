#include "core/store/sqlite_schema.h"

#include <string>
#include <utility>

#include "core/store/sqlite_import.h"

namespace markbridge {
namespace {

// Append only: a released migration is never edited, a change is a new entry.
constexpr const char* kMigrations[] = {
    // 1: register, imports, events, outbox.
    R"sql(
CREATE TABLE pupils(
  upn TEXT PRIMARY KEY, mis_id TEXT NOT NULL, forename TEXT NOT NULL, surname TEXT NOT NULL,
  dob TEXT, year_group TEXT NOT NULL, reg_group TEXT NOT NULL, flags INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE TABLE marks(
  upn TEXT NOT NULL, date TEXT NOT NULL, session INTEGER NOT NULL, code TEXT NOT NULL,
  source TEXT NOT NULL, source_code TEXT NOT NULL, recorded_at INTEGER NOT NULL,
  minutes_late INTEGER, PRIMARY KEY(upn, date, session)) WITHOUT ROWID;
CREATE TABLE amendments(
  id INTEGER PRIMARY KEY, upn TEXT NOT NULL, date TEXT NOT NULL, session INTEGER NOT NULL,
  old_code TEXT NOT NULL, new_code TEXT NOT NULL, old_source TEXT NOT NULL,
  new_source TEXT NOT NULL, amended_at INTEGER NOT NULL);
CREATE INDEX amendments_by_pupil ON amendments(upn, date, session);
CREATE TABLE imports(
  id INTEGER PRIMARY KEY, source TEXT NOT NULL, origin TEXT NOT NULL, fingerprint TEXT NOT NULL,
  imported_at INTEGER NOT NULL, rows INTEGER NOT NULL, marks_added INTEGER NOT NULL,
  marks_amended INTEGER NOT NULL, UNIQUE(source, fingerprint));
CREATE TABLE events(
  id TEXT PRIMARY KEY, rule TEXT NOT NULL, type TEXT NOT NULL, upn TEXT NOT NULL,
  episode TEXT NOT NULL, occurred_on TEXT NOT NULL, period_from TEXT NOT NULL,
  period_to TEXT NOT NULL, payload TEXT NOT NULL,
  state TEXT NOT NULL,     -- active | withdrawn | superseded | historical
  record_of TEXT NOT NULL, -- the event whose record at the destination this one updates (or itself)
  revision INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX events_by_pupil ON events(upn, state);
CREATE TABLE outbox(
  -- times in the outbox are unix milliseconds
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, sink TEXT NOT NULL,
  event_id TEXT NOT NULL, upn TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',
  reference TEXT NOT NULL DEFAULT '', finished_at INTEGER);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_by_pupil ON outbox(sink, upn, state, seq);
)sql",
    // 2: source priority on each mark; amendments recorded by the database itself.
    R"sql(
ALTER TABLE marks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER marks_amended AFTER UPDATE OF code ON marks WHEN OLD.code <> NEW.code BEGIN
  INSERT INTO amendments(upn, date, session, old_code, new_code, old_source, new_source,
                         amended_at)
  VALUES(OLD.upn, OLD.date, OLD.session, OLD.code, NEW.code, OLD.source, NEW.source,
         NEW.recorded_at);
END;
)sql",
    // 3: attendance totals from returns (School Census), for reconciling the register; source
    // state.
    R"sql(
CREATE TABLE attendance_totals(
  source TEXT NOT NULL, upn TEXT NOT NULL, period TEXT NOT NULL, period_from TEXT,
  period_to TEXT, possible INTEGER NOT NULL, authorised INTEGER NOT NULL,
  unauthorised INTEGER NOT NULL, by_reason TEXT NOT NULL, imported_at INTEGER NOT NULL,
  PRIMARY KEY(source, upn, period));
-- what a source remembers between pulls (e.g. an API's updated_after high-water mark), written
-- in the same transaction as the import it belongs to
CREATE TABLE source_state(
  source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY(source, key));
)sql",
    // 4: the register as one row per pupil per week (core/store/register_week.h); the marks of
    // an older store are moved across by convertMarksToWeeks() and the marks table dropped.
    R"sql(
CREATE TABLE register_weeks(
  upn TEXT NOT NULL, week INTEGER NOT NULL, -- week: the Monday, in days since 1970-01-01
  codes BLOB NOT NULL, imports BLOB NOT NULL, extras TEXT NOT NULL,
  PRIMARY KEY(upn, week)) WITHOUT ROWID;
CREATE TABLE registers_not_taken(
  day INTEGER NOT NULL, session INTEGER NOT NULL, upn TEXT NOT NULL,
  PRIMARY KEY(day, session, upn)) WITHOUT ROWID;
CREATE TABLE register_totals(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO register_totals(key, value) VALUES('marks', 0), ('not_taken', 0);
ALTER TABLE imports ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER marks_amended;
)sql",
    // 5: where each pupil's evaluation got to (RuleSet::evaluate), so the next one resumes
    // there instead of walking the whole year again; a dead-lettered item keeps the
    // destination's answer.
    R"sql(
CREATE TABLE evaluation_checkpoints(upn TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
ALTER TABLE outbox ADD COLUMN response TEXT NOT NULL DEFAULT '';
)sql",
    // 6: the admission register: each pupil's on-roll periods (admitted '' when the source does
    // not say), and every change to one kept as marks' amendments are (added, amended, withdrawn
    // leaving date). An older store gains empty tables: its pupils have no on-roll data and are
    // counted as before.
    R"sql(
CREATE TABLE on_roll(
  upn TEXT NOT NULL, admitted TEXT NOT NULL, left_on TEXT, leaving_reason TEXT NOT NULL,
  destination TEXT NOT NULL, source TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY(upn, admitted)) WITHOUT ROWID;
CREATE TABLE on_roll_changes(
  id INTEGER PRIMARY KEY, upn TEXT NOT NULL, admitted TEXT NOT NULL,
  old_left TEXT, new_left TEXT, old_reason TEXT NOT NULL, new_reason TEXT NOT NULL,
  old_destination TEXT NOT NULL, new_destination TEXT NOT NULL,
  change TEXT NOT NULL, -- added | amended
  source TEXT NOT NULL, changed_at INTEGER NOT NULL);
CREATE INDEX on_roll_changes_by_pupil ON on_roll_changes(upn, id);
)sql",
    // 7: who each sync's imports named (children missing education: a pupil the roll's
    // listings stop naming). roll_seen: when each source last named each pupil; roll_listings:
    // each sync (its time) in which a source stored an import naming any pupil. An older store
    // gains empty tables: nobody counts as missing until a source has named them once.
    R"sql(
CREATE TABLE roll_seen(
  upn TEXT NOT NULL, source TEXT NOT NULL, seen_at INTEGER NOT NULL,
  PRIMARY KEY(upn, source)) WITHOUT ROWID;
CREATE TABLE roll_listings(
  source TEXT NOT NULL, listed_at INTEGER NOT NULL, PRIMARY KEY(source, listed_at)) WITHOUT ROWID;
)sql",
};

// Schema 4: the marks of an older store become week rows, one import per source (kept with the
// latest time and the highest priority its marks had), inside the migration's transaction.
void convertMarksToWeeks(SqliteDb& db) {
  SqliteStatement sources(
      db.handle(), "SELECT source, MAX(recorded_at), MAX(priority) FROM marks GROUP BY source");
  SqliteStatement marks(db.handle(),
                        "SELECT upn, date, session, code, source_code, minutes_late FROM marks "
                        "WHERE source=?1 ORDER BY upn, date, session");
  while (sources.step()) {
    ImportBatch batch;
    batch.source = sources.text(0);
    batch.priority = static_cast<int>(sources.integer(2));
    batch.origin = "marks stored before schema 4";
    batch.fingerprint = "schema-4:" + batch.source;
    auto writer = makeSqliteImportWriter(db, sources.integer(1), false);
    ImportOutcome outcome;
    marks.bind(1, batch.source);
    while (marks.step()) {
      Mark m;
      m.upn = marks.text(0);
      m.date = Date::parseIso(marks.text(1)).value_or(Date());
      m.session = marks.integer(2) ? Session::PM : Session::AM;
      m.code = Code::fromString(marks.text(3)).value_or(Code::notTaken());
      m.source = batch.source;
      m.source_code = marks.text(4);
      if (!marks.isNull(5)) m.minutes_late = static_cast<int>(marks.integer(5));
      batch.marks.push_back(std::move(m));
      ++batch.rows;
    }
    marks.reset();
    writer->add(batch, outcome);
    writer->commit(batch, outcome);
  }
  sources.reset();
  db.exec("DROP TABLE marks");
}

}  // namespace

void migrateSqliteSchema(SqliteDb& db, int upTo) {
  // WAL lets `status` read while a sync writes; FULL sync makes every commit survive power loss.
  // Reads through a memory map: evaluation reads every register after each register closes,
  // and copying each page through read() calls cost more than the reading.
  db.exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
      "PRAGMA mmap_size=268435456;");
  auto upToDate = [&db, upTo] {
    SqliteStatement version(db.handle(), "PRAGMA user_version");
    version.step();
    auto current = static_cast<std::size_t>(version.integer(0));
    return std::pair{
        current, current >= std::size(kMigrations) || current >= static_cast<std::size_t>(upTo)};
  };
  // A store already up to date is only read: `status` opening it while a sync writes does not
  // queue behind the sync's write transaction.
  if (upToDate().second) return;
  for (;;) {
    Transaction tx(db);
    auto [current, done] = upToDate();
    if (done) return;  // the guard rolls back the empty transaction
    db.exec(kMigrations[current]);
    if (current + 1 == 4) convertMarksToWeeks(db);
    db.exec("PRAGMA user_version = " + std::to_string(current + 1));
    tx.commit();
  }
}

}  // namespace markbridge
