#include "core/app/console/console_backtest.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/domain/config_schema.h"

namespace markbridge {
namespace {

// One policy (or "statutory") as a rule set, a file relative to the configuration's folder.
std::optional<RuleSet> ruleSetOf(const std::string& name, const std::filesystem::path& baseDir) {
  std::vector<Problem> problems;
  ConfigContext context{name, &problems};
  try {
    auto rules = RuleSet::fromJson(nlohmann::json{{"policies", {name}}}, "$", baseDir, context);
    if (problems.empty()) return rules;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string policiesOf(const RuleSet& rules) {
  std::string names;
  for (const auto& p : rules.policies()) names += (names.empty() ? "" : " + ") + p.name();
  return names;
}

// A value typed in the form, for a message: one line, at most 40 characters.
std::string shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out + (text.size() > 40 ? "..." : "");
}

std::string percentOf(int part, int whole) {
  if (whole == 0) return "-";
  return std::to_string((200 * part + whole) / (2 * whole)) + "%";
}

std::string options(const std::vector<BacktestChoice>& choices, const std::string& selected) {
  std::string html;
  for (const auto& c : choices)
    html += "<option value=\"" + escapeHtml(c.key) + "\"" + (c.key == selected ? " selected" : "") +
            ">" + escapeHtml(c.label) + "</option>";
  return html;
}

const char* kPupilsLink = "/console/pupils";

}  // namespace

std::vector<BacktestChoice> backtestChoices(const GatewayConfig& config,
                                            const std::filesystem::path& configFile) {
  std::vector<BacktestChoice> choices;
  choices.push_back(
      {"configured", "The school's rules now (" + policiesOf(config.rules) + ")", config.rules});
  auto add = [&](const std::string& name, const std::filesystem::path& baseDir,
                 const std::string& what) {
    auto rules = ruleSetOf(name, baseDir);
    if (!rules || rules->policies().size() != 1) return;
    std::string key = rules->policies().front().name();
    for (const auto& c : choices)
      if (c.key == key) return;
    choices.push_back({key, key + " (" + what + ")", std::move(*rules)});
  };
  add("statutory", ".", "built in");
  // The names in rules.policies as the file writes them: at the top, or in a trust's
  // configuration under this school's entry of `schools`. Only a policy the running
  // configuration has (by name) is offered.
  std::ifstream in(configFile);
  auto json = nlohmann::json::parse(in, nullptr, false);
  const nlohmann::json* rules = nullptr;
  auto rulesOf = [](const nlohmann::json& part) -> const nlohmann::json* {
    if (!part.is_object() || !part.contains("rules") || !part["rules"].is_object()) return nullptr;
    const auto& names = part["rules"];
    return names.contains("policies") && names["policies"].is_array() ? &names["policies"]
                                                                      : nullptr;
  };
  if (json.is_object() && json.contains("schools") && json["schools"].is_array()) {
    for (const auto& school : json["schools"])
      if (school.is_object() && school.contains("school") && school["school"].is_object() &&
          school["school"].value("urn", "") == config.school.urn)
        rules = rulesOf(school);
  } else {
    rules = rulesOf(json);
  }
  auto running = [&](const std::string& name) {
    for (const auto& p : config.rules.policies())
      if (p.name() == name) return true;
    return false;
  };
  if (rules)
    for (const auto& name : *rules)
      if (name.is_string() && name.get<std::string>() != "statutory") {
        std::size_t before = choices.size();
        add(name.get<std::string>(), configFile.parent_path(), "a policy file the school runs");
        if (choices.size() > before && !running(choices.back().key)) choices.pop_back();
      }
  return choices;
}

BacktestRequest backtestRequestFrom(const std::vector<std::pair<std::string, std::string>>& query,
                                    const std::vector<BacktestChoice>& choices,
                                    const SchoolCalendar& calendar, Date today,
                                    std::string& problem) {
  BacktestRequest r;
  std::tie(r.from, r.to) = backtestDefaultPeriod(calendar, today);
  std::vector<std::string> problems;
  auto known = [&](const std::string& key) {
    for (const auto& c : choices)
      if (c.key == key) return true;
    return false;
  };
  for (const auto& [key, value] : query) {
    if (key == "policy" || key == "compare") {
      if (key == "compare" && value.empty()) {
        r.compare.clear();
        continue;
      }
      if (!known(value)) {
        problems.push_back(std::string(key == "policy" ? "Policy" : "Compare with") +
                           ": there is no policy \"" + shown(value) +
                           "\" to replay; choose one from the list.");
        continue;
      }
      (key == "policy" ? r.policy : r.compare) = value;
    } else if (key == "from" || key == "to") {
      (key == "from" ? r.from_text : r.to_text) = value;
      if (value.empty()) continue;
      auto date = Date::parseIso(value);
      if (!date) {
        problems.push_back(std::string(key == "from" ? "From" : "To") + ": \"" + shown(value) +
                           "\" is not a date (yyyy-mm-dd, e.g. 2024-09-02).");
        continue;
      }
      (key == "from" ? r.from : r.to) = *date;
    }
  }
  if (problems.empty() && r.from > r.to)
    problems.push_back("From (" + r.from.iso() + ") is after To (" + r.to.iso() + ").");
  if (problems.empty() && (r.to < calendar.first() || r.from > calendar.last()))
    problems.push_back("The period " + r.from.iso() + " to " + r.to.iso() +
                       " is outside the school's calendar (" + calendar.first().iso() + " to " +
                       calendar.last().iso() + ").");
  problem.clear();
  for (const auto& p : problems) problem += (problem.empty() ? "" : " ") + p;
  return r;
}

std::string backtestKey(const BacktestRequest& r) {
  return r.policy + "\n" + r.compare + "\n" + r.from.iso() + "\n" + r.to.iso();
}

namespace {

void summary(std::ostream& out, const BacktestResult& a, const BacktestResult* b) {
  out << "<table><caption>Over the period</caption><thead><tr><td></td>";
  for (const BacktestResult* r : {&a, b})
    if (r) out << "<th scope=\"col\" class=\"n\">" << escapeHtml(r->policies) << "</th>";
  out << "</tr></thead><tbody>\n";
  auto row = [&](const std::string& label, auto value) {
    out << "<tr><th scope=\"row\">" << label << "</th>";
    for (const BacktestResult* r : {&a, b})
      if (r) out << "<td class=\"n\">" << value(*r) << "</td>";
    out << "</tr>\n";
  };
  row("Pupils replayed",
      [](const BacktestResult& r) { return std::to_string(r.pupils_evaluated); });
  row("Pupils reached (with an event)", [](const BacktestResult& r) {
    return "<a href=\"" + std::string(kPupilsLink) + "\">" + std::to_string(r.pupils_with_events) +
           "</a>";
  });
  row("Events", [](const BacktestResult& r) { return std::to_string(r.events()); });
  row("<a href=\"#false-alarms\">False alarms</a> (of events measured as a percentage)",
      [](const BacktestResult& r) {
        int events = 0, falseAlarms = 0;
        for (const auto& rule : r.rules)
          if (rule.rate_measured) {
            events += rule.total.events;
            falseAlarms += rule.total.false_alarms;
          }
        return std::to_string(falseAlarms) + " of " + std::to_string(events) + " (" +
               percentOf(falseAlarms, events) + ")";
      });
  out << "</tbody></table>\n";
}

void byRule(std::ostream& out, const BacktestResult& a, const BacktestResult* b) {
  out << "<table class=\"backtest-rules\"><caption>Events by rule or ladder stage</caption>"
         "<thead><tr><th scope=\"col\""
      << (b ? " rowspan=\"2\"" : "") << ">Rule or stage</th><th scope=\"col\""
      << (b ? " rowspan=\"2\"" : "") << ">Action</th>";
  // Two policies: each one's name over its four columns.
  if (b)
    out << "<th scope=\"colgroup\" colspan=\"4\" class=\"n\">" << escapeHtml(a.policies)
        << "</th><th scope=\"colgroup\" colspan=\"4\" class=\"n\">" << escapeHtml(b->policies)
        << "</th></tr>\n<tr>";
  for (const BacktestResult* r : {&a, b})
    if (r)
      out << "<th scope=\"col\" class=\"n\">Events</th><th scope=\"col\" class=\"n\">Pupils</th>"
             "<th scope=\"col\" class=\"n\">False alarms</th><th scope=\"col\" class=\"n\">"
             "Already sent</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& id : backtestRuleRows(a, b)) {
    const BacktestRule* x = findBacktestRule(a, id);
    const BacktestRule* y = b ? findBacktestRule(*b, id) : nullptr;
    out << "<tr><th scope=\"row\">" << escapeHtml(id) << "</th><td>"
        << escapeHtml((x ? x : y)->action) << "</td>";
    for (const BacktestRule* rule : {x, y}) {
      if (rule == y && !b) continue;
      if (!rule) {
        out << "<td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">-</td>"
               "<td class=\"n\">-</td>";
        continue;
      }
      out << "<td class=\"n\">" << rule->total.events << "</td><td class=\"n\">";
      if (rule->total.pupils > 0)
        out << "<a href=\"" << kPupilsLink << "\">" << rule->total.pupils << "</a>";
      else
        out << 0;
      out << "</td><td class=\"n\">" << backtestFalseAlarms(*rule) << "</td><td class=\"n\">"
          << rule->total.already_sent << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

// One policy's weekly load per role: the chart, and a table of the same figures.
void load(std::ostream& out, const BacktestResult& r, const std::string& anchor) {
  out << "<section class=\"backtest-load\" aria-labelledby=\"" << anchor << "\"><h2 id=\"" << anchor
      << "\">Weekly load per role: " << escapeHtml(r.policies) << "</h2>\n";
  std::vector<std::pair<std::string, std::map<Date, int>>> series(r.load.begin(), r.load.end());
  auto weeks = r.weeks();
  if (series.empty()) {
    out << "<p>No role would have received anything in this period.</p></section>\n";
    return;
  }
  printBacktestChart(out, "Items per week by role (" + r.policies + ")", weeks, series);
  out << "<table><caption>Items per week by role (" << escapeHtml(r.policies)
      << "), the chart's figures</caption><thead><tr><th scope=\"col\">Week of</th>";
  for (const auto& [role, byWeek] : r.load)
    out << "<th scope=\"col\" class=\"n\">" << escapeHtml(role) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (Date week : weeks) {
    out << "<tr><th scope=\"row\">" << week.iso() << "</th>";
    for (const auto& [role, byWeek] : r.load) {
      auto n = byWeek.find(week);
      out << "<td class=\"n\">" << (n == byWeek.end() ? 0 : n->second) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n</section>\n";
}

}  // namespace

std::string backtestPage(const std::vector<BacktestChoice>& choices, const BacktestRequest& request,
                         const BacktestView& view, const PageFrame& frame) {
  std::ostringstream out;
  out << "<p>A policy replayed over the school's own register, as the register stands now: "
         "what it would have raised each week and who would have received it. Nothing is sent. "
         "Choose a second policy to see the two side by side.</p>\n";
  out << "<form class=\"filters-form\" method=\"get\" action=\"/console/backtest\">\n"
      << "<div><label for=\"bt-policy\">Policy to replay</label><select id=\"bt-policy\" "
         "name=\"policy\">"
      << options(choices, request.policy) << "</select></div>\n"
      << "<div><label for=\"bt-compare\">Compare with</label><select id=\"bt-compare\" "
         "name=\"compare\"><option value=\"\">(no comparison)</option>"
      << options(choices, request.compare) << "</select></div>\n"
      << "<div><label for=\"bt-from\">From</label><input type=\"date\" id=\"bt-from\" "
         "name=\"from\" value=\""
      << escapeHtml(request.from_text.empty() ? request.from.iso() : request.from_text)
      << "\"></div>\n<div><label for=\"bt-to\">To</label><input type=\"date\" id=\"bt-to\" "
         "name=\"to\" value=\""
      << escapeHtml(request.to_text.empty() ? request.to.iso() : request.to_text)
      << "\"></div>\n<div><button type=\"submit\">Run the backtest</button></div>\n</form>\n";
  if (!view.problem.empty()) {
    out << "<div class=\"problem\" role=\"alert\"><h2>Not run</h2><p>" << escapeHtml(view.problem)
        << "</p></div>\n";
    return consolePage(frame, out.str());
  }
  if (!view.running.empty()) {
    out << "<p class=\"notice\" role=\"status\">This backtest is " << escapeHtml(view.running)
        << ": a large register takes a while. <a href=\"/console/backtest?"
        << "policy=" << escapeQueryValue(request.policy)
        << "&amp;compare=" << escapeQueryValue(request.compare)
        << "&amp;from=" << request.from.iso() << "&amp;to=" << request.to.iso()
        << "\">Refresh</a> to see whether it has finished.</p>\n";
    return consolePage(frame, out.str());
  }
  if (!view.result) return consolePage(frame, out.str());
  const BacktestResult& a = *view.result;
  out << "<h2>Backtest of " << escapeHtml(a.policies)
      << (view.other ? " against " + escapeHtml(view.other->policies) : "") << ", " << a.from.iso()
      << " to " << a.to.iso() << "</h2>\n";
  if (!view.note.empty())
    out << "<p class=\"notice\" role=\"status\">" << escapeHtml(view.note) << "</p>\n";
  summary(out, a, view.other);
  byRule(out, a, view.other);
  out << "<div class=\"side\">\n";
  load(out, a, "load-a");
  if (view.other) load(out, *view.other, "load-b");
  out << "</div>\n"
      << "<h2 id=\"false-alarms\">What a false alarm is</h2>\n<p>An event of a rule measured as a "
         "percentage (persistent or severe absence, a ladder's attendance band) whose condition "
         "no longer held for the pupil on the period's last day; for a policy's rule, its first "
         "measure alone, so a pupil raised at risk who went on to be persistently absent was "
         "warned early, not falsely. A rule on a run or a count (10 days' unauthorised absence) "
         "was true when it fired and shows n/a. <strong>Already sent</strong>: events a sink "
         "already received from a real sync. The same figures come from <code>markbridge "
         "backtest --format csv</code> (docs/rules.md).</p>\n";
  return consolePage(frame, out.str());
}

}  // namespace markbridge
