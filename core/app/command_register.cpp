// `markbridge status`, `codes` and `reconcile`: what the register holds and how it was read.

#include <ctime>
#include <iomanip>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/reconcile.h"
#include "core/app/sink_health.h"
#include "core/app/store_receiver.h"
#include "mapping/code_map.h"

namespace markbridge {
namespace {

std::string isoUtc(std::time_t seconds) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

int status(const Args& args, std::ostream& out, std::ostream& err) {
  auto gateway = openGateway(args, err, Gateway::Store::Verify, Gateway::Connectors::Look);
  if (!gateway) return kExitConfig;
  auto& store = gateway->store();
  auto s = store.status();
  out << "store " << gateway->config().store_path.string() << "\n"
      << "  pupils " << s.pupils << ", marks " << s.marks << ", amendments " << s.amendments
      << ", imports " << s.imports << " (last "
      << (s.last_import_at.empty() ? "never" : s.last_import_at) << ")\n"
      << "  data quality: " << s.marks_not_taken << " sessions with the register not taken\n";
  for (const auto& source : gateway->sourceNames()) {
    if (auto off = store.sourceState(source, std::string(StoreReceiver::kOffCalendarKey));
        off && !off->empty())
      out << "    source " << source << ": " << *off << "\n";
    if (auto notApplied = store.sourceState(source, std::string(StoreReceiver::kNotAppliedKey));
        notApplied && !notApplied->empty())
      out << "    source " << source << ": " << *notApplied << "\n";
    if (auto refused = store.sourceState(source, std::string(StoreReceiver::kLastRefusedKey)))
      out << "    source " << source << ": last refused " << *refused << "\n";
  }
  // Missing marks are never absences: they are registers someone still has to complete.
  for (const auto& gap : store.registersNotTaken(20))
    out << "    " << gap.date.iso() << " " << toString(gap.session) << ": " << gap.pupils
        << " pupil(s) with no mark (register not taken)\n";
  out << "  events active " << s.active_events << "\n  outbox:";
  for (const auto& state : {"pending", "delivered", "rejected"}) {
    auto it = s.outbox_by_state.find(state);
    out << " " << state << " " << (it == s.outbox_by_state.end() ? 0 : it->second);
  }
  out << "\n";
  for (const auto& item : store.outbox(OutboxState::Rejected, 20))
    out << "  rejected " << item.key << ": " << item.last_error << "\n";
  // Each source's last good import (a refused file is never one) and each sink's health.
  for (const auto& source : gateway->sourceNames()) {
    auto at = s.last_import_by_source.find(source);
    out << "  source " << source << ": last good import "
        << (at == s.last_import_by_source.end() ? "never" : at->second) << "\n";
  }
  std::map<std::string, int> pending;
  for (const auto& o : store.outboxBySink()) pending[o.sink] = o.pending;
  for (const auto& [name, health] : loadSinkHealth(*gateway)) {
    out << "  sink " << name << ": " << toString(health.state) << ", " << pending[name]
        << " pending";
    if (health.since) out << ", since " << isoUtc(health.since / 1000);
    if (health.paused_until)
      out << ", tried again from " << isoUtc(health.paused_until / 1000)
          << " (its breaker opened: " << health.paused_because << ")";
    if (!health.reason.empty()) out << " (" << health.reason << ")";
    out << "\n";
  }
  return kExitOk;
}

int codes(const Args& args, std::ostream& out, std::ostream& err) {
  const CodeMap* map = nullptr;
  std::unique_ptr<Gateway> gateway;
  CodeMap builtIn = CodeMap::builtIn();
  if (!args.source.empty()) {
    gateway = openGateway(args, err, Gateway::Store::Leave);
    if (!gateway) return kExitConfig;
    auto* source = gateway->source(args.source);
    if (!source || !source->codes()) {
      err << "markbridge codes: no source named '" << args.source
          << "' that reads attendance codes in the configuration\n";
      return kExitConfig;
    }
    map = source->codes();
    out << "effective code map of source " << args.source
        << " (its code_map over the built-in map)\n";
  } else {
    map = &builtIn;
  }
  out << "source code -> 2024 code (category) [origin]\n";
  for (const auto& [source, mapped] : map->entries()) {
    out << "  " << std::left << std::setw(5) << (source.empty() ? "(blank)" : source) << " -> "
        << std::setw(3) << mapped.code.str() << " (" << toString(mapped.code.category()) << ") ["
        << mapped.origin << (mapped.review ? ", flagged for review" : "") << "]\n";
  }
  return kExitOk;
}

int reconcileCommand(const Args& args, std::ostream& out, std::ostream& err) {
  auto gateway = openGateway(args, err, Gateway::Store::Open, Gateway::Connectors::Look);
  if (!gateway) return kExitConfig;
  bool census = false;
  for (const auto& source : gateway->config().sources)
    census = census || (source.is_object() && source.value("type", "") == "census_xml");
  if (!census) {
    printNoCensusSource(err);
    return kExitConfig;
  }
  printReconcile(reconcile(gateway->store()), out);
  return kExitOk;
}

}  // namespace markbridge
