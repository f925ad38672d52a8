// The delivery engine on virtual time: ordering per pupil, backoff, Retry-After, give-up.
// The sink here is scripted: what is under test is the engine, not a protocol.

#include "core/outbox/delivery_worker.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "tests/support/queued_event.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct VirtualClock : Clock {
  int64_t now = 1'000'000;
  int sleeps = 0;
  int64_t nowMs() override { return now; }
  void sleepMs(int64_t ms) override {
    ++sleeps;
    now += ms;
  }
};

struct Highest : RandomSource {
  int64_t upTo(int64_t bound) override { return bound; }
};

struct ScriptedSink : Sink {
  std::string name_ = "la";
  Clock* clock = nullptr;      // when set, each attempt's time is kept in `times`
  std::vector<int64_t> times;  // virtual ms, in the order of `attempts`
  SinkPacing pacing_;
  // Fails (no answer) while the clock is before this: a destination that is down.
  int64_t downUntil = 0;
  SinkPacing pacing() const override { return pacing_; }
  std::deque<DeliveryResult> script;                            // then Delivered
  std::map<std::string, std::deque<DeliveryResult>> scriptFor;  // by key, before `script`
  std::set<std::string> unsendable;   // keys whose payload the sink cannot encode: it throws
  std::vector<std::string> attempts;  // keys, in order
  const std::string& name() const override { return name_; }
  std::set<std::string> eventTypes() const override { return {"unauthorised_10_day"}; }
  DeliveryResult deliver(const OutboxItem& item, const SinkEvent&, const std::string&) override {
    attempts.push_back(item.key);
    if (clock) times.push_back(clock->nowMs());
    if (clock && clock->nowMs() < downUntil) return DeliveryResult::retry("connection refused");
    if (unsendable.count(item.key)) throw std::runtime_error("[json.exception.type_error.316]");
    if (auto it = scriptFor.find(item.key); it != scriptFor.end() && !it->second.empty()) {
      auto next = it->second.front();
      it->second.pop_front();
      return next;
    }
    if (script.empty()) return DeliveryResult::delivered("ref-" + std::to_string(attempts.size()));
    auto next = script.front();
    script.pop_front();
    return next;
  }
};

using test::queuedEvent;

struct WorkerFixture : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  VirtualClock clock;
  Highest random;
  ScriptedSink sink;
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};

  std::map<std::string, CircuitBreaker> circuits;
  CircuitPolicy circuit{1000, 60'000, 900'000};  // off unless a test turns it on

  std::map<std::string, SinkPace>* paces = nullptr;  // kept from one run to the next when set

  DeliveryReport run(int64_t budgetMs, int maxAttempts = 0) {
    DeliveryOptions options;
    options.backoff = BackoffPolicy{1000, 8000};
    options.circuit = circuit;
    options.run_budget_ms = budgetMs;
    options.max_attempts = maxAttempts;
    DeliveryWorker worker(*store, {{"la", &sink}}, clock, random, options, circuits);
    worker.kept_paces = paces;
    return worker.run();
  }
};

}  // namespace

TEST_F(WorkerFixture, BacksOffExponentiallyAndHonoursRetryAfter) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  sink.script = {DeliveryResult::retry("503"), DeliveryResult::retry("503"),
                 DeliveryResult::retry("429", 5000)};
  int64_t start = clock.now;
  auto report = run(60'000);
  EXPECT_EQ(report.delivered, 1);
  EXPECT_EQ(report.retried, 3);
  // Waits (highest jitter): 1000, 2000, then Retry-After 5000.
  EXPECT_EQ(clock.now - start, 8000);
}

TEST_F(WorkerFixture, APupilsLaterEventWaitsForTheEarlierOneWithoutSpinning) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  store->commitEvaluation({"A"}, {}, routes, clock.now);  // withdrawal queued behind it
  store->commitEvaluation({"B"}, {queuedEvent("B", "2024-10-01")}, routes, clock.now);
  sink.scriptFor[queuedEvent("A", "2024-09-16").id + "@la"] = {DeliveryResult::retry("503"),
                                                               DeliveryResult::retry("503")};
  auto report = run(60'000);
  EXPECT_EQ(report.delivered, 3);
  ASSERT_EQ(sink.attempts.size(), 5u);
  // A's notification fails twice; B is not held up; A's withdrawal goes only after A's notice.
  EXPECT_EQ(sink.attempts[0], queuedEvent("A", "2024-09-16").id + "@la");
  EXPECT_EQ(sink.attempts[1], queuedEvent("B", "2024-10-01").id + "@la");
  EXPECT_EQ(sink.attempts[2], sink.attempts[0]);
  EXPECT_EQ(sink.attempts[3], sink.attempts[0]);
  EXPECT_EQ(sink.attempts[4].rfind(queuedEvent("A", "2024-09-16").id + "/w1@la", 0), 0u);
  EXPECT_LE(clock.sleeps, 3);  // one sleep per backoff, no busy waiting
}

TEST_F(WorkerFixture, LeavesRetriesForTheNextSyncWhenTheBudgetRunsOut) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  sink.script = {DeliveryResult::retry("503"), DeliveryResult::retry("503"),
                 DeliveryResult::retry("503"), DeliveryResult::retry("503")};
  auto report = run(2500);
  EXPECT_EQ(report.delivered, 0);
  EXPECT_EQ(report.pending_left, 1);
  auto pending = store->outbox(OutboxState::Pending, 10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].last_error, "503");
  EXPECT_EQ(pending[0].attempts, 2);
}

TEST_F(WorkerFixture, GivesUpAfterMaxAttemptsAndKeepsTheReason) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  sink.script = {DeliveryResult::retry("503"), DeliveryResult::retry("503 again")};
  auto report = run(60'000, 2);
  EXPECT_EQ(report.rejected, 1);
  auto rejected = store->outbox(OutboxState::Rejected, 10);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].last_error, "gave up after 2 attempts; last: 503 again");
}

TEST_F(WorkerFixture, AnOutagePausesTheSinkInsteadOfSpendingEveryItemsRetries) {
  circuit = CircuitPolicy{3, 10'000, 80'000};
  for (const char* upn : {"A", "B", "C", "D", "E"})
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  // Down for the first 5 requests it gets: with the circuit, that is 3 failures in a row, a
  // 10 s pause, a failed trial, a 20 s pause, a failed trial, a 40 s pause, then success.
  sink.script.assign(5, DeliveryResult::retry("503"));
  int64_t start = clock.now;
  auto report = run(600'000);
  EXPECT_EQ(report.delivered, 5);
  EXPECT_EQ(sink.attempts.size(), 5u + 5);  // the failures, then each item once
  EXPECT_GT(report.deferred, 0);
  EXPECT_GE(clock.now - start, 70'000);  // the three pauses
  int64_t spent = 0;
  for (const auto& item : store->outbox(OutboxState::Delivered, 10)) spent += item.attempts;
  EXPECT_EQ(spent, 10);  // a paused item spent no attempt while it waited
}

TEST_F(WorkerFixture, AnItemUndeliveredPastTheDeadlineIsDeadLetteredNotSentLate) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  clock.now += 73LL * 3600 * 1000;  // the destination was unreachable for three days
  auto report = run(1000);
  EXPECT_EQ(report.rejected, 1);
  EXPECT_TRUE(sink.attempts.empty());
  auto dead = store->outbox(OutboxState::Rejected, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].last_error.rfind("gave up after 73 hours undelivered", 0), 0u)
      << dead[0].last_error;
  // The technician can still send it: back to pending, delivered.
  ASSERT_TRUE(store->retryOutbox(dead[0].seq, clock.now));
  EXPECT_EQ(store->outboxItem(dead[0].seq)->attempts, 0);  // its attempts start again
  EXPECT_EQ(run(1000).delivered, 1);
  EXPECT_FALSE(store->retryOutbox(dead[0].seq, clock.now));  // delivered: nothing to retry
}

TEST_F(WorkerFixture, RetryingAPendingItemMakesItDueNowAndKeepsItsAttempts) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  sink.script = {DeliveryResult::retry("HTTP 503")};
  EXPECT_EQ(run(0).retried, 1);
  auto item = store->outbox(OutboxState::Pending, 10).at(0);
  ASSERT_GT(item.next_attempt_at, clock.now);  // waiting on its backoff
  ASSERT_TRUE(store->retryOutbox(item.seq, clock.now));
  EXPECT_EQ(store->outboxItem(item.seq)->next_attempt_at, clock.now);
  EXPECT_EQ(store->outboxItem(item.seq)->attempts, 1);
}

TEST_F(WorkerFixture, AnItemTheSinkCannotEncodeIsDeadLetteredAndTheRestGoOn) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  store->commitEvaluation({"B"}, {queuedEvent("B", "2024-09-17")}, routes, clock.now);
  sink.unsendable.insert(queuedEvent("A", "2024-09-16").id + "@la");
  DeliveryReport report;
  ASSERT_NO_THROW(report = run(1000));
  EXPECT_EQ(report.delivered, 1);
  EXPECT_EQ(report.rejected, 1);
  auto dead = store->outbox(OutboxState::Rejected, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].last_error,
            "sink la: this item could not be made into a request: "
            "[json.exception.type_error.316]");
}

// The event is read once, when the worker takes the item: a stored payload without a key a sink
// needs is dead-lettered naming that key, and nothing is sent (never a null at the LA).
TEST_F(WorkerFixture, AStoredPayloadMissingAKeyIsDeadLetteredNamingItAndNotSent) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  store->commitEvaluation({"B"}, {queuedEvent("B", "2024-09-17")}, routes, clock.now);
  auto payload = nlohmann::json::parse(store->outbox(std::nullopt, 10)[0].payload);
  payload["pupil"].erase("dob");
  SqliteDb((dir / "r.db").string())
      .exec("UPDATE outbox SET payload='" + payload.dump() + "' WHERE seq=1");
  std::vector<std::string> printed;
  DeliveryReport report;
  {
    DeliveryOptions options;
    options.run_budget_ms = 1000;
    options.circuit = circuit;
    DeliveryWorker worker(*store, {{"la", &sink}}, clock, random, options, circuits);
    worker.on_attempt = [&](const OutboxItem&, const DeliveryResult& r) {
      printed.push_back(r.reason);
    };
    report = worker.run();
  }
  EXPECT_EQ(report.delivered, 1);
  EXPECT_EQ(report.rejected, 1);
  EXPECT_EQ(sink.attempts, std::vector<std::string>{queuedEvent("B", "2024-09-17").id + "@la"});
  auto dead = store->outbox(OutboxState::Rejected, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].seq, 1);
  EXPECT_EQ(dead[0].attempts, 0);  // nothing was sent
  EXPECT_EQ(dead[0].last_error,
            "outbox item 1: its event cannot be sent: the key pupil.dob is missing (nothing was "
            "sent)");
  EXPECT_EQ(printed.size(), 2u);  // the CLI hears of it too
}

// A kind this version does not know (a hand-edited or newer store) is never guessed to be a
// notification: that item is dead-lettered with the row's seq and text, the rest go on.
TEST_F(WorkerFixture, AnUnknownKindInTheStoreIsRefusedNotSentAsANotification) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  store->commitEvaluation({"B"}, {queuedEvent("B", "2024-09-17")}, routes, clock.now);
  SqliteDb((dir / "r.db").string()).exec("UPDATE outbox SET kind='retract' WHERE seq=1");
  auto read = store->outboxItem(1);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->unreadable,
            "outbox item 1 in the store has the kind 'retract', which this version does not know "
            "(outbox table, column kind): it was not sent");
  auto report = run(1000);
  EXPECT_EQ(report.delivered, 1);
  EXPECT_EQ(report.rejected, 1);
  EXPECT_EQ(sink.attempts, std::vector<std::string>{queuedEvent("B", "2024-09-17").id + "@la"});
  auto dead = store->outboxItem(1);
  EXPECT_EQ(dead->state, OutboxState::Rejected);
  EXPECT_EQ(dead->last_error, read->unreadable);
}

// An unknown state is not read as pending (it might be sent again) nor as anything else: whoever
// reads the row is stopped with the table, the seq and the value.
TEST_F(WorkerFixture, AnUnknownStateInTheStoreStopsTheReaderNamingTheRow) {
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  SqliteDb((dir / "r.db").string()).exec("UPDATE outbox SET state='sent' WHERE seq=1");
  try {
    store->outbox(std::nullopt, 10);
    FAIL() << "an unknown state was read as some state";
  } catch (const StoreError& e) {
    EXPECT_STREQ(e.what(),
                 "outbox item 1 in the store has the state 'sent', which this version does not "
                 "know (outbox table, column state): correct the row or restore the store from "
                 "its backup");
  }
  EXPECT_EQ(run(1000).delivered, 0);  // never offered for delivery either
  EXPECT_TRUE(sink.attempts.empty());
}

TEST_F(WorkerFixture, ARetryAfterHoldsTheWholeSinkNotOnlyTheItemThatGotIt) {
  for (const char* upn : {"A", "B", "C"})
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  auto busy = DeliveryResult::retry("HTTP 429: slow down", 2'000);
  busy.http_status = 429;
  sink.script = {busy};
  sink.clock = &clock;
  int64_t start = clock.now;
  auto report = run(60'000);
  EXPECT_EQ(report.delivered, 3);
  ASSERT_EQ(sink.times.size(), 4u);
  // A was refused at the start; B and C, other pupils, waited the 2 s too.
  EXPECT_EQ(sink.times[0], start);
  for (std::size_t i = 1; i < sink.times.size(); ++i) EXPECT_GE(sink.times[i], start + 2'000) << i;
  EXPECT_EQ(circuits.at("la").health(), "ok");  // slowed down, not paused
}

TEST_F(WorkerFixture, ARateTheDestinationSlowedUsToHoldsIntoTheNextRun) {
  std::map<std::string, SinkPace> kept;
  paces = &kept;
  sink.pacing_.max_per_second = 10;
  sink.clock = &clock;
  store->commitEvaluation({"A"}, {queuedEvent("A", "2024-09-16")}, routes, clock.now);
  auto busy = DeliveryResult::retry("HTTP 429: slow down", 1'000);
  busy.http_status = 429;
  sink.script = {busy};
  EXPECT_EQ(run(60'000).delivered, 1);
  ASSERT_EQ(kept.count("la"), 1u);
  EXPECT_LT(kept.at("la").limit(), 10);  // halved by the 429, not yet back up
  // The next sync (the service's next run): five items go no faster than the slowed rate,
  // where a fresh pace would send them 100 ms apart.
  for (const char* upn : {"B", "C", "D", "E", "F"})
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  sink.times.clear();
  EXPECT_EQ(run(60'000).delivered, 5);
  ASSERT_EQ(sink.times.size(), 5u);
  EXPECT_GT(sink.times[1] - sink.times[0], 100);
  // Without the kept pace the same run is at the configured rate: the test can tell them apart.
  paces = nullptr;
  for (const char* upn : {"G", "H", "I", "J", "K"})
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  sink.times.clear();
  EXPECT_EQ(run(60'000).delivered, 5);
  ASSERT_EQ(sink.times.size(), 5u);
  EXPECT_EQ(sink.times[1] - sink.times[0], 100);
}

TEST_F(WorkerFixture, MaxPerSecondSpacesTheAttempts) {
  for (const char* upn : {"A", "B", "C", "D", "E"})
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  sink.pacing_.max_per_second = 2;
  sink.clock = &clock;
  auto report = run(60'000);
  EXPECT_EQ(report.delivered, 5);
  ASSERT_EQ(sink.times.size(), 5u);
  for (std::size_t i = 1; i < sink.times.size(); ++i)
    EXPECT_EQ(sink.times[i] - sink.times[i - 1], 500) << i;
}

TEST_F(WorkerFixture, ADestinationThatFailsFortyPercentOfTheTimeIsNeverPaused) {
  circuit = CircuitPolicy{};  // the defaults
  for (int i = 0; i < 200; ++i) {
    std::string upn = "P" + std::to_string(i);
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  }
  // Two answers in five are 503s, at the same rate all along.
  for (int i = 0; i < 400; ++i) {
    auto failed = DeliveryResult::retry("HTTP 503");
    failed.http_status = 503;
    sink.script.push_back(i % 5 < 2 ? failed : DeliveryResult::delivered("ref"));
  }
  auto report = run(3'600'000);
  EXPECT_EQ(report.delivered, 200);
  EXPECT_EQ(report.deferred, 0);  // never paused
}

TEST_F(WorkerFixture, ADestinationDownForTenMinutesLosesNothingAndResumesWithinOnePause) {
  circuit = CircuitPolicy{};  // the defaults: 10 without an answer, 60 s pause, doubling
  for (const char* upn : {"A", "B", "C", "D", "E", "F"})
    store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.now);
  int64_t start = clock.now;
  sink.clock = &clock;
  sink.downUntil = start + 10 * 60'000;
  auto report = run(3'600'000);
  EXPECT_EQ(report.delivered, 6);
  EXPECT_EQ(report.pending_left, 0);
  // The first attempt after it came back succeeded, within one pause (the last was 4 min, the
  // next 8) of its return.
  std::size_t firstOk = 0;
  while (firstOk < sink.times.size() && sink.times[firstOk] < sink.downUntil) ++firstOk;
  ASSERT_LT(firstOk, sink.times.size());
  EXPECT_LE(sink.times[firstOk] - sink.downUntil, 8 * 60'000);
  // While down: ten attempts without an answer, then one failed trial per pause (60 s, 2 min,
  // 4 min), not every item's retries.
  EXPECT_EQ(firstOk, 10u + 3);
}
