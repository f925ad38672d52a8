#pragma once
// What the `markbridge` commands share: parsed arguments, opening the gateway from --config,
// and printing problems and pupil identifiers the way an IT technician reads them.

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/app/gateway.h"
#include "core/domain/upn.h"  // maskUpn

namespace markbridge {

struct Args {
  std::string command;
  std::string config;
  std::string source;
  std::string policy;
  std::string state;     // outbox --state
  std::string sink;      // outbox retry --sink
  std::string compare;   // backtest --compare
  std::string from, to;  // backtest --from --to
  std::string format;    // backtest --format text|csv|html
  std::string out;       // backtest --out FILE
  std::string role;      // user add --role
  std::string school;    // --school URN: one school of a trust's configuration ("": every one)
  bool dry_run = false;  // sync --dry-run
  std::vector<std::string> files;
  std::string error;
};

Args parseArgs(const std::vector<std::string>& argv);

// Pupil identifiers on the console are shortened with maskUpn() (core/domain/upn.h): enough to
// find the pupil in the MIS.
// Text from outside (a file name, a value) for one console line: with a newline or a control
// character in it, escaped as the log escapes it (core/domain/logging.h); otherwise as it is.
std::string oneLine(const std::string& text);
void printProblems(std::ostream& err, const std::vector<Problem>& problems);
// The configuration from --config alone (no store, no connectors built), or nothing after
// printing its problems: for commands that read the store or the calendar themselves.
std::optional<GatewayConfig> loadConfigOrSay(const Args& args, std::ostream& err);
// The gateway built from --config, or null after printing why not. Commands that only look
// open it with Connectors::Look: no token or key is read, so they run without them.
std::unique_ptr<Gateway> openGateway(const Args& args, std::ostream& err,
                                     Gateway::Store store = Gateway::Store::Open,
                                     Gateway::Connectors connectors = Gateway::Connectors::Build);

// A command run for each school --school picks in a trust's configuration (every school when
// none is named), one after another, each under a heading; the exit code is the worst of theirs
// (worstExit). A single-school configuration runs the command once, as it always has.
// (command_schools.cpp)
int forEachSchool(const Args& args, std::ostream& out, std::ostream& err,
                  const std::function<int(const Args&, std::ostream&, std::ostream&)>& command);
// Of two exit codes, the one that needs a person first: storage failure (6), configuration (2),
// credentials refused (5), input rejected (1), delivery rejected (3), sink paused (7), another
// sync running (4), ok (0).
int worstExit(int a, int b);

// "rule statutory.unauthorised_10_day", or "ladder otw.significant_concerns stage letter_1" for
// an event a ladder stage raised: what an event's rule id names in the configured policies.
std::string ruleLabel(const RuleSet& rules, const std::string& ruleId);
// The rule (and stage) an outbox item's payload names, labelled as ruleLabel does; "" if none.
std::string ruleLabelOfPayload(const RuleSet& rules, const std::string& payload);
// Unix milliseconds as "2024-10-07 16:05:12Z"; "-" for none.
std::string utcMs(int64_t ms);
// "2024-10-28 09:46:05" in London wall-clock time.
std::string londonTime(int64_t utcSeconds);

// The pupils a person named: by UPN, by the masked UPN the outputs print ("B...5001"), by
// admission number (MIS id), or by name ("Ann Smith", "Smith, Ann"). More than one: ambiguous.
std::vector<Pupil> findPupils(RegisterStore& store, const std::string& named);

// The commands about the register itself (command_register.cpp).
int status(const Args& args, std::ostream& out, std::ostream& err);
int codes(const Args& args, std::ostream& out, std::ostream& err);
int reconcileCommand(const Args& args, std::ostream& out, std::ostream& err);
// `markbridge explain` (command_explain.cpp).
int explain(const Args& args, std::ostream& out, std::ostream& err);
// One import's outcome as `import` and `sync` print it (commands.cpp).
void printImport(std::ostream& out, std::ostream& err, const ImportResult& r);
// `markbridge sync --dry-run` (command_preview.cpp).
int syncPreview(const Args& args, std::ostream& out, std::ostream& err);
// `markbridge backtest` (command_backtest.cpp).
int backtestCommand(const Args& args, std::ostream& out, std::ostream& err);
// `markbridge outbox` (command_outbox.cpp).
int outboxCommand(const Args& args, std::ostream& out, std::ostream& err);
// `markbridge store copy` (command_store.cpp): a school's SQLite store into PostgreSQL.
int storeCommand(const Args& args, std::ostream& out, std::ostream& err);
// `markbridge user` (command_user.cpp): the console's users file. The password comes from
// standard input (a prompt without echo on a terminal), never an argument.
int userCommand(const Args& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace markbridge
