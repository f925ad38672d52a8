#include "core/rules/register.h"

namespace markbridge {

PupilRegister::PupilRegister(const SchoolCalendar& calendar, const std::vector<Mark>& marks)
    : calendar_(calendar),
      codes_(static_cast<std::size_t>(calendar.last() - calendar.first() + 1) * 2) {
  for (const auto& mark : marks) {
    if (!calendar_.covers(mark.date)) continue;
    codes_[static_cast<std::size_t>(mark.date - calendar_.first()) * 2 +
           static_cast<std::size_t>(mark.session)] = mark.code;
  }
}

Code PupilRegister::at(Date day, Session session) const {
  if (!calendar_.covers(day)) return Code::notTaken();
  return codes_[static_cast<std::size_t>(day - calendar_.first()) * 2 +
                static_cast<std::size_t>(session)];
}

double SessionTally::attendancePercent() const {
  if (possible == 0) return 100.0;
  return 100.0 * (present + attending) / possible;
}

SessionTally tally(const PupilRegister& reg, Date from, Date to) {
  SessionTally t;
  for (Date day : reg.calendar().schoolDays(from, to)) {
    for (Session s : {Session::AM, Session::PM}) {
      Code code = reg.at(day, s);
      if (code.isNotTaken()) {
        ++t.not_taken;
        continue;
      }
      ++t.by_code[std::string(code.str())];
      if (!code.isPossible()) continue;
      ++t.possible;
      switch (code.category()) {
        case Category::Present:
          ++t.present;
          break;
        case Category::Attending:
          ++t.attending;
          break;
        case Category::Authorised:
          ++t.authorised;
          break;
        case Category::Unauthorised:
          ++t.unauthorised;
          break;
        default:
          break;
      }
    }
  }
  return t;
}

}  // namespace markbridge
