// Several attempts in flight per sink (max_in_flight), on real threads: as many go at once as
// the sink allows, never two of one pupil's items, and each pupil's items in order. The sink is
// scripted and thread-safe; what is under test is the worker's concurrency, not a protocol.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/support/queued_event.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct ConcurrentSink : Sink {
  std::string name_ = "la";
  int maxInFlight = 4;
  int failEvery = 0;  // every Nth attempt answers 503 (0: none)

  std::mutex mutex;
  std::condition_variable changed;
  int inFlight = 0;
  int peak = 0;
  int calls = 0;
  std::set<std::string> pupilsInFlight;
  bool samePupilTwice = false;
  std::map<std::string, std::vector<int64_t>> deliveredByPupil;  // seqs, as acknowledged

  const std::string& name() const override { return name_; }
  std::set<std::string> eventTypes() const override { return {"unauthorised_10_day"}; }
  SinkPacing pacing() const override { return {maxInFlight, 0}; }
  DeliveryResult deliver(const OutboxItem& item, const SinkEvent&, const std::string&) override {
    std::unique_lock lock(mutex);
    int call = ++calls;
    ++inFlight;
    peak = std::max(peak, inFlight);
    samePupilTwice = samePupilTwice || !pupilsInFlight.insert(item.upn).second;
    changed.notify_all();
    // Each attempt waits until the sink is full (or half a second has passed: the last few
    // items cannot fill it), so the test sees whether the worker really keeps maxInFlight going.
    changed.wait_for(lock, std::chrono::milliseconds(500), [&] { return inFlight >= maxInFlight; });
    pupilsInFlight.erase(item.upn);
    --inFlight;
    if (failEvery > 0 && call % failEvery == 0) {
      auto failed = DeliveryResult::retry("HTTP 503");
      failed.http_status = 503;
      return failed;
    }
    deliveredByPupil[item.upn].push_back(item.seq);
    return DeliveryResult::delivered("ref-" + std::to_string(item.seq));
  }
};

using test::queuedEvent;

// The store as it is, counting how often the worker asks it for the items due.
struct CountingOutbox : OutboxStore {
  explicit CountingOutbox(OutboxStore& store) : s(store) {}
  OutboxStore& s;
  std::atomic<int> asked{0};
  std::vector<OutboxItem> dueOutbox(int64_t now, int limit,
                                    const std::set<int64_t>& underWay) override {
    ++asked;
    return s.dueOutbox(now, limit, underWay);
  }
  std::optional<int64_t> nextOutboxDue() override { return s.nextOutboxDue(); }
  std::vector<OutboxItem> outbox(std::optional<OutboxState> state, int limit) override {
    return s.outbox(state, limit);
  }
  void recordDelivered(int64_t seq, const std::string& reference, int64_t now) override {
    s.recordDelivered(seq, reference, now);
  }
  void recordRetry(int64_t seq, int attempts, int64_t at, const std::string& error) override {
    s.recordRetry(seq, attempts, at, error);
  }
  void recordRejected(int64_t seq, int attempts, const std::string& error, int64_t now,
                      const std::string& response) override {
    s.recordRejected(seq, attempts, error, now, response);
  }
  void recordTogether(const std::function<void()>& writes) override { s.recordTogether(writes); }
  int queueOutbox(const std::vector<OutboxEntry>& entries, int64_t now) override {
    return s.queueOutbox(entries, now);
  }
  std::optional<OutboxItem> outboxItem(int64_t seq) override { return s.outboxItem(seq); }
  bool retryOutbox(int64_t seq, int64_t now) override { return s.retryOutbox(seq, now); }
  int retrySinkPending(const std::string& sink, int64_t now) override {
    return s.retrySinkPending(sink, now);
  }
  bool discardOutbox(int64_t seq, int64_t now, const std::string& why) override {
    return s.discardOutbox(seq, now, why);
  }
  std::vector<SinkOutboxStats> outboxBySink() override { return s.outboxBySink(); }
  std::map<std::string, int> outboxCounts() override { return s.outboxCounts(); }
  std::string deliveredReference(const std::string& eventId, const std::string& sink) override {
    return s.deliveredReference(eventId, sink);
  }
  std::vector<std::string> deliveredEventIds() override { return s.deliveredEventIds(); }
};

struct ConcurrentDelivery : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "r.db").string());
  SystemClock clock;
  SystemRandom random;
  ConcurrentSink sink;
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
  std::map<std::string, CircuitBreaker> circuits;
  CountingOutbox outbox{*store};

  // Each pupil: two notifications, then both withdrawn: four items that must go in order.
  void queue(int pupils) {
    for (int p = 0; p < pupils; ++p) {
      std::string upn = "P" + std::to_string(p);
      auto first = queuedEvent(upn, "2024-09-16"), second = queuedEvent(upn, "2024-10-01");
      store->commitEvaluation({upn}, {first}, routes, clock.nowMs());
      store->commitEvaluation({upn}, {first, second}, routes, clock.nowMs());
      store->commitEvaluation({upn}, {}, routes, clock.nowMs());
    }
  }
  // `pupils` pupils (UPNs `prefix`0, 1...), one notification each.
  void queueOneEach(const std::string& prefix, int pupils) {
    for (int p = 0; p < pupils; ++p) {
      std::string upn = prefix + std::to_string(p);
      store->commitEvaluation({upn}, {queuedEvent(upn, "2024-09-16")}, routes, clock.nowMs());
    }
  }
  DeliveryReport run() {
    DeliveryOptions options;
    options.backoff = BackoffPolicy{1, 5, 5};
    options.run_budget_ms = 120'000;
    DeliveryWorker worker(outbox, {{"la", &sink}}, clock, random, options, circuits);
    auto report = worker.run();
    peak = worker.peakInFlight();
    return report;
  }
  int peak = 0;
  // Every pupil's items acknowledged in the order they were queued.
  void expectEachPupilInOrder() {
    std::map<std::string, std::vector<int64_t>> queued;
    for (const auto& item : store->outbox(std::nullopt, 100'000)) {
      ASSERT_EQ(item.state, OutboxState::Delivered) << item.key << ": " << item.last_error;
      queued[item.upn].push_back(item.seq);
    }
    std::lock_guard lock(sink.mutex);
    EXPECT_EQ(sink.deliveredByPupil, queued);
  }
};

}  // namespace

TEST_F(ConcurrentDelivery, KeepsMaxInFlightGoingAndEachPupilsItemsInOrder) {
  queue(12);
  auto report = run();
  EXPECT_EQ(report.delivered, 48);
  EXPECT_EQ(sink.peak, 4);  // the sink's max_in_flight, never more
  EXPECT_EQ(peak, 4);
  EXPECT_FALSE(sink.samePupilTwice);  // a pupil's next item waits for the one before
  expectEachPupilInOrder();
}

TEST_F(ConcurrentDelivery, RetriesKeepEachPupilsOrder) {
  queue(10);
  sink.maxInFlight = 3;
  sink.failEvery = 3;  // a third of the attempts fail: retried, never overtaken
  auto report = run();
  EXPECT_EQ(report.delivered, 40);
  EXPECT_GT(report.retried, 0);
  EXPECT_LE(sink.peak, 3);
  EXPECT_FALSE(sink.samePupilTwice);
  expectEachPupilInOrder();
}

// A register close queues an item or two for each of many pupils. The items due are read once
// and sent; an answer that lets no other item go (its pupil has none behind it at the sink) does
// not send the worker back to the store, where each read is a claim (about six a school's close
// before, each a statement of the server's).
TEST_F(ConcurrentDelivery, ReadsTheStoreAgainOnlyWhenAnAnswerLetsAnotherItemGo) {
  queueOneEach("Q", 40);
  auto report = run();
  EXPECT_EQ(report.delivered, 40);
  EXPECT_EQ(outbox.asked.load(), 1);
  // A pupil with items behind the first: the store is read again once the first is answered.
  queue(2);
  outbox.asked = 0;
  report = run();
  EXPECT_EQ(report.delivered, 8);
  EXPECT_GE(outbox.asked.load(), 4);  // each pupil's four items one after another
  expectEachPupilInOrder();
}

// A read takes at most 100 items (four for each slot, at least 100). A close with more due than
// that (a large school's first close, a backlog after an outage) reads again and delivers every
// item in the one run, reading the store twice, not once an item. (Whether the second read comes
// before the first read's items are all answered, which keeps the slots full, is not seen here:
// the run reads again when it runs dry either way.)
TEST_F(ConcurrentDelivery, ARunWithMoreDueThanOneReadTakesReadsAgainAndDeliversThemAll) {
  queueOneEach("R", 150);
  auto report = run();
  EXPECT_EQ(report.delivered, 150);
  EXPECT_EQ(outbox.asked.load(), 2);  // 100, then the 50 left (fewer than asked: all of them)
  EXPECT_EQ(store->outboxCounts()["pending"], 0);
  expectEachPupilInOrder();
}
