#include "schedules/school_calendar.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/domain/config_schema.h"
#include "core/domain/json_file.h"
#include "core/domain/problem.h"
#include "schedules/bank_holidays.h"

namespace markbridge {
namespace {

constexpr Field kCalendarFields[] = {
    {"name", FieldType::String, "\"\"", false, "the school and year this calendar is for"},
    {"terms", FieldType::Array, "", true, "terms: [{name, start, end}] with ISO dates"},
    {"holidays", FieldType::Array, "[]", false,
     "holidays inside terms, e.g. half terms: [{name, start, end}]"},
    {"inset_days", FieldType::Array, "[]", false, "INSET (training) days: [\"yyyy-mm-dd\"]"},
    {"bank_holidays", FieldType::Array, "[]", false,
     "bank holidays beyond the rules (one-off days such as a coronation): [\"yyyy-mm-dd\"]"},
    {"england_bank_holidays", FieldType::Boolean, "true", false,
     "mark the bank holidays of England and Wales that follow rules (New Year, Easter, May, "
     "August, Christmas, with substitute days)"},
    {"closures", FieldType::Array, "[]", false, "planned or emergency closures: [{date, reason}]"},
};
constexpr Field kRangeFields[] = {
    {"name", FieldType::String, "\"\"", false, "label"},
    {"start", FieldType::String, "", true, "first day, yyyy-mm-dd"},
    {"end", FieldType::String, "", true, "last day, yyyy-mm-dd"},
};
constexpr Field kClosureFields[] = {
    {"date", FieldType::String, "", true, "the day, yyyy-mm-dd"},
    {"reason", FieldType::String, "\"\"", false, "why"},
};

struct Range {
  Date start, end;
};

std::optional<Date> readDate(const nlohmann::json& value, const std::string& path,
                             const ConfigContext& context) {
  if (!value.is_string()) {
    context.add(path, "must be a date string yyyy-mm-dd", value.dump());
    return std::nullopt;
  }
  auto date = Date::parseIso(value.get<std::string>());
  if (!date) context.add(path, "is not a valid date yyyy-mm-dd", value.get<std::string>());
  return date;
}

std::vector<Range> readRanges(const nlohmann::json& array, const std::string& path,
                              const ConfigContext& context) {
  std::vector<Range> ranges;
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string itemPath = path + "[" + std::to_string(i) + "]";
    auto item = applySchema(array[i], kRangeFields, itemPath, context);
    if (!item.contains("start") || !item.contains("end")) continue;
    auto start = readDate(item["start"], itemPath + ".start", context);
    auto end = readDate(item["end"], itemPath + ".end", context);
    if (!start || !end) continue;
    if (*end < *start) {
      context.add(itemPath, "ends before it starts", start->iso() + ".." + end->iso());
      continue;
    }
    ranges.push_back({*start, *end});
  }
  return ranges;
}

}  // namespace

std::string_view toString(DayKind kind) {
  switch (kind) {
    case DayKind::SchoolDay:
      return "school day";
    case DayKind::Weekend:
      return "weekend";
    case DayKind::OutOfTerm:
      return "out of term";
    case DayKind::Holiday:
      return "holiday";
    case DayKind::Inset:
      return "INSET day";
    case DayKind::BankHoliday:
      return "bank holiday";
    case DayKind::Closure:
      return "closure";
  }
  return "?";
}

std::span<const Field> SchoolCalendar::schema() {
  return kCalendarFields;
}

SchoolCalendar SchoolCalendar::load(const std::filesystem::path& file) {
  std::vector<Problem> problems;
  auto json = readJsonFile(file, "calendar file", problems);
  if (!json) throw ProblemError(problems);
  return fromJson(*json, file.string());
}

SchoolCalendar SchoolCalendar::fromJson(const nlohmann::json& json, const std::string& file) {
  std::vector<Problem> problems;
  ConfigContext context{file, &problems};
  auto root = applySchema(json, kCalendarFields, "$", context);
  if (!problems.empty()) throw ProblemError(problems);

  auto terms = readRanges(root["terms"], "$.terms", context);
  auto holidays = readRanges(root["holidays"], "$.holidays", context);
  if (terms.empty() && problems.empty()) context.add("$.terms", "needs at least one term");
  if (!problems.empty()) throw ProblemError(problems);

  SchoolCalendar calendar;
  calendar.name_ = root["name"].get<std::string>();
  Date first = terms.front().start, last = terms.front().end;
  for (const auto& t : terms) {
    first = std::min(first, t.start);
    last = std::max(last, t.end);
  }
  calendar.first_ = first;
  for (const auto& t : terms) calendar.terms_.emplace_back(t.start, t.end);
  std::sort(calendar.terms_.begin(), calendar.terms_.end());
  calendar.kinds_.assign(static_cast<std::size_t>(last - first + 1), DayKind::OutOfTerm);
  auto set = [&](Date day, DayKind kind) {
    if (calendar.covers(day)) calendar.kinds_[static_cast<std::size_t>(day - first)] = kind;
  };
  for (const auto& t : terms)
    for (Date d = t.start; d <= t.end; d = d + 1)
      set(d, d.isWeekend() ? DayKind::Weekend : DayKind::SchoolDay);
  for (Date d = first; d <= last; d = d + 1)
    if (d.isWeekend()) set(d, DayKind::Weekend);
  for (const auto& h : holidays)
    for (Date d = h.start; d <= h.end; d = d + 1)
      if (!d.isWeekend()) set(d, DayKind::Holiday);
  auto markDays = [&](const char* key, DayKind kind) {
    const auto& array = root[key];
    for (std::size_t i = 0; i < array.size(); ++i) {
      std::string path = std::string("$.") + key + "[" + std::to_string(i) + "]";
      const nlohmann::json* value = &array[i];
      nlohmann::json closure;
      if (kind == DayKind::Closure) {
        closure = applySchema(array[i], kClosureFields, path, context);
        if (!closure.contains("date")) continue;
        value = &closure["date"];
        path += ".date";
      }
      if (auto day = readDate(*value, path, context)) set(*day, kind);
    }
  };
  markDays("inset_days", DayKind::Inset);
  markDays("bank_holidays", DayKind::BankHoliday);
  if (root.value("england_bank_holidays", true))
    for (int year = first.year(); year <= last.year(); ++year)
      for (Date day : englandBankHolidays(year))
        if (!day.isWeekend()) set(day, DayKind::BankHoliday);
  markDays("closures", DayKind::Closure);
  if (!problems.empty()) throw ProblemError(problems);

  calendar.schoolDaysBefore_.resize(calendar.kinds_.size() + 1, 0);
  for (std::size_t i = 0; i < calendar.kinds_.size(); ++i)
    calendar.schoolDaysBefore_[i + 1] =
        calendar.schoolDaysBefore_[i] + (calendar.kinds_[i] == DayKind::SchoolDay ? 1 : 0);
  calendar.index_ = SchoolDayIndex(calendar);
  return calendar;
}

DayKind SchoolCalendar::kindOf(Date day) const {
  if (!covers(day)) return day.isWeekend() ? DayKind::Weekend : DayKind::OutOfTerm;
  return kinds_[static_cast<std::size_t>(day - first_)];
}

int SchoolCalendar::schoolDaysBetween(Date from, Date to) const {
  from = std::max(from, first_);
  to = std::min(to, last());
  if (to < from) return 0;
  return schoolDaysBefore_[static_cast<std::size_t>(to - first_ + 1)] -
         schoolDaysBefore_[static_cast<std::size_t>(from - first_)];
}

std::vector<Date> SchoolCalendar::schoolDays(Date from, Date to) const {
  std::vector<Date> days;
  for (Date d = std::max(from, first_); d <= std::min(to, last()); d = d + 1)
    if (isSchoolDay(d)) days.push_back(d);
  return days;
}

std::optional<Date> SchoolCalendar::nextSchoolDay(Date after) const {
  for (Date d = std::max(after + 1, first_); d <= last(); d = d + 1)
    if (isSchoolDay(d)) return d;
  return std::nullopt;
}

std::optional<Date> SchoolCalendar::schoolWeekOf(Date day) const {
  Date monday = day.monday();
  if (schoolDaysBetween(monday, monday + 6) > 0) return monday;
  return std::nullopt;
}

SchoolDayIndex::SchoolDayIndex(const SchoolCalendar& calendar) {
  days = calendar.schoolDays();
  Date lastMonday;
  for (std::size_t i = 0; i < days.size(); ++i) {
    Date day = days[i];
    if (i == 0 || day.monday() != lastMonday) {
      weekFirst.push_back(static_cast<int>(i));
      lastMonday = day.monday();
    }
    week.push_back(static_cast<int>(weekFirst.size()) - 1);
    bool newYear = i == 0 || day.academicYear() != days[i - 1].academicYear();
    yearFirst.push_back(newYear ? static_cast<int>(i) : yearFirst.back());
    auto term = calendar.termOf(day);
    bool newTerm = i == 0 || !term || term->first > days[i - 1];
    termFirst.push_back(newTerm ? static_cast<int>(i) : termFirst.back());
  }
}

}  // namespace markbridge
