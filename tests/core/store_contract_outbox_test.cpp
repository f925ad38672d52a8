// The outbox store's contract: what every backend of OutboxStore does with the items an
// evaluation queued (order, due times, delivery, retries, dead letters), written against the
// interface and run once per backend in tests/core/store_backends.h.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kType = "unauthorised_10_day";
const std::vector<SinkRoute> kRoutes = {{"la", {kType}}, {"webhook", {kType}}};

Event tenDays(const std::string& upn, const char* first, const char* reached) {
  Event e;
  e.rule = "statutory.unauthorised_10_day";
  e.type = kType;
  e.pupil.upn = upn;
  e.episode = first;
  e.id = Event::makeId(e.rule, upn, first);
  e.from = d(first);
  e.to = e.occurred_on = d(reached);
  return e;
}

}  // namespace

template <typename Backend>
class OutboxStoreContract : public test::StoreContract<Backend> {
 protected:
  OutboxStore& outbox() { return *this->store; }
  // Queues items the way the service does: through an evaluation.
  void evaluate(const std::string& upn, std::vector<Event> events, int64_t now) {
    this->store->commitEvaluation({upn}, events, kRoutes, now);
  }
  // A's and B's first events queued for both sinks, at 100: the four items due at 1000.
  std::vector<OutboxItem> fourDue() {
    evaluate("A", {a1}, 100);
    evaluate("B", {b1}, 100);
    auto due = outbox().dueOutbox(1000, 10);
    if (due.size() != 4u)
      throw std::runtime_error(std::to_string(due.size()) + " items due, not the 4 queued");
    return due;
  }
  const Event a1 = tenDays("A", "2024-09-16", "2024-09-27");
  const Event a2 = tenDays("A", "2024-11-04", "2024-11-15");
  const Event b1 = tenDays("B", "2024-09-16", "2024-09-27");
};
TYPED_TEST_SUITE_P(OutboxStoreContract);

TYPED_TEST_P(OutboxStoreContract, GivesOneDueItemPerSinkAndPupilOldestFirst) {
  this->evaluate("A", {this->a1}, 100);
  this->evaluate("A", {this->a1, this->a2}, 200);
  this->evaluate("B", {this->b1}, 300);
  auto& outbox = this->outbox();
  EXPECT_TRUE(outbox.dueOutbox(99, 10).empty());
  EXPECT_EQ(outbox.nextOutboxDue(), 100);
  auto due = outbox.dueOutbox(1000, 10);
  ASSERT_EQ(due.size(), 4u);  // A's second event waits behind its first, at each sink
  EXPECT_EQ(due[0].key, this->a1.id + "@la");
  EXPECT_EQ(due[1].key, this->a1.id + "@webhook");
  EXPECT_EQ(due[2].key, this->b1.id + "@la");
  EXPECT_EQ(due[3].key, this->b1.id + "@webhook");
  // Each says whether another of its pupil's items waits behind it at its sink (the delivery
  // worker reads the store again only once such an item may go).
  std::vector<bool> more;
  for (const auto& item : due) more.push_back(item.more_in_line);
  EXPECT_EQ(more, (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(outbox.dueOutbox(1000, 1).size(), 1u);
  outbox.recordDelivered(due[0].seq, "LA-1", 400);
  due = outbox.dueOutbox(1000, 10);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(due[1].key, this->a2.id + "@la");  // its turn now, in the order queued
  EXPECT_FALSE(due[1].more_in_line);           // the last of A's at the LA
  EXPECT_TRUE(due[0].more_in_line);            // A's second still waits at the webhook
}

TYPED_TEST_P(OutboxStoreContract, ItemsQueuedByOneEvaluationGoInTheOrderQueued) {
  this->evaluate("A", {this->a1, this->a2, this->b1}, 100);
  auto& outbox = this->outbox();
  auto due = outbox.dueOutbox(1000, 10);
  ASSERT_EQ(due.size(), 4u);
  for (const auto& item : due) {
    EXPECT_NE(item.key.find(item.upn == "A" ? this->a1.id : this->b1.id), std::string::npos)
        << item.key;  // A's earlier episode first, at each sink
    EXPECT_NE(item.payload.find(item.event_id), std::string::npos) << item.payload;
  }
  outbox.recordDelivered(due[0].seq, "LA-1", 400);
  due = outbox.dueOutbox(1000, 10);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(due[1].key, this->a2.id + "@la");  // its turn, before B's waiting items
  // Text with quotes and backslashes (in the pupil's number here, and so in the JSON payload)
  // is kept as it came.
  const std::string odd = "C\"\\{,}";
  this->evaluate(odd, {tenDays(odd, "2024-09-16", "2024-09-27")}, 200);
  int found = 0;
  for (const auto& item : outbox.dueOutbox(1000, 10)) {
    if (item.upn != odd) continue;
    ++found;
    EXPECT_EQ(nlohmann::json::parse(item.payload).at("pupil").at("upn"), odd) << item.payload;
  }
  EXPECT_EQ(found, 2);
}

TYPED_TEST_P(OutboxStoreContract, ItemsUnderWayAreLeftOutAndSoAreThoseBehindThem) {
  this->evaluate("A", {this->a1, this->a2}, 100);
  this->evaluate("B", {this->b1}, 200);
  auto& outbox = this->outbox();
  auto due = outbox.dueOutbox(1000, 10);
  ASSERT_EQ(due.size(), 4u);
  const std::set<int64_t> underWay = {due[0].seq, due[2].seq};  // A@la and B@la sent
  auto rest = outbox.dueOutbox(1000, 10, underWay);
  ASSERT_EQ(rest.size(), 2u);  // A's second event still waits behind its first at the LA
  EXPECT_EQ(rest[0].key, this->a1.id + "@webhook");
  EXPECT_EQ(rest[1].key, this->b1.id + "@webhook");
  // The limit counts the items given, not those passed over.
  ASSERT_EQ(outbox.dueOutbox(1000, 1, underWay).size(), 1u);
  EXPECT_EQ(outbox.dueOutbox(1000, 1, underWay)[0].key, this->a1.id + "@webhook");
  outbox.recordDelivered(due[0].seq, "LA-1", 400);
  rest = outbox.dueOutbox(1000, 10, {due[2].seq});
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[1].key, this->a2.id + "@la");  // its turn once the first is answered
}

TYPED_TEST_P(OutboxStoreContract, ARetryWaitsUntilItsTimeAndCountsItsAttempts) {
  this->evaluate("A", {this->a1}, 100);
  auto& outbox = this->outbox();
  auto item = outbox.dueOutbox(100, 1).at(0);
  outbox.recordRetry(item.seq, 1, 5000, "503 Service Unavailable");
  auto after = outbox.outboxItem(item.seq);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->attempts, 1);
  EXPECT_EQ(after->next_attempt_at, 5000);
  EXPECT_EQ(after->last_error, "503 Service Unavailable");
  EXPECT_EQ(after->state, OutboxState::Pending);
  for (const auto& due : outbox.dueOutbox(4999, 10)) EXPECT_NE(due.seq, item.seq);
  EXPECT_EQ(outbox.dueOutbox(5000, 10).at(0).seq, item.seq);
  EXPECT_FALSE(outbox.outboxItem(999999).has_value());
}

TYPED_TEST_P(OutboxStoreContract, DeadLettersAreKeptAndCanBeRetriedOrDiscarded) {
  this->evaluate("A", {this->a1}, 100);
  auto& outbox = this->outbox();
  auto due = outbox.dueOutbox(100, 10);
  ASSERT_EQ(due.size(), 2u);
  outbox.recordRejected(due[0].seq, 3, "422 Unprocessable", 200, "{\"error\":\"upn\"}");
  auto dead = outbox.outbox(OutboxState::Rejected, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].response, "{\"error\":\"upn\"}");
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_TRUE(outbox.retryOutbox(due[1].seq, 300));  // pending: due now, attempts kept
  EXPECT_EQ(outbox.outboxItem(due[1].seq)->next_attempt_at, 300);
  EXPECT_TRUE(outbox.retryOutbox(due[0].seq, 300));
  auto again = outbox.outboxItem(due[0].seq);
  EXPECT_EQ(again->state, OutboxState::Pending);
  EXPECT_EQ(again->attempts, 0);
  EXPECT_EQ(again->next_attempt_at, 300);
  EXPECT_TRUE(outbox.discardOutbox(due[0].seq, 400, "pupil left"));
  EXPECT_EQ(outbox.outboxItem(due[0].seq)->state, OutboxState::Discarded);
  EXPECT_NE(outbox.outboxItem(due[0].seq)->last_error.find("pupil left"), std::string::npos);
  outbox.recordDelivered(due[1].seq, "W-1", 500);
  EXPECT_FALSE(outbox.discardOutbox(due[1].seq, 600, "too late"));  // delivered stands
  EXPECT_FALSE(outbox.retryOutbox(due[1].seq, 600));
}

// A discard while an attempt is under way: the attempt's answer lands after it. The destination
// accepted it: delivered (it was sent, and exactly once). It refused it or asked for a retry: it
// stays discarded and is not sent again.
TYPED_TEST_P(OutboxStoreContract, ADiscardDuringAnAttemptWinsUnlessTheDestinationAcceptedIt) {
  this->evaluate("A", {this->a1}, 100);
  auto& outbox = this->outbox();
  auto due = outbox.dueOutbox(100, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_TRUE(outbox.discardOutbox(due[0].seq, 150, "discarded by hand"));
  outbox.recordRejected(due[0].seq, 1, "HTTP 422", 200, "{\"error\":\"upn\"}");
  auto refused = outbox.outboxItem(due[0].seq);
  EXPECT_EQ(refused->state, OutboxState::Discarded);
  EXPECT_EQ(refused->attempts, 1);
  outbox.recordRetry(due[0].seq, 2, 300, "HTTP 503");
  EXPECT_EQ(outbox.outboxItem(due[0].seq)->state, OutboxState::Discarded);
  for (const auto& item : outbox.dueOutbox(10'000, 10)) EXPECT_NE(item.seq, due[0].seq);
  EXPECT_TRUE(outbox.discardOutbox(due[1].seq, 150, "discarded by hand"));
  outbox.recordDelivered(due[1].seq, "LA-7", 200);
  auto sent = outbox.outboxItem(due[1].seq);
  EXPECT_EQ(sent->state, OutboxState::Delivered);
  EXPECT_EQ(sent->reference, "LA-7");
}

TYPED_TEST_P(OutboxStoreContract, ASinkResumedByHandHasItsWaitingItemsDueNow) {
  this->evaluate("A", {this->a1}, 100);
  auto& outbox = this->outbox();
  auto due = outbox.dueOutbox(100, 10);
  ASSERT_EQ(due.size(), 2u);
  for (const auto& item : due) outbox.recordRetry(item.seq, 1, 60'000, "401");
  EXPECT_EQ(outbox.retrySinkPending(due[0].sink, 200), 1);  // that sink's item only
  EXPECT_EQ(outbox.outboxItem(due[0].seq)->next_attempt_at, 200);
  EXPECT_EQ(outbox.outboxItem(due[0].seq)->attempts, 1);
  EXPECT_EQ(outbox.outboxItem(due[1].seq)->next_attempt_at, 60'000);
  EXPECT_EQ(outbox.retrySinkPending(due[0].sink, 200), 0);  // already due
}

TYPED_TEST_P(OutboxStoreContract, CountsByStateAndBySink) {
  this->evaluate("A", {this->a1}, 100);
  this->evaluate("B", {this->b1}, 100);
  auto& outbox = this->outbox();
  auto due = outbox.dueOutbox(100, 10);
  ASSERT_EQ(due.size(), 4u);
  outbox.recordDelivered(due[0].seq, "LA-1", 200);
  outbox.recordRetry(due[1].seq, 2, 900, "timeout");
  outbox.recordRejected(due[2].seq, 1, "400", 200, "");
  auto counts = outbox.outboxCounts();
  EXPECT_EQ(counts["pending"], 2);
  EXPECT_EQ(counts["delivered"], 1);
  EXPECT_EQ(counts["rejected"], 1);
  auto bySink = outbox.outboxBySink();
  ASSERT_EQ(bySink.size(), 2u);
  EXPECT_EQ(bySink[0].sink, "la");
  EXPECT_EQ(bySink[0].delivered, 1);
  EXPECT_EQ(bySink[0].dead, 1);
  EXPECT_EQ(bySink[1].sink, "webhook");
  EXPECT_EQ(bySink[1].pending, 2);
  EXPECT_EQ(bySink[1].retries, 1);
  EXPECT_EQ(bySink[1].oldest_pending_at, 100);
}

TYPED_TEST_P(OutboxStoreContract, ACorrectionFindsTheReferenceTheSinkGaveTheRecord) {
  this->evaluate("A", {this->a1}, 100);
  auto& outbox = this->outbox();
  EXPECT_EQ(outbox.deliveredReference(this->a1.id, "la"), "");  // not delivered yet
  for (const auto& item : outbox.dueOutbox(100, 10))
    outbox.recordDelivered(item.seq, item.sink == "la" ? "LA-7" : "W-7", 200);
  // An amendment moves the run's first day: the revision updates the same record.
  auto moved = tenDays("A", "2024-09-17", "2024-09-30");
  this->evaluate("A", {moved}, 300);
  EXPECT_EQ(outbox.deliveredReference(moved.id, "la"), "LA-7");
  EXPECT_EQ(outbox.deliveredReference(moved.id, "webhook"), "W-7");
  EXPECT_EQ(outbox.deliveredReference(this->a1.id, "la"), "LA-7");
}

TYPED_TEST_P(OutboxStoreContract, KnowsWhichEventsASinkReceived) {
  this->evaluate("A", {this->a1}, 100);
  this->evaluate("B", {this->b1}, 100);
  auto& outbox = this->outbox();
  EXPECT_TRUE(outbox.deliveredEventIds().empty());  // queued is not received
  for (const auto& item : outbox.dueOutbox(100, 10))
    if (item.upn == "A") outbox.recordDelivered(item.seq, "R", 200);             // to both sinks
  EXPECT_EQ(outbox.deliveredEventIds(), std::vector<std::string>{this->a1.id});  // once
}

TYPED_TEST_P(OutboxStoreContract, AnswersRecordedTogetherAreAllKeptOrNoneIs) {
  auto& outbox = this->outbox();
  auto due = this->fourDue();
  outbox.recordTogether([&] {
    outbox.recordDelivered(due[0].seq, "LA-1", 500);
    outbox.recordRetry(due[1].seq, 1, 2000, "HTTP 503");
    outbox.recordRejected(due[2].seq, 1, "HTTP 422", 500, "{}");
  });
  EXPECT_EQ(outbox.outboxItem(due[0].seq)->state, OutboxState::Delivered);
  EXPECT_EQ(outbox.outboxItem(due[1].seq)->next_attempt_at, 2000);
  EXPECT_EQ(outbox.outboxItem(due[2].seq)->state, OutboxState::Rejected);
  // A failure half way (the process cannot record the rest): none of it is kept, so every
  // answer in it is asked for again, with the same key.
  EXPECT_THROW(outbox.recordTogether([&] {
    outbox.recordDelivered(due[3].seq, "LA-2", 600);
    throw std::runtime_error("disk full");
  }),
               std::runtime_error);
  EXPECT_EQ(outbox.outboxItem(due[3].seq)->state, OutboxState::Pending);
  EXPECT_EQ(outbox.outboxItem(due[3].seq)->attempts, 0);
}

TYPED_TEST_P(OutboxStoreContract, DeliveriesRecordedTogetherKeepEachTheirOwnAnswer) {
  auto& outbox = this->outbox();
  auto due = this->fourDue();
  outbox.recordTogether([&] {
    outbox.recordDelivered(due[0].seq, "LA-0", 400);
    outbox.recordDelivered(due[0].seq, "LA-1", 500);          // twice: both attempts counted
    outbox.recordDelivered(due[1].seq, "W \"1\", {x}", 600);  // what a destination may answer
    outbox.recordRetry(due[2].seq, 1, 2000, "HTTP 503");
    outbox.recordDelivered(due[3].seq, "W-2", 700);
    outbox.recordDelivered(due[2].seq, "LA-2", 800);  // its retry, then its answer, in order
  });
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"LA-1", 500}, {"W \"1\", {x}", 600}, {"LA-2", 800}, {"W-2", 700}};
  for (std::size_t i = 0; i < due.size(); ++i) {
    auto item = outbox.outboxItem(due[i].seq);
    EXPECT_EQ(item->state, OutboxState::Delivered) << i;
    EXPECT_EQ(item->reference, expected[i].first) << i;
    EXPECT_EQ(item->finished_at, expected[i].second) << i;
    EXPECT_EQ(item->attempts, i == 0 || i == 2 ? 2 : 1) << i;
  }
}

// What follows from a delivery (the school's note that the LA accepted a notification: issue 14
// item 5) is queued in the transaction that records it: both are kept, or neither; its key is
// queued once however often; it waits behind the pupil's earlier items for its sink, and a
// later correction of the notification finds the record the note made.
TYPED_TEST_P(OutboxStoreContract, ItemsQueuedWithADeliveryAreKeptWithItOnceAndInOrder) {
  this->evaluate("A", {this->a1}, 100);
  auto& outbox = this->outbox();
  auto la = outbox.dueOutbox(1000, 10).at(0);
  ASSERT_EQ(la.sink, "la");
  auto note = [&](OutboxKind kind, const std::string& key) {
    return std::vector<OutboxEntry>{
        {key, "cpoms", this->a1.id, "A", kind, std::string(R"({"type":"la_notice"})")}};
  };
  const auto noteKey = la.key + "/la_notice@cpoms";
  EXPECT_THROW(outbox.recordTogether([&] {
    outbox.recordDelivered(la.seq, "LA-1", 500);
    outbox.queueOutbox(note(OutboxKind::Notify, noteKey), 500);
    throw std::runtime_error("killed");
  }),
               std::runtime_error);
  EXPECT_EQ(outbox.outboxItem(la.seq)->state, OutboxState::Pending);
  for (const auto& item : outbox.outbox(std::nullopt, 100)) EXPECT_NE(item.key, noteKey);

  int queued = 0;
  outbox.recordTogether([&] {
    outbox.recordDelivered(la.seq, "LA-1", 600);
    queued = outbox.queueOutbox(note(OutboxKind::Notify, noteKey), 600);
  });
  EXPECT_EQ(queued, 1);
  EXPECT_EQ(outbox.queueOutbox(note(OutboxKind::Notify, noteKey), 700), 0);  // the same key
  std::vector<OutboxItem> notes;
  for (const auto& item : outbox.outbox(std::nullopt, 100))
    if (item.sink == "cpoms") notes.push_back(item);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].key, noteKey);
  EXPECT_EQ(notes[0].event_id, this->a1.id);
  EXPECT_EQ(notes[0].upn, "A");
  EXPECT_EQ(notes[0].kind, OutboxKind::Notify);
  EXPECT_EQ(notes[0].payload, R"({"type":"la_notice"})");
  EXPECT_EQ(notes[0].state, OutboxState::Pending);
  EXPECT_EQ(notes[0].created_at, 600);
  EXPECT_EQ(notes[0].next_attempt_at, 600);

  // A withdrawal's note waits behind the notification's note, and finds its record.
  outbox.queueOutbox(note(OutboxKind::Withdraw, noteKey + "/w"), 800);
  auto due = outbox.dueOutbox(1000, 10);
  std::vector<std::string> cpomsDue;
  for (const auto& item : due)
    if (item.sink == "cpoms") cpomsDue.push_back(item.key);
  EXPECT_EQ(cpomsDue, std::vector<std::string>{noteKey});
  outbox.recordDelivered(notes[0].seq, "INC-9", 900);
  EXPECT_EQ(outbox.deliveredReference(this->a1.id, "cpoms"), "INC-9");
  cpomsDue.clear();
  for (const auto& item : outbox.dueOutbox(1000, 10))
    if (item.sink == "cpoms") cpomsDue.push_back(item.key);
  EXPECT_EQ(cpomsDue, std::vector<std::string>{noteKey + "/w"});
}

REGISTER_TYPED_TEST_SUITE_P(
    OutboxStoreContract, GivesOneDueItemPerSinkAndPupilOldestFirst,
    ItemsQueuedByOneEvaluationGoInTheOrderQueued, ItemsUnderWayAreLeftOutAndSoAreThoseBehindThem,
    AnswersRecordedTogetherAreAllKeptOrNoneIs, DeliveriesRecordedTogetherKeepEachTheirOwnAnswer,
    ItemsQueuedWithADeliveryAreKeptWithItOnceAndInOrder,
    ARetryWaitsUntilItsTimeAndCountsItsAttempts, DeadLettersAreKeptAndCanBeRetriedOrDiscarded,
    ADiscardDuringAnAttemptWinsUnlessTheDestinationAcceptedIt,
    ASinkResumedByHandHasItsWaitingItemsDueNow, CountsByStateAndBySink,
    ACorrectionFindsTheReferenceTheSinkGaveTheRecord, KnowsWhichEventsASinkReceived);
INSTANTIATE_TYPED_TEST_SUITE_P(Backends, OutboxStoreContract, test::StoreBackends,
                               test::BackendName);
