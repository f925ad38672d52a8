#pragma once
// One pupil's register laid over the school calendar: the code of every session, and tallies
// of sessions by category over a period (school days only).

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/domain/mark.h"
#include "core/domain/on_roll.h"
#include "schedules/school_calendar.h"

namespace markbridge {

class PupilRegister {
 public:
  PupilRegister(const SchoolCalendar& calendar, const std::vector<Mark>& marks);
  // Empty; filled with set().
  explicit PupilRegister(const SchoolCalendar& calendar);
  void set(Date day, Session session, Code code) {
    if (calendar_.covers(day))
      codes_[static_cast<std::size_t>(day - calendar_.first()) * 2 +
             static_cast<std::size_t>(session)] = code;
  }
  void clear() { std::fill(codes_.begin(), codes_.end(), Code::notTaken()); }
  // "Not taken" when there is no mark, or the day is outside the calendar.
  Code at(Date day, Session session) const;
  const SchoolCalendar& calendar() const { return calendar_; }
  // A digest of every session from the calendar's first day to `day`: equal digests, equal
  // registers up to that day.
  uint64_t digestThrough(Date day) const;

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

// Sessions on school days in [from, to]. With `onRoll` (the pupil's admission-register periods),
// only days on roll count: a day off roll is neither possible nor "not taken".
SessionTally tally(const PupilRegister& reg, Date from, Date to,
                   const std::vector<OnRollPeriod>& onRoll = {});

}  // namespace markbridge
