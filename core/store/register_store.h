#pragma once
// The register part of a store: pupils, marks with their amendments, import history, what each
// source remembered, and census totals. One of the three interfaces a store backend implements
// (with EventStore and OutboxStore); tests/core/store_contract_*.cpp hold its contract.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/domain/import_batch.h"
#include "core/rules/register.h"

namespace markbridge {

// A mark an import carried that the register did not take: a source of higher priority wrote
// the session's stored mark, so the register keeps that one (the office must correct it there).
struct MarkNotApplied {
  std::string upn;
  Date date;
  Session session = Session::AM;
  std::string code;       // what this import said
  std::string held_code;  // what the register keeps
  std::string held_by;    // the source that wrote it
};

struct ImportOutcome {
  bool already_imported = false;  // the same bytes from the same source came before
  int pupils_added = 0;
  int pupils_updated = 0;
  int marks_added = 0;
  int marks_amended = 0;
  int marks_unchanged = 0;  // the register already said the same (or the import said nothing)
  int marks_not_applied = 0;
  // The first kNotAppliedListed of them, in the import's order (all are counted).
  static constexpr std::size_t kNotAppliedListed = 1000;
  std::vector<MarkNotApplied> not_applied;
  int on_roll_added = 0;    // admission-register periods new to the store
  int on_roll_amended = 0;  // periods whose leaving date, reason or destination changed
  // Marks (other than "not taken") dated outside every on-roll period of their pupil: stored,
  // as the MIS's register is the record, but counted for nothing (see docs/connectors.md).
  int marks_off_roll = 0;
  std::optional<Date> first_off_roll = {};
};

// A change to a pupil's on-roll period, kept like an amended mark.
struct OnRollChange {
  std::string upn;
  std::optional<Date> admitted;
  std::optional<Date> old_left, new_left;
  std::string old_reason, new_reason, old_destination, new_destination;
  std::string change;  // "added" or "amended"
  std::string source;
  int64_t changed_at = 0;
};

// An amended entry, kept as the regulations ask: original entry, amended entry, when, by what.
struct Amendment {
  std::string upn;
  Date date;
  Session session = Session::AM;
  std::string old_code, new_code;
  std::string old_source, new_source;
  int64_t amended_at = 0;
};

// A session for which some pupils have no mark yet: a data-quality problem, never an absence.
struct RegisterNotTaken {
  Date date;
  Session session = Session::AM;
  int pupils = 0;
};

// Writes one import (a file, an API pull) part by part inside one transaction, so a large file
// never has to be held whole: commit() makes all of it visible at once; destroying the writer
// without commit() leaves the store as it was. Marks from a source of lower `priority` than the
// source that wrote the stored mark are not applied (counted and listed in the outcome, never as
// unchanged); a blank never erases a taken mark.
class ImportWriter {
 public:
  virtual ~ImportWriter() = default;
  virtual void add(const ImportBatch& part, ImportOutcome& outcome) = 0;
  // Records the import (source, origin, fingerprint, rows) and commits.
  virtual void commit(const ImportBatch& summary, ImportOutcome& outcome) = 0;
};

class RegisterStore {
 public:
  virtual ~RegisterStore() = default;

  // All of the batch or none of it. A batch with problems is refused whole.
  ImportOutcome importBatch(const ImportBatch& batch, int64_t now);
  virtual bool alreadyImported(const std::string& source, const std::string& fingerprint) = 0;
  virtual std::unique_ptr<ImportWriter> beginImport(int64_t now) = 0;
  // The latest sessions with registers not taken, newest first.
  virtual std::vector<RegisterNotTaken> registersNotTaken(int limit) = 0;
  // Every census (or other return's) total stored, by pupil.
  virtual std::vector<AttendanceTotals> attendanceTotals() = 0;
  // What a source remembered after its last stored import, or nothing.
  virtual std::optional<std::string> sourceState(const std::string& source,
                                                 const std::string& key) = 0;
  // Remembered outside an import (the service's schedule: "_service").
  virtual void setSourceState(const std::string& source, const std::string& key,
                              const std::string& value, int64_t now) = 0;
  // Every pupil's UPN and MIS id, for matching marks that carry only an MIS id.
  virtual std::vector<std::pair<std::string, std::string>> pupilIds() = 0;
  virtual std::optional<Pupil> pupil(const std::string& upn) = 0;
  // Each pupil's register, marks in date and session order.
  virtual void forEachRegister(
      const std::function<void(const Pupil&, const std::vector<Mark>&)>& visit) = 0;
  virtual std::vector<Amendment> amendments(const std::string& upn) = 0;
  // For each pupil some of `sources` named since schema 7: the times (unix seconds) of the
  // syncs since they were last named by any of them in which one of them stored an import
  // naming other pupils, oldest first. Pupils named by the latest such sync are left out.
  virtual std::map<std::string, std::vector<int64_t>> rollListingsMissed(
      const std::vector<std::string>& sources) = 0;
  // Every change to the pupil's on-roll periods, oldest first.
  virtual std::vector<OnRollChange> onRollChanges(const std::string& upn) = 0;
  // Each pupil's codes laid over `calendar` (what rules read): the same as forEachRegister
  // without building Mark objects. The register passed is valid during the call.
  virtual void forEachPupilRegister(
      const SchoolCalendar& calendar,
      const std::function<void(const Pupil&, const PupilRegister&)>& visit);
};

}  // namespace markbridge
