#pragma once
// The console's pages, rendered on the server from what the service and its store already know
// (the same figures as /status, `markbridge status` and `markbridge outbox`). A viewer whose role
// may not see pupils (the technician) gets masked UPNs only, and any pupil name or UPN in a
// destination's answer is blanked for them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/app/console/console_html.h"
#include "core/app/console/console_users.h"
#include "core/app/service_health.h"
#include "core/domain/pupil.h"
#include "core/outbox/outbox_item.h"

namespace markbridge {

class Service;
class Store;
struct ServiceFigures;

struct ConsoleViewer {
  std::string user;
  ConsoleRole role = ConsoleRole::ReadOnly;
  std::string csrf;
  // The school looked at (its URN; the service's calls take it), and for a trust's console every
  // school served (for the switcher; then every link keeps `school=URN`). `schools` is empty for
  // a single school's console.
  std::string school = {};
  std::vector<ServedSchool> schools = {};
};

// The frame of a page for `viewer`: their name, role and token, the school's name, and for a
// trust's console the school kept on every link and the switcher.
PageFrame pageFrame(const ConsoleViewer& viewer, const std::string& title,
                    const std::string& schoolName, const std::string& current);

// A problem of /health as the viewer may read it: for a role that may not see pupils, a
// destination's answer quoted in it (a paused sink's) is replaced by its HTTP status.
std::string concernText(const HealthConcern& concern, const ServiceFigures& figures, bool pupils);

// /console/: health, sources, registers not taken today, sinks, syncs.
std::string overviewPage(Service& service, Store& store, const ConsoleViewer& viewer,
                         int64_t nowMs);

struct OutboxFilter {
  std::optional<OutboxState> state;
  std::string sink;  // empty: every sink
};
// /console/outbox: per sink and state, item by item, with retry and discard forms for a role
// that may change things. `notice` is shown above (already plain text, escaped here).
std::string outboxPage(Service& service, Store& store, const ConsoleViewer& viewer,
                       const OutboxFilter& filter, const std::string& notice, int64_t nowMs);

// For a viewer who may not see pupils, instead of a destination's answer or a failure quoting it
// (which may name any pupil, in capitals or \u-escaped): its HTTP status only ("HTTP 422", or
// "no HTTP answer"), and who can read the answer.
inline constexpr std::string_view kAskForTheAnswer =
    "ask the attendance officer or DSL to read the answer";
std::string outcomeOnly(const std::string& text);

// The login page; `problem` (plain text) above the form when a login failed. `urn`: a trust's
// school asked for, kept by the form (so the login leads back to it); empty for one school.
std::string loginPage(const std::string& school, const std::string& csrf,
                      const std::string& problem, const std::string& name,
                      const std::string& urn = "");
// A short page saying `message` (plain text), e.g. for 403 and 404.
std::string messagePage(const std::string& school, const std::string& title,
                        const std::string& message, const ConsoleViewer* viewer);

}  // namespace markbridge
