#include "core/domain/date.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>

namespace markbridge {
namespace {

using namespace std::chrono;

year_month_day ymd(int32_t days) {
  return year_month_day{sys_days{std::chrono::days{days}}};
}

bool parseNumber(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Date> Date::fromYmd(int y, unsigned m, unsigned d) {
  year_month_day date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!date.ok() || y < 1900 || y > 2200) return std::nullopt;
  return Date(static_cast<int32_t>(sys_days{date}.time_since_epoch().count()));
}

std::optional<Date> Date::parseIso(std::string_view text) {
  text = trim(text);
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (!parseNumber(text.substr(0, 4), y) || !parseNumber(text.substr(5, 2), m) ||
      !parseNumber(text.substr(8, 2), d))
    return std::nullopt;
  return fromYmd(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<Date> Date::parseUk(std::string_view text) {
  text = trim(text);
  auto first = text.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = text.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto dayPart = text.substr(0, first);
  auto monthPart = text.substr(first + 1, second - first - 1);
  auto yearPart = text.substr(second + 1);
  if (dayPart.size() > 2 || monthPart.size() > 2 || yearPart.size() != 4) return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (!parseNumber(dayPart, d) || !parseNumber(monthPart, m) || !parseNumber(yearPart, y))
    return std::nullopt;
  return fromYmd(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<Date> Date::parse(std::string_view text) {
  if (auto iso = parseIso(text)) return iso;
  return parseUk(text);
}

int Date::year() const {
  return static_cast<int>(ymd(days_).year());
}
unsigned Date::month() const {
  return static_cast<unsigned>(ymd(days_).month());
}
unsigned Date::day() const {
  return static_cast<unsigned>(ymd(days_).day());
}

unsigned Date::weekday() const {
  return std::chrono::weekday{sys_days{std::chrono::days{days_}}}.iso_encoding();
}

std::string Date::iso() const {
  auto date = ymd(days_);
  int y = static_cast<int>(date.year());
  auto m = static_cast<unsigned>(date.month()), d = static_cast<unsigned>(date.day());
  if (y < 0 || y > 9999) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", y, m, d);
    return buffer;
  }
  // Written by hand: the store formats one per mark and snprintf shows in its profile.
  std::string text = "0000-00-00";
  text[0] = static_cast<char>('0' + y / 1000);
  text[1] = static_cast<char>('0' + y / 100 % 10);
  text[2] = static_cast<char>('0' + y / 10 % 10);
  text[3] = static_cast<char>('0' + y % 10);
  text[5] = static_cast<char>('0' + m / 10);
  text[6] = static_cast<char>('0' + m % 10);
  text[8] = static_cast<char>('0' + d / 10);
  text[9] = static_cast<char>('0' + d % 10);
  return text;
}

std::string_view toString(Session s) {
  return s == Session::AM ? "AM" : "PM";
}

std::optional<Session> parseSession(std::string_view text) {
  if (text == "AM") return Session::AM;  // what nearly every export writes
  if (text == "PM") return Session::PM;
  std::string key;
  for (char c : trim(text)) {
    if (c == '.' || c == ' ') continue;
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (key == "am" || key == "morning" || key == "a") return Session::AM;
  if (key == "pm" || key == "afternoon" || key == "p") return Session::PM;
  return std::nullopt;
}

}  // namespace markbridge
