#include "core/app/sink_health.h"

#include <nlohmann/json.hpp>

#include "core/app/gateway.h"

namespace markbridge {
namespace {

constexpr const char* kState = "_sinks";

void enter(SinkHealth& h, SinkState state, int64_t nowMs) {
  if (h.state != state || h.since == 0) h.since = nowMs;
  h.state = state;
}

}  // namespace

std::string_view toString(SinkState state) {
  switch (state) {
    case SinkState::Ok:
      return "ok";
    case SinkState::Retrying:
      return "retrying";
    case SinkState::PausedCredentials:
      return "paused: credentials";
    case SinkState::PausedOutage:
      return "paused: outage";
  }
  return "ok";
}

void SinkHealthTracker::attempted(const std::string& sink, const DeliveryResult& result,
                                  int64_t nowMs) {
  auto& h = health_[sink];
  tried_[sink] = true;
  switch (result.outcome) {
    case DeliveryResult::Outcome::Delivered:
    case DeliveryResult::Outcome::Reject:  // it answered: it is up (a dead letter is shown apart)
      h.failures_in_a_row = 0;
      h.reason.clear();
      enter(h, SinkState::Ok, nowMs);
      break;
    case DeliveryResult::Outcome::Retry:
      h.reason = result.reason;
      if (result.sink_unavailable) {
        enter(h, SinkState::PausedCredentials, nowMs);
        break;
      }
      ++h.failures_in_a_row;
      enter(h, SinkState::Retrying, nowMs);  // paused only if its circuit opened (finish)
      break;
  }
}

std::map<std::string, SinkHealth> SinkHealthTracker::finish(
    const std::vector<std::string>& sinks, const std::map<std::string, int>& pendingBySink,
    const std::map<std::string, CircuitBreaker>& circuits, int64_t nowMs) {
  std::map<std::string, SinkHealth> result;
  for (const auto& sink : sinks) {
    auto& h = result[sink] = health_[sink];
    auto circuit = circuits.find(sink);
    auto pendingAt = pendingBySink.find(sink);
    const bool waiting = pendingAt != pendingBySink.end() && pendingAt->second > 0;
    // This process has not sent to it yet (a fresh `markbridge sync`, or the service just
    // reloaded): the last run's verdict stands until an attempt says otherwise.
    if (circuit == circuits.end() && !tried_[sink] && h.state != SinkState::Ok && waiting) continue;
    h.paused_until = 0;
    h.paused_because.clear();
    if (circuit != circuits.end() && circuit->second.isOpen()) {
      enter(h,
            circuit->second.pausedForCredentials() ? SinkState::PausedCredentials
                                                   : SinkState::PausedOutage,
            nowMs);
      h.paused_until = circuit->second.openUntil();
      h.paused_because = std::string(circuit->second.openedBecause());
      continue;
    }
    // Its circuit is closed (or was never needed: nothing sent): not paused, whatever the
    // last run said.
    if (h.state == SinkState::PausedCredentials || h.state == SinkState::PausedOutage)
      enter(h, h.failures_in_a_row > 0 ? SinkState::Retrying : SinkState::Ok, nowMs);
    if (!tried_[sink] && !waiting) {
      h.failures_in_a_row = 0;
      h.reason.clear();
      enter(h, SinkState::Ok, nowMs);
    }
  }
  return result;
}

namespace {

void saveSinkHealth(Store& store, const std::map<std::string, SinkHealth>& health, int64_t nowMs) {
  for (const auto& [sink, h] : health)
    store.setSourceState(kState, sink,
                         nlohmann::json{{"state", toString(h.state)},
                                        {"reason", h.reason},
                                        {"failures_in_a_row", h.failures_in_a_row},
                                        {"since", h.since},
                                        {"paused_until", h.paused_until},
                                        {"paused_because", h.paused_because}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                         nowMs);
}

}  // namespace

std::map<std::string, SinkHealth> recordSinkHealth(Gateway& gateway, SinkHealthTracker& tracker,
                                                   int64_t nowMs) {
  std::map<std::string, int> pending;
  for (const auto& s : gateway.store().outboxBySink()) pending[s.sink] = s.pending;
  auto health = tracker.finish(gateway.sinkNames(), pending, gateway.circuits(), nowMs);
  saveSinkHealth(gateway.store(), health, nowMs);
  return health;
}

std::map<std::string, SinkHealth> loadSinkHealth(Gateway& gateway) {
  auto& store = gateway.store();
  std::map<std::string, SinkHealth> health;
  for (const auto& sink : gateway.sinkNames()) {
    auto& h = health[sink];
    auto stored = store.sourceState(kState, sink);
    if (!stored) continue;
    auto json = nlohmann::json::parse(*stored, nullptr, false);
    if (!json.is_object()) continue;
    try {
      std::string state = json.value("state", "ok");
      for (auto s : {SinkState::Ok, SinkState::Retrying, SinkState::PausedCredentials,
                     SinkState::PausedOutage})
        if (toString(s) == state) h.state = s;
      h.reason = json.value("reason", "");
      h.failures_in_a_row = json.value("failures_in_a_row", 0);
      h.since = json.value("since", int64_t{0});
      h.paused_until = json.value("paused_until", int64_t{0});
      h.paused_because = json.value("paused_because", "");
    } catch (const nlohmann::json::exception&) {
      h = SinkHealth{};  // unreadable: the next sync says again
    }
  }
  return health;
}

}  // namespace markbridge
