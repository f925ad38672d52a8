#include "core/store/sqlite_import.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/store/import_catalogue.h"
#include "core/store/import_merge.h"
#include "core/store/register_week.h"
#include "core/store/sqlite_rows.h"

namespace markbridge {
namespace {

// Writes marks into week rows (core/store/register_week.h). For each session: a new mark is
// added; the same code again changes nothing; a blank never erases a taken mark; a mark from a
// source of lower priority than the one that wrote the stored mark is not applied (and said to
// be, in the outcome); any other
// change is an amendment, kept with the original and amended entry, when and by which source.
class SqliteImportWriter final : public ImportWriter {
 public:
  SqliteImportWriter(SqliteDb& db, int64_t now, bool ownTransaction)
      : db_(db),
        now_(now),
        catalogue_(db),
        findPupil_(db.handle(),
                   std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE upn=?1"),
        upsertPupil_(db.handle(),
                     "INSERT INTO pupils(upn, mis_id, forename, surname, dob, year_group, "
                     "reg_group, flags, updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) ON "
                     "CONFLICT(upn) DO UPDATE SET mis_id=?2, forename=?3, surname=?4, dob=?5, "
                     "year_group=?6, reg_group=?7, flags=?8, updated_at=?9"),
        readWeek_(db.handle(),
                  "SELECT codes, imports, extras FROM register_weeks WHERE upn=?1 AND week=?2"),
        writeWeek_(db.handle(),
                   "INSERT OR REPLACE INTO register_weeks(upn, week, codes, imports, extras) "
                   "VALUES(?1,?2,?3,?4,?5)"),
        amend_(db.handle(),
               "INSERT INTO amendments(upn, date, session, old_code, new_code, old_source, "
               "new_source, amended_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"),
        notTaken_(db.handle(),
                  "INSERT OR IGNORE INTO registers_not_taken(day, session, upn) VALUES(?1,?2,?3)"),
        taken_(db.handle(),
               "DELETE FROM registers_not_taken WHERE day=?1 AND session=?2 AND upn=?3") {
    if (ownTransaction) tx_.emplace(db);
    // The admission register's tables come with schema 6; the writer that moves an older
    // store's marks (schema 4) runs before they exist.
    SqliteStatement table(db.handle(),
                          "SELECT 1 FROM sqlite_master WHERE type='table' AND name='on_roll'");
    if (table.step()) {
      readRoll_.emplace(db.handle(), std::string("SELECT ") + kOnRollColumns +
                                         " FROM on_roll WHERE upn=?1 ORDER BY admitted");
      writeRoll_.emplace(db.handle(),
                         "INSERT OR REPLACE INTO on_roll(upn, admitted, left_on, leaving_reason, "
                         "destination, source, updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7)");
      rollChanged_.emplace(
          db.handle(),
          "INSERT INTO on_roll_changes(upn, admitted, old_left, new_left, old_reason, new_reason, "
          "old_destination, new_destination, change, source, changed_at) "
          "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
      // Off-roll marks are looked for only once some pupil has on-roll data.
      SqliteStatement any(db.handle(), "SELECT EXISTS(SELECT 1 FROM on_roll)");
      hasRoll_ = any.step() && any.integer(0) != 0;
    }
    // Who the import names (schema 7 on: the migrations' own writers run before it).
    SqliteStatement seen(db.handle(),
                         "SELECT 1 FROM sqlite_master WHERE type='table' AND name='roll_seen'");
    recordSightings_ = seen.step();
    // A large import touches many pages: a bigger cache keeps the B-tree in memory (64 MiB).
    db_.exec("PRAGMA cache_size=-65536");
  }

  void add(const ImportBatch& part, ImportOutcome& outcome) override {
    if (!part.ok())
      throw StoreError("refusing a batch with problems: " + part.problems.front().str());
    if (importId_ == 0) open(part);
    if (recordSightings_) {
      for (const auto& pupil : part.pupils) named_.push_back(pupil.upn);
      for (const auto& mark : part.marks)
        if (named_.empty() || named_.back() != mark.upn) named_.push_back(mark.upn);
    }
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
    SqliteStatement record(db_.handle(),
                           "UPDATE imports SET origin=?2, fingerprint=?3, rows=?4, marks_added=?5, "
                           "marks_amended=?6 WHERE id=?1");
    record.bind(1, int64_t{importId_}).bind(2, summary.origin).bind(3, summary.fingerprint);
    record.bind(4, int64_t{summary.rows}).bind(5, int64_t{outcome.marks_added});
    record.bind(6, int64_t{outcome.marks_amended}).run();
    SqliteStatement totals(db_.handle(), "UPDATE register_totals SET value=value+?2 WHERE key=?1");
    totals.bind(1, std::string_view("marks")).bind(2, marksDelta_).run();
    totals.bind(1, std::string_view("not_taken")).bind(2, notTakenDelta_).run();
    SqliteStatement remember(db_.handle(),
                             "INSERT OR REPLACE INTO source_state(source, key, value, updated_at) "
                             "VALUES(?1,?2,?3,?4)");
    for (const auto& [key, value] : summary.source_state)
      remember.bind(1, summary.source).bind(2, key).bind(3, value).bind(4, now_).run();
    saveSightings(summary.source);
    if (tx_) tx_->commit();
  }

 private:
  // The import's row comes first, so each mark can name it; commit() fills in the rest.
  void open(const ImportBatch& batch) {
    SqliteStatement insert(db_.handle(),
                           "INSERT INTO imports(source, origin, fingerprint, imported_at, rows, "
                           "marks_added, marks_amended, priority) VALUES(?1,'',?2,?3,0,0,0,?4)");
    insert.bind(1, batch.source)
        .bind(2, "(importing) " + std::to_string(now_) + " " + batch.origin);
    insert.bind(3, now_).bind(4, int64_t{batch.priority}).run();
    importId_ = static_cast<uint32_t>(db_.lastInsertId());
    priority_ = batch.priority;
    catalogue_.remember(importId_, ImportInfo{batch.source, now_, batch.priority});
  }

  void load(const std::string& upn, Date monday) {
    upn_ = upn;
    monday_ = monday;
    readWeek_.bindView(1, upn_).bind(2, int64_t{monday.days()});
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
    writeWeek_.bindView(1, upn_).bind(2, int64_t{monday_.days()});
    writeWeek_.bindBlob(3, codes).bindBlob(4, imports).bindView(5, extras).run();
    dirty_ = false;
  }

  void apply(const Mark& mark, ImportOutcome& outcome) {
    if (hasRoll_ && !isOnRoll(periodsOf(upn_), mark.date)) {
      // Off roll there is no register to take: a blank is not "register not taken".
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
      const auto& was = catalogue_.at(slot.import);
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
      amend_.bindView(1, upn_).bind(2, mark.date.iso()).bind(3, static_cast<int64_t>(mark.session));
      amend_.bindView(4, old.str()).bindView(5, mark.code.str()).bind(6, was.source);
      amend_.bindView(7, mark.source).bind(8, now_).run();
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
    statement.bind(1, int64_t{mark.date.days()}).bind(2, static_cast<int64_t>(mark.session));
    statement.bindView(3, upn_).run();
    notTakenDelta_ += nowNotTaken ? 1 : -1;
  }

  void saveTotals(const ImportBatch& batch) {
    if (batch.totals.empty()) return;
    SqliteStatement save(db_.handle(),
                         "INSERT OR REPLACE INTO attendance_totals(source, upn, period, "
                         "period_from, period_to, possible, authorised, unauthorised, by_reason, "
                         "imported_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
    for (const auto& t : batch.totals) {
      save.bind(1, t.source).bind(2, t.upn).bind(3, t.period);
      t.from ? void(save.bind(4, t.from->iso())) : void(save.bindNull(4));
      t.to ? void(save.bind(5, t.to->iso())) : void(save.bindNull(5));
      save.bind(6, int64_t{t.possible}).bind(7, int64_t{t.authorised});
      save.bind(8, int64_t{t.unauthorised});
      save.bind(9, nlohmann::json(t.by_reason).dump()).bind(10, now_).run();
    }
  }

  const std::vector<OnRollPeriod>& periodsOf(const std::string& upn) {
    if (!rollLoaded_ || rollUpn_ != upn) {
      rollUpn_ = upn;
      roll_.clear();
      readRoll_->bindView(1, rollUpn_);
      while (readRoll_->step()) roll_.push_back(readOnRollPeriod(*readRoll_, 0));
      readRoll_->reset();
      rollLoaded_ = true;
    }
    return roll_;
  }

  // Each record laid over the pupil's stored periods (planOnRoll, core/store/import_merge.h);
  // every change is kept in on_roll_changes.
  void saveOnRoll(const ImportBatch& batch, ImportOutcome& outcome) {
    if (batch.on_roll.empty()) return;
    if (!writeRoll_)
      throw StoreError("the store has no admission register tables (schema before 6)");
    auto& writeRoll = *writeRoll_;
    auto& rollChanged = *rollChanged_;
    for (const auto& record : batch.on_roll) {
      auto change = planOnRoll(periodsOf(record.upn), record);
      if (!change) continue;
      const auto& now = change->now;
      const auto& was = change->was;
      auto key = onRollKey(now.admitted);
      writeRoll.bind(1, record.upn).bind(2, key);
      now.left ? void(writeRoll.bind(3, now.left->iso())) : void(writeRoll.bindNull(3));
      writeRoll.bind(4, now.leaving_reason).bind(5, now.destination).bind(6, batch.source);
      writeRoll.bind(7, now_).run();
      rollChanged.bind(1, record.upn).bind(2, key);
      was && was->left ? void(rollChanged.bind(3, was->left->iso()))
                       : void(rollChanged.bindNull(3));
      now.left ? void(rollChanged.bind(4, now.left->iso())) : void(rollChanged.bindNull(4));
      rollChanged.bind(5, was ? was->leaving_reason : std::string()).bind(6, now.leaving_reason);
      rollChanged.bind(7, was ? was->destination : std::string()).bind(8, now.destination);
      rollChanged.bind(9, std::string_view(was ? "amended" : "added")).bind(10, batch.source);
      rollChanged.bind(11, now_).run();
      ++(was ? outcome.on_roll_amended : outcome.on_roll_added);
      hasRoll_ = true;
      rollLoaded_ = false;  // read again with the change
    }
  }

  void savePupils(const ImportBatch& batch, ImportOutcome& outcome) {
    for (const auto& incoming : batch.pupils) {
      findPupil_.bind(1, incoming.upn);
      std::optional<Pupil> existing;
      if (findPupil_.step()) existing = readPupil(findPupil_);
      findPupil_.reset();
      auto [merged, changed, repaired] = mergePupil(existing, incoming, batch.has_flags);
      if (!repaired.empty())
        namedLogger("store")->warn("pupil {}: {} from {} not valid UTF-8; stored with U+FFFD",
                                   maskUpn(merged.upn), repaired, batch.source);
      if (!changed) continue;
      upsertPupil_.bind(1, merged.upn).bind(2, merged.mis_id).bind(3, merged.forename);
      upsertPupil_.bind(4, merged.surname);
      if (merged.dob)
        upsertPupil_.bind(5, merged.dob->iso());
      else
        upsertPupil_.bindNull(5);
      upsertPupil_.bind(6, merged.year_group).bind(7, merged.reg_group);
      upsertPupil_.bind(8, int64_t{packFlags(merged.flags)}).bind(9, now_).run();
      ++(existing ? outcome.pupils_updated : outcome.pupils_added);
    }
  }

  // The pupils this import named, and that the source listed pupils in this sync (its time):
  // what a pupil who vanishes from the exports is found by (core/rules/missing_education.h).
  void saveSightings(const std::string& source) {
    if (!recordSightings_ || named_.empty()) return;
    std::sort(named_.begin(), named_.end());
    named_.erase(std::unique(named_.begin(), named_.end()), named_.end());
    SqliteStatement seen(db_.handle(),
                         "INSERT OR REPLACE INTO roll_seen(upn, source, seen_at) VALUES(?1,?2,?3)");
    for (const auto& upn : named_) seen.bind(1, upn).bind(2, source).bind(3, now_).run();
    SqliteStatement listed(db_.handle(),
                           "INSERT OR IGNORE INTO roll_listings(source, listed_at) VALUES(?1,?2)");
    listed.bind(1, source).bind(2, now_).run();
    named_.clear();
  }

  SqliteDb& db_;
  std::optional<Transaction> tx_;
  int64_t now_;
  ImportCatalogue catalogue_;
  SqliteStatement findPupil_, upsertPupil_, readWeek_, writeWeek_, amend_, notTaken_, taken_;
  std::optional<SqliteStatement> readRoll_, writeRoll_, rollChanged_;  // schema 6 on
  bool hasRoll_ = false, rollLoaded_ = false;
  bool recordSightings_ = false;    // schema 7 on
  std::vector<std::string> named_;  // the UPNs the import named (repeats removed at commit)
  std::string rollUpn_;
  std::vector<OnRollPeriod> roll_;  // rollUpn_'s periods as stored
  uint32_t importId_ = 0;
  int priority_ = 0;  // this import's: a stored mark of higher priority is not overwritten
  std::string upn_;
  Date monday_;
  RegisterWeek week_;
  bool loaded_ = false, dirty_ = false;
  int64_t marksDelta_ = 0, notTakenDelta_ = 0;
};

}  // namespace

std::unique_ptr<ImportWriter> makeSqliteImportWriter(SqliteDb& db, int64_t now,
                                                     bool ownTransaction) {
  return std::make_unique<SqliteImportWriter>(db, now, ownTransaction);
}

}  // namespace markbridge
