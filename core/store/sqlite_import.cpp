#include "core/store/sqlite_import.h"

#include <array>
#include <nlohmann/json.hpp>

#include "core/store/sqlite_rows.h"

namespace markbridge {
namespace {

// An amended mark keeps its history: the trigger behind `marks` (schema v2) records the original
// and the amended entry, when and from which source. A mark from a source of lower priority than
// the one that wrote the stored mark is not applied; a blank never erases a taken mark.
constexpr int kRowsPerInsert = 32;  // rows per INSERT: fewer statement runs per mark

std::string upsertMarks(int rows) {
  std::string sql =
      "INSERT INTO marks(upn, date, session, code, source, source_code, recorded_at, "
      "minutes_late, priority) VALUES";
  for (int r = 0; r < rows; ++r) sql += r ? ",(?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?)";
  return sql +
         " ON CONFLICT(upn, date, session) DO UPDATE SET code=excluded.code, "
         "source=excluded.source, source_code=excluded.source_code, "
         "recorded_at=excluded.recorded_at, minutes_late=excluded.minutes_late, "
         "priority=excluded.priority WHERE excluded.code <> marks.code AND excluded.code <> '-' "
         "AND excluded.priority >= marks.priority";
}

class SqliteImportWriter final : public ImportWriter {
 public:
  SqliteImportWriter(SqliteDb& db, int64_t now)
      : db_(db),
        tx_(db),
        now_(now),
        findPupil_(db.handle(),
                   std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE upn=?1"),
        upsertPupil_(db.handle(),
                     "INSERT INTO pupils(upn, mis_id, forename, surname, dob, year_group, "
                     "reg_group, flags, updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) ON "
                     "CONFLICT(upn) DO UPDATE SET mis_id=?2, forename=?3, surname=?4, dob=?5, "
                     "year_group=?6, reg_group=?7, flags=?8, updated_at=?9"),
        upsertMark_(db.handle(), upsertMarks(1)),
        upsertMarks_(db.handle(), upsertMarks(kRowsPerInsert)),
        lastAmendment_(db.handle(), "SELECT COALESCE(MAX(id), 0) FROM amendments") {
    // A large import touches many pages: a bigger cache keeps the B-tree in memory (256 MiB).
    db_.exec("PRAGMA cache_size=-262144");
  }

  void add(const ImportBatch& part, ImportOutcome& outcome) override {
    if (!part.ok())
      throw StoreError("refusing a batch with problems: " + part.problems.front().str());
    savePupils(part, outcome);
    saveTotals(part);
    int64_t amendmentsBefore = lastAmendmentId();
    int64_t written = 0;
    std::size_t at = 0;
    const std::size_t count = part.marks.size();
    for (; at + kRowsPerInsert <= count; at += kRowsPerInsert) {
      for (int r = 0; r < kRowsPerInsert; ++r)
        bindMark(upsertMarks_, r * 9, part.marks[at + static_cast<std::size_t>(r)], dates_[r],
                 part.priority);
      upsertMarks_.run();
      written += db_.changes();
    }
    for (; at < count; ++at) {
      bindMark(upsertMark_, 0, part.marks[at], dates_[0], part.priority);
      upsertMark_.run();
      written += db_.changes();
    }
    int amended = static_cast<int>(lastAmendmentId() - amendmentsBefore);
    outcome.marks_amended += amended;
    outcome.marks_added += static_cast<int>(written) - amended;
    outcome.marks_unchanged += static_cast<int>(part.marks.size() - written);
  }

  void commit(const ImportBatch& summary, ImportOutcome& outcome) override {
    SqliteStatement record(db_.handle(),
                           "INSERT INTO imports(source, origin, fingerprint, imported_at, rows, "
                           "marks_added, marks_amended) VALUES(?1,?2,?3,?4,?5,?6,?7)");
    record.bind(1, summary.source).bind(2, summary.origin).bind(3, summary.fingerprint);
    record.bind(4, now_).bind(5, int64_t{summary.rows}).bind(6, int64_t{outcome.marks_added});
    record.bind(7, int64_t{outcome.marks_amended}).run();
    SqliteStatement remember(db_.handle(),
                             "INSERT OR REPLACE INTO source_state(source, key, value, updated_at) "
                             "VALUES(?1,?2,?3,?4)");
    for (const auto& [key, value] : summary.source_state)
      remember.bind(1, summary.source).bind(2, key).bind(3, value).bind(4, now_).run();
    tx_.commit();
  }

 private:
  // Binds one mark's nine columns from parameter `base` + 1; `date` holds its text until run.
  void bindMark(SqliteStatement& insert, int base, const Mark& mark, std::string& date,
                int priority) {
    date = mark.date.iso();
    insert.bindView(base + 1, mark.upn).bindView(base + 2, date);
    insert.bind(base + 3, static_cast<int64_t>(mark.session)).bindView(base + 4, mark.code.str());
    insert.bindView(base + 5, mark.source).bindView(base + 6, mark.source_code);
    insert.bind(base + 7, mark.recorded_at > 0 ? mark.recorded_at : now_);
    if (mark.minutes_late)
      insert.bind(base + 8, int64_t{*mark.minutes_late});
    else
      insert.bindNull(base + 8);
    insert.bind(base + 9, int64_t{priority});
  }

  int64_t lastAmendmentId() {
    lastAmendment_.step();
    int64_t id = lastAmendment_.integer(0);
    lastAmendment_.reset();
    return id;
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

  void savePupils(const ImportBatch& batch, ImportOutcome& outcome) {
    for (const auto& incoming : batch.pupils) {
      findPupil_.bind(1, incoming.upn);
      std::optional<Pupil> existing;
      if (findPupil_.step()) existing = readPupil(findPupil_);
      findPupil_.reset();
      // A file that leaves a detail out keeps what the store knew.
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
      if (existing && *existing == merged) continue;
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

  SqliteDb& db_;
  Transaction tx_;
  int64_t now_;
  SqliteStatement findPupil_, upsertPupil_, upsertMark_, upsertMarks_, lastAmendment_;
  std::array<std::string, kRowsPerInsert> dates_;
};

}  // namespace

std::unique_ptr<ImportWriter> makeSqliteImportWriter(SqliteDb& db, int64_t now) {
  return std::make_unique<SqliteImportWriter>(db, now);
}

}  // namespace markbridge
