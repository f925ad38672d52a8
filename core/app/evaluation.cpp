#include "core/app/evaluation.h"

#include <spdlog/spdlog.h>

#include "core/domain/logging.h"

namespace markbridge {

EvaluationRun evaluateRegisters(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                                const std::vector<SinkRoute>& routes, Date today, int64_t nowMs,
                                bool resume) {
  EvaluationRun run;
  std::vector<PupilEvaluated> pupils;
  std::vector<Event> events;
  std::unordered_map<std::string, std::string> checkpoints;
  if (resume) checkpoints = store.evaluationCheckpoints();
  store.forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    auto checkpoint = checkpoints.find(pupil.upn);
    auto found =
        rules.evaluate(pupil, reg, today,
                       checkpoint == checkpoints.end() ? std::string_view()
                                                       : std::string_view(checkpoint->second));
    run.resumed += found.resumed;
    pupils.emplace_back(pupil.upn, found.from, std::move(found.checkpoint));
    events.insert(events.end(), std::make_move_iterator(found.events.begin()),
                  std::make_move_iterator(found.events.end()));
  });
  run.pupils = static_cast<int>(pupils.size());
  run.outcome = store.commitEvaluation(pupils, events, routes, nowMs, rules.notifyFrom());
  namedLogger("rules")->info(
      "{} pupils evaluated through {} ({} resumed from their checkpoint): {} new events, {} "
      "withdrawn, {} outbox items",
      run.pupils, today.iso(), run.resumed, run.outcome.new_events, run.outcome.withdrawn_events,
      run.outcome.outbox_items);
  return run;
}

}  // namespace markbridge
