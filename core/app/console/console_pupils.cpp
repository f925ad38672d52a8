#include "core/app/console/console_pupils.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/app/command_support.h"
#include "core/app/console/console_html.h"
#include "core/app/pupil_story.h"
#include "core/domain/upn.h"
#include "core/store/console_reads.h"

namespace markbridge {
namespace {

std::string e(std::string_view text) {
  return escapeHtml(text);
}

std::string percent(double value) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", value);
  return text;
}

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* kWeekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

// "Mon 16 Sep 2024"
std::string longDate(Date day) {
  return std::string(kWeekdays[day.weekday() - 1]) + " " + std::to_string(day.day()) + " " +
         kMonths[day.month() - 1] + " " + std::to_string(day.year());
}

std::string flagsText(const PupilFlags& f) {
  std::string text;
  auto add = [&](bool on, const char* name) {
    if (on) text += (text.empty() ? "" : ", ") + std::string(name);
  };
  add(f.sen, "SEN");
  add(f.ehcp, "EHCP");
  add(f.fsm, "FSM");
  add(f.pp, "PP");
  add(f.cla, "CLA");
  add(f.cp, "CP");
  add(f.cin, "CIN");
  return text;
}

std::string queryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string text;
  for (const auto& [key, value] : params)
    text += (text.empty() ? "?" : "&amp;") + key + "=" + escapeQueryValue(value);
  return text;
}

std::string bandBadge(AbsenceBand band) {
  switch (band) {
    case AbsenceBand::Severe:
      return "<span class=\"state state-dead\">SA</span>";
    case AbsenceBand::Persistent:
      return "<span class=\"state state-pending\">PA</span>";
    case AbsenceBand::None:
      break;
  }
  return "-";
}

std::string deliveryBadge(DeliveryState state) {
  std::string css = state == DeliveryState::Dead        ? "dead"
                    : state == DeliveryState::Pending   ? "pending"
                    : state == DeliveryState::Delivered ? "delivered"
                                                        : "discarded";
  if (state == DeliveryState::None) return "-";
  return "<span class=\"state state-" + css + "\">" + e(toString(state)) + "</span>";
}

// The heatmap's categories, in the legend's order.
struct CellStyle {
  const char* key;
  const char* label;
  const char* fill;
  const char* text;    // the code's colour on the fill (4.5:1 or more)
  const char* stroke;  // "" for none
  const char* dash;
};
// Fills: #00703c / #1d70b8 / #a1141c carry white text (5.9:1, 5.2:1, 7.6:1); #ffbf47 and
// #b1b4b6 carry black (12.9:1, 10.4:1); the rest are white with a black or grey outline.
const CellStyle kCells[] = {
    {"present", "Present (/ \\ L)", "#00703c", "#ffffff", "", ""},
    {"aea", "Approved educational activity (K V P W B)", "#1d70b8", "#ffffff", "", ""},
    {"authorised", "Authorised absence (I M C ...)", "#ffbf47", "#0b0c0c", "", ""},
    {"unauthorised", "Unauthorised absence (G N O U)", "#a1141c", "#ffffff", "", ""},
    {"notcounted", "Not required or closed (X # Y1-Y7 D Q Z, closures)", "#b1b4b6", "#0b0c0c", "",
     ""},
    {"offroll", "Not on roll", "#ffffff", "#0b0c0c", "#505a5f", "3 2"},
    {"nomark", "No mark (register not taken)", "#ffffff", "#0b0c0c", "#0b0c0c", ""},
    {"noschool", "Not a school day", "#f3f2f1", "#0b0c0c", "", ""},
    {"future", "Still to come", "#ffffff", "#0b0c0c", "#b1b4b6", ""},
};
const CellStyle& cellStyle(std::string_view key) {
  for (const auto& c : kCells)
    if (key == c.key) return c;
  return kCells[7];
}

std::string categoryKey(Code code) {
  switch (code.category()) {
    case Category::Present:
      return "present";
    case Category::Attending:
      return "aea";
    case Category::Authorised:
      return "authorised";
    case Category::Unauthorised:
      return "unauthorised";
    case Category::NotCounted:
      return "notcounted";
    case Category::NotTaken:
      return "nomark";
  }
  return "nomark";
}

struct SessionLook {
  std::string key;    // kCells
  std::string label;  // the code, or a sign
  std::string words;  // for the title
};

SessionLook lookOf(const SchoolCalendar& calendar, const Pupil& pupil, const PupilRegister& reg,
                   Date day, Session s, Date asOf) {
  Code code = reg.at(day, s);
  DayKind kind = calendar.kindOf(day);
  if (kind != DayKind::SchoolDay) {
    if (!code.isNotTaken())  // a mark on a day the calendar says is not a school day
      return {categoryKey(code), std::string(code.str()),
              std::string(code.str()) + " " + std::string(code.meaning()) +
                  " (not a school day: not counted)"};
    if (kind == DayKind::Closure) return {"notcounted", "#", "closure"};
    return {"noschool", "", std::string(toString(kind))};
  }
  if (!isOnRoll(pupil.on_roll, day)) return {"offroll", "-", "not on roll"};
  if (code.isNotTaken())
    return day > asOf ? SessionLook{"future", "", "still to come"}
                      : SessionLook{"nomark", "?", "no mark (register not taken)"};
  return {categoryKey(code), std::string(code.str()),
          std::string(code.str()) + " " + std::string(code.meaning()) + " (" +
              std::string(toString(code.category())) + ")"};
}

std::string legend() {
  std::string html = "<ul class=\"legend\" aria-label=\"What the colours mean\">";
  for (const auto& c : kCells) {
    html +=
        "<li><svg width=\"18\" height=\"18\" aria-hidden=\"true\" focusable=\"false\"><rect "
        "x=\"1\" y=\"1\" width=\"16\" height=\"16\" fill=\"" +
        std::string(c.fill) + "\"" +
        (*c.stroke ? std::string(" stroke=\"") + c.stroke + "\"" : std::string()) +
        (*c.dash ? std::string(" stroke-dasharray=\"") + c.dash + "\"" : std::string()) +
        "/></svg> " + e(c.label) + "</li>";
  }
  return html + "</ul>\n";
}

// The year as weeks (rows) by weekdays (columns), each day two halves: AM left, PM right, with
// the session's code written in it (so colour is never the only cue). Each day links to its
// explanation.
std::string heatmap(const SchoolCalendar& calendar, const Pupil& pupil, const PupilRegister& reg,
                    Date from, Date to, Date asOf, std::optional<Date> chosen) {
  constexpr int kLabel = 64, kHalf = 26, kDay = 2 * kHalf + 6, kRow = 22, kTop = 22;
  Date first = from.monday();
  int weeks = (to - first) / 7 + 1;
  int width = kLabel + 5 * kDay, height = kTop + weeks * kRow + 4;
  std::string base = pupilHref(pupil.upn);
  std::string svg =
      "<svg class=\"heatmap\" role=\"group\" aria-labelledby=\"register-title\" "
      "viewBox=\"0 0 " +
      std::to_string(width) + " " + std::to_string(height) + "\" width=\"" + std::to_string(width) +
      "\" height=\"" + std::to_string(height) +
      "\" font-family=\"system-ui,Arial,sans-serif\" font-size=\"11\">\n";
  for (int d = 0; d < 5; ++d)
    svg += "<text x=\"" + std::to_string(kLabel + d * kDay + kHalf) + "\" y=\"14\" " +
           "text-anchor=\"middle\" fill=\"#0b0c0c\">" + kWeekdays[d] + "</text>";
  svg += "\n";
  for (int w = 0; w < weeks; ++w) {
    Date monday = first + w * 7;
    int y = kTop + w * kRow;
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\" fill=\"#0b0c0c\">" +
           std::to_string(monday.day()) + " " + kMonths[monday.month() - 1] + "</text>";
    for (int d = 0; d < 5; ++d) {
      Date day = monday + d;
      if (day < from || day > to) continue;
      int x = kLabel + d * kDay;
      SessionLook am = lookOf(calendar, pupil, reg, day, Session::AM, asOf);
      SessionLook pm = lookOf(calendar, pupil, reg, day, Session::PM, asOf);
      std::string title = longDate(day) + ": AM " + am.words + "; PM " + pm.words;
      bool school = calendar.isSchoolDay(day) || am.key != "noschool";
      // A clear rect under the halves: a click anywhere on the day (the gap too) opens it.
      std::string cell = "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) +
                         "\" width=\"" + std::to_string(2 * kHalf) + "\" height=\"" +
                         std::to_string(kRow - 3) + "\" fill=\"#ffffff\" fill-opacity=\"0\"/>";
      int half = 0;
      for (const auto* look : {&am, &pm}) {
        const auto& style = cellStyle(look->key);
        int hx = x + half * kHalf;
        cell += "<rect x=\"" + std::to_string(hx) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
                std::to_string(kHalf - 1) + "\" height=\"" + std::to_string(kRow - 3) +
                "\" fill=\"" + style.fill + "\"" +
                (*style.stroke ? std::string(" stroke=\"") + style.stroke + "\"" : "") +
                (*style.dash ? std::string(" stroke-dasharray=\"") + style.dash + "\"" : "") +
                " class=\"c-" + look->key + "\"/>";
        if (!look->label.empty())
          cell += "<text x=\"" + std::to_string(hx + kHalf / 2) + "\" y=\"" +
                  std::to_string(y + 14) +
                  "\" text-anchor=\"middle\" aria-hidden=\"true\" fill=\"" + style.text + "\">" +
                  e(look->label) + "</text>";
        ++half;
      }
      if (chosen && *chosen == day)
        cell += "<rect x=\"" + std::to_string(x - 2) + "\" y=\"" + std::to_string(y - 2) +
                "\" width=\"" + std::to_string(2 * kHalf + 2) + "\" height=\"" +
                std::to_string(kRow + 1) +
                "\" fill=\"none\" stroke=\"#0b0c0c\" stroke-width=\"3\"/>";
      if (school)
        svg += "<a href=\"" + base + "?day=" + day.iso() + "#day\" data-day=\"" + day.iso() +
               "\"><title>" + e(title) + "</title>" + cell + "</a>";
      else
        svg += "<g><title>" + e(title) + "</title>" + cell + "</g>";
    }
    svg += "\n";
  }
  return svg + "</svg>\n";
}

// The cumulative attendance % after each school day of the year, as a line, with the 90% line
// (below it: persistent absence) marked.
std::string attendanceLine(const std::vector<std::pair<Date, double>>& points) {
  constexpr int kW = 640, kH = 220, kLeft = 44, kTop = 10, kBottom = 30, kRight = 10;
  int plotW = kW - kLeft - kRight, plotH = kH - kTop - kBottom;
  auto yOf = [&](double p) { return kTop + plotH * (100.0 - p) / 100.0; };
  std::string desc = "No possible session yet this year.";
  if (!points.empty()) {
    auto low = std::min_element(points.begin(), points.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
    desc = "From " + percent(points.front().second) + " on " + points.front().first.iso() + " to " +
           percent(points.back().second) + " on " + points.back().first.iso() + "; lowest " +
           percent(low->second) + " on " + low->first.iso() + ".";
  }
  std::string svg =
      "<svg class=\"line\" role=\"img\" aria-labelledby=\"line-title line-desc\" viewBox=\"0 0 " +
      std::to_string(kW) + " " + std::to_string(kH) + "\" width=\"" + std::to_string(kW) +
      "\" height=\"" + std::to_string(kH) +
      "\" font-family=\"system-ui,Arial,sans-serif\" font-size=\"11\"><title "
      "id=\"line-title\">Attendance this year, cumulative</title><desc id=\"line-desc\">" +
      e(desc) + "</desc>\n";
  for (int p : {0, 50, 90, 100}) {
    double y = yOf(p);
    svg += "<line x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(kLeft + plotW) +
           "\" y1=\"" + std::to_string(y) + "\" y2=\"" + std::to_string(y) + "\" stroke=\"" +
           (p == 90 ? "#a1141c\" stroke-dasharray=\"6 3" : "#b1b4b6") + "\"/>";
    svg += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + std::to_string(y + 4) +
           "\" text-anchor=\"end\" fill=\"#0b0c0c\">" + std::to_string(p) + "%</text>";
  }
  svg += "<text x=\"" + std::to_string(kLeft + plotW) + "\" y=\"" + std::to_string(yOf(90) - 4) +
         "\" text-anchor=\"end\" fill=\"#a1141c\">below 90%: persistent absence</text>\n";
  if (!points.empty()) {
    std::string line;
    std::size_t n = points.size();
    for (std::size_t i = 0; i < n; ++i) {
      double x = kLeft + (n == 1 ? 0.0 : plotW * static_cast<double>(i) / (n - 1));
      char pt[48];
      std::snprintf(pt, sizeof pt, "%.1f,%.1f ", x, yOf(points[i].second));
      line += pt;
    }
    svg += "<polyline fill=\"none\" stroke=\"#1d70b8\" stroke-width=\"2.5\" points=\"" + line +
           "\"/>\n";
    svg += "<text x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kH - 8) +
           "\" fill=\"#0b0c0c\">" + e(points.front().first.iso()) + "</text><text x=\"" +
           std::to_string(kLeft + plotW) + "\" y=\"" + std::to_string(kH - 8) +
           "\" text-anchor=\"end\" fill=\"#0b0c0c\">" + e(points.back().first.iso()) + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string stateWord(EventState state) {
  return std::string(toString(state));
}

}  // namespace

std::string pupilHref(const std::string& upn) {
  return "/console/pupils/" + escapeQueryValue(upn);
}

std::string pupilsPage(const PupilSnapshot& snap, const PupilQuery& query, const PageFrame& frame,
                       const std::string& note) {
  auto selection = selectPupils(snap, query);
  std::string html;
  html += "<p>Figures for the " + std::to_string(snap.rows.size()) +
          " pupils on roll, this academic year from " + e(snap.year_from.iso()) + " to " +
          e(snap.as_of.iso()) + "; the last four school weeks from " + e(snap.recent_from.iso()) +
          ". <strong>PA</strong>: persistent absence, absent for 10% or more of their possible "
          "sessions; <strong>SA</strong>: severe absence, 50% or more.</p>\n";
  if (!note.empty()) html += "<p class=\"notice\" role=\"status\">" + e(note) + "</p>\n";

  // The filters: a GET form, so it works without JavaScript and the page can be bookmarked.
  auto option = [](const std::string& value, const std::string& label, const std::string& now) {
    return "<option value=\"" + e(value) + "\"" + (value == now ? " selected" : "") + ">" +
           e(label) + "</option>";
  };
  html += "<form class=\"filters-form\" method=\"get\" action=\"/console/pupils\">\n";
  html += "<div><label for=\"f-year\">Year</label><select id=\"f-year\" name=\"year\">" +
          option("", "All years", query.year);
  for (const auto& y : snap.years) html += option(y, y.empty() ? "(none)" : y, query.year);
  html +=
      "</select></div>\n<div><label for=\"f-reg\">Reg group</label><select id=\"f-reg\" "
      "name=\"reg\">" +
      option("", "All groups", query.reg_group);
  for (const auto& g : snap.reg_groups)
    html += option(g, g.empty() ? "(none)" : g, query.reg_group);
  html +=
      "</select></div>\n<div><label for=\"f-band\">Band</label><select id=\"f-band\" "
      "name=\"band\">" +
      option("", "Any", query.band) + option("pa", "PA or SA", query.band) +
      option("sa", "SA only", query.band) + option("none", "Neither", query.band) +
      "</select></div>\n<fieldset><legend>Only pupils flagged</legend>";
  auto box = [](const char* name, const char* label, bool on) {
    return std::string("<span class=\"check\"><input type=\"checkbox\" id=\"f-") + name +
           "\" name=\"" + name + "\" value=\"1\"" + (on ? " checked" : "") + "><label for=\"f-" +
           name + "\">" + label + "</label></span>";
  };
  html += box("sen", "SEN or EHCP", query.sen) + box("fsm", "FSM", query.fsm) +
          box("cp", "CP", query.cp) + box("cla", "CLA", query.cla) + "</fieldset>\n";
  html += "<input type=\"hidden\" name=\"sort\" value=\"" + e(query.sort) + "\">";
  if (query.descending) html += "<input type=\"hidden\" name=\"dir\" value=\"desc\">";
  html +=
      "<button type=\"submit\">Show</button> <a href=\"/console/pupils\">Clear the "
      "filters</a>\n</form>\n";

  auto params = queryParams(query);
  auto withPage = [&](int page) {
    auto p = params;
    if (page > 1) p.emplace_back("page", std::to_string(page));
    return "/console/pupils" + queryString(p);
  };
  html += "<p id=\"count\" role=\"status\">" + std::to_string(selection.total) + " pupil" +
          (selection.total == 1 ? "" : "s") + " match; page " + std::to_string(selection.page) +
          " of " + std::to_string(selection.pages) + ".</p>\n";
  if (selection.rows.empty()) {
    html += "<p>No pupil matches these filters.</p>\n";
    return consolePage(frame, html);
  }
  html += "<table class=\"pupils\" aria-describedby=\"count\"><thead><tr>";
  for (const auto& c : kPupilColumns) {
    bool current = query.sort == c.key;
    auto p = params;
    for (auto& [k, v] : p)
      if (k == "sort") v = c.key;
    std::erase_if(p, [](const auto& kv) { return kv.first == "dir"; });
    if (current && !query.descending) p.emplace_back("dir", "desc");
    bool numeric = std::string_view(c.key) == "percent" || std::string_view(c.key) == "recent" ||
                   std::string_view(c.key) == "run" || std::string_view(c.key) == "illness";
    html += std::string("<th scope=\"col\"") + (numeric ? " class=\"n\"" : "") +
            (current ? std::string(" aria-sort=\"") +
                           (query.descending ? "descending" : "ascending") + "\""
                     : "") +
            "><a href=\"/console/pupils" + queryString(p) + "\">" + c.heading +
            (current ? (query.descending ? " &#9660;" : " &#9650;") : "") +
            "<span class=\"visually-hidden\"> (sort" +
            (current && !query.descending ? " descending" : "") + ")</span></a></th>";
  }
  html += "</tr></thead><tbody>\n";
  for (const PupilRow* r : selection.rows) {
    std::string href = pupilHref(r->upn);
    std::string name = r->surname + ", " + r->forename;
    std::string flags = flagsText(r->flags);
    html +=
        "<tr><th scope=\"row\"><a href=\"" + href + "\">" + e(name) + "</a>" +
        (flags.empty() ? "" : "<br><span class=\"muted\">" + e(flags) + "</span>") + "</th><td>" +
        e(r->year_group) + "</td><td>" + e(r->reg_group) + "</td><td class=\"n\"><a href=\"" +
        href + "#year\">" + percent(r->percent()) + "</a><br><span class=\"muted\">" +
        std::to_string(r->attended) + " of " + std::to_string(r->possible) +
        "</span></td><td class=\"n\"><a href=\"" + href + "?day=" + snap.recent_from.iso() +
        "#day\">" + (r->recent_possible ? percent(r->recentPercent()) : std::string("no marks")) +
        "</a></td><td class=\"n\">" +
        (r->unauthorised_run
             ? "<a href=\"" + href + "?day=" + r->run_from.iso() + "#day\">" +
                   std::to_string(r->unauthorised_run) + " since " + r->run_from.iso() + "</a>"
             : "0") +
        "</td><td class=\"n\">" +
        (r->illness ? "<a href=\"" + href + "#year\">" + std::to_string(r->illness) + "</a>"
                    : "0") +
        "</td><td>" +
        (r->band == AbsenceBand::None
             ? std::string("-")
             : "<a href=\"" + href + "#year\">" + bandBadge(r->band) + "</a>") +
        "</td><td>" +
        (r->stage.empty() ? "-"
                          : "<a href=\"" + href + "#ladder\">" + e(r->stage) + "</a><br>" +
                                "<span class=\"muted\">since " + r->stage_on.iso() + "</span>") +
        "</td><td>" +
        (r->last_event.empty()
             ? "-"
             : "<a href=\"" + href + "#events\">" + e(r->last_event) +
                   "</a><br><span class=\"muted\">" + r->last_event_on.iso() + "</span>") +
        "</td><td>" +
        (r->delivery == DeliveryState::None
             ? std::string("-")
             : "<a href=\"" + href + "#events\">" + deliveryBadge(r->delivery) + "</a>") +
        "</td></tr>\n";
  }
  html += "</tbody></table>\n";
  html += "<nav aria-label=\"Pages\"><ul class=\"filters\">";
  auto pageLink = [&](int page, const char* label, bool enabled) {
    return enabled ? "<li><a href=\"" + withPage(page) + "\">" + label + "</a></li>"
                   : std::string("<li><span class=\"muted\">") + label + "</span></li>";
  };
  html += pageLink(1, "First", selection.page > 1) +
          pageLink(selection.page - 1, "Previous", selection.page > 1) + "<li>Page " +
          std::to_string(selection.page) + " of " + std::to_string(selection.pages) + "</li>" +
          pageLink(selection.page + 1, "Next", selection.page < selection.pages) +
          pageLink(selection.pages, "Last", selection.page < selection.pages) + "</ul></nav>\n";
  return consolePage(frame, html);
}

std::optional<Pupil> findConsolePupil(Store& store, const std::string& id) {
  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.size() > 20) return std::nullopt;
  if (upper.find("...") == std::string::npos) return store.pupil(upper);
  std::optional<std::string> found;
  for (const auto& [upn, misId] : store.pupilIds())
    if (maskUpn(upn) == upper) {
      if (found) return std::nullopt;  // ambiguous
      found = upn;
    }
  return found ? store.pupil(*found) : std::nullopt;
}

std::string pupilPage(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                      const Pupil& named, std::optional<Date> day, Date today,
                      const PageFrame& frame) {
  std::optional<PupilRegister> found;
  Pupil pupil = named;
  visitPupilRegister(store, calendar, named.upn, [&](const Pupil& p, const PupilRegister& reg) {
    pupil = p;
    found.emplace(reg);
  });
  PupilRegister reg = found ? *found : PupilRegister(calendar);
  auto w = figureWindows(calendar, today);
  auto row = pupilFigures(pupil, reg, w);
  std::string href = pupilHref(pupil.upn);
  std::string html;

  html += "<dl class=\"facts\"><dt>UPN</dt><dd>" + e(pupil.upn) + "</dd>";
  if (!pupil.mis_id.empty()) html += "<dt>Admission number</dt><dd>" + e(pupil.mis_id) + "</dd>";
  html += "<dt>Year and reg group</dt><dd>" + e(pupil.year_group) + ", " + e(pupil.reg_group) +
          "</dd><dt>Flags</dt><dd>" +
          e(flagsText(pupil.flags).empty() ? "none" : flagsText(pupil.flags)) +
          "</dd><dt>On roll</dt><dd>";
  if (pupil.on_roll.empty()) html += "no admission register data (every school day counts)";
  for (std::size_t i = 0; i < pupil.on_roll.size(); ++i) {
    const auto& p = pupil.on_roll[i];
    html += (i ? "; " : "") +
            e((p.admitted ? p.admitted->iso() : "(admission not known)") +
              (p.left ? " to " + p.left->iso() : " onwards") +
              (p.left && !p.leaving_reason.empty() ? " (" + p.leaving_reason + ")" : ""));
  }
  html += "</dd></dl>\n";

  // The figures, each a link to the marks behind it.
  html += "<h2 id=\"year\">This year to " + e(w.as_of.iso()) + "</h2>\n<dl class=\"facts\">";
  html += "<dt>Attendance</dt><dd><a href=\"#register-title\">" + percent(row.percent()) +
          "</a> (" + std::to_string(row.attended) + " of " + std::to_string(row.possible) +
          " possible sessions attended, from " + e(w.year_from.iso()) + ") " + bandBadge(row.band) +
          "</dd>";
  html += "<dt>Absence</dt><dd>" + percent(row.absencePercent()) + " (" +
          std::to_string(row.absent) + " sessions)" +
          (row.band == AbsenceBand::Severe       ? ": severe absence (50% or more)"
           : row.band == AbsenceBand::Persistent ? ": persistent absence (10% or more)"
                                                 : "") +
          "</dd>";
  html += "<dt>Last four school weeks</dt><dd><a href=\"" + href + "?day=" + w.recent_from.iso() +
          "#day\">" +
          (row.recent_possible ? percent(row.recentPercent()) : std::string("no marks")) +
          "</a> (" + std::to_string(row.recent_attended) + " of " +
          std::to_string(row.recent_possible) + " from " + e(w.recent_from.iso()) + ")</dd>";
  html += "<dt>Current unauthorised run</dt><dd>" +
          (row.unauthorised_run ? "<a href=\"" + href + "?day=" + row.run_from.iso() + "#day\">" +
                                      std::to_string(row.unauthorised_run) + " sessions since " +
                                      row.run_from.iso() + "</a>"
                                : std::string("none")) +
          "</dd><dt>Illness</dt><dd><a href=\"#register-title\">" + std::to_string(row.illness) +
          " sessions (I)</a></dd></dl>\n";

  // The register as a calendar.
  Date from = w.last >= 0 ? w.year_from : calendar.first();
  Date to = calendar.last();
  if (auto next = Date::fromYmd(from.academicYear() + 1, 8, 31); next && *next < to) to = *next;
  html += "<h2 id=\"register-title\">The register, " + e(from.iso()) + " to " + e(to.iso()) +
          "</h2>\n<p class=\"muted\">Each school day is two halves, morning (left) and afternoon "
          "(right), each with its code. Choose a day to see its marks and the rules that counted "
          "them.</p>\n";
  html += legend();
  html += "<div class=\"heatmap-wrap\">" + heatmap(calendar, pupil, reg, from, to, w.as_of, day) +
          "</div>\n";

  std::vector<std::pair<Date, double>> points;
  int possible = 0, attended = 0;
  for (int i = w.year_first; i <= w.last && w.last >= 0; ++i) {
    Date d = (*w.days)[static_cast<std::size_t>(i)];
    if (!isOnRoll(pupil.on_roll, d)) continue;
    for (Session s : {Session::AM, Session::PM}) {
      Code code = reg.at(d, s);
      if (!code.isPossible()) continue;
      ++possible;
      attended += code.isAttendance();
    }
    if (possible) points.emplace_back(d, 100.0 * attended / possible);
  }
  html += "<h2 id=\"line\">Attendance over the year</h2>\n" + attendanceLine(points);

  // The explanation of a day chosen.
  auto history = store.eventHistory(pupil.upn);
  auto amendments = store.amendments(pupil.upn);
  if (day) {
    html += "<section class=\"day\" aria-labelledby=\"day\"><h2 id=\"day\" tabindex=\"-1\">" +
            e(longDate(*day)) + "</h2>\n";
    DayKind kind = calendar.kindOf(*day);
    html += "<p>" +
            e(kind == DayKind::SchoolDay ? std::string("A school day")
                                         : "Not a school day: " + std::string(toString(kind))) +
            (isOnRoll(pupil.on_roll, *day) ? "" : "; the pupil was not on roll") + ".</p>\n";
    html +=
        "<table><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Mark</th>"
        "<th scope=\"col\">Meaning</th><th scope=\"col\">Counts as</th></tr></thead><tbody>";
    for (Session s : {Session::AM, Session::PM}) {
      Code code = reg.at(*day, s);
      html += "<tr><th scope=\"row\">" + std::string(toString(s)) + "</th><td>" +
              e(code.isNotTaken() ? "-" : code.str()) + "</td><td>" +
              e(code.isNotTaken() ? "no mark (register not taken)" : code.meaning()) + "</td><td>" +
              e(code.isNotTaken()    ? "nothing: a register not taken is never an absence"
                : !code.isPossible() ? "not a possible session: neither attendance nor absence"
                                     : std::string(toString(code.category()))) +
              "</td></tr>";
    }
    html += "</tbody></table>\n";
    for (const auto& a : amendments)
      if (a.date == *day) html += "<p>Amended: " + e(amendmentText(a)) + "</p>\n";
    html += "<h3>The rules on " + e(day->iso()) + "</h3>\n<ul>";
    for (const auto& policy : rules.policies())
      for (const auto& x : policy.explain(pupil, reg, *day)) {
        const Condition* dating = x.dating ? x.dating : x.rule->when.primary();
        std::string line = "<strong>" + e(policy.name() + "." + x.id) +
                           "</strong>: " + (x.holds ? "holds" : "does not hold");
        if (!x.standing.empty()) line += " (" + e(x.standing) + ")";
        if (x.value)
          line += "; measure " + e(measured(dating, *x.value)) +
                  (x.from ? " since " + e(x.from->iso()) : "") + e(threshold(dating));
        if (!x.holds)
          if (auto why = cannotHold(*x.rule, pupil, *day); !why.empty()) line += "; " + e(why);
        for (const auto& ev : x.fired)
          if (ev.from <= *day && *day <= ev.to) {
            line += "<br>this day is counted in its episode of " + e(ev.occurred_on.iso()) +
                    " (grounds " + e(ev.from.iso()) + ".." + e(ev.to.iso()) + ":";
            for (const auto& [code, n] : ev.sessions_by_code)
              line += " " + e(code) + " x" + std::to_string(n);
            line += ")";
          }
        html += "<li>" + line + "</li>";
      }
    html += "</ul></section>\n";
  }

  // The ladder timeline: each stage entered, in order.
  std::map<std::string, std::string> stages;
  for (const auto& policy : rules.policies())
    for (const auto& ladder : policy.ladders())
      for (std::size_t s = 0; s < ladder.stages().size(); ++s)
        stages[ladder.stageRuleId(policy.name(), s)] =
            policy.name() + "." + ladder.id() + ": " + ladder.stages()[s].id;
  html += "<h2 id=\"ladder\">Ladder timeline</h2>\n";
  std::string ladder;
  for (const auto& h : history)
    if (auto s = stages.find(h.event.rule); s != stages.end())
      ladder += "<li><a href=\"" + href + "?day=" + h.event.occurred_on.iso() + "#day\">" +
                e(h.event.occurred_on.iso()) + "</a>: " + e(s->second) + " (" +
                e(stateWord(h.event.state)) + ")</li>";
  html += ladder.empty() ? "<p>No ladder stage entered.</p>\n" : "<ol>" + ladder + "</ol>\n";

  html += "<h2 id=\"events\">Events and deliveries</h2>\n";
  if (history.empty()) {
    html += "<p>No event recorded.</p>\n";
  } else {
    html +=
        "<table><thead><tr><th scope=\"col\">Day</th><th scope=\"col\">Rule</th>"
        "<th scope=\"col\">State</th><th scope=\"col\">Grounds</th><th scope=\"col\">"
        "Recorded and changed</th><th scope=\"col\">Sent</th></tr></thead><tbody>\n";
    for (const auto& h : history) {
      const auto& ev = h.event;
      std::string changed = "recorded " + utcMs(h.created_at);
      if (ev.state == EventState::Withdrawn) changed += "; withdrawn " + utcMs(h.updated_at);
      if (ev.state == EventState::Superseded) changed += "; revised " + utcMs(h.updated_at);
      std::string sent;
      for (const auto& item : h.deliveries) sent += "<p>" + e(deliveryText(item)) + "</p>";
      if (sent.empty())
        sent = ev.state == EventState::Historical ? "never (before notify_from)" : "nowhere";
      html += "<tr><td><a href=\"" + href + "?day=" + ev.occurred_on.iso() + "#day\">" +
              e(ev.occurred_on.iso()) + "</a></td><td>" + e(ruleLabel(rules, ev.rule)) + " (" +
              e(ev.type) + ")</td><td>" + e(stateWord(ev.state)) + "</td><td><a href=\"" + href +
              "?day=" + ev.from.iso() + "#day\">" + e(ev.from.iso()) + "</a>.." + e(ev.to.iso()) +
              (h.summary.empty() ? "" : "<br>" + e(h.summary)) + "</td><td>" + e(changed) +
              "</td><td>" + sent + "</td></tr>\n";
    }
    html += "</tbody></table>\n";
  }

  html += "<h2 id=\"amendments\">Mark amendments</h2>\n";
  if (amendments.empty()) {
    html += "<p>None.</p>\n";
  } else {
    html +=
        "<table><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Old</th>"
        "<th scope=\"col\">New</th><th scope=\"col\">When</th></tr></thead><tbody>\n";
    for (const auto& a : amendments)
      html += "<tr><td><a href=\"" + href + "?day=" + a.date.iso() + "#day\">" + e(a.date.iso()) +
              " " + std::string(toString(a.session)) + "</a></td><td>" + e(a.old_code) + " (" +
              e(a.old_source) + ")</td><td>" + e(a.new_code) + " (" + e(a.new_source) +
              ")</td><td>" + e(utcMs(a.amended_at * 1000)) + "</td></tr>\n";
    html += "</tbody></table>\n";
  }
  return consolePage(frame, html);
}

}  // namespace markbridge
