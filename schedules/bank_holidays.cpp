#include "schedules/bank_holidays.h"

namespace markbridge {
namespace {

// The first `weekday` (1 = Monday) on or after `day`.
Date onOrAfter(Date day, unsigned weekday) {
  return day + static_cast<int32_t>((weekday + 7 - day.weekday()) % 7);
}

Date lastMonday(int year, unsigned month) {
  Date last = *Date::fromYmd(year, month, 31);
  return last - static_cast<int32_t>((last.weekday() + 6) % 7);
}

}  // namespace

Date easterSunday(int year) {
  // The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return *Date::fromYmd(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

std::vector<Date> englandBankHolidays(int year) {
  std::vector<Date> days;
  Date newYear = *Date::fromYmd(year, 1, 1);
  days.push_back(newYear.isWeekend() ? onOrAfter(newYear, 1) : newYear);
  Date easter = easterSunday(year);
  days.push_back(easter - 2);
  days.push_back(easter + 1);
  days.push_back(onOrAfter(*Date::fromYmd(year, 5, 1), 1));
  days.push_back(lastMonday(year, 5));
  days.push_back(lastMonday(year, 8));
  Date christmas = *Date::fromYmd(year, 12, 25), boxing = christmas + 1;
  if (christmas.weekday() == 6) {  // Saturday: Monday and Tuesday
    days.push_back(christmas + 2);
    days.push_back(christmas + 3);
  } else if (christmas.weekday() == 7) {  // Sunday: Boxing Day Monday, Christmas on Tuesday
    days.push_back(boxing);
    days.push_back(boxing + 1);
  } else if (boxing.weekday() == 6) {  // Friday Christmas, Saturday Boxing Day: Monday
    days.push_back(christmas);
    days.push_back(boxing + 2);
  } else {
    days.push_back(christmas);
    days.push_back(boxing);
  }
  return days;
}

}  // namespace markbridge
