#include "core/app/commands.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "core/app/command_support.h"
#include "core/app/config_audit.h"
#include "core/app/service.h"
#include "core/app/sink_health.h"
#include "core/store/postgres_db.h"
#include "core/store/sqlite_db.h"
#include "mapping/code_map.h"

namespace markbridge {

namespace {

// Corrections the register did not take, so the office does not believe they were made: each
// names the source that holds the session (the one to correct it in).
void printNotApplied(std::ostream& out, const ImportResult& r) {
  const int total = r.outcome.marks_not_applied;
  if (total == 0) return;
  const auto& list = r.outcome.not_applied;
  const int shown = static_cast<int>(std::min<std::size_t>(list.size(), 20));
  for (int i = 0; i < shown; ++i) {
    const auto& n = list[static_cast<std::size_t>(i)];
    out << "  not applied: " << n.held_by << " holds this session: pupil " << maskUpn(n.upn) << " "
        << n.date.iso() << " " << toString(n.session) << ", " << r.source << " said " << n.code
        << ", the register keeps " << n.held_code << "\n";
  }
  if (total > shown) out << "  ... and " << total - shown << " more not applied\n";
  out << "  correct " << (total == 1 ? "it" : "them")
      << " in the source that holds the session (its \"priority\" is higher than " << r.source
      << "'s)\n";
}

}  // namespace

void printImport(std::ostream& out, std::ostream& err, const ImportResult& r) {
  // A file name is escaped like a log line: a newline in it cannot start a line of its own.
  const std::string origin = oneLine(r.origin);
  if (!r.problems.empty()) {
    // An API pull (its origin a URL) is refused whole as a file is: say which it was.
    bool pulled = r.origin.starts_with("https://") || r.origin.starts_with("http://");
    err << "REJECTED " << origin << " (source " << r.source << "): " << r.problems.size()
        << " problem(s); nothing from this " << (pulled ? "pull" : "file") << " was stored\n";
    printProblems(err, r.problems);
    return;
  }
  out << "imported " << origin << " (source " << r.source << "): ";
  if (r.outcome.already_imported) {
    out << "already imported, nothing changed\n";
    return;
  }
  out << r.rows << " rows, " << r.outcome.marks_added << " marks added, " << r.outcome.marks_amended
      << " amended, " << r.outcome.marks_unchanged << " unchanged, ";
  if (r.outcome.marks_not_applied) out << r.outcome.marks_not_applied << " not applied, ";
  out << r.outcome.pupils_added << " new pupils";
  if (r.missing_marks) out << ", " << r.missing_marks << " registers not taken";
  if (r.review_flags) out << ", " << r.review_flags << " legacy codes flagged for review";
  if (r.outcome.on_roll_added + r.outcome.on_roll_amended)
    out << ", on-roll periods " << r.outcome.on_roll_added << " added, "
        << r.outcome.on_roll_amended << " amended";
  out << "\n";
  printNotApplied(out, r);
  for (const auto& w : r.warnings) err << "warning: " << w.str() << "\n";
  if (r.outcome.marks_off_roll)
    err << "warning: " << r.outcome.marks_off_roll
        << " marks fall outside every on-roll period of their pupil (first "
        << r.outcome.first_off_roll->iso()
        << "): stored, but not counted (check the admission and leaving dates in the MIS)\n";
  if (r.off_calendar)
    err << "warning: " << r.off_calendar << " marks fall on days the calendar says are not school "
        << "days (first " << r.first_off_calendar->iso() << "): check the calendar file\n";
  if (r.ahead)
    err << "warning: " << r.ahead << " marks are pre-entered for sessions after today (first "
        << r.first_ahead->iso() << "): stored; rules read them when their day comes\n";
}

namespace {

constexpr const char* kUsage = R"(usage: markbridge <command> [options]

commands:
  check    --config FILE               validate the configuration and its policies (JSON path
                                       of each problem; warnings for stages never reached)
  check    --policy FILE               validate one policy file on its own
  import   --config FILE [--source NAME] FILE...
                                       import export files with a source's settings
  sync     --config FILE               import configured sources, evaluate rules, deliver
  sync     --config FILE --dry-run     what a sync would send, per sink, rule and stage, and
                                       event types no sink takes; nothing sent or changed
  status   --config FILE               register, data quality and outbox figures
  codes    [--config FILE --source NAME]
                                       the code map: built-in (2024, legacy, missing marks),
                                       or one source's effective map with its code_map
  reconcile --config FILE              census totals against the stored register, per pupil
  explain  --config FILE PUPIL         one pupil's whole story: every rule's measure, every
                                       episode sent, revised or withdrawn, mark amendments
                                       (PUPIL: UPN, masked UPN B...5001, admission number or
                                       name)
  backtest --config FILE [--policy FILE] [--compare FILE] [--from DATE] [--to DATE]
           [--format text|csv|html] [--out FILE]
                                       replay policies over the stored register, sending
                                       nothing: events, pupils, false alarms, load per role
  outbox   --config FILE [list [--state pending|delivered|dead|discarded]]
                                       deliveries per sink and item by item
  outbox   --config FILE show SEQ | retry SEQ|dead | discard SEQ
                                       one item in full; dead letters back to pending; set
                                       one aside for good
  run      --config FILE               the service: a sync after every register closes and
                                       each night, catching up after downtime; the admin API;
                                       SIGTERM stops it cleanly, SIGHUP reloads the config;
                                       --school URN serves that school of a trust alone
  user     --config FILE add NAME --role technician|attendance_officer|dsl|read_only
                                       a web console user (password on standard input)
  user     --config FILE list | remove NAME
                                       the console's users and roles
  store    copy --from sqlite:PATH --to postgresql://USER@HOST/DB --school URN
                                       a school's whole history from its SQLite store into
                                       PostgreSQL, verified table by table (rows, SHA-256);
                                       refused for a school already there
  describe                             every configuration setting, as Markdown

A trust's configuration (`schools: [...]`, docs/trusts.md): every command takes --school URN;
without it each school in turn, under a heading "== school URN name ==" (backtest --format csv:
a first column "school"; stderr lines start "school URN: "). explain, import, outbox
show|retry SEQ|discard and backtest --out or --format html need --school. The exit code is
the worst of the schools', most urgent first: 6, 2, 5, 1, 3, 7, 4, then 0.

import, status, explain, outbox and reconcile read no sink's token or key: they run without
the sinks' secrets in the environment (sync and run, which deliver, need them).

exit codes: 0 ok, 1 input file rejected, 2 usage or configuration, 3 delivery rejected,
            4 another sync is running, 5 a destination or the MIS API refused our credentials
            or certificates (sink paused, items kept; nothing pulled), 6 storage failure,
            7 a destination is down (sink paused, items kept and tried again when the pause
            ends)
)";

void printAttempt(std::ostream& out, const RuleSet& rules, const OutboxItem& item,
                  const DeliveryResult& result, int64_t nowMs) {
  // A payload that lacks what a sink needs is dead-lettered before it is sent, and printed here
  // too: read it without assuming any key.
  auto event = nlohmann::json::parse(item.payload, nullptr, false);
  auto textAt = [](const nlohmann::json& json, const char* key) {
    auto it = json.is_object() ? json.find(key) : json.end();
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string type = item.kind == OutboxKind::Withdraw ? "update (withdrawal)"
                     : item.kind == OutboxKind::Revise ? "update (revision)"
                     : textAt(event, "type").empty()   ? "?"
                                                       : textAt(event, "type");
  nlohmann::json periodJson =
      event.is_object() && event.contains("period") ? event["period"] : nlohmann::json();
  std::string period =
      periodJson.is_object() ? textAt(periodJson, "from") + ".." + textAt(periodJson, "to") : "";
  std::string upn = maskUpn(item.upn);
  switch (result.outcome) {
    case DeliveryResult::Outcome::Delivered:
      out << "delivered  " << std::left << std::setw(22) << type << " pupil " << upn << "  "
          << period << "  -> " << item.sink << " reference " << result.reference << " at "
          << utcMs(nowMs) << "  (" << ruleLabelOfPayload(rules, item.payload) << ")\n";
      break;
    case DeliveryResult::Outcome::Retry:
      out << "retrying   " << std::left << std::setw(22) << type << " pupil " << upn << "  ("
          << result.reason << ")  (" << ruleLabelOfPayload(rules, item.payload) << ")\n";
      break;
    case DeliveryResult::Outcome::Reject:
      // The destination's words may name the pupil: kept with the item, not printed.
      out << "REJECTED   " << std::left << std::setw(22) << type << " pupil " << upn << "  ("
          << result.reason
          << (result.answer.empty()
                  ? ""
                  : "; its answer: `outbox show " + std::to_string(item.seq) + "`")
          << ")  (" << ruleLabelOfPayload(rules, item.payload) << ")\n";
      break;
  }
}

void printPolicyWarnings(const Policy& policy, std::ostream& out) {
  for (const auto& warning : policy.warnings())
    out << "  warning: policy " << policy.name() << ": " << warning << "\n";
}

int check(const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.policy.empty() && args.config.empty()) {
    try {
      auto policy = Policy::load(args.policy);
      out << "policy OK: " << args.policy << " (" << policy.name() << "): " << policy.rules().size()
          << " rule(s), " << policy.ladders().size() << " ladder(s), " << policy.size()
          << " rules and stages in all\n";
      printPolicyWarnings(policy, out);
      out << "to see how it would fire on a school's own register, sending nothing:\n"
          << "  markbridge backtest --config FILE --policy " << args.policy << "\n";
      return kExitOk;
    } catch (const ProblemError& e) {
      err << "markbridge check: the policy has " << e.problems().size() << " problem(s)\n";
      printProblems(err, e.problems());
      return kExitConfig;
    }
  }
  auto gateway = openGateway(args, err, Gateway::Store::Leave);
  if (!gateway) return kExitConfig;
  auto audit = auditConfiguration(*gateway, static_cast<int64_t>(std::time(nullptr)));
  if (!audit.problems.empty()) {
    err << "configuration problems (" << audit.problems.size() << "):\n";
    printProblems(err, audit.problems);
    for (const auto& w : audit.warnings) err << "  warning: " << w.str() << "\n";
    return kExitConfig;
  }
  const auto& c = gateway->config();
  out << "configuration OK: " << c.file.string() << "\n  school " << c.school.name << " (URN "
      << c.school.urn << ", " << c.school.la << "/" << c.school.estab << ")\n  calendar "
      << gateway->calendar().name() << ": " << gateway->calendar().schoolDays().size()
      << " school days\n  " << gateway->sources().size() << " source(s), " << c.rules.size()
      << " rule(s), " << c.sinks.size() << " sink(s)\n";
  for (const auto& policy : c.rules.policies()) printPolicyWarnings(policy, out);
  for (const auto& w : audit.warnings) out << "  warning: " << w.str() << "\n";
  // Go-live and a new policy are when a DSL can be flooded: say how to look first.
  out << "before going live or after changing a policy, look before anything is sent:\n"
      << "  markbridge sync --config " << args.config << " --dry-run     what a sync would send\n"
      << "  markbridge backtest --config " << args.config
      << "           how the policies would have fired, week by week\n";
  return kExitOk;
}

int import(const Args& args, std::ostream& out, std::ostream& err) {
  // Importing delivers nothing: the sinks' secrets are not read.
  auto gateway = openGateway(args, err, Gateway::Store::Open, Gateway::Connectors::Sources);
  if (!gateway) return kExitConfig;
  InboundConnector* source = nullptr;
  if (args.source.empty() && !gateway->sources().empty())
    source = gateway->sources().front().get();
  else
    source = gateway->source(args.source);
  if (!source) {
    err << "markbridge import: no source named '" << args.source << "' in the configuration\n";
    return kExitConfig;
  }
  if (args.files.empty()) {
    err << "markbridge import: name at least one file\n";
    return kExitConfig;
  }
  int code = kExitOk;
  std::vector<std::filesystem::path> files(args.files.begin(), args.files.end());
  for (const auto& result : gateway->importFiles(*source, files)) {
    printImport(out, err, result);
    if (!result.problems.empty()) code = kExitInputRejected;
  }
  return code;
}

int sync(const Args& args, std::ostream& out, std::ostream& err) {
  auto gateway = openGateway(args, err);
  if (!gateway) return kExitConfig;
  SyncObserver observer;
  observer.imported = [&](const ImportResult& i) { printImport(out, err, i); };
  observer.evaluated = [&](const EvaluationOutcome& e, int pupils) {
    out << "evaluated " << pupils << " pupils: " << e.new_events << " new events, "
        << e.withdrawn_events << " withdrawn, " << e.revised_events << " revised, "
        << e.historical_events << " before notify_from (not sent), " << e.outbox_items
        << " queued for delivery\n";
  };
  SystemClock clock;
  SinkHealthTracker sinkHealth(loadSinkHealth(*gateway));
  observer.attempted = [&](const OutboxItem& item, const DeliveryResult& result) {
    int64_t now = clock.nowMs();
    printAttempt(out, gateway->config().rules, item, result, now);
    sinkHealth.attempted(item.sink, result, now);
  };
  auto report = gateway->sync(observer);
  if (report.skipped) {
    err << "markbridge sync: another sync of this store is running (the service, or another "
           "markbridge sync); nothing was done\n";
    return kExitBusy;
  }
  bool credentialsRefused = false, sinkDown = false;
  for (const auto& [name, health] : recordSinkHealth(*gateway, sinkHealth, clock.nowMs())) {
    if (health.state == SinkState::PausedOutage) {
      sinkDown = true;
      err << "sink " << name << " is paused: the destination is down (" << health.reason << "; "
          << health.paused_because << "); its items are kept and tried again from "
          << londonTime(health.paused_until / 1000) << "\n";
    }
    if (health.state == SinkState::PausedCredentials) {
      credentialsRefused = true;
      err << "sink " << name
          << (sinkHealth.tried(name) ? " is paused: the destination refused our credentials ("
                                     : " is still paused (not tried this time: its items wait for "
                                       "the pause to end): the destination refused our "
                                       "credentials (")
          << health.reason << "); its items are kept and nothing reaches it until they are fixed\n";
    }
  }
  out << "delivery: " << report.delivery.delivered << " delivered, " << report.delivery.retried
      << " retried, " << report.delivery.rejected << " rejected, " << report.delivery.pending_left
      << " still pending\n";
  auto counts = [&](const char* kind, const std::string& name, ConnectorCounters& c) {
    out << "  " << kind << " " << name << ": " << c.records << " records, " << c.bytes << " bytes, "
        << c.retries << " retries, " << c.failures << " failures\n";
  };
  for (const auto& s : gateway->sources()) counts("source", s->name(), s->counters());
  for (const auto& s : gateway->sinks()) counts("sink", s->name(), s->counters());
  for (const auto& s : gateway->sources())
    if (s->credentialsRefused() > 0) {
      credentialsRefused = true;
      err << "source " << s->name()
          << " was refused: the API refused our credentials or certificates (see its REJECTED "
             "line); nothing from it was stored: fix them, then run markbridge sync again\n";
    }
  // The most urgent first: refused credentials stop every delivery to a destination.
  if (credentialsRefused) return kExitCredentialsRefused;
  if (report.inputRejected()) return kExitInputRejected;
  if (report.delivery.rejected) return kExitDeliveryRejected;
  return sinkDown ? kExitSinkPaused : kExitOk;
}

// " in the store FILE" for a storage failure's message: the configuration read again (it
// loaded before the store failed), the store untouched.
std::string storeNamed(const Args& args) {
  if (args.config.empty()) return "";
  std::vector<Problem> problems;
  auto config = loadGatewayConfig(args.config, problems, args.school);
  return config.store_path.empty() ? "" : " in the store " + storeDescription(config);
}

// A command's failure said the way an IT technician reads it, with its exit code.
int guarded(const Args& args, std::ostream& err, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ProblemError& e) {
    err << "problems:\n";
    printProblems(err, e.problems());
    return kExitConfig;
  } catch (const StoreError& e) {
    err << "markbridge " << args.command << ": storage failure" << storeNamed(args) << ": "
        << oneLine(e.what())
        << " (disk full, read-only, missing folder or damaged store: docs/operations.md, "
           "\"Exit codes\")\n";
    return kExitStorage;
  } catch (const std::exception& e) {
    err << "markbridge " << args.command << ": " << e.what() << "\n";
    return kExitConfig;
  }
}

}  // namespace

int runCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parseArgs(argv);
  if (!args.error.empty()) {
    err << "markbridge: " << args.error << "\n" << kUsage;
    return kExitConfig;
  }
  // In a trust's configuration, each school --school picks (all by default) in turn.
  const std::map<std::string, std::function<int(const Args&, std::ostream&, std::ostream&)>>
      perSchool = {{"check", check},
                   {"import", import},
                   {"sync",
                    [](const Args& a, std::ostream& o, std::ostream& e) {
                      return a.dry_run ? syncPreview(a, o, e) : sync(a, o, e);
                    }},
                   {"status", status},
                   {"codes", codes},
                   {"reconcile", reconcileCommand},
                   {"explain", explain},
                   {"outbox", outboxCommand},
                   {"backtest", backtestCommand},
                   {"user", [](const Args& a, std::ostream& o, std::ostream& e) {
                      return userCommand(a, std::cin, o, e);
                    }}};
  if (auto command = perSchool.find(args.command); command != perSchool.end())
    return guarded(args, err, [&] {
      return forEachSchool(args, out, err, [&](const Args& one, std::ostream& o, std::ostream& e) {
        return guarded(one, e, [&] { return command->second(one, o, e); });
      });
    });
  if (args.command == "run") {
    if (args.config.empty()) {
      err << "markbridge run: --config FILE is required\n";
      return kExitConfig;
    }
    return guarded(args, err, [&] {
      SystemClock clock;
      // PostgreSQL not answering at start (restarting, failing over, not up yet) is waited out,
      // tried again with a growing pause, never a stopped service; anything else stops it.
      for (int pause = 1;; pause = std::min(pause * 2, 30)) {
        try {
          Service service(args.config, clock, args.school);
          return service.run();
        } catch (const PostgresError& e) {
          const auto& code = e.sqlstate();
          const std::string what = e.what();
          // Refused (credentials, a database or role that is not there) is not waited out.
          const bool refused = what.find("authentication") != std::string::npos ||
                               what.find("password") != std::string::npos ||
                               what.find("does not exist") != std::string::npos ||
                               what.find("pg_hba.conf") != std::string::npos;
          if (refused || !(code.empty() || code.starts_with("08") || code.starts_with("57P")))
            throw;
          err << "markbridge run: " << oneLine(e.what()) << "; trying again in " << pause << " s\n";
          std::this_thread::sleep_for(std::chrono::seconds(pause));
        }
      }
    });
  }
  if (args.command == "store")
    return guarded(args, err, [&] { return storeCommand(args, out, err); });
  if (args.command == "describe") {
    out << describeConfiguration();
    return kExitOk;
  }
  err << (args.command.empty() ? "" : "markbridge: unknown command " + args.command + "\n")
      << kUsage;
  return args.command == "help" ? kExitOk : kExitConfig;
}

}  // namespace markbridge
