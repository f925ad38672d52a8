#include "core/rules/event_lifecycle.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace markbridge {

std::string_view toString(EventState state) {
  switch (state) {
    case EventState::Active:
      return "active";
    case EventState::Withdrawn:
      return "withdrawn";
    case EventState::Superseded:
      return "superseded";
    case EventState::Historical:
      return "historical";
  }
  return "active";
}

std::optional<EventState> eventStateFrom(std::string_view text) {
  for (auto state :
       {EventState::Active, EventState::Withdrawn, EventState::Superseded, EventState::Historical})
    if (text == toString(state)) return state;
  return std::nullopt;
}

namespace {

// Builds the plan one decision at a time.
class Planner {
 public:
  Planner(const std::vector<SinkRoute>& routes, EvaluationPlan& plan)
      : routes_(routes), plan_(plan) {}

  void record(const Event& event, std::string payload, std::string recordOf, EventState state) {
    plan_.record.push_back({&event, std::move(payload), std::move(recordOf), state});
  }

  void change(const std::string& id, EventState state, int64_t revision) {
    plan_.change.push_back({id, state, revision});
  }

  // One item for each sink routed `type`; no payload: the one recorded with the event.
  void queue(const std::string& id, const std::string& type, const std::string& upn,
             OutboxKind kind, const std::optional<std::string>& payload,
             const std::string& suffix) {
    for (const auto& route : routes_) {
      if (!route.types.count(type)) continue;
      plan_.queue.push_back({id + suffix + "@" + route.sink, route.sink, id, upn, kind, payload});
    }
  }

 private:
  const std::vector<SinkRoute>& routes_;
  EvaluationPlan& plan_;
};

}  // namespace

EvaluationPlan planEvaluation(const std::vector<PupilEvaluated>& pupils,
                              const std::vector<Event>& events,
                              const std::vector<RecordedEvent>& recorded,
                              const std::vector<SinkRoute>& routes,
                              std::optional<Date> notifyFrom) {
  EvaluationPlan plan;
  Planner planner(routes, plan);
  auto& outcome = plan.outcome;

  std::unordered_map<std::string_view, const RecordedEvent*> known;
  known.reserve(recorded.size());
  for (const auto& r : recorded) known.emplace(r.id, &r);

  // Events that held before and hold no longer, of those looked for again.
  std::unordered_set<std::string_view> current;
  current.reserve(events.size());
  for (const auto& event : events) current.insert(event.id);
  std::unordered_map<std::string_view, Date> lookedFrom;  // upn -> first day looked at again
  for (const auto& p : pupils) lookedFrom[p.upn] = p.from;
  std::vector<const RecordedEvent*> lapsed;
  for (const auto& [id, r] : known) {
    if (r->state != EventState::Active || current.count(id)) continue;
    auto from = lookedFrom.find(r->upn);
    if (from != lookedFrom.end() && r->occurred_on >= from->second) lapsed.push_back(r);
  }
  std::sort(lapsed.begin(), lapsed.end(),
            [](const RecordedEvent* a, const RecordedEvent* b) { return a->id < b->id; });

  for (const auto& event : events) {
    auto it = known.find(event.id);
    if (it == known.end() && notifyFrom && event.occurred_on < *notifyFrom) {
      planner.record(event, event.toJson(), event.id, EventState::Historical);
      ++outcome.historical_events;
    } else if (it == known.end()) {
      // A new event that overlaps a lapsed one of the same rule is the same episode with an
      // amended register: it revises that record instead of withdrawing it and opening another.
      const RecordedEvent* revises = nullptr;
      for (auto l = lapsed.begin(); l != lapsed.end(); ++l) {
        const auto& old = **l;
        if (old.rule == event.rule && old.upn == event.pupil.upn && old.from <= event.to &&
            event.from <= old.to) {
          revises = *l;
          lapsed.erase(l);
          break;
        }
      }
      auto payload = event.toJson();
      if (!revises) {
        planner.record(event, payload, event.id, EventState::Active);
        planner.queue(event.id, event.type, event.pupil.upn, OutboxKind::Notify, payload, "");
        ++outcome.new_events;
      } else {
        planner.record(event, payload, revises->record_of, EventState::Active);
        planner.change(revises->id, EventState::Superseded, revises->revision + 1);
        planner.queue(event.id, event.type, event.pupil.upn, OutboxKind::Revise, payload,
                      "/revises");
        ++outcome.revised_events;
      }
    } else if (it->second->state == EventState::Withdrawn) {
      auto revision = it->second->revision + 1;
      planner.change(event.id, EventState::Active, revision);
      planner.queue(event.id, event.type, event.pupil.upn, OutboxKind::Notify, std::nullopt,
                    "/r" + std::to_string(revision));
      ++outcome.reinstated_events;
    }
  }
  for (const auto* r : lapsed) {
    auto revision = r->revision + 1;
    planner.change(r->id, EventState::Withdrawn, revision);
    planner.queue(r->id, r->type, r->upn, OutboxKind::Withdraw, std::nullopt,
                  "/w" + std::to_string(revision));
    ++outcome.withdrawn_events;
  }
  return plan;
}

}  // namespace markbridge
