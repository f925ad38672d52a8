#include "core/store/postgres_import.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

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

// Writes marks into week rows (core/store/register_week.h) exactly as the SQLite store's writer
// does (core/store/sqlite_import.cpp holds the rules, commented): a new mark is added, the same
// code changes nothing, a blank never erases a taken mark, a source of lower priority is not
// applied, any other change is an amendment.
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
        readWeek_(db,
                  "SELECT codes, imports, extras FROM register_weeks WHERE school=$1 AND upn=$2 "
                  "AND week=$3",
                  "read a week of the register"),
        writeWeek_(db,
                   "INSERT INTO register_weeks(school, upn, week, codes, imports, extras) "
                   "VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT(school, upn, week) DO UPDATE SET "
                   "codes=$4, imports=$5, extras=$6",
                   "write a week of the register"),
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
    for (const auto& mark : part.marks) {
      Date monday = mark.date.monday();
      if (!loaded_ || mark.upn != upn_ || monday != monday_) {
        flush();
        load(mark.upn, monday);
      }
      apply(mark, outcome);
    }
    flush();
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

  void load(const std::string& upn, Date monday) {
    upn_ = upn;
    monday_ = monday;
    readWeek_.bind(1, school_).bindView(2, upn_).bind(3, int64_t{monday.days()});
    week_ = readWeek_.step()
                ? RegisterWeek::decode(readWeek_.blob(0), readWeek_.blob(1), readWeek_.blob(2))
                : RegisterWeek{};
    readWeek_.reset();
    loaded_ = true;
    dirty_ = false;
  }

  void flush() {
    if (!loaded_ || !dirty_) return;
    auto codes = week_.codesBlob();
    auto imports = week_.importsBlob();
    auto extras = week_.extrasText();
    writeWeek_.bind(1, school_).bindView(2, upn_).bind(3, int64_t{monday_.days()});
    writeWeek_.bindBlob(4, codes).bindBlob(5, imports).bindView(6, extras).run();
    dirty_ = false;
  }

  void apply(const Mark& mark, ImportOutcome& outcome) {
    if (hasRoll_ && !isOnRoll(periodsOf(upn_), mark.date)) {
      if (mark.code.isNotTaken()) {
        ++outcome.marks_unchanged;
        return;
      }
      ++outcome.marks_off_roll;
      if (!outcome.first_off_roll || mark.date < *outcome.first_off_roll)
        outcome.first_off_roll = mark.date;
    }
    auto& slot = week_.slots[static_cast<std::size_t>(
        RegisterWeek::slotOf(mark.date, mark.session, monday_))];
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
          outcome.not_applied.push_back(MarkNotApplied{upn_, mark.date, mark.session,
                                                       std::string(mark.code.str()),
                                                       std::string(old.str()), was.source});
        return;
      }
      amend_.bind(1, school_).bindView(2, upn_).bind(3, mark.date.iso());
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
    dirty_ = true;
  }

  void notTakenChanged(const Mark& mark, bool nowNotTaken) {
    auto& statement = nowNotTaken ? notTaken_ : taken_;
    statement.bind(1, school_).bind(2, int64_t{mark.date.days()});
    statement.bind(3, static_cast<int64_t>(mark.session)).bindView(4, upn_).run();
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

  // As the SQLite writer's saveOnRoll (core/store/sqlite_import.cpp), which says why.
  void saveOnRoll(const ImportBatch& batch, ImportOutcome& outcome) {
    for (const auto& record : batch.on_roll) {
      const auto& stored = periodsOf(record.upn);
      const OnRollPeriod* was = nullptr;
      if (record.period.admitted) {
        for (const auto& p : stored)
          if (p.admitted == record.period.admitted) was = &p;
      } else {
        if (!record.period.left) continue;  // says nothing
        for (const auto& p : stored)
          if (!p.admitted || *p.admitted <= *record.period.left) was = &p;
      }
      OnRollPeriod now = record.period;
      if (was) {
        now.admitted = was->admitted;
        if (!now.left && !record.states_leaving) now.left = was->left;
        if (now.left) {
          if (now.leaving_reason.empty()) now.leaving_reason = was->leaving_reason;
          if (now.destination.empty()) now.destination = was->destination;
        } else {
          now.leaving_reason.clear();
          now.destination.clear();
        }
        if (now == *was) continue;
      }
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
      Pupil merged = existing.value_or(Pupil{});
      merged.upn = incoming.upn;
      auto keep = [](std::string& target, const std::string& value) {
        if (!value.empty()) target = value;
      };
      keep(merged.mis_id, incoming.mis_id);
      keep(merged.forename, incoming.forename);
      keep(merged.surname, incoming.surname);
      keep(merged.year_group, incoming.year_group);
      keep(merged.reg_group, incoming.reg_group);
      if (incoming.dob) merged.dob = incoming.dob;
      if (batch.has_flags) merged.flags = incoming.flags;
      // PostgreSQL refuses text that is not UTF-8 outright: repaired first, as SQLite's writer
      // does, the import goes on.
      if (auto fields = repairPupilText(merged); !fields.empty())
        namedLogger("store")->warn("pupil {}: {} from {} not valid UTF-8; stored with U+FFFD",
                                   maskUpn(merged.upn), fields, batch.source);
      if (existing && *existing == merged) continue;
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
  PgStatement findPupil_, upsertPupil_, readWeek_, writeWeek_, amend_, notTaken_, taken_;
  PgStatement readRoll_, writeRoll_, rollChanged_, importOf_;
  std::unordered_map<uint32_t, ImportInfo> imports_;
  bool hasRoll_ = false, rollLoaded_ = false;
  std::vector<std::string> named_;
  std::string rollUpn_;
  std::vector<OnRollPeriod> roll_;
  uint32_t importId_ = 0;
  int priority_ = 0;
  std::string upn_;
  Date monday_;
  RegisterWeek week_;
  bool loaded_ = false, dirty_ = false;
  int64_t marksDelta_ = 0, notTakenDelta_ = 0;
};

}  // namespace

std::unique_ptr<ImportWriter> makePostgresImportWriter(PgConnection& db, const std::string& school,
                                                       int64_t now) {
  return std::make_unique<PostgresImportWriter>(db, school, now);
}

}  // namespace markbridge
