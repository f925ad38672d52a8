#include "schedules/london_time.h"

namespace markbridge::london {
namespace {

constexpr int64_t kDay = 86400;

Date lastSunday(int year, unsigned month) {
  Date last = *Date::fromYmd(year, month, month == 3 || month == 10 ? 31 : 30);
  return last - static_cast<int32_t>(last.weekday() % 7);  // weekday 7 = Sunday -> 0
}

// BST runs over [start, end) in UTC seconds for the year.
bool summer(int64_t utc) {
  Date day = Date::fromDays(static_cast<int32_t>(utc >= 0 ? utc / kDay : (utc - kDay + 1) / kDay));
  int year = day.year();
  int64_t start = static_cast<int64_t>(lastSunday(year, 3).days()) * kDay + 3600;
  int64_t end = static_cast<int64_t>(lastSunday(year, 10).days()) * kDay + 3600;
  return utc >= start && utc < end;
}

}  // namespace

int64_t offsetSeconds(int64_t utcSeconds) {
  return summer(utcSeconds) ? 3600 : 0;
}

int64_t toUtc(Date day, int minutes) {
  int64_t wall = static_cast<int64_t>(day.days()) * kDay + int64_t{minutes} * 60;
  // Taking it as BST first finds the first of two in the autumn repeat.
  if (summer(wall - 3600)) return wall - 3600;
  if (!summer(wall)) return wall;
  return wall;  // the spring gap: the wall time as GMT is already an hour later in BST
}

Date localDate(int64_t utcSeconds) {
  int64_t wall = utcSeconds + offsetSeconds(utcSeconds);
  return Date::fromDays(static_cast<int32_t>(wall >= 0 ? wall / kDay : (wall - kDay + 1) / kDay));
}

int localMinutes(int64_t utcSeconds) {
  int64_t wall = utcSeconds + offsetSeconds(utcSeconds);
  int64_t inDay = ((wall % kDay) + kDay) % kDay;
  return static_cast<int>(inDay / 60);
}

}  // namespace markbridge::london
