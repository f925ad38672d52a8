#include "core/rules/register.h"

#include <algorithm>
#include <array>

#include "core/domain/digest.h"

namespace markbridge {

PupilRegister::PupilRegister(const SchoolCalendar& calendar)
    : calendar_(calendar),
      codes_(static_cast<std::size_t>(calendar.last() - calendar.first() + 1) * 2) {}

PupilRegister::PupilRegister(const SchoolCalendar& calendar, const std::vector<Mark>& marks)
    : PupilRegister(calendar) {
  for (const auto& mark : marks) set(mark.date, mark.session, mark.code);
}

uint64_t PupilRegister::digestThrough(Date day) const {
  static_assert(sizeof(Code) == 1);
  auto days =
      std::clamp<int64_t>(day - calendar_.first() + 1, 0, static_cast<int64_t>(codes_.size() / 2));
  return hash64(std::string_view(reinterpret_cast<const char*>(codes_.data()),
                                 static_cast<std::size_t>(days) * 2));
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

SessionTally tally(const PupilRegister& reg, Date from, Date to,
                   const std::vector<OnRollPeriod>& onRoll) {
  SessionTally t;
  // Counted by code index first: a map keyed by text for every session showed in profiles.
  std::array<int, 64> byIndex{};
  const auto& calendar = reg.calendar();
  for (Date day = std::max(from, calendar.first()); day <= to && day <= calendar.last();
       day = day + 1) {
    if (!calendar.isSchoolDay(day) || !isOnRoll(onRoll, day)) continue;
    for (Session s : {Session::AM, Session::PM}) {
      Code code = reg.at(day, s);
      if (code.isNotTaken()) {
        ++t.not_taken;
        continue;
      }
      ++byIndex[code.index()];
    }
  }
  for (std::size_t i = 0; i < byIndex.size(); ++i) {
    if (byIndex[i] == 0) continue;
    Code code = *Code::fromIndex(static_cast<uint8_t>(i));
    int n = byIndex[i];
    t.by_code[std::string(code.str())] = n;
    if (!code.isPossible()) continue;
    t.possible += n;
    switch (code.category()) {
      case Category::Present:
        t.present += n;
        break;
      case Category::Attending:
        t.attending += n;
        break;
      case Category::Authorised:
        t.authorised += n;
        break;
      case Category::Unauthorised:
        t.unauthorised += n;
        break;
      default:
        break;
    }
  }
  return t;
}

}  // namespace markbridge
