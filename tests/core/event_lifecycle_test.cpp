// The event lifecycle as a plan, without a database: each case of what happens to an event when
// a pupil's register is evaluated again.

#include "core/rules/event_lifecycle.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kUpn = "B801200005001";
const std::string kRule = "statutory.unauthorised_10_day";
const std::string kType = "unauthorised_10_day";

// Ten days of unauthorised absence from `first` (the episode), reached on `reached`.
Event tenDays(const char* first, const char* reached, const std::string& upn = kUpn) {
  Event e;
  e.rule = kRule;
  e.type = kType;
  e.pupil.upn = upn;
  e.episode = first;
  e.id = Event::makeId(e.rule, upn, first);
  e.from = d(first);
  e.to = e.occurred_on = d(reached);
  e.sessions_by_code = {{"N", 20}};
  return e;
}

// What a store would hold of `e` once recorded.
RecordedEvent recordOf(const Event& e, EventState state = EventState::Active,
                       int64_t revision = 0) {
  return RecordedEvent{e.id,          e.rule, e.type, e.pupil.upn, state,
                       e.occurred_on, e.from, e.to,   e.id,        revision};
}

const std::vector<Event> kNone;  // nothing found
const std::vector<SinkRoute> kRoutes = {{"la", {kType, "update"}}, {"cpoms", {"concern"}}};

}  // namespace

TEST(EventLifecycle, ANewEventIsRecordedAndNotifiedToEachSinkRoutedItsType) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  std::vector<Event> found = {e};
  auto plan = planEvaluation({kUpn}, found, {}, kRoutes);
  ASSERT_EQ(plan.record.size(), 1u);
  EXPECT_EQ(plan.record[0].event->id, e.id);
  EXPECT_EQ(plan.record[0].state, EventState::Active);
  EXPECT_EQ(plan.record[0].record_of, e.id);
  EXPECT_EQ(plan.record[0].payload, e.toJson());
  EXPECT_TRUE(plan.change.empty());
  ASSERT_EQ(plan.queue.size(), 1u);  // the LA takes this type; CPOMS does not
  EXPECT_EQ(plan.queue[0].key, e.id + "@la");
  EXPECT_EQ(plan.queue[0].sink, "la");
  EXPECT_EQ(plan.queue[0].event_id, e.id);
  EXPECT_EQ(plan.queue[0].upn, kUpn);
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Notify);
  EXPECT_EQ(plan.queue[0].payload, e.toJson());
  EXPECT_EQ(plan.outcome.new_events, 1);
}

TEST(EventLifecycle, AnEventAlreadyRecordedAndStillHoldingChangesNothing) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  std::vector<Event> found = {e};
  auto plan = planEvaluation({kUpn}, found, {recordOf(e)}, kRoutes);
  EXPECT_TRUE(plan.record.empty());
  EXPECT_TRUE(plan.change.empty());
  EXPECT_TRUE(plan.queue.empty());
  EXPECT_EQ(plan.outcome.new_events + plan.outcome.revised_events, 0);
}

TEST(EventLifecycle, AnAmendedPeriodRevisesTheRecordInsteadOfDoublingIt) {
  // The first morning turns out to be a medical appointment: the run now starts a day later.
  auto before = tenDays("2024-09-16", "2024-09-27");
  auto after = tenDays("2024-09-17", "2024-09-30");
  after.sessions_by_code = {{"N", 19}, {"M", 1}};
  std::vector<Event> found = {after};
  auto plan = planEvaluation({kUpn}, found, {recordOf(before)}, kRoutes);
  ASSERT_EQ(plan.record.size(), 1u);
  EXPECT_EQ(plan.record[0].event->id, after.id);
  EXPECT_EQ(plan.record[0].record_of, before.id);  // the same record at the LA
  ASSERT_EQ(plan.change.size(), 1u);
  EXPECT_EQ(plan.change[0].id, before.id);
  EXPECT_EQ(plan.change[0].state, EventState::Superseded);
  EXPECT_EQ(plan.change[0].revision, 1);
  ASSERT_EQ(plan.queue.size(), 1u);
  EXPECT_EQ(plan.queue[0].key, after.id + "/revises@la");
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Revise);
  EXPECT_EQ(plan.queue[0].payload, after.toJson());  // the new period and sessions
  EXPECT_EQ(plan.outcome.revised_events, 1);
  EXPECT_EQ(plan.outcome.new_events + plan.outcome.withdrawn_events, 0);
}

TEST(EventLifecycle, PeriodsSharingOnlyOneDayOverlap) {
  // The amended run ends on the day the recorded one began (and the other way round).
  auto recordedLater = tenDays("2024-09-30", "2024-10-11");
  auto endsOnItsFirstDay = tenDays("2024-09-17", "2024-09-30");
  std::vector<Event> found = {endsOnItsFirstDay};
  auto plan = planEvaluation({kUpn}, found, {recordOf(recordedLater)}, kRoutes);
  EXPECT_EQ(plan.outcome.revised_events, 1);
  auto recordedEarlier = tenDays("2024-09-03", "2024-09-16");
  auto beginsOnItsLastDay = tenDays("2024-09-16", "2024-09-27");
  found = {beginsOnItsLastDay};
  plan = planEvaluation({kUpn}, found, {recordOf(recordedEarlier)}, kRoutes);
  EXPECT_EQ(plan.outcome.revised_events, 1);
  // A day apart: a new episode.
  auto dayAfter = tenDays("2024-09-17", "2024-09-30");
  found = {dayAfter};
  plan = planEvaluation({kUpn}, found, {recordOf(recordedEarlier)}, kRoutes);
  EXPECT_EQ(plan.outcome.revised_events, 0);
  EXPECT_EQ(plan.outcome.new_events, 1);
  EXPECT_EQ(plan.outcome.withdrawn_events, 1);
}

TEST(EventLifecycle, ARevisionOfARevisionStillUpdatesTheFirstRecord) {
  auto first = tenDays("2024-09-16", "2024-09-27");
  auto second = tenDays("2024-09-17", "2024-09-30");
  auto third = tenDays("2024-09-18", "2024-10-01");
  auto recorded = recordOf(second, EventState::Active, 0);
  recorded.record_of = first.id;
  std::vector<Event> found = {third};
  auto plan = planEvaluation({kUpn}, found, {recordOf(first, EventState::Superseded, 1), recorded},
                             kRoutes);
  ASSERT_EQ(plan.record.size(), 1u);
  EXPECT_EQ(plan.record[0].record_of, first.id);
  ASSERT_EQ(plan.change.size(), 1u);
  EXPECT_EQ(plan.change[0].id, second.id);
}

TEST(EventLifecycle, ANewEpisodeThatDoesNotOverlapTheLapsedOneWithdrawsItAndNotifiesAnew) {
  auto september = tenDays("2024-09-16", "2024-09-27");
  auto november = tenDays("2024-11-04", "2024-11-15");
  std::vector<Event> found = {november};
  auto plan = planEvaluation({kUpn}, found, {recordOf(september)}, kRoutes);
  EXPECT_EQ(plan.outcome.new_events, 1);
  EXPECT_EQ(plan.outcome.withdrawn_events, 1);
  EXPECT_EQ(plan.outcome.revised_events, 0);
  ASSERT_EQ(plan.queue.size(), 2u);  // the new one first, then the correction
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Notify);
  EXPECT_EQ(plan.queue[1].kind, OutboxKind::Withdraw);
  EXPECT_EQ(plan.queue[1].event_id, september.id);
}

TEST(EventLifecycle, AnEventWhoseGroundsVanishIsWithdrawnWithACorrection) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  auto plan = planEvaluation({kUpn}, kNone, {recordOf(e, EventState::Active, 0)}, kRoutes);
  EXPECT_TRUE(plan.record.empty());
  ASSERT_EQ(plan.change.size(), 1u);
  EXPECT_EQ(plan.change[0].id, e.id);
  EXPECT_EQ(plan.change[0].state, EventState::Withdrawn);
  EXPECT_EQ(plan.change[0].revision, 1);
  ASSERT_EQ(plan.queue.size(), 1u);
  EXPECT_EQ(plan.queue[0].key, e.id + "/w1@la");
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Withdraw);
  EXPECT_EQ(plan.queue[0].upn, kUpn);
  EXPECT_FALSE(plan.queue[0].payload.has_value());  // the payload the sink was sent
  EXPECT_EQ(plan.outcome.withdrawn_events, 1);
}

TEST(EventLifecycle, AWithdrawnEventWhoseGroundsReturnIsReinstatedAndNotifiedAgain) {
  auto e = tenDays("2024-09-16", "2024-09-27");
  std::vector<Event> found = {e};
  auto plan = planEvaluation({kUpn}, found, {recordOf(e, EventState::Withdrawn, 1)}, kRoutes);
  EXPECT_TRUE(plan.record.empty());
  ASSERT_EQ(plan.change.size(), 1u);
  EXPECT_EQ(plan.change[0].state, EventState::Active);
  EXPECT_EQ(plan.change[0].revision, 2);
  ASSERT_EQ(plan.queue.size(), 1u);
  EXPECT_EQ(plan.queue[0].key, e.id + "/r2@la");
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Notify);
  EXPECT_FALSE(plan.queue[0].payload.has_value());
  EXPECT_EQ(plan.outcome.reinstated_events, 1);
}

TEST(EventLifecycle, EventsBeforeTheDayLookedFromAgainStandAsTheyAre) {
  // Resumed from October: a September event was not looked for, so its absence proves nothing.
  auto september = tenDays("2024-09-16", "2024-09-27");
  auto plan = planEvaluation({PupilEvaluated(kUpn, d("2024-10-01"), "cp")}, kNone,
                             {recordOf(september)}, kRoutes);
  EXPECT_TRUE(plan.change.empty());
  EXPECT_TRUE(plan.queue.empty());
  // From the day it arose, it was looked for: withdrawn.
  plan = planEvaluation({PupilEvaluated(kUpn, d("2024-09-27"), "cp")}, kNone, {recordOf(september)},
                        kRoutes);
  EXPECT_EQ(plan.outcome.withdrawn_events, 1);
}

TEST(EventLifecycle, AnotherPupilsEventsAreLeftAlone) {
  auto other = tenDays("2024-09-16", "2024-09-27", "A801200005002");
  auto plan = planEvaluation({kUpn}, kNone, {recordOf(other)}, kRoutes);
  EXPECT_TRUE(plan.change.empty());
  EXPECT_TRUE(plan.queue.empty());
}

TEST(EventLifecycle, EventsBeforeNotifyFromAreHistoryNeverSentNorCorrected) {
  auto early = tenDays("2024-09-16", "2024-09-27");
  auto onTheDay = tenDays("2024-10-21", "2024-11-01");
  auto goLive = d("2024-11-01");
  std::vector<Event> found = {early, onTheDay};
  auto plan = planEvaluation({kUpn}, found, {}, kRoutes, goLive);
  ASSERT_EQ(plan.record.size(), 2u);
  EXPECT_EQ(plan.record[0].state, EventState::Historical);
  EXPECT_EQ(plan.record[0].payload, early.toJson());
  EXPECT_EQ(plan.record[1].state, EventState::Active);  // reached on go-live day: sent
  ASSERT_EQ(plan.queue.size(), 1u);
  EXPECT_EQ(plan.queue[0].event_id, onTheDay.id);
  EXPECT_EQ(plan.outcome.historical_events, 1);
  EXPECT_EQ(plan.outcome.new_events, 1);
  // Its grounds vanishing later corrects nothing; nor does a superseded record lapsing.
  plan = planEvaluation(
      {kUpn}, kNone,
      {recordOf(early, EventState::Historical), recordOf(onTheDay, EventState::Superseded, 1)},
      kRoutes, goLive);
  EXPECT_TRUE(plan.change.empty());
  EXPECT_TRUE(plan.queue.empty());
}

TEST(EventLifecycle, ACorrectionIsQueuedForEachSinkRoutedTheEventsType) {
  std::vector<SinkRoute> routes = {
      {"la", {kType}}, {"cpoms", {"concern"}}, {"webhook", {kType, "concern"}}};
  auto e = tenDays("2024-09-16", "2024-09-27");
  auto plan = planEvaluation({kUpn}, kNone, {recordOf(e, EventState::Active, 2)}, routes);
  ASSERT_EQ(plan.queue.size(), 2u);
  EXPECT_EQ(plan.queue[0].key, e.id + "/w3@la");
  EXPECT_EQ(plan.queue[1].key, e.id + "/w3@webhook");
  for (const auto& item : plan.queue) EXPECT_EQ(item.kind, OutboxKind::Withdraw);
}

TEST(EventLifecycle, NotificationsComeInTheOrderFoundAndCorrectionsAfterInIdOrder) {
  auto a = tenDays("2024-09-16", "2024-09-27");
  auto b = tenDays("2024-11-04", "2024-11-15");
  auto lapsedOne = tenDays("2024-12-02", "2024-12-13");
  Event lapsedTwo = tenDays("2024-06-03", "2024-06-14");
  lapsedTwo.rule = "statutory.other";  // another rule: never a revision of `b`
  lapsedTwo.id = Event::makeId(lapsedTwo.rule, kUpn, "2024-06-03");
  std::vector<Event> found = {b, a};
  auto plan = planEvaluation({kUpn}, found, {recordOf(lapsedOne), recordOf(lapsedTwo)}, kRoutes);
  ASSERT_EQ(plan.queue.size(), 4u);
  EXPECT_EQ(plan.queue[0].event_id, b.id);
  EXPECT_EQ(plan.queue[1].event_id, a.id);
  auto [first, second] = std::minmax(lapsedOne.id, lapsedTwo.id);
  EXPECT_EQ(plan.queue[2].event_id, first);
  EXPECT_EQ(plan.queue[3].event_id, second);
}

TEST(EventLifecycle, EventStatesReadBackFromTheirNames) {
  for (auto state :
       {EventState::Active, EventState::Withdrawn, EventState::Superseded, EventState::Historical})
    EXPECT_EQ(eventStateFrom(toString(state)), state);
  EXPECT_FALSE(eventStateFrom("pending").has_value());
}
