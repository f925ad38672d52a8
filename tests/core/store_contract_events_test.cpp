// The event store's contract: what every backend of EventStore does (read what it holds of the
// events, apply a lifecycle plan with its outbox items and checkpoints in one transaction),
// written against the interface and run once per backend in tests/core/store_backends.h.

#include <gtest/gtest.h>

#include <algorithm>

#include "core/store/console_reads.h"
#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kUpn = "B801200005001";
const std::string kType = "unauthorised_10_day";
const std::vector<SinkRoute> kRoutes = {{"la", {kType}}, {"webhook", {kType}}};

Event tenDays(const char* first, const char* reached, const std::string& upn = kUpn) {
  Event e;
  e.rule = "statutory.unauthorised_10_day";
  e.type = kType;
  e.pupil.upn = upn;
  e.episode = first;
  e.id = Event::makeId(e.rule, upn, first);
  e.from = d(first);
  e.to = e.occurred_on = d(reached);
  e.summary = "10 days from " + std::string(first);
  return e;
}

}  // namespace

template <typename Backend>
class EventStoreContract : public test::StoreContract<Backend> {
 protected:
  EventStore& events() { return *this->store; }
  OutboxStore& outbox() { return *this->store; }

  // What the store holds of `id`, read as an evaluation of the whole of `upn`'s year would.
  std::optional<RecordedEvent> recorded(const std::string& id, const Event& probe) {
    auto writer = events().beginEvaluation();
    for (auto& r : writer->recorded({probe.pupil.upn}, {probe}))
      if (r.id == id) return r;
    return std::nullopt;
  }
};
TYPED_TEST_SUITE_P(EventStoreContract);

TYPED_TEST_P(EventStoreContract, HoldsNothingAtFirst) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  auto writer = this->events().beginEvaluation();
  EXPECT_TRUE(writer->recorded({kUpn}, {e}).empty());
  EXPECT_TRUE(this->events().evaluationCheckpoints().empty());
}

TYPED_TEST_P(EventStoreContract, RecordsANewEventAndQueuesItForEachRoutedSink) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  auto outcome = this->events().commitEvaluation({kUpn}, {e}, kRoutes, 1000);
  EXPECT_EQ(outcome.new_events, 1);
  EXPECT_EQ(outcome.outbox_items, 2);
  auto r = this->recorded(e.id, e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, EventState::Active);
  EXPECT_EQ(r->rule, e.rule);
  EXPECT_EQ(r->type, e.type);
  EXPECT_EQ(r->upn, kUpn);
  EXPECT_EQ(r->from, e.from);
  EXPECT_EQ(r->to, e.to);
  EXPECT_EQ(r->occurred_on, e.occurred_on);
  EXPECT_EQ(r->record_of, e.id);
  EXPECT_EQ(r->revision, 0);
  auto items = this->outbox().outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].key, e.id + "@la");
  EXPECT_EQ(items[1].key, e.id + "@webhook");
  EXPECT_EQ(items[0].payload, e.toJson());
  EXPECT_EQ(items[0].created_at, 1000);
  EXPECT_EQ(items[0].state, OutboxState::Pending);
}

TYPED_TEST_P(EventStoreContract, ReadsTheActiveEventsOfThePupilsLookedAtAgain) {
  auto september = tenDays("2024-09-16", "2024-09-27");
  auto november = tenDays("2024-11-04", "2024-11-15");
  this->events().commitEvaluation({kUpn}, {september, november}, kRoutes, 1);
  auto writer = this->events().beginEvaluation();
  // Looked at again from October, finding nothing: November's event may have lapsed.
  auto held = writer->recorded({PupilEvaluated(kUpn, d("2024-10-01"), "")}, {});
  EXPECT_TRUE(std::any_of(held.begin(), held.end(),
                          [&](const RecordedEvent& r) { return r.id == november.id; }));
  // Each event at most once, even when found now and active.
  held = writer->recorded({kUpn}, {september, november});
  EXPECT_EQ(std::count_if(held.begin(), held.end(),
                          [&](const RecordedEvent& r) { return r.id == september.id; }),
            1);
}

TYPED_TEST_P(EventStoreContract, WithdrawsAndReinstatesWithTheStoredPayloadAndNewKeys) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  this->events().commitEvaluation({kUpn}, {e}, kRoutes, 1);
  auto gone = this->events().commitEvaluation({kUpn}, {}, kRoutes, 2);
  EXPECT_EQ(gone.withdrawn_events, 1);
  EXPECT_EQ(gone.outbox_items, 2);
  EXPECT_EQ(this->recorded(e.id, e)->state, EventState::Withdrawn);
  EXPECT_EQ(this->recorded(e.id, e)->revision, 1);
  auto back = this->events().commitEvaluation({kUpn}, {e}, kRoutes, 3);
  EXPECT_EQ(back.reinstated_events, 1);
  EXPECT_EQ(this->recorded(e.id, e)->state, EventState::Active);
  EXPECT_EQ(this->recorded(e.id, e)->revision, 2);
  auto items = this->outbox().outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[2].key, e.id + "/w1@la");
  EXPECT_EQ(items[2].kind, OutboxKind::Withdraw);
  EXPECT_EQ(items[4].key, e.id + "/r2@la");
  EXPECT_EQ(items[4].kind, OutboxKind::Notify);
  for (const auto& item : items) EXPECT_EQ(item.payload, e.toJson());
}

TYPED_TEST_P(EventStoreContract, ARevisionSupersedesTheOldRecordAndKeepsWhatItIsARecordOf) {
  auto before = tenDays("2024-09-16", "2024-09-27");
  auto after = tenDays("2024-09-17", "2024-09-30");
  this->events().commitEvaluation({kUpn}, {before}, kRoutes, 1);
  auto revised = this->events().commitEvaluation({kUpn}, {after}, kRoutes, 2);
  EXPECT_EQ(revised.revised_events, 1);
  EXPECT_EQ(this->recorded(before.id, before)->state, EventState::Superseded);
  EXPECT_EQ(this->recorded(before.id, before)->revision, 1);
  EXPECT_EQ(this->recorded(after.id, after)->record_of, before.id);
  auto items = this->outbox().outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[2].key, after.id + "/revises@la");
  EXPECT_EQ(items[2].payload, after.toJson());
}

TYPED_TEST_P(EventStoreContract, APupilsHistoryKeepsEveryEpisodeInEveryStateWithItsDeliveries) {
  auto withdrawn = tenDays("2024-09-16", "2024-09-27");
  auto before = tenDays("2024-10-07", "2024-10-18");
  auto after = tenDays("2024-10-08", "2024-10-21");
  this->events().commitEvaluation({kUpn}, {withdrawn, before}, kRoutes, 1000);
  auto first = this->outbox().outbox(std::nullopt, 10);
  ASSERT_EQ(first.size(), 4u);
  this->outbox().recordDelivered(first[0].seq, "LA-1", 1500);
  this->events().commitEvaluation({kUpn}, {after}, kRoutes, 2000);  // one gone, one moved
  this->events().commitEvaluation(
      {"K801400023001"}, {tenDays("2024-09-16", "2024-09-27", "K801400023001")}, kRoutes, 2500);
  auto history = this->events().eventHistory(kUpn);
  ASSERT_EQ(history.size(), 3u);  // oldest first; another pupil's events are not there
  EXPECT_EQ(history[0].event.id, withdrawn.id);
  EXPECT_EQ(history[0].event.state, EventState::Withdrawn);
  EXPECT_EQ(history[0].summary, "10 days from 2024-09-16");
  EXPECT_EQ(history[0].created_at, 1000);
  EXPECT_EQ(history[0].updated_at, 2000);
  ASSERT_EQ(history[0].deliveries.size(), 4u);  // notified and withdrawn, at each sink
  EXPECT_EQ(history[0].deliveries[0].kind, OutboxKind::Notify);
  EXPECT_EQ(history[0].deliveries[0].state, OutboxState::Delivered);
  EXPECT_EQ(history[0].deliveries[0].reference, "LA-1");
  EXPECT_EQ(history[0].deliveries[0].finished_at, 1500);
  EXPECT_EQ(history[0].deliveries[1].finished_at, 0);  // pending
  EXPECT_EQ(history[0].deliveries[3].kind, OutboxKind::Withdraw);
  EXPECT_EQ(history[1].event.id, before.id);
  EXPECT_EQ(history[1].event.state, EventState::Superseded);
  EXPECT_EQ(history[2].event.id, after.id);
  EXPECT_EQ(history[2].event.record_of, before.id);
  ASSERT_EQ(history[2].deliveries.size(), 2u);
  EXPECT_EQ(history[2].deliveries[0].kind, OutboxKind::Revise);
}

// The console reads every pupil's history at once (SQLite in two passes, another backend pupil
// by pupil): the same histories as eventHistory gives one pupil at a time.
TYPED_TEST_P(EventStoreContract, EveryPupilsHistoryAtOnceIsEachPupilsHistory) {
  const std::string other = "K801400023001";
  // Both on the register, as every pupil with an event is.
  ImportBatch batch;
  batch.source = "sims";
  batch.origin = "export.csv";
  batch.fingerprint = "two pupils";
  for (const auto& upn : {kUpn, other}) {
    batch.pupils.push_back(Pupil{upn, "1", "Ann", "Smith", {}, "7", "7A", {}});
    batch.marks.push_back(test::mark(upn, d("2024-09-03"), Session::AM, "/"));
  }
  batch.rows = 2;
  this->store->importBatch(batch, 500);
  auto first = tenDays("2024-09-16", "2024-09-27");
  this->events().commitEvaluation({kUpn}, {first}, kRoutes, 1000);
  auto items = this->outbox().outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 2u);
  this->outbox().recordDelivered(items[0].seq, "LA-1", 1500);
  this->events().commitEvaluation({kUpn}, {}, kRoutes, 2000);  // withdrawn
  this->events().commitEvaluation({other}, {tenDays("2024-09-16", "2024-09-27", other)}, kRoutes,
                                  2500);
  auto all = everyEventHistory(*this->store);
  ASSERT_EQ(all.size(), 2u);  // a pupil with no event is left out
  for (const auto& upn : {kUpn, other}) {
    auto one = this->events().eventHistory(upn);
    const auto& many = all.at(upn);
    ASSERT_EQ(many.size(), one.size()) << upn;
    for (std::size_t i = 0; i < one.size(); ++i) {
      EXPECT_EQ(many[i].event.id, one[i].event.id);
      EXPECT_EQ(many[i].event.upn, upn);
      EXPECT_EQ(many[i].event.state, one[i].event.state);
      EXPECT_EQ(many[i].summary, one[i].summary);
      EXPECT_EQ(many[i].updated_at, one[i].updated_at);
      ASSERT_EQ(many[i].deliveries.size(), one[i].deliveries.size());
      for (std::size_t k = 0; k < one[i].deliveries.size(); ++k) {
        EXPECT_EQ(many[i].deliveries[k].seq, one[i].deliveries[k].seq);
        EXPECT_EQ(many[i].deliveries[k].reference, one[i].deliveries[k].reference);
      }
    }
  }
  EXPECT_EQ(all.at(kUpn)[0].event.state, EventState::Withdrawn);
  EXPECT_EQ(all.at(kUpn)[0].deliveries.size(), 4u);  // notified and withdrawn, at each sink
}

TYPED_TEST_P(EventStoreContract, HistoryIsRecordedButNothingQueued) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  auto outcome = this->events().commitEvaluation({kUpn}, {e}, kRoutes, 1, d("2024-11-01"));
  EXPECT_EQ(outcome.historical_events, 1);
  EXPECT_EQ(outcome.outbox_items, 0);
  EXPECT_EQ(this->recorded(e.id, e)->state, EventState::Historical);
  EXPECT_TRUE(this->outbox().outbox(std::nullopt, 10).empty());
}

TYPED_TEST_P(EventStoreContract, AKeyAlreadyQueuedIsNotQueuedAgain) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  this->events().commitEvaluation({kUpn}, {e}, kRoutes, 1);
  EvaluationPlan plan;
  plan.queue.push_back({e.id + "@la", "la", e.id, kUpn, OutboxKind::Notify, std::string("{}")});
  plan.queue.push_back({e.id + "/x@la", "la", e.id, kUpn, OutboxKind::Notify, std::nullopt});
  auto writer = this->events().beginEvaluation();
  EXPECT_EQ(writer->apply(plan, 2), 1);
  writer->commit();
  auto items = this->outbox().outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].payload, e.toJson());  // the first stands as it was
  EXPECT_EQ(items[2].payload, e.toJson());  // no payload in the plan: the recorded one
}

TYPED_TEST_P(EventStoreContract, AnEvaluationNotCommittedLeavesNothingBehind) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  {
    auto writer = this->events().beginEvaluation();
    std::vector<PupilEvaluated> pupils = {PupilEvaluated(kUpn, Date(), "cp")};
    std::vector<Event> found = {e};  // the plan refers to it
    auto plan = planEvaluation(pupils, found, writer->recorded(pupils, found), kRoutes);
    EXPECT_EQ(writer->apply(plan, 1), 2);
    writer->keepCheckpoints(pupils);
  }
  EXPECT_FALSE(this->recorded(e.id, e).has_value());
  EXPECT_TRUE(this->outbox().outbox(std::nullopt, 10).empty());
  EXPECT_TRUE(this->events().evaluationCheckpoints().empty());
}

TYPED_TEST_P(EventStoreContract, KeepsAndDropsEachPupilsCheckpointAcrossReopening) {
  this->events().commitEvaluation(
      {PupilEvaluated(kUpn, Date(), "cp1"), PupilEvaluated("A801200005002", Date(), "cpA")}, {},
      kRoutes, 1);
  this->events().commitEvaluation({PupilEvaluated(kUpn, Date(), std::string("c\0p2", 4))}, {},
                                  kRoutes, 2);
  this->reopen();
  auto kept = this->events().evaluationCheckpoints();
  EXPECT_EQ(kept.at(kUpn), std::string("c\0p2", 4));  // bytes, not text
  EXPECT_EQ(kept.at("A801200005002"), "cpA");
  this->events().commitEvaluation({PupilEvaluated("A801200005002", Date(), "")}, {}, kRoutes, 3);
  EXPECT_EQ(this->events().evaluationCheckpoints().count("A801200005002"), 0u);
}

REGISTER_TYPED_TEST_SUITE_P(EventStoreContract, HoldsNothingAtFirst,
                            RecordsANewEventAndQueuesItForEachRoutedSink,
                            ReadsTheActiveEventsOfThePupilsLookedAtAgain,
                            WithdrawsAndReinstatesWithTheStoredPayloadAndNewKeys,
                            ARevisionSupersedesTheOldRecordAndKeepsWhatItIsARecordOf,
                            APupilsHistoryKeepsEveryEpisodeInEveryStateWithItsDeliveries,
                            EveryPupilsHistoryAtOnceIsEachPupilsHistory,
                            HistoryIsRecordedButNothingQueued, AKeyAlreadyQueuedIsNotQueuedAgain,
                            AnEvaluationNotCommittedLeavesNothingBehind,
                            KeepsAndDropsEachPupilsCheckpointAcrossReopening);
INSTANTIATE_TYPED_TEST_SUITE_P(Backends, EventStoreContract, test::StoreBackends,
                               test::BackendName);
