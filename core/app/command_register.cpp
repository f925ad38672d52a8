// `markbridge status`, `codes` and `reconcile`: what the register holds and how it was read.

#include <ctime>
#include <iomanip>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/reconcile.h"
#include "core/app/sink_health.h"
#include "core/app/store_receiver.h"
#include "mapping/code_map.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

std::string isoUtc(std::time_t seconds) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The admission register (issue 16, item 7): who is on roll today, this week's joiners and
// leavers, and the returns not yet delivered.
void printOnRoll(Store& store, std::ostream& out) {
  Date today = london::localDate(std::time(nullptr));
  Date monday = today.monday();
  auto r = store.onRollSummary(today, monday, monday + 6);
  if (r.on_roll == 0 && r.joined == 0 && r.left == 0 && r.waiting.empty() && r.office_tasks == 0)
    return;  // no source carries the admission register
  out << "  admission register: " << r.on_roll << " on roll on " << today.iso();
  if (r.without_roll) out << " (and " << r.without_roll << " with no admission register data)";
  out << "; week of " << monday.iso() << ": " << r.joined << " joined, " << r.left << " left\n";
  auto waiting = [&](const char* type) {
    auto it = r.waiting.find(type);
    return it == r.waiting.end() ? 0 : it->second;
  };
  out << "    returns not yet delivered: " << waiting("new_pupil") << " new pupil";
  if (!r.earliest_due.empty()) out << " (earliest due " << r.earliest_due << ")";
  out << ", " << waiting("deletion") << " deletion, " << r.office_tasks
      << " deletion return(s) waiting for the office to record missing details\n";
  out << "    children missing education: " << waiting("missing_education")
      << " LA notification(s) not yet delivered; " << r.vanished
      << " pupil(s) gone from the exports without a leaving date\n";
}

}  // namespace

int status(const Args& args, std::ostream& out, std::ostream& err) {
  auto gateway = openGateway(args, err, Gateway::Store::Verify, Gateway::Connectors::Look);
  if (!gateway) return kExitConfig;
  auto& store = gateway->store();
  auto s = store.status();
  out << "store " << storeDescription(gateway->config()) << "\n"
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
  printOnRoll(store, out);
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
