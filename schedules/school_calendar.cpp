#include "schedules/school_calendar.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/domain/config_table.h"
#include "core/domain/json_file.h"
#include "core/domain/problem.h"
#include "schedules/bank_holidays.h"

namespace markbridge {
namespace {

// A term or holiday as written: {name, start, end}.
struct RangeSettings {
  std::string name;
  std::string start, end;
};
// A closure as written: {date, reason}.
struct ClosureSettings {
  std::string date;
  std::string reason;
};

const SettingTable<RangeSettings>& rangeTable() {
  static const auto table = SettingTable<RangeSettings>()
                                .text("name", &RangeSettings::name, "label")
                                .text("start", &RangeSettings::start, "first day, yyyy-mm-dd")
                                .required()
                                .text("end", &RangeSettings::end, "last day, yyyy-mm-dd")
                                .required();
  return table;
}

const SettingTable<ClosureSettings>& closureTable() {
  static const auto table = SettingTable<ClosureSettings>()
                                .text("date", &ClosureSettings::date, "the day, yyyy-mm-dd")
                                .required()
                                .text("reason", &ClosureSettings::reason, "why");
  return table;
}

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
    std::size_t before = context.problems->size();
    RangeSettings item;
    rangeTable().apply(array[i], itemPath, {}, context, item);
    if (context.problems->size() != before) continue;
    auto start = readDate(item.start, itemPath + ".start", context);
    auto end = readDate(item.end, itemPath + ".end", context);
    if (!start || !end) continue;
    if (*end < *start) {
      context.add(itemPath, "ends before it starts", start->iso() + ".." + end->iso());
      continue;
    }
    ranges.push_back({*start, *end});
  }
  return ranges;
}

// The calendar file as written; the initialisers are the defaults. Terms and holidays, and the
// days, are read further by SchoolCalendar::fromJson (dates, ranges that end before they start).
struct CalendarSettings {
  std::string name;
  nlohmann::json terms = nlohmann::json::array();
  nlohmann::json holidays = nlohmann::json::array();
  nlohmann::json inset_days = nlohmann::json::array();
  nlohmann::json bank_holidays = nlohmann::json::array();
  bool england_bank_holidays = true;
  nlohmann::json closures = nlohmann::json::array();
};

const SettingTable<CalendarSettings>& calendarTable() {
  using C = CalendarSettings;
  // An array kept as JSON for fromJson to read item by item, naming each item's path.
  auto array = [](nlohmann::json C::*member) {
    return std::pair{
        [member](C& c, const nlohmann::json& v, const SettingScope&) { c.*member = v; },
        [member](C& c) { return c.*member; }};
  };
  static const auto table = [&] {
    SettingTable<C> t;
    t.text("name", &C::name, "the school and year this calendar is for");
    auto [terms, termsDefault] = array(&C::terms);
    t.converted("terms", FieldType::Array, "array of objects",
                "terms: [{name, start, end}] with ISO dates", terms, termsDefault)
        .required();
    auto [holidays, holidaysDefault] = array(&C::holidays);
    t.converted("holidays", FieldType::Array, "array of objects",
                "holidays inside terms, e.g. half terms: [{name, start, end}]", holidays,
                holidaysDefault);
    auto [inset, insetDefault] = array(&C::inset_days);
    t.converted("inset_days", FieldType::Array, "array of strings",
                "INSET (training) days: [\"yyyy-mm-dd\"]", inset, insetDefault);
    auto [bank, bankDefault] = array(&C::bank_holidays);
    t.converted("bank_holidays", FieldType::Array, "array of strings",
                "bank holidays beyond the rules (one-off days such as a coronation): "
                "[\"yyyy-mm-dd\"]",
                bank, bankDefault);
    t.boolean("england_bank_holidays", &C::england_bank_holidays,
              "mark the bank holidays of England and Wales that follow rules (New Year, Easter, "
              "May, August, Christmas, with substitute days)");
    auto [closures, closuresDefault] = array(&C::closures);
    t.converted("closures", FieldType::Array, "array of objects",
                "planned or emergency closures: [{date, reason}]", closures, closuresDefault);
    return t;
  }();
  return table;
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

std::string SchoolCalendar::describe() {
  return calendarTable().describe();
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
  CalendarSettings root;
  calendarTable().apply(json, "$", {}, context, root);
  if (!problems.empty()) throw ProblemError(problems);

  auto terms = readRanges(root.terms, "$.terms", context);
  auto holidays = readRanges(root.holidays, "$.holidays", context);
  if (terms.empty() && problems.empty()) context.add("$.terms", "needs at least one term");
  if (!problems.empty()) throw ProblemError(problems);

  SchoolCalendar calendar;
  calendar.name_ = root.name;
  Date first = terms.front().start, last = terms.front().end;
  for (const auto& t : terms) {
    first = std::min(first, t.start);
    last = std::max(last, t.end);
  }
  calendar.first_ = first;
  for (const auto& t : terms) calendar.terms_.emplace_back(t.start, t.end);
  std::sort(calendar.terms_.begin(), calendar.terms_.end());
  calendar.kinds_.assign(static_cast<std::size_t>(last - first) + 1, DayKind::OutOfTerm);
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
  auto markDays = [&](const nlohmann::json& array, const char* key, DayKind kind) {
    for (std::size_t i = 0; i < array.size(); ++i) {
      std::string path = std::string("$.") + key + "[" + std::to_string(i) + "]";
      nlohmann::json value = array[i];
      if (kind == DayKind::Closure) {
        std::size_t before = problems.size();
        ClosureSettings closure;
        closureTable().apply(array[i], path, {}, context, closure);
        if (problems.size() != before) continue;
        value = closure.date;
        path += ".date";
      }
      if (auto day = readDate(value, path, context)) set(*day, kind);
    }
  };
  markDays(root.inset_days, "inset_days", DayKind::Inset);
  markDays(root.bank_holidays, "bank_holidays", DayKind::BankHoliday);
  if (root.england_bank_holidays)
    for (int year = first.year(); year <= last.year(); ++year)
      for (Date day : englandBankHolidays(year))
        if (!day.isWeekend()) set(day, DayKind::BankHoliday);
  markDays(root.closures, "closures", DayKind::Closure);
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
  return schoolDaysBefore_[static_cast<std::size_t>(to - first_) + 1] -
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
