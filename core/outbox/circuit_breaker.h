#pragma once
// One per sink: pauses a sink that is down, not one that fails now and then.
//
// The circuit opens (no item is sent to that sink, nor an attempt spent, until the pause is over)
// when any of these holds:
//   - the failure rate over the last `window_ms` is at least `failure_percent`, once the window
//     holds at least `min_requests` answered-or-not attempts (a destination that succeeds most of
//     the time keeps being used: 30% 503s never open it);
//   - `failures` attempts in a row got no answer at all (connection refused or dropped, timed
//     out): the destination is unreachable, no need to wait for the volume;
//   - at once, when the sink itself is unusable (credentials or certificates refused).
// After the pause the circuit is half open: up to `trials` items are tried; as many successes
// close it (and forget the window), one failure opens it again for twice as long, up to
// `max_cooldown_ms`. An outage therefore costs a handful of requests, not every item's retries.
// A 429 (the destination asking us to slow down) is not a failure here: the sink's pace
// (sink_pace.h) slows down instead.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace markbridge {

struct CircuitPolicy {
  int failures = 10;  // attempts in a row without an answer
  int64_t cooldown_ms = 60'000;
  int64_t max_cooldown_ms = 900'000;
  int failure_percent = 80;  // of the attempts in the window
  int min_requests = 20;     // in the window, before its failure rate counts
  int64_t window_ms = 60'000;
  int trials = 3;  // half open: items tried before the circuit closes
};

class CircuitBreaker {
 public:
  // What a failed attempt was: an answer that was not a success (5xx, 408), no answer at all
  // (connection refused or dropped, timeout), or the sink unusable (credentials refused).
  enum class Failure { Answer, NoAnswer, SinkUnavailable };

  explicit CircuitBreaker(CircuitPolicy policy = {}) : policy_(policy) {}
  // Whether an item may be sent now (half open: up to `trials` at a time, then their answers
  // are awaited).
  bool allows(int64_t now) const {
    if (!open_) return true;
    return now >= openUntil_ && trialsStarted_ < policy_.trials;
  }
  // An attempt started (counts the trials of a half-open circuit).
  void started(int64_t now) {
    if (open_ && now >= openUntil_) ++trialsStarted_;
  }
  bool isOpen() const { return open_; }
  // Open because the sink itself is unusable (credentials or certificates refused).
  bool pausedForCredentials() const { return open_ && credentials_; }
  bool halfOpen(int64_t now) const { return open_ && now >= openUntil_; }
  // The sink's health for `status` and /health: "ok"; "retrying" (failures, not paused);
  // "paused: credentials" (credentials or certificates refused: a person must fix them);
  // "paused: outage" (the destination down: tried again after the pause).
  std::string_view health() const {
    if (open_) return pausedForCredentials() ? "paused: credentials" : "paused: outage";
    return inARow_ > 0 ? "retrying" : "ok";
  }
  int64_t openUntil() const { return openUntil_; }
  // The failure rate (percent) and attempts in the window at `now`.
  int failurePercent(int64_t now) const {
    auto [ok, failed] = windowCounts(now);
    return ok + failed == 0 ? 0 : static_cast<int>(failed * 100 / (ok + failed));
  }
  int windowRequests(int64_t now) const {
    auto [ok, failed] = windowCounts(now);
    return ok + failed;
  }
  // Why it opened last, for the log: "N attempts in a row without an answer", "F% of N
  // attempts failed in the last S s", "a failed trial", "the sink is unusable".
  std::string_view openedBecause() const { return because_; }

  void succeeded(int64_t now) {
    inARow_ = 0;
    noAnswerInARow_ = 0;
    if (open_) {
      if (now < openUntil_) return;  // an answer to a request sent before it opened
      if (++trialsPassed_ < policy_.trials) return;
      close();
      return;
    }
    bucket(now).ok++;
  }
  // The destination asked us to slow down (429): neither a failure nor a success. A trial that
  // got it is given back, so another may be tried.
  void throttled(int64_t now) {
    if (open_ && now >= openUntil_ && trialsStarted_ > trialsPassed_) --trialsStarted_;
  }
  // Returns true when this failure opened (or re-opened) the circuit.
  bool failed(int64_t now, Failure kind) {
    ++inARow_;
    if (kind == Failure::NoAnswer)
      ++noAnswerInARow_;
    else
      noAnswerInARow_ = 0;
    if (open_) {
      if (now < openUntil_ && kind != Failure::SinkUnavailable) return false;  // sent before
      because_ = kind == Failure::SinkUnavailable ? "the sink is unusable" : "a failed trial";
      return open(now, kind == Failure::SinkUnavailable);
    }
    bucket(now).failed++;
    if (kind == Failure::SinkUnavailable) {
      because_ = "the sink is unusable";
      return open(now, true);
    }
    if (noAnswerInARow_ >= policy_.failures) {
      because_ = "attempts in a row without an answer";
      return open(now, false);
    }
    auto [ok, failedCount] = windowCounts(now);
    int total = ok + failedCount;
    if (total >= policy_.min_requests &&
        failedCount * 100 >= static_cast<int64_t>(policy_.failure_percent) * total) {
      because_ = "failure rate over the window";
      return open(now, false);
    }
    return false;
  }

 private:
  static constexpr int kBuckets = 12;
  struct Bucket {
    int64_t index = -1;
    int ok = 0, failed = 0;
  };
  int64_t bucketMs() const { return std::max<int64_t>(policy_.window_ms / kBuckets, 1); }
  Bucket& bucket(int64_t now) {
    int64_t index = now / bucketMs();
    auto& b = buckets_[static_cast<std::size_t>(((index % kBuckets) + kBuckets) % kBuckets)];
    if (b.index != index) b = Bucket{index, 0, 0};
    return b;
  }
  std::pair<int, int> windowCounts(int64_t now) const {
    int64_t index = now / bucketMs();
    int ok = 0, failed = 0;
    for (const auto& b : buckets_)
      if (b.index > index - kBuckets && b.index <= index) {
        ok += b.ok;
        failed += b.failed;
      }
    return {ok, failed};
  }
  bool open(int64_t now, bool credentials) {
    cooldown_ =
        cooldown_ == 0 ? policy_.cooldown_ms : std::min(cooldown_ * 2, policy_.max_cooldown_ms);
    open_ = true;
    credentials_ = credentials;
    openUntil_ = now + cooldown_;
    trialsStarted_ = 0;
    trialsPassed_ = 0;
    return true;
  }
  void close() {
    open_ = false;
    credentials_ = false;
    cooldown_ = 0;
    trialsStarted_ = 0;
    trialsPassed_ = 0;
    buckets_ = {};  // the outage is over: its failures no longer count
  }

  CircuitPolicy policy_;
  bool open_ = false;
  bool credentials_ = false;
  int inARow_ = 0;
  int noAnswerInARow_ = 0;
  int trialsStarted_ = 0;
  int trialsPassed_ = 0;
  int64_t cooldown_ = 0;
  int64_t openUntil_ = 0;
  std::array<Bucket, kBuckets> buckets_{};
  std::string_view because_;
};

}  // namespace markbridge
