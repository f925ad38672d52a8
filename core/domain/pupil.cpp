#include "core/domain/pupil.h"

#include <charconv>

namespace markbridge {
namespace {

Date compulsoryStart(Date dob) {
  int fifthYear = dob.year() + 5;
  Date fifth =
      Date::fromYmd(fifthYear, dob.month(), dob.month() == 2 && dob.day() == 29 ? 28 : dob.day())
          .value();
  for (int y = fifthYear; y <= fifthYear + 1; ++y) {
    for (auto [m, d] : {std::pair{3u, 31u}, std::pair{8u, 31u}, std::pair{12u, 31u}}) {
      Date prescribed = Date::fromYmd(y, m, d).value();
      if (prescribed >= fifth) return prescribed;
    }
  }
  return fifth;
}

Date compulsoryEnd(Date dob) {
  // The school year in which the pupil turns 16 ends in the summer of academicYear+1.
  Date sixteenth = Date::fromYmd(dob.year() + 16, dob.month(),
                                 dob.month() == 2 && dob.day() == 29 ? 28 : dob.day())
                       .value();
  int summerYear = sixteenth.academicYear() + 1;
  Date lastFriday = Date::fromYmd(summerYear, 6, 30).value();
  while (lastFriday.weekday() != 5) lastFriday = lastFriday - 1;
  return lastFriday;
}

}  // namespace

std::pair<Date, Date> compulsorySchoolAgeDays(const Pupil& pupil) {
  if (pupil.dob) return {compulsoryStart(*pupil.dob), compulsoryEnd(*pupil.dob)};
  int year = 0;
  const auto& y = pupil.year_group;
  auto [ptr, ec] = std::from_chars(y.data(), y.data() + y.size(), year);
  // Neither a date of birth nor a year group: taken as of compulsory school age, so a statutory
  // duty is never missed because an export left the columns out.
  bool school =
      y.empty() || (ec == std::errc() && ptr == y.data() + y.size() && year >= 1 && year <= 11);
  if (!school) return {Date::fromDays(1), Date::fromDays(0)};    // never
  return {Date::fromDays(-(1 << 30)), Date::fromDays(1 << 30)};  // always
}

bool isOfCompulsorySchoolAge(const Pupil& pupil, Date day) {
  auto [first, last] = compulsorySchoolAgeDays(pupil);
  return day >= first && day <= last;
}

}  // namespace markbridge
