#pragma once
// The interface every outbound connector implements. A sink only says what happened to one
// attempt (delivered / retry later / rejected); the delivery worker owns retries, backoff,
// ordering and dead letters.

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/domain/counters.h"
#include "core/outbox/outbox_item.h"
#include "core/rules/sink_event.h"

namespace markbridge {

struct DeliveryResult {
  enum class Outcome { Delivered, Retry, Reject };
  Outcome outcome = Outcome::Retry;
  std::string reference;                  // Delivered: the destination's id for the record
  std::optional<int64_t> retry_after_ms;  // Retry: what the destination asked for
  std::string reason;                     // Retry/Reject: status and cause, never a secret
  // Retry/Reject: the destination's own words, excerpted. They may name a pupil (a portal that
  // quotes the record it refused), so they are stored with the item and shown to the people who
  // may see pupils, and logged at debug only: a log at info or warn gets `reason`.
  std::string answer;
  std::string response_body;  // Reject: what the destination said, kept
  // Retry: the sink itself cannot be used (credentials or certificates refused): its other
  // items wait too, without spending attempts, until it is fixed.
  bool sink_unavailable = false;
  // The destination's HTTP status; 0 when no answer came (connection refused or dropped, timed
  // out). The circuit breaker tells an outage from failures by it; 429 and 503 with Retry-After
  // slow the whole sink down.
  int http_status = 0;

  static DeliveryResult delivered(std::string reference) {
    return {Outcome::Delivered, std::move(reference), std::nullopt, {}, {}, {}, false, 0};
  }
  static DeliveryResult retry(std::string reason, std::optional<int64_t> afterMs = std::nullopt) {
    return {Outcome::Retry, {}, afterMs, std::move(reason), {}, {}, false, 0};
  }
  static DeliveryResult reject(std::string reason) {
    return {Outcome::Reject, {}, std::nullopt, std::move(reason), {}, {}, false, 0};
  }
  // The reason and the destination's words: what the outbox keeps as the item's last error.
  std::string described() const { return answer.empty() ? reason : reason + ": " + answer; }
  // The destination asked us to slow down: 429, or 503 with Retry-After.
  bool throttled() const {
    return outcome == Outcome::Retry &&
           (http_status == 429 || (http_status == 503 && retry_after_ms.has_value()));
  }
};

// How a sink may be sent to: attempts in flight at once (each pupil's items still one at a time,
// in order) and attempts started a second (0: no limit).
struct SinkPacing {
  int max_in_flight = 1;
  double max_per_second = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // With max_in_flight > 1, deliver() is called from that many threads at once.
  virtual SinkPacing pacing() const { return {}; }
  virtual const std::string& name() const = 0;
  // The event types this sink is sent.
  virtual std::set<std::string> eventTypes() const = 0;
  // True for the LA's own portal: what it accepts, the LA was told, and the sinks that take
  // "la_notice" are queued a note saying so (core/outbox/la_notice.h).
  virtual bool notifiesLa() const { return false; }
  // One attempt at `item` (its key, sink, kind), whose event the worker has read and checked
  // once (`event`: a sink builds its request from these fields, never from item.payload).
  // `originalReference` is set for a correction: the record it corrects.
  virtual DeliveryResult deliver(const OutboxItem& item, const SinkEvent& event,
                                 const std::string& originalReference) = 0;
  // After a delivery run: the connections it kept alive are let go. An HTTPS sink hands them to
  // the worker's shelf, where the next school's sync sending the same way takes them up, and
  // closes them a few seconds idle (connectors/outbound/common/connection_shelf.h): a trust's
  // schools' sinks never each hold theirs open to the same LA portal between register closes.
  virtual void closeConnections() {}
  ConnectorCounters& counters() { return counters_; }

 protected:
  // Counts one attempt's result: records delivered, retries, failures.
  void count(const DeliveryResult& result);
  ConnectorCounters counters_;
};

}  // namespace markbridge
