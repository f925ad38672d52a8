#include "core/store/sqlite_import.h"

#include "core/store/sqlite_rows.h"

namespace markbridge {
namespace {

// An amended mark keeps its history: the trigger behind `marks` (schema v2) records the original
// and the amended entry, when and from which source. A mark from a source of lower priority than
// the one that wrote the stored mark is not applied; a blank never erases a taken mark.
constexpr const char* kUpsertMark =
    "INSERT INTO marks(upn, date, session, code, source, source_code, recorded_at, minutes_late, "
    "priority) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT(upn, date, session) DO UPDATE SET "
    "code=excluded.code, source=excluded.source, source_code=excluded.source_code, "
    "recorded_at=excluded.recorded_at, minutes_late=excluded.minutes_late, "
    "priority=excluded.priority WHERE excluded.code <> marks.code AND excluded.code <> '-' AND "
    "excluded.priority >= marks.priority";

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
        upsertMark_(db.handle(), kUpsertMark),
        lastAmendment_(db.handle(), "SELECT COALESCE(MAX(id), 0) FROM amendments") {
    // A large import touches many pages: a bigger cache keeps the B-tree in memory (64 MiB).
    db_.exec("PRAGMA cache_size=-65536");
  }

  void add(const ImportBatch& part, ImportOutcome& outcome) override {
    if (!part.ok())
      throw StoreError("refusing a batch with problems: " + part.problems.front().str());
    savePupils(part, outcome);
    int64_t amendmentsBefore = lastAmendmentId();
    int64_t written = 0;
    std::string date;
    for (const auto& mark : part.marks) {
      date = mark.date.iso();
      upsertMark_.bindView(1, mark.upn).bindView(2, date);
      upsertMark_.bind(3, static_cast<int64_t>(mark.session)).bindView(4, mark.code.str());
      upsertMark_.bindView(5, mark.source).bindView(6, mark.source_code);
      upsertMark_.bind(7, mark.recorded_at > 0 ? mark.recorded_at : now_);
      if (mark.minutes_late)
        upsertMark_.bind(8, int64_t{*mark.minutes_late});
      else
        upsertMark_.bindNull(8);
      upsertMark_.bind(9, int64_t{part.priority}).run();
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
    tx_.commit();
  }

 private:
  int64_t lastAmendmentId() {
    lastAmendment_.step();
    int64_t id = lastAmendment_.integer(0);
    lastAmendment_.reset();
    return id;
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
  SqliteStatement findPupil_, upsertPupil_, upsertMark_, lastAmendment_;
};

}  // namespace

std::unique_ptr<ImportWriter> makeSqliteImportWriter(SqliteDb& db, int64_t now) {
  return std::make_unique<SqliteImportWriter>(db, now);
}

}  // namespace markbridge
