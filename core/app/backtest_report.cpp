// The backtest's three reports: text for the console, CSV for a spreadsheet, and a
// self-contained HTML page with charts (inline SVG, no script) for the console and e-mail.

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "core/app/backtest.h"
#include "core/app/console/console_html.h"

namespace markbridge {
namespace {

std::string percentOf(int part, int whole) {
  if (whole == 0) return "-";
  return std::to_string(static_cast<int>(std::lround(100.0 * part / whole))) + "%";
}

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void printTotals(std::ostream& out, const BacktestResult& result) {
  out << "backtest of " << result.policies << ", " << result.from.iso() << " to " << result.to.iso()
      << ": " << result.pupils_evaluated << " pupils, " << result.pupils_with_events
      << " with events, " << result.events() << " events (nothing was sent)\n";
}

}  // namespace

std::string backtestLocalId(const std::string& id) {
  auto dot = id.find('.');
  return dot == std::string::npos ? id : id.substr(dot + 1);
}

std::string backtestRowId(const BacktestResult& result, const BacktestRule& rule) {
  std::string local = backtestLocalId(rule.id);
  int same = 0;
  for (const auto& r : result.rules) same += backtestLocalId(r.id) == local;
  return same > 1 ? rule.id : local;
}

const BacktestRule* findBacktestRule(const BacktestResult& result, const std::string& rowId) {
  for (const auto& r : result.rules)
    if (backtestRowId(result, r) == rowId) return &r;
  // A row of the other result named by a whole id: the same rule here, whatever its row.
  for (const auto& r : result.rules)
    if (r.id == rowId) return &r;
  return nullptr;
}

std::vector<std::string> backtestRuleRows(const BacktestResult& a, const BacktestResult* b) {
  std::vector<std::string> rows;
  auto add = [&](const BacktestResult& r) {
    for (const auto& rule : r.rules)
      if (auto id = backtestRowId(r, rule);
          std::find(rows.begin(), rows.end(), id) == rows.end() &&
          std::find(rows.begin(), rows.end(), rule.id) == rows.end())
        rows.push_back(id);
  };
  add(a);
  if (b) add(*b);
  return rows;
}

std::string backtestFalseAlarms(const BacktestRule& r) {
  if (!r.rate_measured) return "n/a";
  return std::to_string(r.total.false_alarms) + " (" +
         percentOf(r.total.false_alarms, r.total.events) + ")";
}

void printBacktestText(std::ostream& out, const BacktestResult& result,
                       const BacktestResult* other) {
  printTotals(out, result);
  if (other) printTotals(out, *other);
  out << "\n" << std::left << std::setw(44) << "rule or stage (action)" << std::right;
  auto header = [&](const std::string& tag) {
    out << std::setw(8) << ("events" + tag) << std::setw(9) << ("pupils" + tag) << std::setw(16)
        << ("false alarms" + tag) << std::setw(11) << ("sent" + tag);
  };
  header(other ? " A" : "");
  if (other) header(" B");
  out << "\n";
  auto cells = [&](const BacktestRule* r) {
    if (!r) {
      out << std::setw(8) << "-" << std::setw(9) << "-" << std::setw(16) << "-" << std::setw(11)
          << "-";
      return;
    }
    out << std::setw(8) << r->total.events << std::setw(9) << r->total.pupils << std::setw(16)
        << backtestFalseAlarms(*r) << std::setw(11) << r->total.already_sent;
  };
  for (const auto& id : backtestRuleRows(result, other)) {
    const BacktestRule* a = findBacktestRule(result, id);
    const BacktestRule* b = other ? findBacktestRule(*other, id) : nullptr;
    const BacktestRule* any = a ? a : b;
    out << std::left << std::setw(44) << (id + " (" + any->action + ")") << std::right;
    cells(a);
    if (other) cells(b);
    out << "\n";
  }
  auto weekly = [&](const BacktestResult& r, const std::string& title) {
    out << "\nper week" << title << " (events; pupils in brackets):\n";
    for (Date week : r.weeks()) {
      std::ostringstream line;
      for (const auto& rule : r.rules)
        if (auto c = rule.weeks.find(week); c != rule.weeks.end())
          line << "  " << backtestLocalId(rule.id) << " " << c->second.events << " ("
               << c->second.pupils << ")";
      if (!line.str().empty()) out << "  " << week.iso() << line.str() << "\n";
    }
    out << "load per role per week" << title << ":\n";
    for (Date week : r.weeks()) {
      std::ostringstream line;
      for (const auto& [role, byWeek] : r.load)
        if (auto n = byWeek.find(week); n != byWeek.end()) line << "  " << role << " " << n->second;
      if (!line.str().empty()) out << "  " << week.iso() << line.str() << "\n";
    }
  };
  weekly(result, other ? " (A: " + result.policies + ")" : "");
  if (other) weekly(*other, " (B: " + other->policies + ")");
}

void printBacktestCsv(std::ostream& out, const BacktestResult& result,
                      const BacktestResult* other) {
  out << "policy,week,kind,name,action,events,pupils,false_alarms,already_sent\n";
  for (const BacktestResult* r : {&result, other}) {
    if (!r) continue;
    for (const auto& rule : r->rules)
      for (const auto& [week, c] : rule.weeks)
        out << csvField(r->policies) << "," << week.iso() << ",rule," << csvField(rule.id) << ","
            << rule.action << "," << c.events << "," << c.pupils << ","
            << (rule.rate_measured ? std::to_string(c.false_alarms) : "") << "," << c.already_sent
            << "\n";
    for (const auto& [role, byWeek] : r->load)
      for (const auto& [week, n] : byWeek)
        out << csvField(r->policies) << "," << week.iso() << ",role," << csvField(role) << ",," << n
            << ",,,\n";
  }
}

namespace {

const char* kColours[] = {"#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182",
                          "#8d6a9f", "#2e4057", "#c46d5e", "#3c8d2f", "#a05195"};

}  // namespace

// Stacked bars, one per week: each series' value that week. The key's swatches are SVG too (no
// style attribute: the console's Content-Security-Policy allows its style sheet only).
void printBacktestChart(std::ostream& out, const std::string& title, const std::vector<Date>& weeks,
                        const std::vector<std::pair<std::string, std::map<Date, int>>>& series) {
  int top = 1;
  for (Date w : weeks) {
    int sum = 0;
    for (const auto& [name, values] : series)
      if (auto v = values.find(w); v != values.end()) sum += v->second;
    top = std::max(top, sum);
  }
  const int barWidth = 14, gap = 4, height = 160, left = 40;
  int width = left + static_cast<int>(weeks.size()) * (barWidth + gap) + 10;
  out << "<figure><figcaption>" << escapeHtml(title) << "</figcaption>\n<svg role=\"img\" "
      << "aria-label=\"" << escapeHtml(title) << "\" width=\"" << width << "\" height=\""
      << height + 30 << "\" viewBox=\"0 0 " << width << " " << height + 30 << "\">\n";
  out << "<text x=\"0\" y=\"12\" font-size=\"11\">" << top << "</text><text x=\"0\" y=\"" << height
      << "\" font-size=\"11\">0</text>\n";
  for (std::size_t i = 0; i < weeks.size(); ++i) {
    int x = left + static_cast<int>(i) * (barWidth + gap);
    int y = height;
    for (std::size_t s = 0; s < series.size(); ++s) {
      auto v = series[s].second.find(weeks[i]);
      if (v == series[s].second.end() || v->second == 0) continue;
      int h = std::max(1, v->second * (height - 10) / top);
      y -= h;
      out << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << barWidth << "\" height=\"" << h
          << "\" fill=\"" << kColours[s % std::size(kColours)] << "\"><title>" << weeks[i].iso()
          << ": " << escapeHtml(series[s].first) << " " << v->second << "</title></rect>\n";
    }
    if (i % 4 == 0)
      out << "<text x=\"" << x << "\" y=\"" << height + 14 << "\" font-size=\"10\">"
          << weeks[i].iso().substr(5) << "</text>\n";
  }
  out << "</svg>\n<ul class=\"key\">";
  for (std::size_t s = 0; s < series.size(); ++s)
    out << "<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" "
           "height=\"12\" fill=\""
        << kColours[s % std::size(kColours)] << "\"/></svg> " << escapeHtml(series[s].first)
        << "</li>";
  out << "</ul></figure>\n";
}

namespace {

void htmlSection(std::ostream& out, const BacktestResult& r) {
  out << "<section><h2>" << escapeHtml(r.policies) << "</h2>\n<p>" << r.from.iso() << " to "
      << r.to.iso() << ": " << r.pupils_evaluated << " pupils, " << r.pupils_with_events
      << " with events, " << r.events() << " events.</p>\n";
  std::vector<std::pair<std::string, std::map<Date, int>>> byRule, byRole;
  for (const auto& rule : r.rules) {
    if (rule.total.events == 0) continue;
    std::map<Date, int> values;
    for (const auto& [week, c] : rule.weeks) values[week] = c.events;
    byRule.emplace_back(backtestLocalId(rule.id), std::move(values));
  }
  for (const auto& [role, byWeek] : r.load) byRole.emplace_back(role, byWeek);
  printBacktestChart(out, "Events per week by rule (" + r.policies + ")", r.weeks(), byRule);
  printBacktestChart(out, "Items per week by role (" + r.policies + ")", r.weeks(), byRole);
  out << "</section>\n";
}

}  // namespace

void printBacktestHtml(std::ostream& out, const BacktestResult& result,
                       const BacktestResult* other) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>Backtest: " << escapeHtml(result.policies)
      << (other ? " and " + escapeHtml(other->policies) : "") << "</title>\n<style>"
      << "body{font-family:sans-serif;margin:1.5em;color:#222}"
      << "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;"
      << "text-align:right}td:first-child,th:first-child{text-align:left}"
      << ".key{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1em}"
      << ".key span{display:inline-block;width:.9em;height:.9em;margin-right:.3em}"
      << ".side{display:flex;flex-wrap:wrap;gap:2em}</style></head><body>\n"
      << "<h1>Backtest of " << escapeHtml(result.policies)
      << (other ? " against " + escapeHtml(other->policies) : "") << "</h1>\n"
      << "<p>The policies replayed over the school's own register, " << result.from.iso() << " to "
      << result.to.iso()
      << ". Nothing was sent. A false alarm is an event of a rule measured as a percentage "
         "whose condition no longer held for the pupil on the period's last day.</p>\n"
      << "<table><caption>Totals over the period</caption><thead><tr><th scope=\"col\">rule or "
         "stage</th><th scope=\"col\">action</th>";
  for (const BacktestResult* r : {&result, other}) {
    if (!r) continue;
    std::string tag = other ? " (" + escapeHtml(r->policies) + ")" : "";
    out << "<th scope=\"col\">events" << tag << "</th><th scope=\"col\">pupils" << tag
        << "</th><th scope=\"col\">false alarms" << tag << "</th><th scope=\"col\">already sent"
        << tag << "</th>";
  }
  out << "</tr></thead><tbody>\n";
  for (const auto& id : backtestRuleRows(result, other)) {
    const BacktestRule* a = findBacktestRule(result, id);
    const BacktestRule* b = other ? findBacktestRule(*other, id) : nullptr;
    out << "<tr><th scope=\"row\">" << escapeHtml(id) << "</th><td>"
        << escapeHtml((a ? a : b)->action) << "</td>";
    for (const BacktestResult* r : {&result, other}) {
      if (!r) continue;
      const BacktestRule* x = r == &result ? a : b;
      if (!x) {
        out << "<td>-</td><td>-</td><td>-</td><td>-</td>";
        continue;
      }
      out << "<td>" << x->total.events << "</td><td>" << x->total.pupils << "</td><td>"
          << backtestFalseAlarms(*x) << "</td><td>" << x->total.already_sent << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n<div class=\"side\">\n";
  htmlSection(out, result);
  if (other) htmlSection(out, *other);
  out << "</div>\n</body></html>\n";
}

}  // namespace markbridge
