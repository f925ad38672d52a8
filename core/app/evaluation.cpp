#include "core/app/evaluation.h"

#include <spdlog/spdlog.h>

#include <future>
#include <memory>

#include "core/domain/fault_point.h"
#include "core/domain/logging.h"

namespace markbridge {

namespace {

// A few thousand pupils' registers, then what the rules found for them.
struct Batch {
  std::vector<std::pair<Pupil, PupilRegister>> registers;
  std::vector<PupilEvaluated> pupils;
  std::vector<Event> events;
  int resumed = 0;
};

void evaluateBatch(Batch& batch, const RuleSet& rules, Date today,
                   const std::unordered_map<std::string, std::string>& checkpoints) {
  for (const auto& [pupil, reg] : batch.registers) {
    auto checkpoint = checkpoints.find(pupil.upn);
    auto found =
        rules.evaluate(pupil, reg, today,
                       checkpoint == checkpoints.end() ? std::string_view()
                                                       : std::string_view(checkpoint->second));
    batch.resumed += found.resumed;
    batch.pupils.emplace_back(pupil.upn, found.from, std::move(found.checkpoint));
    batch.events.insert(batch.events.end(), std::make_move_iterator(found.events.begin()),
                        std::make_move_iterator(found.events.end()));
  }
  batch.registers.clear();
}

}  // namespace

EvaluationRun evaluateRegisters(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                                const std::vector<SinkRoute>& routes, Date today, int64_t nowMs,
                                bool resume) {
  EvaluationRun run;
  std::unordered_map<std::string, std::string> checkpoints;
  if (resume) checkpoints = store.evaluationCheckpoints();
  // A few thousand pupils at a time: memory stays bounded for a whole local authority, and
  // each pupil's events and checkpoint are committed together. While one batch is evaluated
  // on a second thread (the rules are pure), this one reads the next batch and commits the one
  // before: the store's connection is only ever used here.
  constexpr std::size_t kPupilsPerBatch = 500;
  auto commit = [&](Batch& batch) {
    if (batch.pupils.empty()) return;
    auto outcome =
        store.commitEvaluation(batch.pupils, batch.events, routes, nowMs, rules.notifyFrom());
    run.outcome.new_events += outcome.new_events;
    run.outcome.withdrawn_events += outcome.withdrawn_events;
    run.outcome.reinstated_events += outcome.reinstated_events;
    run.outcome.revised_events += outcome.revised_events;
    run.outcome.historical_events += outcome.historical_events;
    run.outcome.outbox_items += outcome.outbox_items;
    run.pupils += static_cast<int>(batch.pupils.size());
    run.resumed += batch.resumed;
    faultPoint("after-evaluation-batch");  // crash tests: a batch committed, the next not
  };
  auto reading = std::make_unique<Batch>();
  std::unique_ptr<Batch> evaluating;
  std::future<void> evaluated;
  auto handOver = [&] {
    if (evaluated.valid()) evaluated.get();  // rethrows what the evaluation threw
    auto done = std::move(evaluating);
    evaluating = std::move(reading);
    reading = std::make_unique<Batch>();
    evaluated = std::async(std::launch::async, evaluateBatch, std::ref(*evaluating),
                           std::cref(rules), today, std::cref(checkpoints));
    if (done) commit(*done);
  };
  store.forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    reading->registers.emplace_back(pupil, reg);
    if (reading->registers.size() >= kPupilsPerBatch) handOver();
  });
  if (!reading->registers.empty()) handOver();
  if (evaluated.valid()) evaluated.get();
  if (evaluating) commit(*evaluating);
  namedLogger("rules")->info(
      "{} pupils evaluated through {} ({} resumed from their checkpoint): {} new events, {} "
      "withdrawn, {} outbox items",
      run.pupils, today.iso(), run.resumed, run.outcome.new_events, run.outcome.withdrawn_events,
      run.outcome.outbox_items);
  return run;
}

}  // namespace markbridge
