#include "core/app/console/console_pages.h"

#include <Poco/URI.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/app/command_support.h"
#include "core/app/console/console_html.h"
#include "core/app/service.h"
#include "core/app/store_receiver.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

std::string e(std::string_view text) {
  return escapeHtml(text);
}

std::string q(const std::string& value) {
  return escapeQueryValue(value);
}

std::string age(int64_t fromMs, int64_t nowMs) {
  int64_t s = std::max<int64_t>(0, (nowMs - fromMs) / 1000);
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < 172800) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " days";
}

std::string badge(const std::string& cssState, const std::string& text) {
  return "<span class=\"state state-" + cssState + "\">" + e(text) + "</span>";
}

std::string stateName(OutboxState state) {
  return state == OutboxState::Rejected ? "dead" : std::string(toString(state));
}

std::string sinkBadge(SinkState state) {
  switch (state) {
    case SinkState::Ok:
      return badge("ok", "ok");
    case SinkState::Retrying:
      return badge("retrying", "retrying");
    case SinkState::PausedCredentials:
    case SinkState::PausedOutage:
      return badge("paused", std::string(toString(state)));
  }
  return "";
}

// Files a source's drop folder set aside as refused (each with a sidecar <name>.error.txt).
int quarantined(const GatewayConfig& config, const std::string& source) {
  if (!config.sources.is_array()) return 0;
  for (const auto& part : config.sources) {
    if (!part.is_object() || part.value("name", "") != source) continue;
    auto folder = part.find("drop_folder");
    if (folder == part.end() || !folder->is_string()) return 0;
    std::filesystem::path dir = folder->get<std::string>();
    if (dir.is_relative()) dir = config.base_dir / dir;
    std::error_code error;
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "quarantine", error))
      if (entry.is_regular_file(error) && !entry.path().string().ends_with(".error.txt")) ++n;
    return n;
  }
  return 0;
}

}  // namespace

std::string outcomeOnly(const std::string& text) {
  static const std::regex http("HTTP [0-9]{3}");
  std::smatch match;
  std::string said = std::regex_search(text, match, http) ? match[0].str() : "no HTTP answer";
  return said + " (" + std::string(kAskForTheAnswer) + ")";
}

PageFrame pageFrame(const ConsoleViewer& viewer, const std::string& title,
                    const std::string& schoolName, const std::string& current) {
  PageFrame frame{title,
                  schoolName,
                  current,
                  viewer.user,
                  std::string(toString(viewer.role)),
                  viewer.csrf,
                  maySeePupils(viewer.role)};
  if (!viewer.schools.empty()) {
    frame.urn = viewer.school;
    frame.schools = viewer.schools;
  }
  return frame;
}

std::string concernText(const HealthConcern& concern, const ServiceFigures& figures, bool pupils) {
  std::string problem = concern.problem;
  // A paused sink's concern quotes the destination's answer, which may name pupils.
  if (!pupils)
    for (const auto& [sink, h] : figures.sinks)
      if (!h.reason.empty())
        for (auto at = problem.find(h.reason); at != std::string::npos;
             at = problem.find(h.reason, at + 1))
          problem.replace(at, h.reason.size(), outcomeOnly(h.reason));
  return problem;
}

std::string overviewPage(Service& service, Store& store, const ConsoleViewer& viewer,
                         int64_t nowMs) {
  auto running = service.config(viewer.school);
  const auto& config = *running;
  auto figures = service.figures(viewer.school);
  bool pupils = maySeePupils(viewer.role);
  std::string html;
  auto concerns = service.concerns(viewer.school);
  if (concerns.empty()) {
    html += "<p class=\"notice\">" + badge("ok", "ok") +
            " The service is doing its job: nothing needs a person now.</p>\n";
  } else {
    html += "<div class=\"problem\"><h2>Needs attention</h2><ul>";
    for (const auto& c : concerns) {
      html += "<li>" + e(concernText(c, figures, pupils)) + ". <strong>What to do:</strong> " +
              e(c.action) + "</li>";
    }
    html += "</ul></div>\n";
  }

  auto status = store.status();
  html +=
      "<h2 id=\"sources\">Sources</h2>\n<table aria-labelledby=\"sources\"><thead><tr>"
      "<th scope=\"col\">Source</th><th scope=\"col\">Last good import</th>"
      "<th scope=\"col\">Last sync read</th><th scope=\"col\">Refused</th>"
      "<th scope=\"col\" class=\"n\">Files quarantined</th><th scope=\"col\">Notes</th>"
      "</tr></thead><tbody>\n";
  for (const auto& source : partNames(config.sources)) {
    auto at = status.last_import_by_source.find(source);
    std::string read = "-";
    std::string refused = "-";
    if (auto f = figures.sources.find(source); f != figures.sources.end()) {
      read = std::to_string(f->second.inputs) + " input(s), " + std::to_string(f->second.rows) +
             " rows";
      if (f->second.refused)
        refused = std::to_string(f->second.refused) + " input(s), " +
                  std::to_string(f->second.problems) + " problem(s)";
      else
        refused = "none";
    }
    std::string notes;
    if (auto last = store.sourceState(source, std::string(StoreReceiver::kLastRefusedKey))) {
      // The problem's text may quote a row (and a pupil's name): a technician gets its time.
      notes += "<p>Last refused " +
               e(pupils ? *last
                        : last->substr(0, 20) + "(run markbridge status on the server for why)") +
               "</p>";
    }
    for (auto key : {StoreReceiver::kNotAppliedKey, StoreReceiver::kOffCalendarKey})
      if (auto note = store.sourceState(source, std::string(key)); note && !note->empty())
        notes += "<p>" + e(pupils ? *note : note->substr(0, note->find(':'))) + "</p>";
    html += "<tr><th scope=\"row\">" + e(source) + "</th><td>" +
            e(at == status.last_import_by_source.end() ? "never" : at->second) + "</td><td>" +
            e(read) + "</td><td>" + e(refused) + "</td><td class=\"n\">" +
            std::to_string(quarantined(config, source)) + "</td><td>" +
            (notes.empty() ? "-" : notes) + "</td></tr>\n";
  }
  html += "</tbody></table>\n";

  Date today = london::localDate(nowMs / 1000);
  html += "<h2 id=\"registers\">Registers not taken today</h2>\n";
  int gaps = 0;
  std::string list;
  for (const auto& gap : store.registersNotTaken(20)) {
    if (gap.date != today) continue;
    ++gaps;
    list += "<li>" + e(today.iso()) + " " + e(std::string(toString(gap.session))) + ": " +
            std::to_string(gap.pupils) + " pupil(s) with no mark</li>";
  }
  html += gaps ? "<ul>" + list + "</ul>\n"
               : "<p>None on " + e(today.iso()) +
                     " (as far as the last import says: a register not yet imported is not "
                     "counted).</p>\n";

  html +=
      "<h2 id=\"sinks\">Sinks</h2>\n<table aria-labelledby=\"sinks\"><thead><tr>"
      "<th scope=\"col\">Sink</th><th scope=\"col\">Health</th><th scope=\"col\" "
      "class=\"n\">Pending</th><th scope=\"col\" class=\"n\">Dead letters</th>"
      "<th scope=\"col\">Oldest pending</th><th scope=\"col\">Last failure</th></tr></thead>"
      "<tbody>\n";
  std::map<std::string, SinkOutboxStats> bySink;
  for (const auto& s : store.outboxBySink()) bySink[s.sink] = s;
  for (const auto& sink : partNames(config.sinks)) {
    SinkHealth health;
    if (auto h = figures.sinks.find(sink); h != figures.sinks.end()) health = h->second;
    const auto& o = bySink[sink];
    std::string oldest = o.oldest_pending_at ? age(o.oldest_pending_at, nowMs) + " old" : "-";
    // The destination's answer may name pupils: a technician gets its HTTP status only.
    std::string reason = health.reason.empty() ? "-"
                         : pupils              ? health.reason
                                               : outcomeOnly(health.reason);
    if (health.paused_until)
      reason += "; tried again from " + londonTime(health.paused_until / 1000);
    html += "<tr><th scope=\"row\">" + e(sink) + "</th><td>" + sinkBadge(health.state) +
            "</td><td class=\"n\">" + std::to_string(o.pending) + "</td><td class=\"n\">" +
            (o.dead ? "<a href=\"/console/outbox?state=dead&amp;sink=" + q(sink) + "\">" +
                          std::to_string(o.dead) + "</a>"
                    : "0") +
            "</td><td>" + e(oldest) + "</td><td>" + e(reason) + "</td></tr>\n";
  }
  html += "</tbody></table>\n";

  html += "<h2 id=\"syncs\">Syncs</h2>\n<dl>\n<dt>Next scheduled</dt><dd>" +
          e(figures.next_sync.empty() ? "-" : figures.next_sync) + "</dd>\n";
  if (!figures.next_retry.empty())
    html += "<dt>Waiting deliveries</dt><dd>" + e(figures.next_retry) + "</dd>\n";
  html += "<dt>Since the service started</dt><dd>" + std::to_string(figures.syncs_ok) + " ok, " +
          std::to_string(figures.syncs_failed) + " failed, " +
          std::to_string(figures.syncs_skipped) + " skipped</dd>\n</dl>\n";
  if (figures.recent_syncs.empty()) {
    html += "<p>No sync since the service started.</p>\n";
  } else {
    html += "<h3>Last syncs (London time), newest first</h3>\n<ol>";
    for (const auto& s : figures.recent_syncs) html += "<li>" + e(s) + "</li>";
    html += "</ol>\n";
  }
  return consolePage(pageFrame(viewer, "Overview", config.school.name, "overview"), html);
}

std::string outboxPage(Service& service, Store& store, const ConsoleViewer& viewer,
                       const OutboxFilter& filter, const std::string& notice, int64_t nowMs) {
  auto running = service.config(viewer.school);
  const auto& config = *running;
  bool pupils = maySeePupils(viewer.role);
  bool change = mayChange(viewer.role);
  std::string html;
  if (!notice.empty()) html += "<p class=\"notice\" role=\"status\">" + e(notice) + "</p>\n";
  html +=
      "<h2 id=\"by-sink\">By sink</h2>\n<table aria-labelledby=\"by-sink\"><thead><tr>"
      "<th scope=\"col\">Sink</th><th scope=\"col\" class=\"n\">Pending</th>"
      "<th scope=\"col\" class=\"n\">Delivered</th><th scope=\"col\" class=\"n\">Retries</th>"
      "<th scope=\"col\" class=\"n\">Dead</th><th scope=\"col\" class=\"n\">Discarded</th>"
      "<th scope=\"col\">Oldest pending</th></tr></thead><tbody>\n";
  for (const auto& s : store.outboxBySink())
    html += "<tr><th scope=\"row\"><a href=\"/console/outbox?sink=" + q(s.sink) + "\">" +
            e(s.sink) + "</a></th><td class=\"n\">" + std::to_string(s.pending) +
            "</td><td class=\"n\">" + std::to_string(s.delivered) + "</td><td class=\"n\">" +
            std::to_string(s.retries) + "</td><td class=\"n\">" + std::to_string(s.dead) +
            "</td><td class=\"n\">" + std::to_string(s.discarded) + "</td><td>" +
            e(s.oldest_pending_at ? age(s.oldest_pending_at, nowMs) + " old" : "-") +
            "</td></tr>\n";
  html += "</tbody></table>\n";

  auto link = [&](const std::string& state, const char* label) {
    std::string href = "/console/outbox";
    std::string query;
    if (!state.empty()) query += "state=" + state;
    if (!filter.sink.empty()) query += (query.empty() ? "" : "&amp;") + ("sink=" + q(filter.sink));
    if (!query.empty()) href += "?" + query;
    bool current = (filter.state ? stateName(*filter.state) : std::string()) == state;
    return "<li><a href=\"" + href + "\"" + (current ? " aria-current=\"true\"" : "") + ">" +
           label + "</a></li>";
  };
  html += "<h2 id=\"items\">Items" +
          (filter.sink.empty() ? std::string() : " for sink " + e(filter.sink)) + "</h2>\n";
  html += "<nav aria-label=\"Items by state\"><ul class=\"filters\">" + link("", "All") +
          link("pending", "Pending") + link("dead", "Dead letters") +
          link("delivered", "Delivered") + link("discarded", "Discarded") +
          (filter.sink.empty() ? "" : "<li><a href=\"/console/outbox\">Every sink</a></li>") +
          "</ul></nav>\n";
  if (!change)
    html += "<p class=\"muted\">Your role (" + e(std::string(toString(viewer.role))) +
            ") sees the outbox but cannot retry or discard.</p>\n";

  std::map<std::string, std::optional<Pupil>> known;
  auto pupilOf = [&](const std::string& upn) -> const std::optional<Pupil>& {
    auto it = known.find(upn);
    if (it == known.end()) it = known.emplace(upn, store.pupil(upn)).first;
    return it->second;
  };
  std::string rows;
  int shown = 0;
  for (const auto& item : store.outbox(filter.state, 500)) {
    if (!filter.sink.empty() && item.sink != filter.sink) continue;
    if (++shown > 200) break;
    const auto& pupil = pupilOf(item.upn);
    auto event = nlohmann::json::parse(item.payload, nullptr, false);
    std::string type = event.is_object() && event.contains("type") && event["type"].is_string()
                           ? event["type"].get<std::string>()
                           : "?";
    std::string who = maskUpn(item.upn);
    if (pupils && pupil) who = pupil->forename + " " + pupil->surname + " (" + who + ")";
    std::string state = stateName(item.state);
    std::string detail;
    if (!item.reference.empty()) detail += "<p>Reference " + e(item.reference) + "</p>";
    if (item.state == OutboxState::Delivered)
      detail += "<p>Delivered " + e(utcMs(item.finished_at)) + "</p>";
    if (item.state == OutboxState::Pending && item.next_attempt_at)
      detail += "<p>Next attempt " + e(utcMs(item.next_attempt_at)) + "</p>";
    // The destination's answer and the error quoting it may name any pupil, in any spelling or
    // escape: a role that may not see pupils gets the HTTP status only, never the text.
    if (item.state != OutboxState::Delivered && !item.last_error.empty())
      detail += "<p>" + e(pupils ? item.last_error : outcomeOnly(item.last_error)) + "</p>";
    if (pupils && !item.response.empty() && item.state != OutboxState::Delivered)
      detail += "<details><summary>The destination's answer</summary><pre>" + e(item.response) +
                "</pre></details>";
    std::string actions;
    auto form = [&](const char* action, const char* label, const char* css) {
      return "<form class=\"inline\" method=\"post\" action=\"/console/outbox/" +
             std::to_string(item.seq) + "/" + action +
             "\"><input type=\"hidden\" name=\"csrf\" value=\"" + e(viewer.csrf) +
             "\"><button type=\"submit\"" + css + " aria-label=\"" + label + " item " +
             std::to_string(item.seq) + "\">" + label + "</button></form> ";
    };
    if (change && item.state != OutboxState::Delivered) actions += form("retry", "Retry", "");
    if (change && (item.state == OutboxState::Pending || item.state == OutboxState::Rejected))
      actions += form("discard", "Discard", " class=\"danger\"");
    rows += "<tr><td class=\"n\">" + std::to_string(item.seq) + "</td><td>" + e(item.sink) +
            "</td><td>" + badge(state, state) + "</td><td>" + e(type) + " (" +
            e(std::string(toString(item.kind))) + ")<br><span class=\"muted\">" +
            e(ruleLabelOfPayload(config.rules, item.payload)) + "</span></td><td>" + e(who) +
            "</td><td class=\"n\">" + std::to_string(item.attempts) + "</td><td>" +
            (detail.empty() ? "-" : detail) + "</td><td>" + (actions.empty() ? "-" : actions) +
            "</td></tr>\n";
  }
  if (rows.empty()) {
    html += "<p>No items here.</p>\n";
  } else {
    html +=
        "<table aria-labelledby=\"items\"><thead><tr><th scope=\"col\" class=\"n\">Item</th>"
        "<th scope=\"col\">Sink</th><th scope=\"col\">State</th><th scope=\"col\">Event "
        "and rule</th><th scope=\"col\">Pupil</th><th scope=\"col\" class=\"n\">Tries</th>"
        "<th scope=\"col\">Details</th><th scope=\"col\">Actions</th></tr></thead><tbody>\n" +
        rows + "</tbody></table>\n";
    if (shown > 200) html += "<p>The first 200 are shown: filter by state or sink.</p>\n";
  }
  return consolePage(pageFrame(viewer, "Outbox", config.school.name, "outbox"), html);
}

std::string loginPage(const std::string& school, const std::string& csrf,
                      const std::string& problem, const std::string& name, const std::string& urn) {
  std::string html;
  if (!problem.empty())
    html += "<div class=\"problem\" role=\"alert\"><p>" + e(problem) + "</p></div>\n";
  html +=
      "<form class=\"login\" method=\"post\" action=\"/console/login\">\n"
      "<input type=\"hidden\" name=\"csrf\" value=\"" +
      e(csrf) +
      "\">\n<label for=\"name\">User name</label>\n"
      "<input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" "
      "autocapitalize=\"none\" spellcheck=\"false\" required value=\"" +
      e(name) +
      "\">\n<label for=\"password\">Password</label>\n"
      "<input type=\"password\" id=\"password\" name=\"password\" "
      "autocomplete=\"current-password\" required>\n"
      "<button type=\"submit\">Log in</button>\n</form>\n"
      "<p class=\"muted\">Your account is made by the school's IT technician with "
      "<code>markbridge user add</code>.</p>\n";
  PageFrame frame{"Log in", school, "", "", "", ""};
  frame.urn = urn;
  return consolePage(frame, html);
}

std::string messagePage(const std::string& school, const std::string& title,
                        const std::string& message, const ConsoleViewer* viewer) {
  PageFrame frame =
      viewer ? pageFrame(*viewer, title, school, "") : PageFrame{title, school, "", "", "", ""};
  return consolePage(frame, "<p>" + e(message) +
                                "</p>\n<p><a href=\"/console/\">Back to the "
                                "overview</a></p>\n");
}

}  // namespace markbridge
