#pragma once
// One pupil's register laid over the school calendar: the code of every session, and tallies
// of sessions by category over a period (school days only).

#include <map>
#include <string>
#include <vector>

#include "core/domain/mark.h"
#include "schedules/school_calendar.h"

namespace markbridge {

class PupilRegister {
 public:
  PupilRegister(const SchoolCalendar& calendar, const std::vector<Mark>& marks);
  // "Not taken" when there is no mark, or the day is outside the calendar.
  Code at(Date day, Session session) const;
  const SchoolCalendar& calendar() const { return calendar_; }

 private:
  const SchoolCalendar& calendar_;
  std::vector<Code> codes_;  // two per calendar day from calendar.first()
};

struct SessionTally {
  int possible = 0;
  int present = 0;
  int attending = 0;  // approved educational activity
  int authorised = 0;
  int unauthorised = 0;
  int not_taken = 0;
  std::map<std::string, int> by_code;  // every code seen, including not-counted ones
  // (present + attending) / possible, as a percentage; 100 when nothing was possible.
  double attendancePercent() const;
};

SessionTally tally(const PupilRegister& reg, Date from, Date to);

}  // namespace markbridge
