#include "core/app/console/console_schools.h"

#include <map>

#include "core/app/command_support.h"
#include "core/app/console/console_html.h"
#include "core/app/service.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

std::string e(std::string_view text) {
  return escapeHtml(text);
}

std::string overviewOf(const std::string& urn) {
  return "/console/?school=" + escapeQueryValue(urn);
}

// One school's row; a store that cannot be read is said in its cells, not a failed page.
std::string schoolRow(Service& service, const ConsoleViewer& viewer, const std::string& urn,
                      const std::map<std::string, SchoolAbsentees>& absentees, int64_t nowMs) {
  auto config = service.config(urn);
  if (!config) return "";  // removed by a reload since the list was read
  bool pupils = maySeePupils(viewer.role);
  auto figures = service.figures(urn);
  auto concerns = service.concerns(urn);
  std::string health;
  if (concerns.empty()) {
    health = "<span class=\"state state-ok\">ok</span>";
  } else {
    health = "<span class=\"state state-paused\">degraded</span><ul>";
    for (const auto& c : concerns) health += "<li>" + e(concernText(c, figures, pupils)) + "</li>";
    health += "</ul>";
  }
  std::string outbox, onRoll;
  try {
    auto store = service.openStore(urn);
    std::map<std::string, SinkOutboxStats> bySink;
    for (const auto& s : store->outboxBySink()) bySink[s.sink] = s;
    for (const auto& sink : partNames(config->sinks)) {
      const auto& o = bySink[sink];
      outbox +=
          "<p>" + e(sink) + ": " + std::to_string(o.pending) + " pending, " +
          (o.dead ? "<a href=\"/console/outbox?state=dead&amp;sink=" + escapeQueryValue(sink) +
                        "&amp;school=" + escapeQueryValue(urn) + "\">" + std::to_string(o.dead) +
                        " dead</a>"
                  : "0 dead") +
          "</p>";
    }
    if (outbox.empty()) outbox = "no sinks";
    Date today = london::localDate(nowMs / 1000);
    auto roll = store->onRollSummary(today, today, today);
    onRoll = std::to_string(roll.on_roll + roll.without_roll);
  } catch (const std::exception&) {
    outbox = "the store cannot be read (the service log says why)";
    onRoll = "-";
  }
  std::string row =
      "<tr><th scope=\"row\"><a href=\"" + overviewOf(urn) + "\">" + e(config->school.name) +
      "</a></th><td>" + e(urn) + "</td><td>" + health + "</td><td>" +
      e(figures.last_sync.empty() ? "none since the service started" : figures.last_sync) +
      "</td><td>" + e(figures.next_sync.empty() ? "-" : figures.next_sync) + "</td><td>" + outbox +
      "</td><td class=\"n\">" + onRoll + "</td>";
  if (pupils) {
    auto a = absentees.find(urn);
    row +=
        a == absentees.end()
            ? "<td class=\"n\">not worked out yet (<a href=\"/console/pupils?band=pa&amp;school=" +
                  escapeQueryValue(urn) + "\">work them out</a>)</td>"
            : "<td class=\"n\"><a href=\"/console/pupils?band=pa&amp;school=" +
                  escapeQueryValue(urn) + "\">" + std::to_string(a->second.persistent) +
                  "</a><br><span class=\"muted\">as of " +
                  e(londonTime(a->second.built_at_ms / 1000)) + "</span></td>";
  }
  return row + "</tr>\n";
}

}  // namespace

std::string schoolsPage(Service& service, const ConsoleViewer& viewer,
                        const std::map<std::string, SchoolAbsentees>& absentees, int64_t nowMs) {
  bool pupils = maySeePupils(viewer.role);
  auto urns = service.schools();
  std::string html = "<p>The " + std::to_string(urns.size()) +
                     " schools this service serves. A school's name opens its overview.";
  if (pupils)
    html +=
        " Persistent absentees (PA, severe absence included) are shown as each school's Pupils "
        "at risk last worked them out: working them out reads the school's whole register, so "
        "this page does not do it for every school.";
  html +=
      "</p>\n<table aria-labelledby=\"schools-caption\"><caption id=\"schools-caption\">Schools"
      "</caption><thead><tr><th scope=\"col\">School</th><th scope=\"col\">URN</th>"
      "<th scope=\"col\">Health</th><th scope=\"col\">Last sync</th>"
      "<th scope=\"col\">Next sync</th><th scope=\"col\">Outbox by sink</th>"
      "<th scope=\"col\" class=\"n\">Pupils on roll</th>" +
      std::string(pupils ? "<th scope=\"col\" class=\"n\">Persistent absentees</th>" : "") +
      "</tr></thead><tbody>\n";
  for (const auto& urn : urns) html += schoolRow(service, viewer, urn, absentees, nowMs);
  html += "</tbody></table>\n";
  return consolePage(pageFrame(viewer, "All schools", "", "schools"), html);
}

std::string unknownSchoolPage(const std::string& asked, const std::vector<ServedSchool>& schools) {
  std::string html = "<p>No school with the URN &ldquo;" + e(asked) +
                     "&rdquo; is served here. The schools served:</p>\n<ul>";
  for (const auto& s : schools)
    html +=
        "<li><a href=\"" + overviewOf(s.urn) + "\">" + e(s.name) + " (" + e(s.urn) + ")</a></li>";
  html += "</ul>\n";
  return consolePage(PageFrame{"No such school", "", "", "", "", ""}, html);
}

}  // namespace markbridge
