#include "core/app/console/console_html.h"

#include <Poco/URI.h>

#include "core/domain/utf8.h"

namespace markbridge {

std::string escapeHtml(std::string_view text) {
  std::string valid(text);
  repairUtf8(valid);
  std::string out;
  out.reserve(valid.size() + 16);
  for (char c : valid) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        if (c == 0x7f) break;
        out += c;
    }
  }
  return out;
}

std::string escapeQueryValue(const std::string& value) {
  std::string encoded;
  Poco::URI::encode(value, "&=+?#/;%", encoded);
  return escapeHtml(encoded);
}

std::string_view consoleCss() {
  // Colours: text #0b0c0c on #ffffff (19.8:1), links #1d4f91 (8.6:1), muted #4a4f54 (8.2:1),
  // buttons white on #00703c (5.9:1) and on #a1141c (7.6:1); the focus is a 3 px #0b0c0c outline
  // around a #ffdd00 background (GOV.UK's), visible on every control.
  static const std::string_view css = R"CSS(
*{box-sizing:border-box}
html{font-family:system-ui,"Segoe UI",Arial,sans-serif;font-size:100%;color:#0b0c0c;background:#fff}
body{margin:0;line-height:1.45}
a{color:#1d4f91}
a:visited{color:#4c2c92}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #0b0c0c;outline-offset:0;background:#ffdd00;color:#0b0c0c;box-shadow:0 0 0 3px #ffdd00}
.skip{position:absolute;left:-9999px}
.skip:focus{left:1rem;top:1rem;padding:.5rem;z-index:1}
header{background:#0b0c0c;color:#fff;padding:.75rem 1.5rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
header a{color:#fff}
header a:visited{color:#fff}
header a:focus,header a:visited:focus{color:#0b0c0c}
.brand{font-weight:700;margin:0}
nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1.25rem}
nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
.who{display:flex;gap:.75rem;align-items:center;margin:0}
main{padding:1rem 1.5rem 3rem;max-width:80rem}
h1{font-size:1.75rem;margin:.5rem 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:700;padding:.25rem 0}
th,td{border-bottom:1px solid #b1b4b6;padding:.4rem .6rem .4rem 0;text-align:left;vertical-align:top}
th{font-weight:700}
td.n,th.n{text-align:right}
.muted{color:#4a4f54}
.state{display:inline-block;padding:0 .4rem;border:2px solid currentColor;font-weight:700;font-size:.9rem}
.state-ok,.state-delivered{color:#005a30}
.state-dead,.state-paused{color:#a1141c}
.state-pending,.state-retrying{color:#6f3c00}
.state-discarded{color:#4a4f54}
.notice{border-left:5px solid #1d4f91;padding:.5rem 1rem;margin:1rem 0;background:#f3f2f1}
.problem{border-left:5px solid #a1141c;padding:.5rem 1rem;margin:1rem 0;background:#f3f2f1}
button{font:inherit;font-weight:700;color:#fff;background:#00703c;border:2px solid transparent;padding:.35rem .8rem;cursor:pointer}
button.danger{background:#a1141c}
header button{background:#fff;color:#0b0c0c}
.switcher{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0}
.switcher label{margin:0;color:#fff}
form.inline{display:inline}
label{display:block;font-weight:700;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{font:inherit;padding:.35rem;border:2px solid #0b0c0c;width:100%;max-width:22rem}
.login{max-width:26rem}
.login button{margin-top:1rem}
details{margin:.25rem 0}
pre{white-space:pre-wrap;word-break:break-word;background:#f3f2f1;padding:.5rem;margin:.25rem 0}
.filters{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0}
footer{padding:1rem 1.5rem;border-top:1px solid #b1b4b6;color:#4a4f54}
td p{margin:0 0 .25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.5rem}
dt{font-weight:700}
dd{margin:0}
.filters a[aria-current]{font-weight:700;text-decoration-thickness:3px}
.problem h2{margin-top:.25rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.filters-form{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:flex-end;margin:1rem 0}
.filters-form label{margin:0 0 .25rem}
input[type=date]{font:inherit;padding:.3rem;border:2px solid #0b0c0c;background:#fff;color:#0b0c0c}
.side{display:flex;flex-wrap:wrap;gap:1rem 2.5rem;align-items:flex-start}
.key{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
figure{margin:1rem 0}
select{font:inherit;padding:.3rem;border:2px solid #0b0c0c;background:#fff;color:#0b0c0c}
fieldset{border:0;padding:0;margin:0}
legend{font-weight:700;margin-bottom:.25rem}
.check{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem}
.check label{display:inline;margin:0}
input[type=checkbox]{width:1.25rem;height:1.25rem;accent-color:#0b0c0c}
input[type=checkbox]:focus{outline:3px solid #0b0c0c;box-shadow:0 0 0 6px #ffdd00}
th a{color:#1d4f91}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:.5rem 0 1rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.heatmap-wrap{overflow-x:auto}
svg a:focus{outline:3px solid #0b0c0c}
svg a:focus rect{stroke:#0b0c0c;stroke-width:3}
.facts{margin:.5rem 0 1rem}
.day{border-left:5px solid #1d4f91;padding:.25rem 1rem;margin:1rem 0;background:#f3f2f1}
.day h2{margin-top:.5rem}
@media print{header,footer,.skip,.no-print{display:none}main{padding:0;max-width:none}a{color:#0b0c0c;text-decoration:none}}
)CSS";
  return css;
}

std::string withSchool(const std::string& path, const std::string& urn) {
  if (urn.empty()) return path;
  auto hash = path.find('#');
  std::string base = path.substr(0, hash);
  std::string rest = hash == std::string::npos ? "" : path.substr(hash);
  return base + (base.find('?') == std::string::npos ? "?" : "&") +
         "school=" + escapeQueryValue(urn) + rest;
}

std::string keepSchool(const std::string& html, const std::string& urn) {
  if (urn.empty()) return html;
  std::string out;
  out.reserve(html.size() + html.size() / 16);
  std::string hidden = "<input type=\"hidden\" name=\"school\" value=\"" + escapeHtml(urn) + "\">";
  std::string param = "school=" + escapeQueryValue(urn);
  std::size_t copied = 0;
  std::string pendingHidden;  // for a GET form: after its opening tag
  for (std::size_t at = 0; at < html.size();) {
    auto href = html.find("href=\"/console/", at);
    auto action = html.find("action=\"/console/", at);
    auto found = std::min(href, action);
    if (found == std::string::npos) break;
    bool isAction = found == action;
    auto start = html.find('"', found) + 1;
    auto end = html.find('"', start);
    if (end == std::string::npos) break;
    std::string url = html.substr(start, end - start);
    at = end + 1;
    // The style sheet, and a link to a school named already (the trust view's rows).
    if (url.rfind("/console/style.css", 0) == 0 || url.find("school=") != std::string::npos)
      continue;
    auto hash = url.find('#');
    std::string base = url.substr(0, hash);
    std::string fragment = hash == std::string::npos ? "" : url.substr(hash);
    out += html.substr(copied, start - copied);
    out += base + (base.find('?') == std::string::npos ? "?" : "&amp;") + param + fragment;
    copied = end;
    if (!isAction) continue;
    auto tagStart = html.rfind('<', found);
    auto tagEnd = html.find('>', end);
    if (tagStart == std::string::npos || tagEnd == std::string::npos) continue;
    auto tag = html.substr(tagStart, tagEnd - tagStart);
    if (tag.rfind("<form", 0) != 0 || tag.find("method=\"get\"") == std::string::npos) continue;
    out += html.substr(copied, tagEnd + 1 - copied) + hidden;
    copied = tagEnd + 1;
    at = copied;
  }
  out += html.substr(copied);
  return out;
}

namespace {

// The switcher's form: a plain GET form (no JavaScript) to the same section of the chosen school.
std::string schoolSwitcher(const PageFrame& f) {
  std::string section = f.current == "outbox" || f.current == "pupils" || f.current == "report" ||
                                f.current == "backtest"
                            ? "/console/" + f.current
                            : "/console/";
  std::string html = "<form class=\"switcher\" method=\"get\" action=\"" + section +
                     "\"><label for=\"school-switcher\">School</label>"
                     "<select id=\"school-switcher\" name=\"school\">";
  for (const auto& s : f.schools)
    html += "<option value=\"" + escapeHtml(s.urn) + "\"" + (s.urn == f.urn ? " selected" : "") +
            ">" + escapeHtml(s.name) + " (" + escapeHtml(s.urn) + ")</option>";
  return html + "</select><button type=\"submit\">Show this school</button></form>\n";
}

}  // namespace

std::string consolePage(const PageFrame& f, const std::string& mainHtml) {
  std::string html =
      "<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      escapeHtml(f.title) +
      " - Markbridge</title>\n"
      "<link rel=\"stylesheet\" href=\"/console/style.css\">\n</head>\n<body>\n"
      "<a class=\"skip\" href=\"#main\">Skip to the main content</a>\n<header>\n"
      "<p class=\"brand\">Markbridge" +
      (f.school.empty() ? "" : " &middot; " + escapeHtml(f.school)) +
      (f.urn.empty() || f.school.empty() ? "" : " (" + escapeHtml(f.urn) + ")") + "</p>\n";
  std::string links;
  if (!f.user.empty()) {
    auto entry = [&](const char* id, const char* href, const char* label) {
      return std::string("<li><a href=\"") + href + "\"" +
             (f.current == id ? " aria-current=\"page\"" : "") + ">" + label + "</a></li>";
    };
    links += "<nav aria-label=\"Console pages\"><ul>" + entry("overview", "/console/", "Overview") +
             entry("outbox", "/console/outbox", "Outbox") +
             (f.pupils ? entry("pupils", "/console/pupils", "Pupils at risk") +
                             entry("report", "/console/report", "Weekly report") +
                             entry("backtest", "/console/backtest", "Backtest")
                       : "") +
             (f.schools.empty() ? "" : entry("schools", "/console/schools", "All schools")) +
             "</ul></nav>\n";
    links += "<form class=\"who\" method=\"post\" action=\"/console/logout\"><span>" +
             escapeHtml(f.user) + " (" + escapeHtml(f.role) +
             ")</span><input type=\"hidden\" name=\"csrf\" value=\"" + escapeHtml(f.csrf) +
             "\"><button type=\"submit\">Log out</button></form>\n";
  }
  // The switcher beside the school's name, before the pages of that school.
  if (!f.user.empty() && !f.schools.empty()) html += schoolSwitcher(f);
  html += keepSchool(links, f.urn);
  html += "</header>\n<main id=\"main\">\n<h1>" + escapeHtml(f.title) + "</h1>\n" +
          keepSchool(mainHtml, f.urn) +
          "</main>\n<footer><p>Markbridge attendance gateway console. Every action here is "
          "recorded in the audit log.</p></footer>\n</body>\n</html>\n";
  return html;
}

}  // namespace markbridge
