#include "core/app/console/console_report.h"

#include <cctype>
#include <cstdio>
#include <functional>

namespace markbridge {
namespace {

std::string percentOf(int part, int whole) {
  if (whole == 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * part / whole);
  return text;
}

std::string signedChange(int now, int before) {
  int change = now - before;
  return change > 0 ? "+" + std::to_string(change) : std::to_string(change);
}

// A CSV field: quoted when it holds a comma, quote or line break; a leading = + - @ is prefixed
// with ' so a spreadsheet never reads it as a formula.
std::string csvField(const std::string& text) {
  std::string value = text;
  if (!value.empty() && std::string("=+-@").find(value[0]) != std::string::npos &&
      !(value[0] == '-' && value.size() > 1 && std::isdigit(static_cast<unsigned char>(value[1]))))
    value = "'" + value;
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::vector<ReportGroup> weeklyReport(const PupilSnapshot& snap) {
  std::vector<std::pair<std::string, std::function<bool(const PupilRow&)>>> groups;
  groups.emplace_back("Whole school", [](const PupilRow&) { return true; });
  for (const auto& year : snap.years)
    groups.emplace_back(year.empty() ? "Year not known" : "Year " + year,
                        [year](const PupilRow& r) { return r.year_group == year; });
  groups.emplace_back("SEN or EHCP", [](const PupilRow& r) { return r.flags.sen || r.flags.ehcp; });
  groups.emplace_back("FSM", [](const PupilRow& r) { return r.flags.fsm; });
  groups.emplace_back("CP or CLA", [](const PupilRow& r) { return r.flags.cp || r.flags.cla; });
  std::vector<ReportGroup> report;
  for (const auto& [name, in] : groups) {
    ReportGroup g;
    g.name = name;
    for (const auto& r : snap.rows) {
      if (!in(r)) continue;
      ++g.pupils;
      g.possible += r.possible;
      g.attended += r.attended;
      g.pa += r.band != AbsenceBand::None;
      g.sa += r.band == AbsenceBand::Severe;
      g.pa_before += absenceBand(r.before_absent, r.before_possible) != AbsenceBand::None;
      g.episodes += r.week_episodes;
      g.notifications += r.week_notifications;
    }
    report.push_back(g);
  }
  return report;
}

std::string reportPage(const PupilSnapshot& snap, const PageFrame& frame, const std::string& note) {
  std::string html = "<p>The week from " + escapeHtml(snap.week_from.iso()) + " to " +
                     escapeHtml(snap.as_of.iso()) + "; attendance this academic year from " +
                     escapeHtml(snap.year_from.iso()) +
                     ". <strong>PA</strong>: absent for 10% or more of possible sessions "
                     "(severe absence, 50% or more, included); the change is since the end of "
                     "last week.</p>\n";
  if (!note.empty()) html += "<p class=\"notice\" role=\"status\">" + escapeHtml(note) + "</p>\n";
  html +=
      "<p class=\"no-print\"><a href=\"/console/report.csv\" download>Download as CSV</a> "
      "&middot; print this page for a paper copy (the navigation is left out).</p>\n";
  html +=
      "<table aria-labelledby=\"report-title\"><caption id=\"report-title\">Attendance and "
      "absence by group</caption><thead><tr><th scope=\"col\">Group</th><th scope=\"col\" "
      "class=\"n\">Pupils</th><th scope=\"col\" class=\"n\">Attendance</th><th scope=\"col\" "
      "class=\"n\">PA</th><th scope=\"col\" class=\"n\">PA change</th><th scope=\"col\" "
      "class=\"n\">SA</th><th scope=\"col\" class=\"n\">New episodes this week</th><th "
      "scope=\"col\" class=\"n\">Notifications delivered this week</th></tr></thead><tbody>\n";
  for (const auto& g : weeklyReport(snap))
    html += "<tr><th scope=\"row\">" + escapeHtml(g.name) + "</th><td class=\"n\">" +
            std::to_string(g.pupils) + "</td><td class=\"n\">" + percentOf(g.attended, g.possible) +
            "</td><td class=\"n\">" + std::to_string(g.pa) + " (" + percentOf(g.pa, g.pupils) +
            ")</td><td class=\"n\">" + signedChange(g.pa, g.pa_before) + "</td><td class=\"n\">" +
            std::to_string(g.sa) + "</td><td class=\"n\">" + std::to_string(g.episodes) +
            "</td><td class=\"n\">" + std::to_string(g.notifications) + "</td></tr>\n";
  html +=
      "</tbody></table>\n<p class=\"no-print\"><a href=\"/console/pupils?band=pa\">The "
      "pupils persistently or severely absent</a></p>\n";
  return consolePage(frame, html);
}

std::string reportCsv(const PupilSnapshot& snap) {
  std::string csv =
      "week_from,week_to,group,pupils,possible_sessions,attended_sessions,attendance_percent,"
      "pa,pa_end_of_last_week,sa,new_episodes,notifications_delivered\r\n";
  for (const auto& g : weeklyReport(snap)) {
    std::string percent = percentOf(g.attended, g.possible);
    if (percent.ends_with('%')) percent.pop_back();
    csv += snap.week_from.iso() + "," + snap.as_of.iso() + "," + csvField(g.name) + "," +
           std::to_string(g.pupils) + "," + std::to_string(g.possible) + "," +
           std::to_string(g.attended) + "," + (percent == "-" ? "" : percent) + "," +
           std::to_string(g.pa) + "," + std::to_string(g.pa_before) + "," + std::to_string(g.sa) +
           "," + std::to_string(g.episodes) + "," + std::to_string(g.notifications) + "\r\n";
  }
  return csv;
}

}  // namespace markbridge
