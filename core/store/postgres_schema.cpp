#include "core/store/postgres_schema.h"

#include <iterator>
#include <string>

namespace markbridge {
namespace {

// Append only: a released migration is never edited, a change is a new entry. Every table is
// keyed by school first (the school's URN, given when the store is opened), so one database
// holds many schools and can be partitioned or sharded by school. Text that is a key or sorted
// on is COLLATE "C": byte order, as the SQLite store and the code that merges sorted reads
// expect, whatever the database's locale. The register is one row per pupil per week, laid out
// as the SQLite store's (core/store/register_week.h).
constexpr const char* kMigrations[] = {
    // 1: the register, imports, events, outbox, checkpoints, the admission register and roll
    // sightings: the SQLite store's schema 7, keyed by school.
    R"sql(
CREATE TABLE pupils(
  school text COLLATE "C" NOT NULL, upn text COLLATE "C" NOT NULL, mis_id text NOT NULL,
  forename text NOT NULL, surname text NOT NULL, dob text, year_group text NOT NULL,
  reg_group text NOT NULL, flags integer NOT NULL, updated_at bigint NOT NULL,
  PRIMARY KEY(school, upn));
CREATE TABLE imports(
  school text COLLATE "C" NOT NULL, id bigint NOT NULL, source text COLLATE "C" NOT NULL,
  origin text NOT NULL, fingerprint text COLLATE "C" NOT NULL, imported_at bigint NOT NULL,
  rows bigint NOT NULL, marks_added bigint NOT NULL, marks_amended bigint NOT NULL,
  priority integer NOT NULL, PRIMARY KEY(school, id), UNIQUE(school, source, fingerprint));
-- week: the Monday, in days since 1970-01-01; imports holds each session's imports.id (per school)
CREATE TABLE register_weeks(
  school text COLLATE "C" NOT NULL, upn text COLLATE "C" NOT NULL, week integer NOT NULL,
  codes bytea NOT NULL, imports bytea NOT NULL, extras text NOT NULL,
  PRIMARY KEY(school, upn, week));
CREATE TABLE amendments(
  school text COLLATE "C" NOT NULL, id bigserial, upn text COLLATE "C" NOT NULL,
  date text NOT NULL, session integer NOT NULL, old_code text NOT NULL, new_code text NOT NULL,
  old_source text NOT NULL, new_source text NOT NULL, amended_at bigint NOT NULL,
  PRIMARY KEY(school, id));
CREATE INDEX amendments_by_pupil ON amendments(school, upn, id);
CREATE TABLE registers_not_taken(
  school text COLLATE "C" NOT NULL, day integer NOT NULL, session integer NOT NULL,
  upn text COLLATE "C" NOT NULL, PRIMARY KEY(school, day, session, upn));
CREATE TABLE register_totals(
  school text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, value bigint NOT NULL,
  PRIMARY KEY(school, key));
CREATE TABLE attendance_totals(
  school text COLLATE "C" NOT NULL, source text COLLATE "C" NOT NULL,
  upn text COLLATE "C" NOT NULL, period text COLLATE "C" NOT NULL, period_from text,
  period_to text, possible integer NOT NULL, authorised integer NOT NULL,
  unauthorised integer NOT NULL, by_reason text NOT NULL, imported_at bigint NOT NULL,
  PRIMARY KEY(school, source, upn, period));
CREATE TABLE source_state(
  school text COLLATE "C" NOT NULL, source text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL, value text NOT NULL, updated_at bigint NOT NULL,
  PRIMARY KEY(school, source, key));
CREATE TABLE events(
  school text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, rule text NOT NULL,
  type text NOT NULL, upn text COLLATE "C" NOT NULL, episode text NOT NULL,
  occurred_on text COLLATE "C" NOT NULL, period_from text NOT NULL, period_to text NOT NULL,
  payload text NOT NULL,
  state text NOT NULL,      -- active | withdrawn | superseded | historical
  record_of text NOT NULL,  -- the event whose record at the destination this one updates
  revision bigint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
  PRIMARY KEY(school, id));
CREATE INDEX events_by_pupil ON events(school, upn, state);
-- times in the outbox are unix milliseconds
CREATE TABLE outbox(
  school text COLLATE "C" NOT NULL, seq bigserial, key text COLLATE "C" NOT NULL,
  sink text COLLATE "C" NOT NULL, event_id text COLLATE "C" NOT NULL,
  upn text COLLATE "C" NOT NULL, kind text NOT NULL, payload text NOT NULL,
  state text NOT NULL, attempts integer NOT NULL DEFAULT 0, created_at bigint NOT NULL,
  next_attempt_at bigint NOT NULL, last_error text NOT NULL DEFAULT '',
  reference text NOT NULL DEFAULT '', response text NOT NULL DEFAULT '', finished_at bigint,
  PRIMARY KEY(school, seq), UNIQUE(school, key));
CREATE INDEX outbox_due ON outbox(school, state, next_attempt_at);
CREATE INDEX outbox_by_pupil ON outbox(school, sink, upn, state, seq);
CREATE INDEX outbox_by_event ON outbox(school, event_id);
CREATE TABLE evaluation_checkpoints(
  school text COLLATE "C" NOT NULL, upn text COLLATE "C" NOT NULL, data bytea NOT NULL,
  PRIMARY KEY(school, upn));
-- admitted '' when the source does not say
CREATE TABLE on_roll(
  school text COLLATE "C" NOT NULL, upn text COLLATE "C" NOT NULL,
  admitted text COLLATE "C" NOT NULL, left_on text COLLATE "C", leaving_reason text NOT NULL,
  destination text NOT NULL, source text NOT NULL, updated_at bigint NOT NULL,
  PRIMARY KEY(school, upn, admitted));
CREATE TABLE on_roll_changes(
  school text COLLATE "C" NOT NULL, id bigserial, upn text COLLATE "C" NOT NULL,
  admitted text NOT NULL, old_left text, new_left text, old_reason text NOT NULL,
  new_reason text NOT NULL, old_destination text NOT NULL, new_destination text NOT NULL,
  change text NOT NULL,  -- added | amended
  source text NOT NULL, changed_at bigint NOT NULL, PRIMARY KEY(school, id));
CREATE INDEX on_roll_changes_by_pupil ON on_roll_changes(school, upn, id);
CREATE TABLE roll_seen(
  school text COLLATE "C" NOT NULL, upn text COLLATE "C" NOT NULL,
  source text COLLATE "C" NOT NULL, seen_at bigint NOT NULL, PRIMARY KEY(school, upn, source));
CREATE TABLE roll_listings(
  school text COLLATE "C" NOT NULL, source text COLLATE "C" NOT NULL, listed_at bigint NOT NULL,
  PRIMARY KEY(school, source, listed_at));
)sql",
    // 2: several workers (issue 18, item 3). The sync log: each sync of a school, by the worker
    // that held its lease (core/store/sync_lease.h), times in the server's unix ms; a run whose
    // worker died keeps finished_at NULL. Outbox claims: a worker takes the items it is about to
    // deliver, so another worker leaves them alone while the claimant's connection (its server
    // process, claimed_backend) lives, and at most until claimed_until (unix ms).
    R"sql(
CREATE TABLE sync_runs(
  school text COLLATE "C" NOT NULL, id bigserial, worker text NOT NULL, backend integer NOT NULL,
  what text NOT NULL, started_at bigint NOT NULL, finished_at bigint,
  outcome text NOT NULL DEFAULT '', PRIMARY KEY(school, id));
ALTER TABLE outbox ADD COLUMN claimed_by text NOT NULL DEFAULT '',
  ADD COLUMN claimed_backend integer NOT NULL DEFAULT 0,
  ADD COLUMN claimed_until bigint NOT NULL DEFAULT 0;
)sql",
    // 3: the kept year (core/store/postgres_register_read.h). register_changes, one row per
    // school, kept by statement triggers on register_weeks (so every writer of the register,
    // now or later, moves it): the earliest week a row was written in or deleted from since the
    // kept year was made (changed_from, NULL: none), the latest week ever written, a version
    // counted up by every such statement, and the weeks the kept year holds (kept_from to
    // kept_to, that week not included; NULL: none). register_years: each pupil's codes of those
    // weeks, 14 bytes a week as register_weeks.codes (packed many pupils a row since schema 7).
    // Weeks are Mondays in days since 1970.
    R"sql(
CREATE TABLE register_changes(
  school text COLLATE "C" NOT NULL PRIMARY KEY, changed_from integer, latest integer NOT NULL,
  version bigint NOT NULL, kept_from integer, kept_to integer);
CREATE TABLE register_years(
  school text COLLATE "C" NOT NULL, upn text COLLATE "C" NOT NULL, codes bytea NOT NULL,
  PRIMARY KEY(school, upn));
INSERT INTO register_changes(school, latest, version)
  SELECT school, max(week), 1 FROM register_weeks GROUP BY school;
-- The tables are named in the trigger's own schema (TG_TABLE_SCHEMA): whatever search_path the
-- writer has (a psql session fixing trust_a.register_weeks by hand), trust_a's are told.
CREATE FUNCTION register_weeks_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %I.register_changes AS r(school, changed_from, latest, version) '
    'SELECT school, min(week), max(week), 1 FROM changed_weeks GROUP BY school '
    'ON CONFLICT (school) DO UPDATE SET changed_from=LEAST(r.changed_from, '
    'EXCLUDED.changed_from), latest=GREATEST(r.latest, EXCLUDED.latest), '
    'version=r.version + 1', TG_TABLE_SCHEMA);
  RETURN NULL;
END $$;
CREATE FUNCTION register_weeks_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %I.register_changes AS r(school, changed_from, latest, version) '
    'SELECT school, min(week), max(week), 1 FROM (SELECT school, week FROM changed_weeks '
    'UNION ALL SELECT school, week FROM old_weeks) AS w GROUP BY school '
    'ON CONFLICT (school) DO UPDATE SET changed_from=LEAST(r.changed_from, '
    'EXCLUDED.changed_from), latest=GREATEST(r.latest, EXCLUDED.latest), '
    'version=r.version + 1', TG_TABLE_SCHEMA);
  RETURN NULL;
END $$;
CREATE FUNCTION register_weeks_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I.register_years', TG_TABLE_SCHEMA);
  EXECUTE format('UPDATE %I.register_changes SET changed_from=NULL, kept_from=NULL, '
    'kept_to=NULL, version=version + 1', TG_TABLE_SCHEMA);
  RETURN NULL;
END $$;
CREATE TRIGGER register_weeks_inserted AFTER INSERT ON register_weeks
  REFERENCING NEW TABLE AS changed_weeks FOR EACH STATEMENT
  EXECUTE FUNCTION register_weeks_changed();
CREATE TRIGGER register_weeks_updated AFTER UPDATE ON register_weeks
  REFERENCING OLD TABLE AS old_weeks NEW TABLE AS changed_weeks FOR EACH STATEMENT
  EXECUTE FUNCTION register_weeks_moved();
CREATE TRIGGER register_weeks_deleted AFTER DELETE ON register_weeks
  REFERENCING OLD TABLE AS changed_weeks FOR EACH STATEMENT
  EXECUTE FUNCTION register_weeks_changed();
CREATE TRIGGER register_weeks_truncated AFTER TRUNCATE ON register_weeks
  FOR EACH STATEMENT EXECUTE FUNCTION register_weeks_emptied();
)sql",
    // 4: roll sightings written only when a pupil's listing changes
    // (core/store/postgres_import.cpp, saveSightings): a NULL seen_at is "named by the source's
    // latest listing", so a source naming the same pupils again writes none of them.
    R"sql(
ALTER TABLE roll_seen ALTER COLUMN seen_at DROP NOT NULL;
)sql",
    // 5: room on each page of the checkpoints, rewritten at each day's first sync, for the new
    // version of a row beside the old (a "HOT" update: no new index entry, no new page).
    R"sql(
ALTER TABLE evaluation_checkpoints SET (fillfactor=50);
)sql",
    // 6: the register keyed by week before pupil. A register close reads and rewrites one week of
    // every pupil: under (school, upn, week) that is one index entry in each pupil's stretch of
    // the key (hundreds of pages a school, most outside the server's buffers in a trust's
    // database), under (school, week, upn) a few pages side by side. Reads by pupil look each
    // week up by the key (core/store/postgres_import.cpp), Monday by Monday: a week is a Monday
    // (days since 1970-01-01, a Thursday), which the table now checks, so no row (one fixed by
    // hand in psql) lies between the Mondays a read looks up.
    R"sql(
ALTER TABLE register_weeks DROP CONSTRAINT register_weeks_pkey,
  ADD PRIMARY KEY(school, week, upn),
  ADD CONSTRAINT register_weeks_week_is_a_monday CHECK (week % 7 = 4);
)sql",
    // 7: the kept year packed (core/store/postgres_register_read.h): a row holds many pupils'
    // codes (up to a megabyte's worth, in UPN order), which the server keeps compressed, instead
    // of a row each. The kept years of schema 3 are dropped, and every school's next read reads
    // its week rows and keeps its year again. lz4 where the server has it (PostgreSQL 14 on,
    // built with it, as Debian's is): it reads back many times faster than the default pglz.
    R"sql(
DROP TABLE register_years;
CREATE TABLE register_years(
  school text COLLATE "C" NOT NULL, part integer NOT NULL, pupils bytea NOT NULL,
  PRIMARY KEY(school, part));
UPDATE register_changes SET kept_from=NULL, kept_to=NULL, version=version + 1;
DO $$
BEGIN
  EXECUTE 'ALTER TABLE register_years ALTER COLUMN pupils SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
  NULL;  -- an older server, or one built without lz4: pglz, PostgreSQL's default
END $$;
)sql",
    // 8: the evaluation's checkpoints packed (core/store/postgres_checkpoints.h): a row holds
    // many pupils' checkpoints in UPN order and covers the UPNs from its first_upn to the next
    // row's. Each school's checkpoints become one row (its first write splits it into rows of
    // 64 KB); each entry as packed_entries.h packs it: the UPN's length (2 bytes), the UPN, the
    // checkpoint's length (4 bytes), the checkpoint.
    // The table locked first: a worker of the version before, left running, commits no
    // checkpoint between the copy's snapshot and the DROP.
    R"sql(
LOCK TABLE evaluation_checkpoints IN ACCESS EXCLUSIVE MODE;
CREATE TABLE evaluation_checkpoint_rows(
  school text COLLATE "C" NOT NULL, first_upn text COLLATE "C" NOT NULL, pupils bytea NOT NULL,
  PRIMARY KEY(school, first_upn));
INSERT INTO evaluation_checkpoint_rows(school, first_upn, pupils)
  SELECT school, min(upn), string_agg(int2send(octet_length(convert_to(upn, 'UTF8'))::smallint) ||
    convert_to(upn, 'UTF8') || int4send(octet_length(data)) || data, ''::bytea ORDER BY upn)
  FROM evaluation_checkpoints GROUP BY school;
DROP TABLE evaluation_checkpoints;
ALTER TABLE evaluation_checkpoint_rows RENAME TO evaluation_checkpoints;
ALTER INDEX evaluation_checkpoint_rows_pkey RENAME TO evaluation_checkpoints_pkey;
DO $$
BEGIN
  EXECUTE 'ALTER TABLE evaluation_checkpoints ALTER COLUMN pupils SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
  NULL;  -- an older server, or one built without lz4: pglz, PostgreSQL's default
END $$;
)sql",
};

// Any fixed number: the key of the advisory lock migrations take (pg_advisory_xact_lock).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7261302854190731)";

}  // namespace

int postgresSchemaVersion() {
  return static_cast<int>(std::size(kMigrations));
}

void migratePostgresSchema(PgConnection& db, int upTo) {
  for (;;) {
    PgTransaction tx(db);
    db.exec(kMigrationLock, "wait for another process's migration of the store's tables");
    db.exec("CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)",
            "create the schema_version table");
    PgStatement version(db, "SELECT version FROM schema_version", "read the schema version");
    int current = version.step() ? static_cast<int>(version.integer(0)) : -1;
    version.reset();
    if (current < 0) {
      PgStatement first(db, "INSERT INTO schema_version(version) VALUES(0)",
                        "start the schema version");
      first.run();
      current = 0;
    }
    if (current >= postgresSchemaVersion() || current >= upTo) {
      tx.commit();  // the schema_version table, if this was a new database
      return;
    }
    db.exec(kMigrations[current],
            "migrate the store's tables to schema " + std::to_string(current + 1));
    PgStatement next(db, "UPDATE schema_version SET version=$1", "record the schema version");
    next.bind(1, int64_t{current + 1}).run();
    tx.commit();
  }
}

}  // namespace markbridge
