#pragma once
// Attendance totals a return reports for one pupil over one period (the School Census carries
// totals, not marks): used to reconcile the stored register, never to invent marks.

#include <map>
#include <optional>
#include <string>

#include "core/domain/date.h"

namespace markbridge {

struct AttendanceTotals {
  std::string upn;
  std::string period;            // "termly", "annual" or "summer_half_term_2"
  std::optional<Date> from, to;  // the dates the period covers, when configured
  int possible = 0;
  int authorised = 0;
  int unauthorised = 0;
  std::map<std::string, int> by_reason;  // absence code -> sessions (SessionDetails)
  std::string source;
};

}  // namespace markbridge
