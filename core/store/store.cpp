#include "core/store/store.h"

#include "core/store/sqlite_db.h"

namespace markbridge {

ImportOutcome RegisterStore::importBatch(const ImportBatch& batch, int64_t now) {
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

void RegisterStore::forEachPupilRegister(
    const SchoolCalendar& calendar,
    const std::function<void(const Pupil&, const PupilRegister&)>& visit) {
  forEachRegister([&](const Pupil& pupil, const std::vector<Mark>& marks) {
    visit(pupil, PupilRegister(calendar, marks));
  });
}

EvaluationOutcome EventStore::commitEvaluation(const std::vector<PupilEvaluated>& pupils,
                                               const std::vector<Event>& events,
                                               const std::vector<SinkRoute>& routes, int64_t now,
                                               std::optional<Date> notifyFrom) {
  auto writer = beginEvaluation();
  auto plan = planEvaluation(pupils, events, writer->recorded(pupils, events), routes, notifyFrom);
  plan.outcome.outbox_items = writer->apply(plan, now);
  writer->keepCheckpoints(pupils);
  writer->commit();
  return plan.outcome;
}

}  // namespace markbridge
