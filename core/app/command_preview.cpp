// `markbridge sync --dry-run`: what a sync would send, before anything is. The store is copied
// (a consistent snapshot) into a private folder and the sync's import and evaluation run against
// the copy, with the same sources, rules and sinks; drop folders leave their files in place and
// nothing is delivered. The copy is then read for what waits to be sent and thrown away, so the
// real store, the inbox and every destination are untouched. Go-live and a new policy are the
// moments to run it: a back-dated year can otherwise reach a DSL as a hundred concerns at once.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/config_audit.h"
#include "core/domain/logging.h"
#include "core/store/sqlite_db.h"

namespace markbridge {
namespace {

namespace fs = std::filesystem;

// A folder removed with everything in it when the preview ends, however it ends.
struct PreviewFolder {
  fs::path path;
  PreviewFolder()
      : path(fs::temp_directory_path() / ("markbridge-preview-" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace);  // pupils' data
  }
  ~PreviewFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// What one sink would get for one rule and change kind.
struct Heading {
  int items = 0;
  std::set<std::string> pupils;
  std::string oldest;  // the earliest day an item's grounds start
};

}  // namespace

int syncPreview(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.config.empty()) {
    err << "markbridge sync --dry-run: --config FILE is required\n";
    return kExitConfig;
  }
  auto loaded = loadConfigOrSay(args, err);
  if (!loaded) return kExitConfig;
  auto& config = *loaded;
  if (!config.store_postgresql.empty()) {
    err << "markbridge sync --dry-run: works on a copy of a SQLite store; not yet on a "
           "PostgreSQL store (store.postgresql)\n";
    return kExitConfig;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  escapeTerminalLog();
  PreviewFolder folder;
  fs::path copy = folder.path / "preview.db";
  bool existing = fs::exists(config.store_path);
  if (existing) copySqliteStore(config.store_path.string(), copy.string());
  std::string realStore = config.store_path.string();
  config.store_path = copy;
  std::unique_ptr<Gateway> gateway;
  try {
    gateway = std::make_unique<Gateway>(std::move(config));
  } catch (const ProblemError& e) {
    err << "configuration problems (" << e.problems().size() << "):\n";
    printProblems(err, e.problems());
    return kExitConfig;
  }
  auto& store = gateway->store();
  std::set<int64_t> waiting;  // already pending in the store: the next sync sends them too
  for (const auto& item : store.outbox(OutboxState::Pending, 1'000'000)) waiting.insert(item.seq);

  out << "DRY RUN: nothing is sent and the store (" << realStore
      << (existing ? "" : ", not made yet") << ") is not changed\n";
  auto report = gateway->preview();
  bool rejected = false;
  for (const auto& i : report.imports) {
    printImport(out, err, i);
    rejected = rejected || !i.problems.empty();
  }
  const auto& e = report.evaluation;
  out << "evaluated " << report.pupils_evaluated << " pupils: " << e.new_events << " new events, "
      << e.withdrawn_events << " withdrawn, " << e.revised_events << " revised, "
      << e.historical_events << " before notify_from (never sent)\n";

  // sink -> rule -> kind -> what it would get.
  std::map<std::string, std::map<std::string, std::map<std::string, Heading>>> plan;
  int total = 0, earlier = 0;
  for (const auto& item : store.outbox(OutboxState::Pending, 1'000'000)) {
    auto payload = nlohmann::json::parse(item.payload, nullptr, false);
    std::string rule = payload.is_object() ? payload.value("rule", "?") : "?";
    std::string from =
        payload.is_object() && payload.contains("period") && payload["period"].is_object()
            ? payload["period"].value("from", "")
            : "";
    auto& heading = plan[item.sink][rule][std::string(toString(item.kind))];
    ++heading.items;
    heading.pupils.insert(item.upn);
    if (!from.empty() && (heading.oldest.empty() || from < heading.oldest)) heading.oldest = from;
    ++total;
    earlier += waiting.count(item.seq) > 0;
  }
  out << "would send " << total << " item(s)";
  if (earlier) out << " (" << earlier << " of them already waiting before this sync)";
  out << (total ? ":\n" : "\n");
  for (const auto& [sink, rules] : plan) {
    out << "  sink " << sink << ":\n";
    for (const auto& [rule, kinds] : rules)
      for (const auto& [kind, h] : kinds)
        out << "    " << rule << " " << kind << ": " << h.items << " item(s), " << h.pupils.size()
            << " pupil(s), oldest episode from " << (h.oldest.empty() ? "?" : h.oldest) << "\n";
  }

  // Event types raised that no sink takes: recorded, and never sent anywhere.
  std::set<std::string> routed;
  for (const auto& sink : gateway->sinks())
    for (const auto& type : sink->eventTypes()) routed.insert(type);
  SqliteDb db(copy.string());
  SqliteStatement types(db.handle(),
                        "SELECT type, COUNT(*) FROM events WHERE state='active' GROUP BY type "
                        "ORDER BY type");
  while (types.step()) {
    std::string type = types.text(0);
    if (routed.count(type)) continue;
    // A pupil's part of a digest is sent in the digest, never on its own.
    if (type == "digest_entry") continue;
    err << "warning: " << types.integer(1) << " " << type
        << " event(s) go to no sink: no sink in the configuration takes " << type
        << " (add it to a sink's events, or remove the rule if nobody should act on it)\n";
  }
  for (const auto& warning : digestsGoingNowhere(*gateway)) err << "WARNING: " << warning << "\n";
  if (total > 50)
    err << "note: " << total
        << " items would be sent at once. At go-live, set rules.notify_from "
           "to the go-live day so earlier episodes are kept as history, not sent "
           "(docs/rules.md); `markbridge backtest` shows how a policy would have fired week by "
           "week\n";
  return rejected ? kExitInputRejected : kExitOk;
}

}  // namespace markbridge
