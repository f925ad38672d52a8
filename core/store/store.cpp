#include "core/store/store.h"

#include "core/store/sqlite_db.h"

namespace markbridge {

ImportOutcome Store::importBatch(const ImportBatch& batch, int64_t now) {
  if (!batch.ok())
    throw StoreError("refusing a batch with problems: " + batch.problems.front().str());
  ImportOutcome outcome;
  if (alreadyImported(batch.source, batch.fingerprint)) {
    outcome.already_imported = true;
    return outcome;
  }
  auto writer = beginImport(now);
  writer->add(batch, outcome);
  writer->commit(batch, outcome);
  return outcome;
}

void Store::forEachPupilRegister(
    const SchoolCalendar& calendar,
    const std::function<void(const Pupil&, const PupilRegister&)>& visit) {
  forEachRegister([&](const Pupil& pupil, const std::vector<Mark>& marks) {
    visit(pupil, PupilRegister(calendar, marks));
  });
}

}  // namespace markbridge
