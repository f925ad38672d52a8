#pragma once
// The console's pupil pages, for the roles that may see pupils (console_users.h):
//   /console/pupils          Pupils at risk: one row per pupil on roll, filtered, sorted and
//                            paged from a snapshot of their figures (pupil_figures.h)
//   /console/pupils/{UPN}    One pupil's year: a calendar heatmap of the register, the
//                            cumulative attendance line, the ladder timeline, every event with
//                            its deliveries, the mark amendments, the rules now, and with
//                            ?day=YYYY-MM-DD that day's marks and the rules that counted them.
// Server-rendered HTML and SVG: no JavaScript; every figure is a link to the marks behind it.

#include <optional>
#include <string>

#include "core/app/console/console_html.h"
#include "core/app/console/pupil_figures.h"
#include "core/store/store.h"

namespace markbridge {

// The list page. `note` (plain text) is said above the table (e.g. that the figures are being
// brought up to date).
std::string pupilsPage(const PupilSnapshot& snapshot, const PupilQuery& query,
                       const PageFrame& frame, const std::string& note);

// The pupil named by `id`: a UPN, or a masked UPN ("B...5001") naming one pupil.
std::optional<Pupil> findConsolePupil(Store& store, const std::string& id);

// One pupil's page as of `today`; `day` (a date in the calendar) adds its explanation.
std::string pupilPage(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                      const Pupil& pupil, std::optional<Date> day, Date today,
                      const PageFrame& frame);

// The link to a pupil's page (already escaped for an attribute).
std::string pupilHref(const std::string& upn);

}  // namespace markbridge
