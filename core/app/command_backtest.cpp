// `markbridge backtest`: replay a policy (or two, side by side) over the stored register and
// report what it would have sent, week by week. Reads the configuration, the calendar and the
// store only: no sink is built, so no token or certificate is needed, and nothing is sent.

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/app/backtest.h"
#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/gateway.h"
#include "core/app/gateway_config.h"
#include "core/store/store.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

// "statutory" (built in) or a policy file, as one rule set; relative paths from the working
// directory, as a person types them.
RuleSet policyNamed(const std::string& name) {
  std::vector<Problem> problems;
  ConfigContext context{name, &problems};
  auto rules = RuleSet::fromJson(nlohmann::json{{"policies", {name}}}, "$", ".", context);
  if (!problems.empty()) throw ProblemError(problems);
  return rules;
}

std::optional<Date> dateOption(const std::string& option, const std::string& value,
                               std::ostream& err) {
  auto date = Date::parseIso(value);
  if (!date)
    err << "markbridge backtest: " << option << " " << oneLine(value)
        << " is not a date yyyy-mm-dd\n";
  return date;
}

}  // namespace

int backtestCommand(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.config.empty()) {
    err << "markbridge backtest: --config FILE is required (the store and calendar to replay)\n";
    return kExitConfig;
  }
  std::string format = args.format.empty() ? "text" : args.format;
  if (format != "text" && format != "csv" && format != "html") {
    err << "markbridge backtest: --format must be text, csv or html, not " << oneLine(format)
        << "\n";
    return kExitConfig;
  }
  auto loaded = loadConfigOrSay(args, err);
  if (!loaded) return kExitConfig;
  auto& config = *loaded;
  if (config.store_postgresql.empty() && !std::filesystem::exists(config.store_path)) {
    err << "markbridge backtest: there is no store at " << config.store_path.string()
        << " yet: import the school's register first (markbridge sync or import)\n";
    return kExitConfig;
  }
  auto calendar = SchoolCalendar::load(config.calendar_path);
  Date today = london::localDate(static_cast<int64_t>(std::time(nullptr)));
  auto [from, to] = backtestDefaultPeriod(calendar, today);
  if (!args.from.empty()) {
    auto d = dateOption("--from", args.from, err);
    if (!d) return kExitConfig;
    from = *d;
  }
  if (!args.to.empty()) {
    auto d = dateOption("--to", args.to, err);
    if (!d) return kExitConfig;
    to = *d;
  }
  if (from > to) {
    err << "markbridge backtest: --from " << from.iso() << " is after --to " << to.iso() << "\n";
    return kExitConfig;
  }
  // The policies the school runs now, unless one is named.
  RuleSet rules = args.policy.empty() ? config.rules : policyNamed(args.policy);
  std::optional<RuleSet> other;
  if (!args.compare.empty()) other = policyNamed(args.compare);

  auto store = openConfiguredStore(config);
  auto result = backtestStore(*store, calendar, rules, from, to);
  std::optional<BacktestResult> compared;
  if (other) compared = backtestStore(*store, calendar, *other, from, to);

  std::ofstream file;
  if (!args.out.empty()) {
    file.open(args.out, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "markbridge backtest: cannot write " << oneLine(args.out) << "\n";
      return kExitConfig;
    }
  }
  std::ostream& report = args.out.empty() ? out : file;
  const BacktestResult* second = compared ? &*compared : nullptr;
  if (format == "csv")
    printBacktestCsv(report, result, second);
  else if (format == "html")
    printBacktestHtml(report, result, second);
  else
    printBacktestText(report, result, second);
  if (!args.out.empty()) {
    file.close();
    if (!file) {
      err << "markbridge backtest: writing " << oneLine(args.out) << " failed\n";
      return kExitStorage;
    }
    out << "backtest of " << result.policies << (compared ? " and " + compared->policies : "")
        << ", " << result.from.iso() << " to " << result.to.iso() << ": " << result.events()
        << " events" << (compared ? " against " + std::to_string(compared->events()) : "") << "; "
        << format << " report written to " << oneLine(args.out) << "\n";
  }
  return kExitOk;
}

}  // namespace markbridge
