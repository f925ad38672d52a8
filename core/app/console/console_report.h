#pragma once
// The console's weekly report (/console/report, and /console/report.csv): for the whole school,
// each year group and the pupil groups (SEN or EHCP, FSM, CP or CLA), attendance this year,
// pupils persistently absent now and at the end of last week, severely absent, this week's new
// episodes and notifications delivered. From the pupils-at-risk figures (pupil_figures.h): no
// pupil is named. Printable (the page's print style leaves the navigation out).

#include <string>
#include <vector>

#include "core/app/console/console_html.h"
#include "core/app/console/pupil_figures.h"

namespace markbridge {

struct ReportGroup {
  std::string name;  // "Whole school", "Year 7", "SEN or EHCP", ...
  int pupils = 0;
  int possible = 0, attended = 0;
  int pa = 0, pa_before = 0;  // persistent or severe, now and at the end of last week
  int sa = 0;
  int episodes = 0, notifications = 0;  // this week
};
std::vector<ReportGroup> weeklyReport(const PupilSnapshot& snapshot);

std::string reportPage(const PupilSnapshot& snapshot, const PageFrame& frame,
                       const std::string& note);
// The same as CSV (RFC 4180, a header line first).
std::string reportCsv(const PupilSnapshot& snapshot);

}  // namespace markbridge
