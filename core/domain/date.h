#pragma once
// A civil calendar date (no time zone): the unit of the school register.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace markbridge {

class Date {
 public:
  constexpr Date() = default;
  static Date fromDays(int32_t daysSinceEpoch) { return Date(daysSinceEpoch); }
  static std::optional<Date> fromYmd(int year, unsigned month, unsigned day);
  // ISO 8601 `yyyy-mm-dd`.
  static std::optional<Date> parseIso(std::string_view text);
  // UK `dd/mm/yyyy` (never US order). Single-digit day or month accepted.
  static std::optional<Date> parseUk(std::string_view text);
  // Either of the two forms above.
  static std::optional<Date> parse(std::string_view text);

  int32_t days() const { return days_; }
  int year() const;
  unsigned month() const;
  unsigned day() const;
  // 1 = Monday ... 7 = Sunday (ISO).
  unsigned weekday() const;
  bool isWeekend() const { return weekday() >= 6; }
  Date monday() const { return Date(days_ - static_cast<int32_t>(weekday() - 1)); }
  // The academic year runs 1 September to 31 August; returns the calendar year it starts in.
  int academicYear() const { return month() >= 9 ? year() : year() - 1; }
  std::string iso() const;

  Date operator+(int32_t n) const { return Date(days_ + n); }
  Date operator-(int32_t n) const { return Date(days_ - n); }
  int32_t operator-(Date other) const { return days_ - other.days_; }
  auto operator<=>(const Date&) const = default;

 private:
  explicit constexpr Date(int32_t days) : days_(days) {}
  int32_t days_ = 0;
};

enum class Session : uint8_t { AM = 0, PM = 1 };
std::string_view toString(Session s);
// AM/PM, am/pm, a.m./p.m., Morning/Afternoon (any case).
std::optional<Session> parseSession(std::string_view text);

}  // namespace markbridge
