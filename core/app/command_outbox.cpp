// `markbridge outbox`: what an IT technician needs to see and do about deliveries.
//   outbox [list] [--state pending|delivered|dead|discarded]   items, newest last, per sink
//   outbox show SEQ                                              one item: payload, answer
//   outbox retry SEQ|dead                                        dead letters (or a pending
//                                                                item) due now
//   outbox retry --sink NAME                                     a paused sink resumed now
//   outbox discard SEQ                                           set aside for good (kept)

#include <ctime>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/app/command_support.h"
#include "core/app/commands.h"

namespace markbridge {
namespace {

std::string when(int64_t ms) {
  return utcMs(ms);
}

std::string age(int64_t fromMs, int64_t nowMs) {
  int64_t s = (nowMs - fromMs) / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

std::string stateName(OutboxState state) {
  return state == OutboxState::Rejected ? "dead" : std::string(toString(state));
}

void printSinks(Store& store, std::ostream& out, int64_t now) {
  out << std::left << std::setw(12) << "sink" << std::right << std::setw(9) << "pending"
      << std::setw(11) << "delivered" << std::setw(9) << "retries" << std::setw(7) << "dead"
      << std::setw(11) << "discarded"
      << "  oldest pending\n";
  for (const auto& s : store.outboxBySink())
    out << std::left << std::setw(12) << s.sink << std::right << std::setw(9) << s.pending
        << std::setw(11) << s.delivered << std::setw(9) << s.retries << std::setw(7) << s.dead
        << std::setw(11) << s.discarded << "  "
        << (s.oldest_pending_at ? age(s.oldest_pending_at, now) + " old" : "-") << "\n";
}

int64_t seqOf(const std::string& text) {
  try {
    std::size_t used = 0;
    auto n = std::stoll(text, &used);
    return used == text.size() && n > 0 ? n : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

int outboxCommand(const Args& args, std::ostream& out, std::ostream& err) {
  // Listing, showing, retrying and discarding write only the store: no sink is built, so no
  // token is needed (the next delivery, by `sync` or the service, needs them).
  auto gateway = openGateway(args, err, Gateway::Store::Open, Gateway::Connectors::Look);
  if (!gateway) return kExitConfig;
  auto& store = gateway->store();
  int64_t now = static_cast<int64_t>(std::time(nullptr)) * 1000;
  std::string action = args.files.empty() ? "list" : args.files[0];
  std::string target = args.files.size() > 1 ? args.files[1] : "";
  if (action == "list") {
    std::optional<OutboxState> state;
    if (!args.state.empty()) {
      state = outboxStateFrom(args.state);
      if (!state) {
        err << "markbridge outbox: --state is pending, delivered, dead or discarded\n";
        return kExitConfig;
      }
    }
    printSinks(store, out, now);
    auto items = store.outbox(state, 200);
    if (items.empty()) return kExitOk;
    out << "\n";
    for (const auto& item : items) {
      auto event = nlohmann::json::parse(item.payload, nullptr, false);
      std::string type = event.is_object() ? event.value("type", "?") : "?";
      out << std::right << std::setw(6) << item.seq << "  " << std::left << std::setw(10)
          << stateName(item.state) << std::setw(10) << item.sink << std::setw(9)
          << toString(item.kind) << std::setw(21) << type << maskUpn(item.upn) << "  tries "
          << item.attempts;
      if (!item.reference.empty()) out << "  ref " << item.reference;
      if (item.state == OutboxState::Delivered) out << "  delivered " << when(item.finished_at);
      if (auto rule = ruleLabelOfPayload(gateway->config().rules, item.payload); !rule.empty())
        out << "  " << rule;
      if (item.state != OutboxState::Delivered && !item.last_error.empty())
        out << "\n        " << item.last_error;
      out << "\n";
    }
    return kExitOk;
  }
  if (action == "show") {
    auto item = store.outboxItem(seqOf(target));
    if (!item) {
      err << "markbridge outbox show: no outbox item " << target << "\n";
      return kExitConfig;
    }
    out << "item " << item->seq << " (" << stateName(item->state) << ") for sink " << item->sink
        << "\n  key          " << item->key << "\n  event        " << item->event_id << " ("
        << toString(item->kind) << ")\n  raised by    "
        << ruleLabelOfPayload(gateway->config().rules, item->payload) << "\n  pupil        "
        << maskUpn(item->upn) << "\n  queued       " << when(item->created_at)
        << "\n  attempts     " << item->attempts << "\n  next attempt "
        << (item->state == OutboxState::Pending ? when(item->next_attempt_at) : "-") << "\n  "
        << std::left << std::setw(13)
        << (item->state == OutboxState::Delivered   ? "delivered"
            : item->state == OutboxState::Rejected  ? "dead-lettered"
            : item->state == OutboxState::Discarded ? "discarded"
                                                    : "finished")
        << when(item->finished_at) << "\n  reference    "
        << (item->reference.empty() ? "-" : item->reference) << "\n  last error   "
        << (item->last_error.empty() ? "-" : item->last_error) << "\n";
    if (!item->response.empty()) out << "  answer       " << item->response << "\n";
    // The payload names the pupil: it is shown here, to the technician who asked, never logged.
    auto payload = nlohmann::json::parse(item->payload, nullptr, false);
    out << "  payload      " << (payload.is_discarded() ? item->payload : payload.dump(2)) << "\n";
    return kExitOk;
  }
  if (action == "retry" && !args.sink.empty()) {
    bool known = false;
    for (const auto& sink : gateway->sinkNames()) known = known || sink == args.sink;
    if (!known) {
      err << "markbridge outbox retry: no sink named '" << oneLine(args.sink)
          << "' in the configuration\n";
      return kExitConfig;
    }
    int due = gateway->resumeSink(args.sink, now);
    out << "sink " << args.sink << " resumed: " << due
        << " pending item(s) are due now and its pause is lifted; the next delivery tries it "
           "(a running service within a minute; `systemctl reload markbridge` for at once)\n";
    return kExitOk;
  }
  if (action == "retry") {
    std::vector<int64_t> seqs;
    if (target == "dead")
      for (const auto& item : store.outbox(OutboxState::Rejected, 100000)) seqs.push_back(item.seq);
    else
      seqs.push_back(seqOf(target));
    int done = 0;
    for (auto seq : seqs) done += store.retryOutbox(seq, now);
    out << done << " item(s) back to pending, due now; the next delivery sends them\n";
    if (done == 0 && target != "dead") {
      err << "markbridge outbox retry: item " << target
          << " is delivered already (or does not exist)\n";
      return kExitConfig;
    }
    return kExitOk;
  }
  if (action == "discard") {
    if (!store.discardOutbox(seqOf(target), now, "discarded by hand")) {
      err << "markbridge outbox discard: item " << target
          << " is not pending or dead-lettered (or does not exist)\n";
      return kExitConfig;
    }
    out << "item " << target << " discarded: it will not be sent (it stays in the outbox, "
        << "`outbox retry " << target << "` brings it back)\n";
    return kExitOk;
  }
  err << "markbridge outbox: list, show SEQ, retry SEQ|dead, retry --sink NAME or discard SEQ\n";
  return kExitConfig;
}

}  // namespace markbridge
