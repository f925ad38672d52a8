#include "core/app/evaluation.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "core/domain/fault_point.h"
#include "core/domain/kept_threads.h"
#include "core/domain/logging.h"
#include "core/rules/actions_taken.h"
#include "core/rules/digest.h"
#include "schedules/london_time.h"

namespace markbridge {

namespace {

// A few thousand pupils' registers, then what the rules found for them.
struct Batch {
  std::vector<std::pair<Pupil, PupilRegister>> registers;
  std::vector<PupilEvaluated> pupils;
  std::vector<Event> events;
  int resumed = 0;
  std::optional<Date> resumed_from;  // the earliest day a resumed pupil was looked at again
};

void evaluateBatch(Batch& batch, const RuleSet& rules, Date today,
                   const std::unordered_map<std::string, std::string>& checkpoints) {
  const SchoolCalendar* calendar = nullptr;  // the rules' digest is worked out once for each
  uint64_t digest = 0;
  for (const auto& [pupil, reg] : batch.registers) {
    if (&reg.calendar() != calendar) {
      calendar = &reg.calendar();
      digest = rules.digestFor(*calendar);
    }
    auto checkpoint = checkpoints.find(pupil.upn);
    auto found = rules.evaluate(
        pupil, reg, today,
        checkpoint == checkpoints.end() ? std::string_view() : std::string_view(checkpoint->second),
        digest);
    batch.resumed += found.resumed;
    if (found.resumed && (!batch.resumed_from || found.from < *batch.resumed_from))
      batch.resumed_from = found.from;
    batch.pupils.emplace_back(pupil.upn, found.from, std::move(found.checkpoint));
    batch.events.insert(batch.events.end(), std::make_move_iterator(found.events.begin()),
                        std::make_move_iterator(found.events.end()));
  }
  batch.registers.clear();
}

// The pupils' new checkpoints kept, but not those `kept` (what the store held when the run
// began; null: not read) holds already: the afternoon's sync resumes from the same day as the
// morning's, so after a morning sync every checkpoint is as it was.
void keepChangedCheckpoints(EvaluationWriter& writer, const std::vector<PupilEvaluated>& pupils,
                            const std::unordered_map<std::string, std::string>* kept) {
  if (!kept) {
    writer.keepCheckpoints(pupils);
    return;
  }
  std::vector<PupilEvaluated> changed;
  for (const auto& p : pupils) {
    auto stored = kept->find(p.upn);
    if (stored == kept->end() ? !p.checkpoint.empty() : stored->second != p.checkpoint)
      changed.push_back(p);
  }
  writer.keepCheckpoints(changed);
}

// The action details a stored payload holds (null when none, or not JSON).
nlohmann::json storedAction(const std::string& payload) {
  auto json = nlohmann::json::parse(payload, nullptr, false);
  if (!json.is_object()) return nullptr;
  auto it = json.find("action");
  return it == json.end() ? nlohmann::json() : *it;
}

// Chooses `actions_taken` for each LA notification of the batch the store has not recorded yet
// (a recorded one keeps the payload it was recorded with): the pupil's events the store holds
// and those this evaluation found. A recorded event counts while it is active (or, if found
// again now, withdrawn and about to be reinstated); one that lapses in this evaluation (active,
// looked for again, not found) does not. Only pupils with an LA notification are looked up.
void chooseActionsTaken(Store& store, Batch& batch, std::optional<Date> notifyFrom) {
  std::map<std::string, std::vector<Event*>> notifications;  // upn -> its LA events
  std::map<std::string, std::vector<const Event*>> found;    // upn -> everything found now
  for (auto& event : batch.events) {
    if (takesActionsTaken(event.type)) notifications[event.pupil.upn].push_back(&event);
  }
  if (notifications.empty()) return;
  for (const auto& event : batch.events)
    if (notifications.count(event.pupil.upn)) found[event.pupil.upn].push_back(&event);
  std::map<std::string, Date> lookedFrom;
  for (const auto& p : batch.pupils)
    if (notifications.count(p.upn)) lookedFrom[p.upn] = p.from;

  for (auto& [upn, events] : notifications) {
    auto history = store.eventHistory(upn);
    std::set<std::string> recorded, now;
    for (const auto* event : found[upn]) now.insert(event->id);
    std::vector<PriorEvent> prior;
    for (auto& h : history) {
      const auto& r = h.event;
      recorded.insert(r.id);
      bool active = r.state == EventState::Active;
      bool lapsing = active && !now.count(r.id) && r.occurred_on >= lookedFrom[upn];
      bool reinstated = r.state == EventState::Withdrawn && now.count(r.id);
      PriorEvent p{r.id,
                   r.rule,
                   r.type,
                   r.occurred_on,
                   h.summary,
                   nullptr,
                   (active && !lapsing) || reinstated};
      if (!h.deliveries.empty()) p.action = storedAction(h.deliveries.front().payload);
      prior.push_back(std::move(p));
    }
    for (const auto* event : found[upn]) {
      if (recorded.count(event->id)) continue;
      bool history = notifyFrom && event->occurred_on < *notifyFrom;  // recorded, never sent
      prior.push_back(
          {event->id, event->rule, event->type, event->occurred_on, event->summary,
           event->action.empty() ? nlohmann::json() : nlohmann::json::parse(event->action),
           !history});
    }
    for (auto* event : events)
      if (!recorded.count(event->id))
        event->actions_taken = selectActionsTaken(prior, event->occurred_on);
  }
}

// What the digests need to know of the pupils' commits.
struct DigestChanges {
  std::vector<std::string> upns;                            // every pupil evaluated
  std::unordered_map<std::string, SinkEvent> recorded_now;  // entries recorded by this run
  std::optional<Date> entries_from;   // the earliest entry recorded, withdrawn or revised now
  std::optional<Date> resumed_from;   // the earliest day a resumed pupil was looked at again
  std::optional<Date> everyone_from;  // ... any pupil
  bool any_resumed = false;
};

void earliest(std::optional<Date>& day, Date candidate) {
  if (!day || candidate < *day) day = candidate;
}

// The entries a batch's plan recorded (their payloads, as stored) and changed: a period with
// one of them must be built again. A pupil resumed from a checkpoint was looked at again from
// the day after the last sync's: periods that ended since then are built for the first time.
void noteDigestChanges(const Batch& batch, const std::vector<RecordedEvent>& recorded,
                       const EvaluationPlan& plan, DigestChanges& changes) {
  std::unordered_map<std::string_view, const RecordedEvent*> byId;
  for (const auto& r : recorded) byId.emplace(r.id, &r);
  for (const auto& p : batch.pupils) changes.upns.push_back(p.upn);
  for (const auto& p : batch.pupils) earliest(changes.everyone_from, p.from);
  changes.any_resumed = changes.any_resumed || batch.resumed > 0;
  if (batch.resumed_from) earliest(changes.resumed_from, *batch.resumed_from);
  for (const auto& r : plan.record) {
    if (r.event->type != kDigestEntryType) continue;
    changes.recorded_now.emplace(r.event->id, SinkEvent::fromJson(r.payload));
    earliest(changes.entries_from, r.event->occurred_on);
  }
  for (const auto& c : plan.change) {
    auto it = byId.find(c.id);
    if (it != byId.end() && it->second->type == kDigestEntryType)
      earliest(changes.entries_from, it->second->occurred_on);
  }
}

// The digests (core/rules/digest.h), once every pupil's events are committed: each period that
// may have changed (from the week of the earliest day any pupil was looked at again) is built
// again from the pupils' entries the store now holds, with the week before it for what changed,
// and recorded through the same lifecycle as any event in one transaction: a new digest is
// queued, one whose entries or figures moved is revised, one whose period emptied is withdrawn,
// and one found again as it was is left alone.
void commitDigests(Store& store, const std::vector<DigestRule>& rules, const DigestChanges& changes,
                   const std::vector<SinkRoute>& routes, Date today, int64_t nowMs,
                   std::optional<Date> notifyFrom, EvaluationOutcome& total) {
  std::optional<Date> since = changes.entries_from;
  if (changes.resumed_from && (!since || *changes.resumed_from < *since))
    since = changes.resumed_from;
  if (!changes.any_resumed && changes.everyone_from && (!since || *changes.everyone_from < *since))
    since = changes.everyone_from;
  if (!since) return;
  Date rebuildFrom = since->monday();
  Date basis = rebuildFrom - 7;
  bool ended = false;  // a period that may have changed is over: its digest can be built
  for (const auto& rule : rules) ended = ended || digestPeriod(rule.every, rebuildFrom).to < today;
  if (!ended) return;
  const auto& upns = changes.upns;
  const auto& found = changes.recorded_now;
  std::set<std::string> digestRuleIds;
  std::vector<PupilEvaluated> digestPupils;
  for (const auto& rule : rules) {
    digestRuleIds.insert(rule.rule);
    digestPupils.emplace_back(digestUpn(rule.rule), rebuildFrom, "");
  }
  auto writer = store.beginEvaluation();
  std::vector<PupilEvaluated> everyone;
  everyone.reserve(upns.size() + digestPupils.size());
  for (const auto& upn : upns) everyone.emplace_back(upn, basis, "");
  // The entries of the periods looked at: those found now carry their figures; for the others
  // (found by an earlier sync) the pupil's recorded payload is read.
  std::vector<SinkEvent> members;
  std::map<std::string, std::set<std::string>> toRead;  // upn -> entry ids
  for (const auto& r : writer->recorded(everyone, {})) {
    if (r.state != EventState::Active || r.type != kDigestEntryType || r.occurred_on < basis ||
        !digestRuleIds.count(r.rule))
      continue;
    if (auto it = found.find(r.id); it != found.end())
      members.push_back(it->second);
    else
      toRead[r.upn].insert(r.id);
  }
  for (const auto& [upn, ids] : toRead) {
    for (const auto& h : store.eventHistory(upn)) {
      if (!ids.count(h.event.id)) continue;
      try {
        members.push_back(SinkEvent::fromJson(h.payload));
      } catch (const BadEventPayload& e) {
        namedLogger("rules")->warn("event {} left out of its digest: {}", h.event.id, e.what());
      }
    }
  }
  auto digests = planDigests(rules, members, rebuildFrom, today);
  auto plan = planEvaluation(digestPupils, digests, writer->recorded(digestPupils, digests), routes,
                             notifyFrom);
  plan.outcome.outbox_items = writer->apply(plan, nowMs);
  writer->commit();
  total.new_events += plan.outcome.new_events;
  total.withdrawn_events += plan.outcome.withdrawn_events;
  total.reinstated_events += plan.outcome.reinstated_events;
  total.revised_events += plan.outcome.revised_events;
  total.historical_events += plan.outcome.historical_events;
  total.outbox_items += plan.outcome.outbox_items;
}

}  // namespace

EvaluationRun evaluateRegisters(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                                const std::vector<SinkRoute>& routes, Date today, int64_t nowMs,
                                bool resume, const std::vector<std::string>& rollSources) {
  EvaluationRun run;
  // Pupils the roll's listings stopped naming: the days of the first syncs that missed them
  // (as many as the rule reads, so the pupil's digest stops changing after that). A pupil whose
  // leaving date closes the roll is not missing.
  std::map<std::string, std::vector<Date>> missed;
  const std::size_t keep =
      static_cast<std::size_t>(std::max(1, rules.missingEducation().vanished_after_syncs));
  for (auto& [upn, times] : store.rollListingsMissed(rollSources)) {
    auto& days = missed[upn];
    for (std::size_t i = 0; i < times.size() && i < keep; ++i)
      days.push_back(london::localDate(times[i]));
  }
  std::unordered_map<std::string, std::string> checkpoints;
  if (resume) checkpoints = store.evaluationCheckpoints();
  // A few thousand pupils at a time: memory stays bounded for a whole local authority, and
  // each pupil's events and checkpoint are committed together. While one batch is evaluated
  // on a second thread (the rules are pure), this one reads the next batch and commits the one
  // before: the store's connection is only ever used here.
  constexpr std::size_t kPupilsPerBatch = 500;
  const auto digestRuleList = digestRules(rules.policies());
  DigestChanges digests;
  auto commit = [&](Batch& batch) {
    if (batch.pupils.empty()) return;
    chooseActionsTaken(store, batch, rules.notifyFrom());
    // As EventStore::commitEvaluation, with the plan in hand: the digests need to know which
    // pupils' entries it recorded or withdrew.
    auto writer = store.beginEvaluation();
    auto recorded = writer->recorded(batch.pupils, batch.events);
    auto plan = planEvaluation(batch.pupils, batch.events, recorded, routes, rules.notifyFrom());
    plan.outcome.outbox_items = writer->apply(plan, nowMs);
    keepChangedCheckpoints(*writer, batch.pupils, resume ? &checkpoints : nullptr);
    writer->commit();
    const auto& outcome = plan.outcome;
    if (!digestRuleList.empty()) noteDigestChanges(batch, recorded, plan, digests);
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
  // The batch under evaluation runs on one of the process's kept threads (a new thread for each
  // batch cost a school's close more than a millisecond), and is waited for however this
  // function ends: it reads `evaluating`, `rules` and `checkpoints`, which are this function's.
  std::future<void> evaluated;
  struct WaitFor {
    std::future<void>& evaluation;
    explicit WaitFor(std::future<void>& f) : evaluation(f) {}
    WaitFor(const WaitFor&) = delete;
    WaitFor& operator=(const WaitFor&) = delete;
    ~WaitFor() {
      if (evaluation.valid()) evaluation.wait();
    }
  } waitForEvaluated(evaluated);
  auto handOver = [&] {
    if (evaluated.valid()) evaluated.get();  // rethrows what the evaluation threw
    auto done = std::move(evaluating);
    evaluating = std::move(reading);
    reading = std::make_unique<Batch>();
    auto finished = std::make_shared<std::promise<void>>();
    evaluated = finished->get_future();
    KeptThreads::ofProcess().run([finished, &batch = *evaluating, &rules, today, &checkpoints] {
      try {
        evaluateBatch(batch, rules, today, checkpoints);
        finished->set_value();
      } catch (...) {
        finished->set_exception(std::current_exception());
      }
    });
    if (done) commit(*done);
  };
  store.forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    reading->registers.emplace_back(pupil, reg);
    if (auto it = missed.find(pupil.upn); it != missed.end()) {
      auto& copy = reading->registers.back().first;
      bool left = !copy.on_roll.empty() && copy.on_roll.back().left;
      if (!left) copy.missed_roll_listings = it->second;
    }
    if (reading->registers.size() >= kPupilsPerBatch) handOver();
  });
  if (!reading->registers.empty()) handOver();
  if (evaluated.valid()) evaluated.get();
  if (evaluating) commit(*evaluating);
  if (!digestRuleList.empty())
    commitDigests(store, digestRuleList, digests, routes, today, nowMs, rules.notifyFrom(),
                  run.outcome);
  namedLogger("rules")->info(
      "{} pupils evaluated through {} ({} resumed from their checkpoint): {} new events, {} "
      "withdrawn, {} outbox items",
      run.pupils, today.iso(), run.resumed, run.outcome.new_events, run.outcome.withdrawn_events,
      run.outcome.outbox_items);
  return run;
}

std::vector<std::string> rollSourcesOf(const RuleSet& rules, const nlohmann::json& sources) {
  if (const auto& chosen = rules.missingEducation().roll_sources) return *chosen;
  std::vector<std::string> names;
  for (const auto& source : sources) {
    if (!source.is_object()) continue;
    std::string type = source.value("type", "");
    if (type == "mis_rest" || type == "ctf_xml") continue;  // incremental; transfer files
    names.push_back(source.value("name", ""));
  }
  return names;
}

}  // namespace markbridge
