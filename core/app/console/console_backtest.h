#pragma once
// The console's Backtest page (/console/backtest): a policy replayed over the school's own
// stored register (backtest.h, the same replay as `markbridge backtest`), sending nothing, and a
// second policy beside it. A GET form, so it works without JavaScript and a result can be
// bookmarked. The policies offered are a fixed list the configuration allows, never a path
// typed in the form:
//   configured   the policies the school runs now, together (the configuration's rules)
//   statutory    the built-in statutory policy (docs/policies/statutory.json)
//   NAME         each policy file named in the configuration's rules.policies (in a trust's
//                configuration, this school's entry of `schools`), by its name, when the
//                running configuration has a policy of that name
// For the attendance officer, the DSL and read-only users: the figures are about pupils (counts
// by rule and week, which for a small year group or a CP flag come close to naming one).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/app/backtest.h"
#include "core/app/console/console_html.h"
#include "core/app/gateway_config.h"

namespace markbridge {

struct BacktestChoice {
  std::string key;    // the form's value: "configured", "statutory" or a policy's name
  std::string label;  // what the list shows
  RuleSet rules;
};
// The policies the page offers for this configuration. `configFile` is read again for the
// names in rules.policies (each loaded relative to its folder); a file that cannot be loaded is
// left out (the service log said why when the configuration was loaded).
std::vector<BacktestChoice> backtestChoices(const GatewayConfig& config,
                                            const std::filesystem::path& configFile);

struct BacktestRequest {
  std::string policy = "configured";
  std::string compare;  // empty: none
  Date from, to;
  // The form's fields as typed, shown again when one is refused.
  std::string from_text, to_text;
};
// The form's query (policy, compare, from, to) checked against the choices and the calendar;
// an absent field takes its default (the configured policies, no comparison, this academic
// year up to `today`). `problem` says what was refused (plain text), and the request is then
// not to be run.
BacktestRequest backtestRequestFrom(const std::vector<std::pair<std::string, std::string>>& query,
                                    const std::vector<BacktestChoice>& choices,
                                    const SchoolCalendar& calendar, Date today,
                                    std::string& problem);
// The key a result is cached under.
std::string backtestKey(const BacktestRequest& request);

struct BacktestView {
  const BacktestResult* result = nullptr;  // none: the form (and `problem` or `running`) only
  const BacktestResult* other = nullptr;
  std::string problem;  // a refused form (plain text)
  std::string running;  // "running since 10:02:03 (London)": a refresh link is offered
  std::string note;     // e.g. that the result was worked out at a time and kept
};
std::string backtestPage(const std::vector<BacktestChoice>& choices, const BacktestRequest& request,
                         const BacktestView& view, const PageFrame& frame);

}  // namespace markbridge
