#include "core/store/postgres_import.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "core/store/import_merge.h"
#include "core/store/register_week.h"
#include "core/store/store_rows.h"

namespace markbridge {

void lockSchoolForWriting(PgConnection& db, const std::string& school) {
  PgStatement lock(db, "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))",
                   "wait for the school's other writer (an import or an evaluation)");
  lock.bind(1, school).run();
}

namespace {

struct ImportInfo {
  std::string source;
  int64_t imported_at = 0;
  int priority = 0;
};

// The part's weeks: as stored (or new), then with its marks laid over them.
struct WeekKey {
  std::string upn;
  int32_t monday;
  bool operator<(const WeekKey& o) const {
    return upn != o.upn ? upn < o.upn : monday < o.monday;  // the primary key's order
  }
};
struct LoadedWeek {
  RegisterWeek week;
  bool stored = false;  // a row exists (written before this part, or by an earlier part)
  bool dirty = false;
};

// Writes marks into week rows (core/store/register_week.h) exactly as the SQLite store's writer
// does (core/store/sqlite_import.cpp holds the rules, commented): a new mark is added, the same
// code changes nothing, a blank never erases a taken mark, a source of lower priority is not
// applied, any other change is an amendment.
//
// Two round trips per week row would hold a year's import to a few thousand rows a second, so
// each part (up to BatchBuilder::kPartMarks marks) reads each of its pupils' stored weeks in one
// query per pupil, lays its marks over them in memory, and writes the weeks it changed back
// through COPY (new weeks straight into register_weeks, changed ones through a temporary table
// and one UPDATE).
class PostgresImportWriter final : public ImportWriter {
 public:
  PostgresImportWriter(PgConnection& db, std::string school, int64_t now)
      : db_(db),
        school_(std::move(school)),
        now_(now),
        tx_(db),
        findPupil_(
            db, std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE school=$1 AND upn=$2",
            "read a pupil"),
        upsertPupil_(db,
                     "INSERT INTO pupils(school, upn, mis_id, forename, surname, dob, year_group, "
                     "reg_group, flags, updated_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON "
                     "CONFLICT(school, upn) DO UPDATE SET mis_id=$3, forename=$4, surname=$5, "
                     "dob=$6, year_group=$7, reg_group=$8, flags=$9, updated_at=$10",
                     "write a pupil"),
        readWeeks_(
            db,
            "SELECT week, codes, imports, extras FROM register_weeks WHERE school=$1 AND upn=$2 "
            "AND week BETWEEN $3 AND $4",
            "read the weeks of the register an import changes"),
        amend_(db,
               "INSERT INTO amendments(school, upn, date, session, old_code, new_code, old_source, "
               "new_source, amended_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
               "record an amended mark"),
        notTaken_(db,
                  "INSERT INTO registers_not_taken(school, day, session, upn) VALUES($1,$2,$3,$4) "
                  "ON CONFLICT DO NOTHING",
                  "record a register not taken"),
        taken_(db,
               "DELETE FROM registers_not_taken WHERE school=$1 AND day=$2 AND session=$3 AND "
               "upn=$4",
               "record a register taken"),
        readRoll_(db,
                  std::string("SELECT ") + kOnRollColumns +
                      " FROM on_roll WHERE school=$1 AND upn=$2 ORDER BY admitted",
                  "read a pupil's on-roll periods"),
        writeRoll_(db,
                   "INSERT INTO on_roll(school, upn, admitted, left_on, leaving_reason, "
                   "destination, source, updated_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON "
                   "CONFLICT(school, upn, admitted) DO UPDATE SET left_on=$4, leaving_reason=$5, "
                   "destination=$6, source=$7, updated_at=$8",
                   "write an on-roll period"),
        rollChanged_(db,
                     "INSERT INTO on_roll_changes(school, upn, admitted, old_left, new_left, "
                     "old_reason, new_reason, old_destination, new_destination, change, source, "
                     "changed_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                     "record a change to an on-roll period"),
        importOf_(db, "SELECT source, imported_at, priority FROM imports WHERE school=$1 AND id=$2",
                  "read which import wrote a mark") {
    lockSchoolForWriting(db_, school_);
    PgStatement any(db_, "SELECT EXISTS(SELECT 1 FROM on_roll WHERE school=$1)",
                    "look for on-roll data");
    any.bind(1, school_);
    hasRoll_ = any.step() && any.integer(0) != 0;
  }

  void add(const ImportBatch& part, ImportOutcome& outcome) override {
    if (!part.ok())
      throw StoreError("refusing a batch with problems: " + part.problems.front().str());
    if (importId_ == 0) open(part);
    for (const auto& pupil : part.pupils) named_.push_back(pupil.upn);
    for (const auto& mark : part.marks)
      if (named_.empty() || named_.back() != mark.upn) named_.push_back(mark.upn);
    savePupils(part, outcome);
    saveOnRoll(part, outcome);
    saveTotals(part);
    if (part.marks.empty()) return;
    loadWeeks(part);
    LoadedWeek* week = nullptr;  // the last mark's: a pupil's marks mostly come together
    const Mark* previous = nullptr;
    for (const auto& mark : part.marks) {
      Date monday = mark.date.monday();
      if (!previous || previous->upn != mark.upn || previous->date.monday() != monday)
        week = &weeks_[WeekKey{mark.upn, monday.days()}];
      apply(mark, monday, *week, outcome);
      previous = &mark;
    }
    saveWeeks();
  }

  void commit(const ImportBatch& summary, ImportOutcome& outcome) override {
    if (importId_ == 0) open(summary);
    PgStatement record(db_,
                       "UPDATE imports SET origin=$3, fingerprint=$4, rows=$5, marks_added=$6, "
                       "marks_amended=$7 WHERE school=$1 AND id=$2",
                       "record the import");
    record.bind(1, school_)
        .bind(2, int64_t{importId_})
        .bind(3, summary.origin)
        .bind(4, summary.fingerprint);
    record.bind(5, int64_t{summary.rows}).bind(6, int64_t{outcome.marks_added});
    record.bind(7, int64_t{outcome.marks_amended}).run();
    PgStatement totals(db_,
                       "INSERT INTO register_totals(school, key, value) VALUES($1,$2,$3) ON "
                       "CONFLICT(school, key) DO UPDATE SET value=register_totals.value+$3",
                       "count the register's marks");
    totals.bind(1, school_).bind(2, std::string_view("marks")).bind(3, marksDelta_).run();
    totals.bind(1, school_).bind(2, std::string_view("not_taken")).bind(3, notTakenDelta_).run();
    PgStatement remember(db_,
                         "INSERT INTO source_state(school, source, key, value, updated_at) "
                         "VALUES($1,$2,$3,$4,$5) ON CONFLICT(school, source, key) DO UPDATE SET "
                         "value=$4, updated_at=$5",
                         "remember what the source kept");
    for (const auto& [key, value] : summary.source_state)
      remember.bind(1, school_)
          .bind(2, summary.source)
          .bind(3, key)
          .bind(4, value)
          .bind(5, now_)
          .run();
    saveSightings(summary.source);
    tx_.commit();
  }

 private:
  // The import's row comes first, so each mark can name it; commit() fills in the rest. Its id
  // counts this school's imports (the school's write lock is held), so it fits the week rows'
  // 32-bit import ids however many schools the database holds.
  void open(const ImportBatch& batch) {
    PgStatement insert(db_,
                       "INSERT INTO imports(school, id, source, origin, fingerprint, imported_at, "
                       "rows, marks_added, marks_amended, priority) VALUES($1, (SELECT "
                       "COALESCE(MAX(id), 0) + 1 FROM imports WHERE school=$1), $2, '', $3, $4, "
                       "0, 0, 0, $5) RETURNING id",
                       "record the start of an import");
    insert.bind(1, school_).bind(2, batch.source);
    insert.bind(3, "(importing) " + std::to_string(now_) + " " + batch.origin);
    insert.bind(4, now_).bind(5, int64_t{batch.priority});
    if (!insert.step()) throw StoreError(db_.where() + ": the import's row was not written");
    importId_ = static_cast<uint32_t>(insert.integer(0));
    insert.reset();
    priority_ = batch.priority;
    imports_[importId_] = ImportInfo{batch.source, now_, batch.priority};
  }

  const ImportInfo& importAt(uint32_t id) {
    auto found = imports_.find(id);
    if (found != imports_.end()) return found->second;
    importOf_.bind(1, school_).bind(2, int64_t{id});
    ImportInfo info;
    if (importOf_.step())
      info = ImportInfo{importOf_.text(0), importOf_.integer(1),
                        static_cast<int>(importOf_.integer(2))};
    importOf_.reset();
    return imports_.emplace(id, std::move(info)).first->second;
  }

  // Every stored week of the part's pupils between its first and last mark's weeks: all the
  // rows its marks can fall in (and a few they do not, left untouched). One read per pupil, by
  // the key's leading columns: a list of pupils in one statement is planned from statistics
  // that say "empty" during a school's first import, and scanned every week written so far.
  void loadWeeks(const ImportBatch& part) {
    weeks_.clear();
    std::vector<std::string_view> upns;
    int32_t first = part.marks.front().date.monday().days(), last = first;
    for (const auto& mark : part.marks) {
      if (upns.empty() || upns.back() != mark.upn) upns.push_back(mark.upn);
      first = std::min(first, mark.date.monday().days());
      last = std::max(last, mark.date.monday().days());
    }
    std::sort(upns.begin(), upns.end());
    upns.erase(std::unique(upns.begin(), upns.end()), upns.end());
    for (auto upn : upns) {
      readWeeks_.bind(1, school_).bindView(2, upn);
      readWeeks_.bind(3, int64_t{first}).bind(4, int64_t{last});
      while (readWeeks_.step()) {
        auto& week = weeks_[WeekKey{std::string(upn), static_cast<int32_t>(readWeeks_.integer(0))}];
        week.week =
            RegisterWeek::decode(readWeeks_.blob(1), readWeeks_.blob(2), readWeeks_.blob(3));
        week.stored = true;
      }
      readWeeks_.reset();
    }
  }

  void saveWeeks() {
    PgCopyRows added, changed;
    for (const auto& [key, week] : weeks_) {
      if (!week.dirty) continue;
      auto& rows = week.stored ? changed : added;
      rows.row(6);
      rows.bytes(school_);
      rows.bytes(key.upn);
      rows.integer(key.monday);
      rows.bytes(week.week.codesBlob());
      rows.bytes(week.week.importsBlob());
      rows.bytes(week.week.extrasText());
    }
    weeks_.clear();
    if (added.rows() > 0)
      db_.copyIn(
          "COPY register_weeks(school, upn, week, codes, imports, extras) FROM STDIN (FORMAT "
          "binary)",
          added.finish(), "write the new weeks of the register");
    if (changed.rows() == 0) return;
    db_.exec(
        "CREATE TEMP TABLE IF NOT EXISTS changed_weeks(school text COLLATE \"C\", upn text "
        "COLLATE \"C\", week integer, codes bytea, imports bytea, extras text) ON COMMIT DELETE "
        "ROWS",
        "make the table the changed weeks of the register go through");
    db_.copyIn(
        "COPY changed_weeks(school, upn, week, codes, imports, extras) FROM STDIN (FORMAT binary)",
        changed.finish(), "send the changed weeks of the register");
    // Counted, so the UPDATE looks each one up by key rather than reading the whole register.
    db_.exec("ANALYZE changed_weeks", "count the changed weeks of the register");
    db_.exec(
        "UPDATE register_weeks w SET codes=c.codes, imports=c.imports, extras=c.extras FROM "
        "changed_weeks c WHERE w.school=c.school AND w.upn=c.upn AND w.week=c.week; TRUNCATE "
        "changed_weeks",
        "write the changed weeks of the register");
  }

  void apply(const Mark& mark, Date monday, LoadedWeek& week, ImportOutcome& outcome) {
    const std::string& upn = mark.upn;
    if (hasRoll_ && !isOnRoll(periodsOf(upn), mark.date)) {
      if (mark.code.isNotTaken()) {
        ++outcome.marks_unchanged;
        return;
      }
      ++outcome.marks_off_roll;
      if (!outcome.first_off_roll || mark.date < *outcome.first_off_roll)
        outcome.first_off_roll = mark.date;
    }
    auto& slot =
        week.week
            .slots[static_cast<std::size_t>(RegisterWeek::slotOf(mark.date, mark.session, monday))];
    auto code = static_cast<uint8_t>(mark.code.index() + 1);
    if (!slot.empty()) {
      const auto& was = importAt(slot.import);
      if (slot.code == code || mark.code.isNotTaken()) {
        ++outcome.marks_unchanged;
        return;
      }
      Code old = codeOfSlot(slot.code);
      if (priority_ < was.priority) {
        ++outcome.marks_not_applied;
        if (outcome.not_applied.size() < ImportOutcome::kNotAppliedListed)
          outcome.not_applied.push_back(MarkNotApplied{upn, mark.date, mark.session,
                                                       std::string(mark.code.str()),
                                                       std::string(old.str()), was.source});
        return;
      }
      amend_.bind(1, school_).bindView(2, upn).bind(3, mark.date.iso());
      amend_.bind(4, static_cast<int64_t>(mark.session)).bindView(5, old.str());
      amend_.bindView(6, mark.code.str()).bind(7, was.source).bindView(8, mark.source);
      amend_.bind(9, now_).run();
      if (old.isNotTaken()) notTakenChanged(mark, false);
      ++outcome.marks_amended;
    } else {
      ++marksDelta_;
      if (mark.code.isNotTaken()) notTakenChanged(mark, true);
      ++outcome.marks_added;
    }
    slot.code = code;
    slot.import = importId_;
    slot.source_code = mark.source_code == mark.code.str() ? std::string() : mark.source_code;
    slot.minutes_late = mark.minutes_late;
    week.dirty = true;
  }

  void notTakenChanged(const Mark& mark, bool nowNotTaken) {
    auto& statement = nowNotTaken ? notTaken_ : taken_;
    statement.bind(1, school_).bind(2, int64_t{mark.date.days()});
    statement.bind(3, static_cast<int64_t>(mark.session)).bindView(4, mark.upn).run();
    notTakenDelta_ += nowNotTaken ? 1 : -1;
  }

  void saveTotals(const ImportBatch& batch) {
    if (batch.totals.empty()) return;
    PgStatement save(db_,
                     "INSERT INTO attendance_totals(school, source, upn, period, period_from, "
                     "period_to, possible, authorised, unauthorised, by_reason, imported_at) "
                     "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT(school, source, upn, "
                     "period) DO UPDATE SET period_from=$5, period_to=$6, possible=$7, "
                     "authorised=$8, unauthorised=$9, by_reason=$10, imported_at=$11",
                     "write a pupil's census totals");
    for (const auto& t : batch.totals) {
      save.bind(1, school_).bind(2, t.source).bind(3, t.upn).bind(4, t.period);
      t.from ? void(save.bind(5, t.from->iso())) : void(save.bindNull(5));
      t.to ? void(save.bind(6, t.to->iso())) : void(save.bindNull(6));
      save.bind(7, int64_t{t.possible}).bind(8, int64_t{t.authorised});
      save.bind(9, int64_t{t.unauthorised});
      save.bind(10, nlohmann::json(t.by_reason).dump()).bind(11, now_).run();
    }
  }

  const std::vector<OnRollPeriod>& periodsOf(const std::string& upn) {
    if (!rollLoaded_ || rollUpn_ != upn) {
      rollUpn_ = upn;
      roll_.clear();
      readRoll_.bind(1, school_).bindView(2, rollUpn_);
      while (readRoll_.step()) roll_.push_back(readOnRollPeriod(readRoll_, 0));
      readRoll_.reset();
      rollLoaded_ = true;
    }
    return roll_;
  }

  // Each record laid over the pupil's stored periods (planOnRoll, core/store/import_merge.h).
  void saveOnRoll(const ImportBatch& batch, ImportOutcome& outcome) {
    for (const auto& record : batch.on_roll) {
      auto change = planOnRoll(periodsOf(record.upn), record);
      if (!change) continue;
      const auto& now = change->now;
      const auto& was = change->was;
      auto key = onRollKey(now.admitted);
      writeRoll_.bind(1, school_).bind(2, record.upn).bind(3, key);
      now.left ? void(writeRoll_.bind(4, now.left->iso())) : void(writeRoll_.bindNull(4));
      writeRoll_.bind(5, now.leaving_reason).bind(6, now.destination).bind(7, batch.source);
      writeRoll_.bind(8, now_).run();
      rollChanged_.bind(1, school_).bind(2, record.upn).bind(3, key);
      was && was->left ? void(rollChanged_.bind(4, was->left->iso()))
                       : void(rollChanged_.bindNull(4));
      now.left ? void(rollChanged_.bind(5, now.left->iso())) : void(rollChanged_.bindNull(5));
      rollChanged_.bind(6, was ? was->leaving_reason : std::string()).bind(7, now.leaving_reason);
      rollChanged_.bind(8, was ? was->destination : std::string()).bind(9, now.destination);
      rollChanged_.bind(10, std::string_view(was ? "amended" : "added")).bind(11, batch.source);
      rollChanged_.bind(12, now_).run();
      ++(was ? outcome.on_roll_amended : outcome.on_roll_added);
      hasRoll_ = true;
      rollLoaded_ = false;
    }
  }

  void savePupils(const ImportBatch& batch, ImportOutcome& outcome) {
    for (const auto& incoming : batch.pupils) {
      findPupil_.bind(1, school_).bind(2, incoming.upn);
      std::optional<Pupil> existing;
      if (findPupil_.step()) existing = readPupil(findPupil_);
      findPupil_.reset();
      auto [merged, changed, repaired] = mergePupil(existing, incoming, batch.has_flags);
      if (!repaired.empty())
        namedLogger("store")->warn("pupil {}: {} from {} not valid UTF-8; stored with U+FFFD",
                                   maskUpn(merged.upn), repaired, batch.source);
      if (!changed) continue;
      upsertPupil_.bind(1, school_).bind(2, merged.upn).bind(3, merged.mis_id);
      upsertPupil_.bind(4, merged.forename).bind(5, merged.surname);
      if (merged.dob)
        upsertPupil_.bind(6, merged.dob->iso());
      else
        upsertPupil_.bindNull(6);
      upsertPupil_.bind(7, merged.year_group).bind(8, merged.reg_group);
      upsertPupil_.bind(9, int64_t{packFlags(merged.flags)}).bind(10, now_).run();
      ++(existing ? outcome.pupils_updated : outcome.pupils_added);
    }
  }

  void saveSightings(const std::string& source) {
    if (named_.empty()) return;
    std::sort(named_.begin(), named_.end());
    named_.erase(std::unique(named_.begin(), named_.end()), named_.end());
    PgStatement seen(db_,
                     "INSERT INTO roll_seen(school, upn, source, seen_at) VALUES($1,$2,$3,$4) ON "
                     "CONFLICT(school, upn, source) DO UPDATE SET seen_at=$4",
                     "record who the import named");
    for (const auto& upn : named_)
      seen.bind(1, school_).bind(2, upn).bind(3, source).bind(4, now_).run();
    PgStatement listed(db_,
                       "INSERT INTO roll_listings(school, source, listed_at) VALUES($1,$2,$3) ON "
                       "CONFLICT DO NOTHING",
                       "record that the source listed pupils");
    listed.bind(1, school_).bind(2, source).bind(3, now_).run();
    named_.clear();
  }

  PgConnection& db_;
  std::string school_;
  int64_t now_;
  PgTransaction tx_;
  PgStatement findPupil_, upsertPupil_, readWeeks_, amend_, notTaken_, taken_;
  PgStatement readRoll_, writeRoll_, rollChanged_, importOf_;
  std::unordered_map<uint32_t, ImportInfo> imports_;
  bool hasRoll_ = false, rollLoaded_ = false;
  std::vector<std::string> named_;
  std::string rollUpn_;
  std::vector<OnRollPeriod> roll_;
  uint32_t importId_ = 0;
  int priority_ = 0;
  std::map<WeekKey, LoadedWeek> weeks_;
  int64_t marksDelta_ = 0, notTakenDelta_ = 0;
};

}  // namespace

std::unique_ptr<ImportWriter> makePostgresImportWriter(PgConnection& db, const std::string& school,
                                                       int64_t now) {
  return std::make_unique<PostgresImportWriter>(db, school, now);
}

}  // namespace markbridge
