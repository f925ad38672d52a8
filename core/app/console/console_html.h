#pragma once
// The console's HTML: one escape function every value written into a page goes through, the
// page frame (lang, landmarks, skip link, navigation, logout form) and the one style sheet,
// embedded in the binary (no CDN, no build step). Pages are readable without JavaScript and
// meet WCAG 2.1 AA: contrast of 4.5:1 or more, a visible keyboard focus, labelled controls.

#include <string>
#include <string_view>
#include <vector>

namespace markbridge {

// Text for HTML element content or a double-quoted attribute value: & < > " ' escaped, control
// characters other than tab and newline dropped, invalid UTF-8 replaced with U+FFFD.
std::string escapeHtml(std::string_view text);

// A value for a link's query (or path segment): percent-encoded, then escaped for an attribute.
std::string escapeQueryValue(const std::string& value);

// The style sheet served at /console/style.css.
std::string_view consoleCss();

// A school a trust's console serves, for the school switcher.
struct ServedSchool {
  std::string urn, name;
};

struct PageFrame {
  std::string title;       // the page's own title ("Outbox")
  std::string school;      // the school's name, in the banner
  std::string current;     // the navigation entry of this page: "overview", "outbox" or "pupils"
  std::string user, role;  // empty on the login page (no navigation, no logout)
  std::string csrf;        // for the logout form
  bool pupils = false;     // the role may see pupils: the pupil pages are in the navigation
  // A trust's console: the URN of the school shown, which every console link and form of the
  // page keeps (`school=URN`), and the schools served, for the switcher in the header (with the
  // user logged in). Both empty for a single school's console: its pages are as they always were.
  std::string urn = {};
  std::vector<ServedSchool> schools = {};
};

// A whole page around `mainHtml` (already HTML: built with escapeHtml).
std::string consolePage(const PageFrame& frame, const std::string& mainHtml);

// `html` with `school=URN` kept on every console link and form in it (href="/console/..." and
// action="/console/...", before any #fragment; a GET form also gets it as a hidden field, since
// a browser drops the action's query); the style sheet's link is left alone. An empty `urn`
// leaves `html` as it is.
std::string keepSchool(const std::string& html, const std::string& urn);
// A console address (a redirect's) with `school=URN` added; as it is for an empty `urn`.
std::string withSchool(const std::string& path, const std::string& urn);

}  // namespace markbridge
