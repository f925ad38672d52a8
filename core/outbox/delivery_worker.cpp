#include "core/outbox/delivery_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "core/domain/fault_point.h"
#include "core/domain/kept_threads.h"
#include "core/domain/logging.h"
#include "core/domain/upn.h"
#include "core/outbox/la_notice.h"

namespace markbridge {
namespace {

// A run with fewer items in hand than it could send reads the store again at least this often:
// items whose backoff has run out join in (and the claims of those in hand are made again).
constexpr int64_t kReadAgainMs = 10'000;

// One attempt: the item, the sink and what the destination said.
struct Attempt {
  OutboxItem item;
  SinkEvent event;  // the item's payload, read and checked once when it was taken
  Sink* sink = nullptr;
  std::string original;  // the record a correction corrects
  DeliveryResult result;
  std::vector<OutboxEntry> follow_on;  // queued with the delivery: the LA was told (la_notice.h)
  std::string key_scope;               // DeliveryWorker::key_scope
};

DeliveryResult attempt(Sink& sink, const Attempt& a) {
  const auto& item = a.item;
  try {
    if (a.key_scope.empty()) return sink.deliver(item, a.event, a.original);
    OutboxItem sent = item;  // the key as the destination sees it; the outbox keeps its own
    sent.key = a.key_scope + item.key;
    return sink.deliver(sent, a.event, a.original);
  } catch (const std::exception& e) {
    // One item that cannot even be put into a request (a stored value the payload cannot
    // carry) is dead-lettered for a person; the rest of the school's items go on.
    return DeliveryResult::reject("sink " + item.sink +
                                  ": this item could not be made into a request: " + e.what());
  }
}

// Attempts made on the process's kept threads (core/domain/kept_threads.h), their results
// handed back. With no concurrency, an attempt is made at once on the caller's thread (every
// sink one at a time: the order is then the store's).
class Senders {
 public:
  explicit Senders(bool concurrent) : concurrent_(concurrent) {}
  // Waits for the attempts under way: the sinks they use may go when the run ends. Stopping
  // before every answer was collected (the store failed): attempts not begun are not made, and
  // their items stay pending.
  ~Senders() {
    std::unique_lock lock(shared_->mutex);
    shared_->stop = true;
    shared_->finished_one.wait(lock, [&] { return shared_->running == 0; });
  }
  Senders(const Senders&) = delete;
  Senders& operator=(const Senders&) = delete;

  void submit(Attempt a) {
    if (!concurrent_) {
      a.result = attempt(*a.sink, a);
      shared_->done.push_back(std::move(a));
      return;
    }
    {
      std::lock_guard lock(shared_->mutex);
      ++shared_->running;
    }
    auto taken = std::make_shared<Attempt>(std::move(a));
    KeptThreads::ofProcess().run([shared = shared_, taken] {
      bool stopping = false;
      {
        std::lock_guard lock(shared->mutex);
        stopping = shared->stop;
      }
      if (!stopping) taken->result = attempt(*taken->sink, *taken);
      std::lock_guard lock(shared->mutex);
      if (!stopping) shared->done.push_back(std::move(*taken));
      --shared->running;
      shared->finished_one.notify_all();
    });
  }
  // The attempts finished so far; waits up to `wait` for one when there is none yet.
  std::deque<Attempt> finished(std::chrono::milliseconds wait) {
    std::unique_lock lock(shared_->mutex);
    if (shared_->done.empty() && wait.count() > 0)
      shared_->finished_one.wait_for(lock, wait, [&] { return !shared_->done.empty(); });
    std::deque<Attempt> out;
    out.swap(shared_->done);
    return out;
  }

 private:
  // What the run and its attempts on the sender threads share: the destructor waits for the
  // attempts, and each holds it until it has let go of it.
  struct Shared {
    std::mutex mutex;
    std::condition_variable finished_one;
    std::deque<Attempt> done;
    int running = 0;  // handed to the threads, not yet finished
    bool stop = false;
  };
  bool concurrent_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace

DeliveryReport DeliveryWorker::run() {
  DeliveryReport report;
  auto log = namedLogger("outbox");
  const int64_t deadline = clock_.nowMs() + options_.run_budget_ms;
  std::set<std::string> reportedDown;  // sinks whose outage was logged this run

  // Per sink: its pacing, its pace this run, its attempts under way.
  // A sink starts with one attempt at a time, and opens up to its max_in_flight once one has
  // been answered (delivered, or refused for its content): credentials or a certificate that
  // are refused, or a destination that is down, cost one request, not max_in_flight.
  struct Lane {
    int max_in_flight = 1;
    SinkPace pace;
    int in_flight = 0;
    bool answered = false;
    int limit() const { return answered ? max_in_flight : 1; }
  };
  std::map<std::string, Lane> lanes;
  int threads = 0;
  bool concurrent = false;
  std::vector<std::string> laNoticeSinks;  // told when the LA portal accepts a notification
  for (const auto& [name, sink] : sinks_) {
    if (sink->eventTypes().count(std::string(kLaNoticeType))) laNoticeSinks.push_back(name);
    auto pacing = sink->pacing();
    auto& lane = lanes[name];
    lane.max_in_flight = std::max(pacing.max_in_flight, 1);
    lane.pace = SinkPace(pacing.max_per_second);
    if (kept_paces)
      if (auto kept = kept_paces->find(name); kept != kept_paces->end()) lane.pace = kept->second;
    threads += lane.max_in_flight;
    concurrent = concurrent || lane.max_in_flight > 1;
  }
  Senders senders(concurrent);
  int totalSlots = std::max(threads, 1);

  std::deque<OutboxItem> ready;  // due, not yet sent (fetched from the store)
  std::set<int64_t> underWay;    // seqs sent, answer not yet recorded
  // The store holds due items `ready` lacks: a pupil's next item once the one before it was
  // answered, follow-on notes, or more than the last read took. Not reading it again after an
  // answer that freed nothing saves a claim a request (about 6 claims a school's close, now 1).
  bool refetch = true;
  bool readAll = false;  // the last read took fewer items than it asked for
  int64_t readAt = 0;    // when (the claims of the items in hand are made again)
  bool stopping = false;
  bool blockedBefore = false;  // the last pass found items that could not go, none under way
  int attempted = 0;

  auto circuitFor = [&](const std::string& sink) -> CircuitBreaker& {
    return circuits_.try_emplace(sink, options_.circuit).first->second;
  };

  // What an answer means for the item, its sink's circuit and pace; recorded in the store. The
  // outcome recorded (a retry past max_attempts is a rejection).
  auto record = [&](const OutboxItem& item, DeliveryResult result, bool unknownSink,
                    const std::vector<OutboxEntry>& followOn) {
    auto& circuit = circuitFor(item.sink);
    if (unknownSink) result.sink_unavailable = true;
    int attempts = item.attempts + (result.sink_unavailable ? 0 : 1);
    int64_t now = clock_.nowMs();
    if (result.outcome == DeliveryResult::Outcome::Retry && !result.sink_unavailable &&
        options_.max_attempts > 0 && attempts >= options_.max_attempts) {
      auto last = std::move(result);
      result = DeliveryResult::reject("gave up after " + std::to_string(attempts) +
                                      " attempts; last: " + last.reason);
      result.answer = std::move(last.answer);
    }
    auto lane = lanes.find(item.sink);
    switch (result.outcome) {
      case DeliveryResult::Outcome::Delivered:
        faultPoint("after-send");
        store_.recordDelivered(item.seq, result.reference, now);
        // In the same transaction (collect below): the school's note that the LA was told.
        if (!followOn.empty()) store_.queueOutbox(followOn, now);
        circuit.succeeded(now);
        if (lane != lanes.end()) {
          lane->second.pace.succeeded(now);
          lane->second.answered = true;
        }
        ++report.delivered;
        break;
      case DeliveryResult::Outcome::Retry: {
        bool opened = false;
        if (result.throttled()) {
          // The destination asked the whole sink to slow down, not only this item.
          if (lane != lanes.end()) lane->second.pace.throttled(now, result.retry_after_ms);
          circuit.throttled(now);
        } else {
          opened =
              circuit.failed(now, result.sink_unavailable ? CircuitBreaker::Failure::SinkUnavailable
                                  : result.http_status == 0 ? CircuitBreaker::Failure::NoAnswer
                                                            : CircuitBreaker::Failure::Answer);
        }
        // Retry-After is honoured, but never below the base delay nor above the cap.
        int64_t delay = 0;
        if (result.retry_after_ms) {
          delay =
              std::clamp(*result.retry_after_ms, options_.backoff.base_ms, options_.backoff.cap_ms);
        } else {
          auto backoff = options_.backoff;
          if (!circuit.isOpen() && !result.sink_unavailable)
            backoff.cap_ms =
                std::min(backoff.cap_ms, std::max(backoff.healthy_cap_ms, backoff.base_ms));
          delay = backoffDelayMs(backoff, attempts, random_);
        }
        int64_t next = std::max(now + delay, circuit.isOpen() ? circuit.openUntil() : 0);
        store_.recordRetry(item.seq, attempts, next, result.described());
        if (!result.answer.empty())
          log->debug("{}: the destination answered: {}", item.key, result.answer);
        if (result.sink_unavailable) {
          // One clear line per sink and run, not one per item.
          if (reportedDown.insert(item.sink).second)
            log->error("{} (its items wait; nothing is marked delivered)", result.reason);
        } else {
          log->warn("{}: attempt {} failed, next in {} ms: {}", item.key, attempts, next - now,
                    result.reason);
          if (opened)
            log->warn("sink {}: paused for {} s: {} ({}% of {} attempts in the last {} s failed)",
                      item.sink, (circuit.openUntil() - now) / 1000, circuit.openedBecause(),
                      circuit.failurePercent(now), circuit.windowRequests(now),
                      options_.circuit.window_ms / 1000);
        }
        ++report.retried;
        break;
      }
      case DeliveryResult::Outcome::Reject:
        store_.recordRejected(item.seq, attempts, result.described(), now, result.response_body);
        circuit.succeeded(now);  // the sink answered: it is up
        if (lane != lanes.end()) lane->second.answered = true;
        log->error("{}: dead-lettered after {} attempt(s): {}{}", item.key, attempts, result.reason,
                   result.answer.empty() ? std::string()
                                         : " (its answer: `markbridge outbox show " +
                                               std::to_string(item.seq) + "`)");
        if (!result.answer.empty())
          log->debug("{}: the destination answered: {}", item.key, result.answer);
        ++report.rejected;
        break;
    }
    if (on_attempt) on_attempt(item, result);
    return result.outcome;
  };

  // The answers that came back, recorded together: one disk flush for all of them.
  auto collect = [&](std::chrono::milliseconds wait) {
    auto finished = senders.finished(wait);
    if (finished.empty()) return;
    bool followOns = false;
    for (auto& a : finished) {
      if (a.result.outcome == DeliveryResult::Outcome::Delivered && a.sink->notifiesLa())
        a.follow_on = laNotices(a.item, a.event, a.result.reference, a.original, clock_.nowMs(),
                                laNoticeSinks);
      followOns = followOns || !a.follow_on.empty();
    }
    // An item answered for good lets the next of its pupil's at the sink go (more_in_line).
    bool freed = false;
    auto recordAll = [&] {
      freed = false;
      for (auto& a : finished)
        if (record(a.item, std::move(a.result), false, a.follow_on) !=
                DeliveryResult::Outcome::Retry &&
            a.item.more_in_line)
          freed = true;
    };
    // An LA acceptance and the notes it gives rise to are recorded together, or neither is.
    if (finished.size() == 1 && !followOns)
      recordAll();
    else
      store_.recordTogether(recordAll);
    if (followOns) faultPoint("after-la-notice-queued");  // crash tests: recorded, not yet sent
    for (auto& a : finished) {
      underWay.erase(a.item.seq);
      --lanes[a.item.sink].in_flight;
    }
    refetch = refetch || freed || followOns;
  };

  peakInFlight_ = 0;
  for (;;) {
    collect(std::chrono::milliseconds(0));
    if (!stopping && should_stop && should_stop()) stopping = true;
    int64_t now = clock_.nowMs();
    int64_t wake = INT64_MAX;  // when a sink's pace lets an item waiting in `ready` go
    bool sent = false;
    struct Deferral {
      int64_t seq;
      int attempts;
      int64_t until;
      std::string error;
    };
    std::vector<Deferral> deferrals;  // items of paused sinks, written together after the pass
    if (!stopping) {
      if ((refetch || !readAll || now - readAt >= kReadAgainMs) &&
          static_cast<int>(ready.size()) < totalSlots) {
        const int asked = std::max(100, 4 * totalSlots);
        ready.clear();
        for (auto& item : store_.dueOutbox(now, asked, underWay)) ready.push_back(std::move(item));
        refetch = false;
        readAll = static_cast<int>(ready.size()) < asked;
        readAt = now;
      }
      for (auto it = ready.begin(); it != ready.end();) {
        if (should_stop && should_stop()) {
          stopping = true;
          break;
        }
        now = clock_.nowMs();
        const auto& item = *it;
        if (attempted > 0 && now >= deadline) {
          report.out_of_budget = true;  // the rest wait for the next sync, untouched
          stopping = true;
          break;
        }
        if (options_.give_up_after_ms > 0 && now - item.created_at > options_.give_up_after_ms) {
          auto hours = (now - item.created_at) / 3'600'000;
          store_.recordRejected(item.seq, item.attempts,
                                "gave up after " + std::to_string(hours) +
                                    " hours undelivered; last error: " + item.last_error,
                                now, "");
          log->error(
              "ALERT: {} for pupil {} could not be delivered to sink {} in {} hours and "
              "was dead-lettered; see `markbridge outbox show {}`",
              item.event_id, maskUpn(item.upn), item.sink, hours, item.seq);
          ++report.rejected;
          refetch = true;  // the pupil's next item may go now
          it = ready.erase(it);
          continue;
        }
        auto& circuit = circuitFor(item.sink);
        if (!circuit.allows(now)) {
          if (circuit.isOpen() && now < circuit.openUntil()) {
            // Not attempted, no attempt spent: it waits for the circuit to half-open.
            deferrals.push_back({item.seq, item.attempts, circuit.openUntil(), item.last_error});
            ++report.deferred;
            it = ready.erase(it);
          } else {
            ++it;  // half open, its trials under way: their answers decide
          }
          continue;
        }
        auto sink = sinks_.find(item.sink);
        if (sink == sinks_.end()) {
          ++attempted;
          record(item,
                 DeliveryResult::retry("no sink named '" + item.sink + "' in the configuration"),
                 true, {});
          it = ready.erase(it);
          continue;
        }
        auto& lane = lanes[item.sink];
        if (lane.in_flight >= lane.limit()) {
          ++it;
          continue;
        }
        if (int64_t at = lane.pace.nextStart(now); at > now) {
          wake = std::min(wake, at);
          ++it;
          continue;
        }
        // The item's event, read once: a row the store could not read, or a payload that lacks
        // what a sink needs, is dead-lettered here, naming the cause; nothing is sent.
        std::optional<SinkEvent> event;
        std::string unsendable = item.unreadable;
        if (unsendable.empty()) {
          try {
            event = SinkEvent::fromJson(item.payload);
          } catch (const BadEventPayload& e) {
            unsendable = "outbox item " + std::to_string(item.seq) +
                         ": its event cannot be sent: " + e.what() + " (nothing was sent)";
          }
        }
        if (!event) {
          store_.recordRejected(item.seq, item.attempts, unsendable, now, "");
          log->error("{}: dead-lettered: {}", item.key, unsendable);
          ++report.rejected;
          if (on_attempt) on_attempt(item, DeliveryResult::reject(unsendable));
          refetch = true;  // the pupil's next item may go now
          it = ready.erase(it);
          continue;
        }
        ++attempted;
        ++lane.in_flight;
        circuit.started(now);
        lane.pace.started(now);
        underWay.insert(item.seq);
        peakInFlight_ = std::max(peakInFlight_, static_cast<int>(underWay.size()));
        std::string original = item.kind == OutboxKind::Notify
                                   ? std::string()
                                   : store_.deliveredReference(item.event_id, item.sink);
        senders.submit(Attempt{std::move(*it),
                               std::move(*event),
                               sink->second,
                               std::move(original),
                               {},
                               {},
                               key_scope});
        it = ready.erase(it);
        sent = true;
        if (!concurrent) break;  // one at a time: its answer is recorded before the next goes
      }
    }
    if (!deferrals.empty())
      store_.recordTogether([&] {
        for (const auto& d : deferrals) store_.recordRetry(d.seq, d.attempts, d.until, d.error);
      });
    if (!underWay.empty()) {
      // Wait for an answer, or until a paced item may go (in short steps, so a stop is seen).
      int64_t wait = wake == INT64_MAX ? 250 : std::clamp<int64_t>(wake - now, 1, 250);
      collect(std::chrono::milliseconds(wait));
      continue;
    }
    if (stopping) break;
    if (sent) {
      blockedBefore = false;
      continue;
    }
    if (!ready.empty()) {
      if (wake == INT64_MAX) {  // nothing can go and nothing is under way: read the store again
        refetch = true;
        ready.clear();
        if (blockedBefore) {  // and again: wait a little rather than spin
          if (now >= deadline) break;
          clock_.sleepMs(std::min<int64_t>(250, deadline - now));
        }
        blockedBefore = true;
        continue;
      }
      if (wake > deadline) break;
      int64_t until = should_stop ? std::min(wake, now + 250) : wake;
      clock_.sleepMs(until - now);
      continue;
    }
    auto next = store_.nextOutboxDue();
    if (!next || *next > deadline) break;
    // With a stop to watch for, waits in short steps, so a shutdown is not held up by a
    // backoff.
    int64_t until = std::min(*next, deadline);
    if (should_stop) until = std::min(until, now + 250);
    clock_.sleepMs(until - now);
    refetch = true;
  }
  if (kept_paces)
    for (const auto& [name, lane] : lanes) kept_paces->insert_or_assign(name, lane.pace);
  store_.endClaims();
  auto states = store_.outboxCounts();
  report.pending_left = states.count("pending") ? states.at("pending") : 0;
  if (report.out_of_budget)
    log->warn(
        "delivery stopped at its run budget of {} ms with items still due: {} item(s) wait for "
        "the next sync",
        options_.run_budget_ms, report.pending_left);
  return report;
}

}  // namespace markbridge
