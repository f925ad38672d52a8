#pragma once
// The school's calendar: which days are school days, from term dates, holidays, INSET days,
// bank holidays and closures. "School day" and "school week" always come from here, never from
// the weekday alone.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/config_schema.h"
#include "core/domain/date.h"

namespace markbridge {

enum class DayKind : uint8_t {
  SchoolDay,
  Weekend,
  OutOfTerm,
  Holiday,
  Inset,
  BankHoliday,
  Closure
};
std::string_view toString(DayKind kind);

class SchoolCalendar;

// The calendar's school days numbered 0..n-1 with, for each, its school week and the first
// school day of its week, term and academic year: what rules measure windows with.
struct SchoolDayIndex {
  SchoolDayIndex() = default;
  explicit SchoolDayIndex(const SchoolCalendar& calendar);
  std::vector<Date> days;
  std::vector<int> week;  // per day: its school week (weeks with no school day skipped)
  // Public fields are lower_case; core/rules/engine uses these three names, so they are renamed
  // with it (issue 13; core/rules/engine is in scripts/tidy-pending.txt).
  // NOLINTBEGIN(readability-identifier-naming)
  std::vector<int> weekFirst;  // per school week: its first school day
  std::vector<int> yearFirst;  // per day: the first school day of its academic year
  std::vector<int> termFirst;  // per day: the first school day of its term
  // NOLINTEND(readability-identifier-naming)
};

class SchoolCalendar {
 public:
  // Throws ProblemError naming the file and JSON path of each problem.
  static SchoolCalendar load(const std::filesystem::path& file);
  static SchoolCalendar fromJson(const nlohmann::json& json, const std::string& file);
  // The calendar file's keys as a Markdown table, with their defaults.
  static std::string describe();

  const std::string& name() const { return name_; }
  Date first() const { return first_; }
  Date last() const { return first_ + static_cast<int32_t>(kinds_.size()) - 1; }
  bool covers(Date day) const { return day >= first_ && day <= last(); }

  DayKind kindOf(Date day) const;
  bool isSchoolDay(Date day) const { return kindOf(day) == DayKind::SchoolDay; }
  // School days in [from, to], both inclusive.
  int schoolDaysBetween(Date from, Date to) const;
  std::vector<Date> schoolDays(Date from, Date to) const;
  std::vector<Date> schoolDays() const { return schoolDays(first(), last()); }
  std::optional<Date> nextSchoolDay(Date after) const;
  const SchoolDayIndex& index() const { return index_; }
  // The first and last day of the term holding `day` (holidays inside a term, such as half
  // term, belong to it); nothing outside every term.
  std::optional<std::pair<Date, Date>> termOf(Date day) const {
    for (const auto& term : terms_)
      if (day >= term.first && day <= term.second) return term;
    return std::nullopt;
  }
  // The Monday of the school week holding `day`, if that week has at least one school day.
  std::optional<Date> schoolWeekOf(Date day) const;

 private:
  std::string name_;
  Date first_;
  std::vector<std::pair<Date, Date>> terms_;
  SchoolDayIndex index_;
  std::vector<DayKind> kinds_;         // one per calendar day from first_
  std::vector<int> schoolDaysBefore_;  // prefix count: school days strictly before index i
};

}  // namespace markbridge
