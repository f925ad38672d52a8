#include "core/store/postgres_import.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
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

// The part's weeks: as stored (or new), then with its marks laid over them. By pupil, then by
// Monday (days since 1970-01-01): a pupil's marks, which mostly come together, find their weeks
// without comparing pupil numbers again.
struct LoadedWeek {
  RegisterWeek week;
  bool stored = false;  // a row exists (written before this part, or by an earlier part)
  bool dirty = false;
};
using PupilWeeks = std::map<int32_t, LoadedWeek>;
using PartWeeks = std::map<std::string, PupilWeeks, std::less<>>;

// The start of the import's reads: their own statements, planned inside its transactions only
// (see the writer's constructor).
constexpr const char* kImportRead = "/* import */ SELECT ";

// Writes marks into week rows (core/store/register_week.h) exactly as the SQLite store's writer
// does (core/store/sqlite_import.cpp holds the rules, commented): a new mark is added, the same
// code changes nothing, a blank never erases a taken mark, a source of lower priority is not
// applied, any other change is an amendment.
//
// Two round trips per week row would hold a year's import to a few thousand rows a second, so
// each part (up to BatchBuilder::kPartMarks marks) reads its pupils and their stored weeks by key
// in one statement each (a key lookup for each, or one range of the key when the part names a
// quarter of the school or more: one round trip for the part, see readsRange), lays its marks over
// them in memory, and writes back through COPY: new weeks straight into register_weeks, without
// waiting for the server (it writes them while the next part is laid), changed weeks and pupils
// as arrays through one INSERT ... ON CONFLICT DO UPDATE (upsertArrays), amendments straight
// into theirs. A school's first import reads nothing it did not write itself.
class PostgresImportWriter final : public ImportWriter {
 public:
  PostgresImportWriter(PgConnection& db, std::string school, int64_t now)
      : db_(db),
        school_(std::move(school)),
        now_(now),
        tx_(db),
        findPupils_(db,
                    std::string(kImportRead) +
                        "p.* FROM unnest($2::text[]) AS u(upn) CROSS JOIN "
                        "LATERAL (SELECT " +
                        kPupilColumns + " FROM pupils WHERE school=$1 AND upn=u.upn OFFSET 0) AS p",
                    "read the pupils an import names"),
        readPupilRange_(db,
                        std::string(kImportRead) + kPupilColumns +
                            " FROM pupils WHERE school=$1 AND upn BETWEEN $2 AND $3",
                        "read the pupils an import names"),
        readWeeks_(db,
                   std::string(kImportRead) +
                       "u.upn, w.* FROM unnest($3::integer[]) AS d(week) "
                       "CROSS JOIN unnest($2::text[]) AS u(upn) CROSS JOIN LATERAL (SELECT week, "
                       "codes, imports, extras FROM register_weeks WHERE school=$1 AND "
                       "week=d.week AND upn=u.upn OFFSET 0) AS w",
                   "read the weeks of the register an import changes"),
        readWeekRange_(db,
                       std::string(kImportRead) +
                           "upn, week, codes, imports, extras FROM register_weeks WHERE "
                           "school=$1 AND week=ANY($4::integer[]) AND upn BETWEEN $2 AND $3",
                       "read the weeks of the register an import changes"),
        markNotTaken_(
            db,
            "INSERT INTO registers_not_taken(school, day, session, upn) VALUES($1,$2,$3,$4) "
            "ON CONFLICT DO NOTHING",
            "record a register not taken"),
        markTaken_(db,
                   "DELETE FROM registers_not_taken WHERE school=$1 AND day=$2 AND session=$3 AND "
                   "upn=$4",
                   "record a register taken"),
        readRoll_(db,
                  std::string(kImportRead) + kOnRollColumns +
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
        importOf_(db,
                  std::string(kImportRead) +
                      "source, imported_at, priority FROM imports WHERE school=$1 AND id=$2",
                  "read which import wrote a mark") {
    lockSchoolForWriting(db_, school_);
    // The statistics know nothing of what this transaction writes: a school's register may hold
    // a few rows when its year's file comes in, and a read prepared then is planned, and its plan
    // kept, as a scan of the whole table, once per pupil as the table grows (quadratic: checked
    // with EXPLAIN). Every read here is by key, so the planner is told to use the key, for this
    // transaction only; the reads' statements are the import's own (kImportRead), so no plan made
    // elsewhere is reused. JIT off with it: a plan made to avoid a scan it cannot (the arrays an
    // upsert reads) carries a cost that would set JIT compiling a two-line INSERT.
    db_.exec("SET LOCAL enable_seqscan = off; SET LOCAL jit = off",
             "tell the planner to read by key");
    PgStatement start(db_,
                      "SELECT EXISTS(SELECT 1 FROM on_roll WHERE school=$1), EXISTS(SELECT 1 "
                      "FROM register_weeks WHERE school=$1), (SELECT count(*) FROM pupils WHERE "
                      "school=$1)",
                      "look for the school's on-roll data, register and pupils");
    start.bind(1, school_);
    if (start.step()) {
      hasRoll_ = start.integer(0) != 0;
      weeksAtStart_ = start.integer(1) != 0;
      pupilsKnown_ = static_cast<std::size_t>(start.integer(2));
    }
    pupilsAtStart_ = pupilsKnown_ > 0;
  }

  void add(const ImportBatch& part, ImportOutcome& outcome) override {
    if (!part.ok())
      throw StoreError("refusing a batch with problems: " + part.problems.front().str());
    if (importId_ == 0) open(part);
    for (const auto& pupil : part.pupils) named_.push_back(pupil.upn);
    // Where each run of one pupil's marks starts (and one past the end).
    std::vector<std::size_t> runs;
    for (std::size_t i = 0; i < part.marks.size(); ++i)
      if (i == 0 || part.marks[i].upn != part.marks[i - 1].upn) {
        runs.push_back(i);
        named_.push_back(part.marks[i].upn);
      }
    runs.push_back(part.marks.size());
    saveOnRoll(part, outcome);
    saveTotals(part);
    if (!part.marks.empty()) {
      loadWeeks(part, runs);
      for (std::size_t r = 0; r + 1 < runs.size(); ++r) {
        auto& pupilWeeks = weeks_[part.marks[runs[r]].upn];
        LoadedWeek* week = nullptr;  // the last mark's
        int32_t weekOf = 0;
        for (std::size_t i = runs[r]; i < runs[r + 1]; ++i) {
          const auto& mark = part.marks[i];
          Date monday = mark.date.monday();
          if (!week || weekOf != monday.days()) {
            weekOf = monday.days();
            week = &pupilWeeks[weekOf];
          }
          apply(mark, monday, *week, outcome);
        }
      }
    }
    // The pupils after the marks: in a first import the server is still writing the part
    // before's weeks (saveWeeks) while the marks are laid, and this is the first wait for it.
    savePupils(part, outcome);
    if (!part.marks.empty()) saveWeeks(&part.marks.back().upn);
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
    saveWeeks(nullptr);  // the weeks held back from the last part
    writeTrailing(INT32_MIN, INT32_MAX);
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

  // The stored rows of the part's pupils in the weeks its marks fall in: all the rows its marks
  // can fall in (and a few they do not, left untouched), in one statement that looks each week
  // of each pupil up by the key, week by week (the key's order: a register close's thousand
  // lookups of one week read a few pages side by side): a lateral subquery per row, whose plan
  // is a key lookup whatever the statistics say (a plain `upn = ANY(...)` may be planned, and
  // the plan kept, as a scan of the whole school's rows when they were few: quadratic as the
  // first import grows). Or, when the part names many of the school's pupils (readsRange), one
  // range of the key for each week, from its first UPN to its last: never planned as a scan
  // with `enable_seqscan` off for the transaction (the constructor), only as a walk of the
  // key, or a bitmap of it (any order of rows is read right). A school that had no register
  // when the import began (its first import) has only the weeks this import wrote: only its
  // pupils already written are read. The
  // weeks of the last part's last pupil were held back (saveWeeks) and are newer than any
  // stored: in a file sorted by pupil, the one a part boundary cuts is read from nowhere.
  void loadWeeks(const ImportBatch& part, const std::vector<std::size_t>& runs) {
    weeks_ = std::move(heldBack_);
    heldBack_.clear();
    std::vector<std::string_view> upns;
    std::vector<int32_t> mondays;  // the weeks the part's marks fall in, each once
    for (const auto& mark : part.marks) {
      const int32_t monday = mark.date.monday().days();
      if (mondays.empty() || mondays.back() != monday) mondays.push_back(monday);
    }
    std::sort(mondays.begin(), mondays.end());
    mondays.erase(std::unique(mondays.begin(), mondays.end()), mondays.end());
    for (std::size_t r = 0; r + 1 < runs.size(); ++r) {
      std::string_view upn = part.marks[runs[r]].upn;
      if (weeksAtStart_ || written_.count(upn)) upns.push_back(upn);
    }
    std::sort(upns.begin(), upns.end());
    upns.erase(std::unique(upns.begin(), upns.end()), upns.end());
    if (upns.empty()) return;
    // The trailing rows are written before a read that may look for them.
    for (auto upn : upns)
      if (trailing_.upns.count(upn)) {
        writeTrailing(INT32_MIN, INT32_MAX);
        break;
      }
    const bool range = weeksAtStart_ && readsRange(upns.size());
    auto& read = range ? readWeekRange_ : readWeeks_;
    read.bind(1, school_);
    if (range) {
      read.bindView(2, upns.front()).bindView(3, upns.back());
      read.bindTextForm(4, pgIntegerArray(mondays));
    } else {
      read.bindTextForm(2, pgTextArray(upns)).bindTextForm(3, pgIntegerArray(mondays));
    }
    PupilWeeks* pupilWeeks = nullptr;
    std::string_view pupil;
    while (read.step()) {
      const auto upn = read.textView(0);
      if (!pupilWeeks || upn != pupil) {
        pupilWeeks = nullptr;
        if (range && !std::binary_search(upns.begin(), upns.end(), upn)) continue;
        auto at = weeks_.find(upn);
        if (at == weeks_.end()) at = weeks_.emplace(read.text(0), PupilWeeks()).first;
        pupilWeeks = &at->second;
        pupil = at->first;
      }
      auto [at, added] = pupilWeeks->try_emplace(static_cast<int32_t>(read.integer(1)));
      if (!added) continue;  // held back: what this import made of it
      at->second.week = RegisterWeek::decode(read.blob(2), read.blob(3), read.blob(4));
      at->second.stored = true;
    }
    read.reset();
  }

  // Whether the part's `named` pupils (its pupils, or those of its marks, each once) are read as
  // one range of the key (for each week), from the first UPN to the last, rather than looked up
  // one by one: when they are at least a quarter of the school's pupils (a register close's
  // file names them all). A range of the key is read in the key's order, a few pages side by
  // side, where each lookup walks the index from its root (1,000 lookups: about twice the
  // server's time of the range, measured); the rows of pupils between the first and last that
  // the part does not name are read and passed over (about three for each it names at most,
  // unless the register holds many pupils the pupils table does not: a cost, never a wrong
  // read). Only in a school that had pupils when the import began: in a first import the rows
  // are this import's own, and a file not sorted by pupil would read them all again at each
  // part.
  bool readsRange(std::size_t named) const {
    return pupilsAtStart_ && named * 4 >= pupilsKnown_ + added_;
  }

  // Writes the part's changes: registers (not) taken, amendments, changed weeks (as arrays
  // through one INSERT ... ON CONFLICT DO UPDATE, whose plan is a key lookup per row whatever
  // the statistics say), then the new weeks by COPY, which the server writes while the
  // next part is read and laid (copyInAsync). The weeks of `holdBack`, the part's last pupil,
  // are kept for the next part, where that pupil's marks most likely go on (nullptr: none).
  void saveWeeks(const std::string* holdBack) {
    if (holdBack) {
      if (auto held = weeks_.find(*holdBack); held != weeks_.end())
        heldBack_.insert(weeks_.extract(held));
    } else {
      weeks_.merge(heldBack_);
    }
    if (!notTaken_.empty()) {
      PgPipeline writes(db_);
      for (const auto& change : notTaken_) {
        auto& statement = change.now ? markNotTaken_ : markTaken_;
        statement.bind(1, school_).bind(2, int64_t{change.day});
        statement.bind(3, static_cast<int64_t>(change.session)).bindView(4, *change.upn);
        writes.queue(statement);
      }
      writes.sync();
      notTaken_.clear();
    }
    if (amended_.rows() > 0) {
      db_.copyIn(
          "COPY amendments(school, upn, date, session, old_code, new_code, old_source, "
          "new_source, amended_at) FROM STDIN (FORMAT binary)",
          amended_.finish(), "record the amended marks");
      amended_ = PgCopyRows();
    }
    using Type = PgArrayRows::Type;
    PgCopyRows added;
    PgArrayRows changed(
        {Type::Text, Type::Text, Type::Integer, Type::Bytea, Type::Bytea, Type::Text});
    for (const auto& [upn, pupilWeeks] : weeks_)
      for (const auto& [monday, week] : pupilWeeks)
        if (week.dirty && !week.stored) newest_ = std::max(newest_, monday);
    writeTrailing(INT32_MIN, newest_ - kTrailingDays);  // no longer among the newest
    if (trailing_.rows() > kTrailingRowsAtMost) writeTrailing(INT32_MIN, INT32_MAX);
    for (const auto& [upn, pupilWeeks] : weeks_) {
      bool wroteNew = false;
      for (const auto& [monday, week] : pupilWeeks) {
        if (!week.dirty) continue;
        if (week.stored) {
          writeWeek(changed, upn, monday, week.week);
          continue;
        }
        bool trails = monday > newest_ - kTrailingDays;
        if (trails) trailing_.upns.emplace(upn);
        writeWeek(trails ? trailing_.weeks[monday] : added, upn, monday, week.week);
        wroteNew = true;
      }
      if (wroteNew && !weeksAtStart_) written_.insert(upn);
    }
    weeks_.clear();
    if (changed.rows() > 0) {
      upsertArrays(db_, "register_weeks", changed,
                   "(school, week, upn) DO UPDATE SET codes=EXCLUDED.codes, "
                   "imports=EXCLUDED.imports, extras=EXCLUDED.extras",
                   "write the changed weeks of the register");
    }
    if (added.rows() > 0) copyWeeks(added);
  }

  // A week row, in the table's column order (rows: PgCopyRows or PgArrayRows).
  template <typename Rows>
  void writeWeek(Rows& rows, const std::string& upn, int32_t monday, const RegisterWeek& week) {
    rows.row(6);
    rows.bytes(school_);
    rows.bytes(upn);
    rows.integer(monday);
    week.writeCodes(rows.field(RegisterWeek::kSlots));
    week.writeImports(rows.field(RegisterWeek::kSlots * 4));
    rows.bytes(week.extrasText());
  }

  void copyWeeks(PgCopyRows& rows) {
    db_.copyInAsync(
        "COPY register_weeks(school, upn, week, codes, imports, extras) FROM STDIN (FORMAT "
        "binary)",
        rows.finish(), "write the new weeks of the register");
  }

  // The trailing new rows (trailing_) of the weeks from `from` to `to`, written.
  void writeTrailing(int32_t from, int32_t to) {
    auto& weeks = trailing_.weeks;
    for (auto week = weeks.lower_bound(from); week != weeks.end() && week->first <= to;) {
      copyWeeks(week->second);
      week = weeks.erase(week);
    }
    if (weeks.empty()) trailing_ = Trailing();
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
      amended_.row(9);
      amended_.bytes(school_);
      amended_.bytes(upn);
      amended_.bytes(mark.date.iso());
      amended_.integer(static_cast<int32_t>(mark.session));
      amended_.bytes(old.str());
      amended_.bytes(mark.code.str());
      amended_.bytes(was.source);
      amended_.bytes(mark.source);
      amended_.bigint(now_);
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

  // Written with the part's weeks (saveWeeks): reads still run while the marks are laid.
  void notTakenChanged(const Mark& mark, bool nowNotTaken) {
    notTaken_.push_back(NotTaken{nowNotTaken, mark.date.days(), mark.session, &mark.upn});
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

  // The part's pupils read in one pipeline, merged, and the changed ones written in another.
  void savePupils(const ImportBatch& batch, ImportOutcome& outcome) {
    if (batch.pupils.empty()) return;
    std::vector<std::string_view> upns;
    for (const auto& pupil : batch.pupils)
      if (pupilsAtStart_ || pupilsWritten_.count(pupil.upn)) upns.push_back(pupil.upn);
    std::unordered_map<std::string, Pupil> found;  // none stored but ours in a first import
    if (!upns.empty()) {
      std::sort(upns.begin(), upns.end());  // a pupil named twice counts once
      upns.erase(std::unique(upns.begin(), upns.end()), upns.end());
      const bool range = readsRange(upns.size());
      auto& read = range ? readPupilRange_ : findPupils_;
      read.bind(1, school_);
      if (range) {
        read.bindView(2, upns.front()).bindView(3, upns.back());
      } else {
        read.bindTextForm(2, pgTextArray(upns));
      }
      while (read.step()) {
        // In a range, the pupils between that the part does not name are passed over, as the
        // weeks' read passes theirs (upn is the first column).
        if (range && !std::binary_search(upns.begin(), upns.end(), read.textView(0))) continue;
        Pupil p = readPupil(read);
        auto upn = p.upn;
        found.emplace(std::move(upn), std::move(p));
      }
      read.reset();
    }
    std::vector<std::optional<Pupil>> stored(batch.pupils.size());
    for (std::size_t i = 0; i < batch.pupils.size(); ++i)
      if (auto at = found.find(batch.pupils[i].upn); at != found.end()) stored[i] = at->second;
    // A pupil named twice in a part: the second record is laid over the first.
    std::unordered_map<std::string_view, Pupil> earlier;
    std::vector<std::string_view> order;  // the changed pupils
    for (std::size_t i = 0; i < batch.pupils.size(); ++i) {
      const auto& incoming = batch.pupils[i];
      auto before = earlier.find(incoming.upn);
      const std::optional<Pupil>& existing =
          before != earlier.end() ? std::optional<Pupil>(before->second) : stored[i];
      auto [merged, changed, repaired] = mergePupil(existing, incoming, batch.has_flags);
      if (!repaired.empty())
        namedLogger("store")->warn("pupil {}: {} from {} not valid UTF-8; stored with U+FFFD",
                                   maskUpn(merged.upn), repaired, batch.source);
      if (!changed) continue;
      ++(existing ? outcome.pupils_updated : outcome.pupils_added);
      if (!existing) ++added_;
      if (earlier.insert_or_assign(incoming.upn, std::move(merged)).second)
        order.push_back(incoming.upn);
    }
    if (order.empty()) return;
    using Type = PgArrayRows::Type;
    PgArrayRows rows({Type::Text, Type::Text, Type::Text, Type::Text, Type::Text, Type::Text,
                      Type::Text, Type::Text, Type::Integer, Type::Bigint});  // the table's columns
    for (auto upn : order) {
      const auto& p = earlier.at(upn);
      rows.row(10);
      rows.bytes(school_);
      rows.bytes(p.upn);
      rows.bytes(p.mis_id);
      rows.bytes(p.forename);
      rows.bytes(p.surname);
      p.dob ? rows.bytes(p.dob->iso()) : rows.null();
      rows.bytes(p.year_group);
      rows.bytes(p.reg_group);
      rows.integer(static_cast<int32_t>(packFlags(p.flags)));
      rows.bigint(now_);
      if (!pupilsAtStart_) pupilsWritten_.insert(p.upn);
    }
    upsertArrays(db_, "pupils", rows,
                 "(school, upn) DO UPDATE SET mis_id=EXCLUDED.mis_id, "
                 "forename=EXCLUDED.forename, surname=EXCLUDED.surname, dob=EXCLUDED.dob, "
                 "year_group=EXCLUDED.year_group, reg_group=EXCLUDED.reg_group, "
                 "flags=EXCLUDED.flags, updated_at=EXCLUDED.updated_at",
                 "write the pupils");
  }

  // Written only where a pupil's listing changed (schema 4): a NULL seen_at says "named by the
  // source's latest listing", so a source naming the same pupils again writes none of them.
  // A pupil it names whose row says otherwise (new, or missing since an earlier listing) is
  // set to NULL; one it no longer names whose row is NULL gets the time of the listing that
  // named them last, the source's latest before this one (a second file of the same sync has
  // the same time and that listing is its own).
  void saveSightings(const std::string& source) {
    if (named_.empty()) return;
    std::sort(named_.begin(), named_.end());
    named_.erase(std::unique(named_.begin(), named_.end()), named_.end());
    PgStatement rows(db_,
                     "SELECT upn, seen_at IS NULL FROM roll_seen WHERE school=$1 AND source=$2 "
                     "ORDER BY upn",
                     "read who the source named before");
    rows.bind(1, school_).bind(2, source);
    std::vector<std::string_view> nowNamed, noLongerNamed;
    auto named = named_.begin();
    while (rows.step()) {
      const auto upn = rows.textView(0);
      for (; named != named_.end() && *named < upn; ++named) nowNamed.push_back(*named);
      const bool listed = named != named_.end() && *named == upn;
      if (listed) ++named;
      const bool namedLast = rows.integer(1) != 0;
      if (listed && !namedLast) nowNamed.push_back(upn);
      if (!listed && namedLast) noLongerNamed.push_back(upn);
    }
    for (; named != named_.end(); ++named) nowNamed.push_back(*named);
    if (!nowNamed.empty()) {
      PgStatement write(db_,
                        "INSERT INTO roll_seen(school, upn, source, seen_at) SELECT $1, u.upn, "
                        "$2, NULL FROM unnest($3::text[]) AS u(upn) ON CONFLICT (school, upn, "
                        "source) DO UPDATE SET seen_at=NULL",
                        "record who the import named");
      write.bind(1, school_).bind(2, source).bindTextForm(3, pgTextArray(nowNamed)).run();
    }
    if (!noLongerNamed.empty()) {
      PgStatement missing(db_,
                          "UPDATE roll_seen SET seen_at=(SELECT MAX(listed_at) FROM roll_listings "
                          "WHERE school=$1 AND source=$2) FROM unnest($3::text[]) AS u(upn) "
                          "WHERE school=$1 AND source=$2 AND roll_seen.upn=u.upn",
                          "record who the import no longer named");
      missing.bind(1, school_).bind(2, source).bindTextForm(3, pgTextArray(noLongerNamed)).run();
    }
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
  PgStatement findPupils_, readPupilRange_, readWeeks_, readWeekRange_, markNotTaken_, markTaken_;
  PgStatement readRoll_, writeRoll_, rollChanged_, importOf_;
  std::unordered_map<uint32_t, ImportInfo> imports_;
  bool hasRoll_ = false, rollLoaded_ = false;
  std::vector<std::string> named_;
  std::string rollUpn_;
  std::vector<OnRollPeriod> roll_;
  uint32_t importId_ = 0;
  int priority_ = 0;
  PartWeeks weeks_;
  struct NotTaken {
    bool now;  // not taken now (else taken now)
    int32_t day;
    Session session;
    const std::string* upn;  // the part's mark's
  };
  std::vector<NotTaken> notTaken_;  // a part's registers (not) taken, written with its weeks
  PgCopyRows amended_;              // a part's amended marks, likewise
  PartWeeks heldBack_;              // the last part's last pupil's (see saveWeeks)
  // The new rows of the two newest weeks written so far (by week), held to the end of the
  // import, or until a part may read them or a newer week comes. A file sorted by pupil would
  // otherwise lay the weeks the next imports write into (the current week) and the evaluation
  // after each reads again (the weeks after the kept year: postgres_register_read.h) one row
  // in each pupil's stretch of the table: each sync would read and rewrite a thousand scattered
  // pages where a few hold them all (PostgreSQL keeps a row in the page it was put in).
  // They are written before a part reads weeks of a pupil they hold, and when more than
  // kTrailingRowsAtMost wait (memory stays bounded).
  static constexpr int32_t kTrailingDays = 14;
  static constexpr std::size_t kTrailingRowsAtMost = 100'000;
  struct Trailing {
    std::map<int32_t, PgCopyRows> weeks;      // by Monday
    std::set<std::string, std::less<>> upns;  // the pupils they hold rows of (or held)
    std::size_t rows() const {
      std::size_t n = 0;
      for (const auto& [monday, held] : weeks) n += held.rows();
      return n;
    }
  } trailing_;
  int32_t newest_ = INT32_MIN + kTrailingDays;  // the newest week given a new row
  bool weeksAtStart_ = true, pupilsAtStart_ = true;
  std::size_t pupilsKnown_ = 0;  // the school's pupils when the import began
  std::size_t added_ = 0;        // the pupils this import added (in a school that had some)
  std::set<std::string, std::less<>> written_;        // the pupils given new weeks (see loadWeeks)
  std::set<std::string, std::less<>> pupilsWritten_;  // likewise, in a school with no pupils
  int64_t marksDelta_ = 0, notTakenDelta_ = 0;
};

}  // namespace

std::unique_ptr<ImportWriter> makePostgresImportWriter(PgConnection& db, const std::string& school,
                                                       int64_t now) {
  return std::make_unique<PostgresImportWriter>(db, school, now);
}

}  // namespace markbridge
