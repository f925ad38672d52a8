#pragma once
// The console's trust-wide view (/console/schools, served only when the service serves a trust's
// schools): one row per school, its name and URN, health and problems, last and next sync, its
// outbox per sink (pending, dead letters), pupils on roll and, for a role that may see pupils'
// figures, its persistent absentees. Each row links to the school's overview.
//
// The persistent absentees come from the same pupil figures as the Pupils at risk page. Working
// them out reads a school's whole register (about 4 s for 150,000 pupils), so this page never
// does it for every school: it shows the figures already worked out (when a school's Pupils at
// risk or weekly report was last opened) with their time, and "not worked out yet" otherwise.
// Everything else on it is cheap: the service's own figures and a few counts from each store.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/app/console/console_pages.h"

namespace markbridge {

class Service;

// A school's persistent absentees (PA, severe included) as its pupil figures last said.
struct SchoolAbsentees {
  int persistent = 0;
  int64_t built_at_ms = 0;
};

// `absentees` by URN: the schools whose figures have been worked out.
std::string schoolsPage(Service& service, const ConsoleViewer& viewer,
                        const std::map<std::string, SchoolAbsentees>& absentees, int64_t nowMs);

// The 404 page for a `school=` the service does not serve: it names the schools served (each a
// link to its overview) and nothing else (no school's figures, no navigation).
std::string unknownSchoolPage(const std::string& asked, const std::vector<ServedSchool>& schools);

}  // namespace markbridge
