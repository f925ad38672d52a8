#pragma once
// What the outbox needs of a store: items queued for sinks (by EventStore::commitEvaluation, in
// the same transaction as their events), their delivery, retries and dead letters. The outbox
// layer owns this interface and a store backend implements it (one of its three), so the outbox
// never includes the store; tests/core/store_contract_outbox_test.cpp holds its contract.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/outbox/outbox_item.h"
#include "core/rules/event_lifecycle.h"

namespace markbridge {

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Pending items due at `now`, oldest first, at most one per (sink, pupil) so each pupil's
  // events reach a sink in order; each says whether a later one waits behind it (more_in_line).
  // Items in `underWay` (sent by this store's caller, their answer not yet recorded) are left
  // out and left as they are, and so are the later items of their pupil and sink.
  virtual std::vector<OutboxItem> dueOutbox(int64_t now, int limit,
                                            const std::set<int64_t>& underWay) = 0;
  std::vector<OutboxItem> dueOutbox(int64_t now, int limit) { return dueOutbox(now, limit, {}); }
  // Ends this store's claims on items still pending (a delivery run ending: what it did not get
  // to, and what its sync's evaluation queued behind an item that was retried, is any worker's
  // again). A store without claims (SQLite: one worker) has nothing to end.
  virtual void endClaims() {}
  // The pending items each worker ("host:pid") holds a live claim on at `now` (PostgreSQL's
  // workers; /status says who delivers what). A store without claims holds none.
  virtual std::map<std::string, int> outboxClaims(int64_t /*now*/) { return {}; }
  // When the next item that is not waiting behind another falls due.
  virtual std::optional<int64_t> nextOutboxDue() = 0;
  virtual std::vector<OutboxItem> outbox(std::optional<OutboxState> state, int limit) = 0;
  virtual void recordDelivered(int64_t seq, const std::string& reference, int64_t now) = 0;
  virtual void recordRetry(int64_t seq, int attempts, int64_t nextAttemptAt,
                           const std::string& error) = 0;
  virtual void recordRejected(int64_t seq, int attempts, const std::string& error, int64_t now,
                              const std::string& response) = 0;
  // Several of the record* writes above as one transaction (one disk flush): all of them, or
  // none when `writes` throws. The delivery worker records the answers that came back while it
  // waited together, so many requests in flight do not each wait on a flush of their own.
  virtual void recordTogether(const std::function<void()>& writes) = 0;
  // Queues `entries` (each with its payload) at `now`, pending and due now; a key already in the
  // outbox is not queued again. How many were queued. What follows from a delivery (the school's
  // note that the LA was told: core/outbox/la_notice.h) is queued with recordTogether, in the
  // transaction that records the delivery.
  virtual int queueOutbox(const std::vector<OutboxEntry>& entries, int64_t now) = 0;
  virtual std::optional<OutboxItem> outboxItem(int64_t seq) = 0;
  // A dead-lettered (or discarded) item back to pending, due now, its attempts reset and its
  // give-up deadline started again; a pending item due now, its attempts kept; false when there
  // is no such item or it was delivered.
  virtual bool retryOutbox(int64_t seq, int64_t now) = 0;
  // Every pending item of `sink` due now (a paused sink resumed by hand); how many.
  virtual int retrySinkPending(const std::string& sink, int64_t now) = 0;
  // A pending or dead-lettered item set aside for good (kept for the record); false otherwise.
  virtual bool discardOutbox(int64_t seq, int64_t now, const std::string& why) = 0;
  virtual std::vector<SinkOutboxStats> outboxBySink() = 0;
  // How many outbox items are in each state ("pending" -> n); cheap, for every delivery run.
  virtual std::map<std::string, int> outboxCounts() = 0;
  // The destination's reference for the record an event updates (for corrections and
  // revisions): what the sink answered when it delivered the notification of that record.
  virtual std::string deliveredReference(const std::string& eventId, const std::string& sink) = 0;
  // The events some sink received a notification of (their ids, each once): what a backtest
  // compares its events with.
  virtual std::vector<std::string> deliveredEventIds() = 0;
};

}  // namespace markbridge
