#include "core/rules/engine/measure.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/rules/engine/morning_register.h"

namespace markbridge {
namespace {

std::optional<Category> categoryNamed(std::string_view name) {
  if (name == "present") return Category::Present;
  if (name == "attending") return Category::Attending;
  if (name == "authorised") return Category::Authorised;
  if (name == "unauthorised") return Category::Unauthorised;
  if (name == "not_counted") return Category::NotCounted;
  if (name == "not_taken") return Category::NotTaken;
  return std::nullopt;
}

}  // namespace

CodeSet CodeSet::of(std::initializer_list<Category> categories) {
  CodeSet set;
  for (std::size_t i = 0; i < Code::table().size(); ++i) {
    Code code = *Code::fromIndex(static_cast<uint8_t>(i));
    for (Category c : categories) set.bits_[i] = set.bits_[i] || code.category() == c;
  }
  return set;
}

std::optional<CodeSet> CodeSet::fromJson(const nlohmann::json& json, const std::string& path,
                                         const ConfigContext& context) {
  auto names = json.is_array() ? json : nlohmann::json::array({json});
  CodeSet set;
  for (std::size_t n = 0; n < names.size(); ++n) {
    const auto& item = names[n];
    std::string at = json.is_array() ? path + "[" + std::to_string(n) + "]" : path;
    if (!item.is_string()) {
      context.add(at, "must be a code or a category name", item.dump());
      return std::nullopt;
    }
    auto name = item.get<std::string>();
    if (auto code = Code::fromString(name)) {
      set.bits_[code->index()] = true;
    } else if (name == "absence") {
      set.bits_ |= of({Category::Authorised, Category::Unauthorised}).bits_;
    } else if (name == "attendance") {
      set.bits_ |= of({Category::Present, Category::Attending}).bits_;
    } else if (name == "possible") {
      set.bits_ |=
          of({Category::Present, Category::Attending, Category::Authorised, Category::Unauthorised})
              .bits_;
    } else if (auto category = categoryNamed(name)) {
      set.bits_ |= of({*category}).bits_;
    } else {
      context.add(at,
                  "is neither a 2024 code nor a category (present, attending, attendance, "
                  "authorised, unauthorised, absence, possible, not_counted, not_taken)",
                  name);
      return std::nullopt;
    }
  }
  return set;
}

std::optional<Window> Window::fromJson(const nlohmann::json& json, const std::string& path,
                                       const ConfigContext& context) {
  if (json.is_string()) {
    auto name = json.get<std::string>();
    if (name == "academic_year") return Window{Kind::AcademicYear, 0, {}};
    if (name == "term") return Window{Kind::Term, 0, {}};
    if (name == "all") return Window{Kind::All, 0, {}};
    if (name == "since_stage") return Window{Kind::SinceStage, 0, {}};
  } else if (json.is_object() && json.size() == 1) {
    auto [key, value] = *json.items().begin();
    if (key == "since_stage" && value.is_string() && !value.get<std::string>().empty())
      return Window{Kind::SinceStage, 0, StageRef{value.get<std::string>()}};
    if (key == "school_week_ended_days_ago" && value.is_number_integer() && value.get<int>() >= 0)
      return Window{Kind::SchoolWeekEndedDaysAgo, value.get<int>(), {}};
    if (value.is_number_integer() && value.get<int>() > 0) {
      if (key == "last_school_days") return Window{Kind::LastSchoolDays, value.get<int>(), {}};
      if (key == "rolling_school_weeks")
        return Window{Kind::RollingSchoolWeeks, value.get<int>(), {}};
      if (key == "school_days_ago") return Window{Kind::SchoolDaysAgo, value.get<int>(), {}};
    }
  }
  context.add(path,
              "must be \"academic_year\", \"term\", \"all\", {\"last_school_days\": N}, "
              "{\"rolling_school_weeks\": N}, {\"school_days_ago\": N}, "
              "{\"school_week_ended_days_ago\": N}, \"since_stage\" or {\"since_stage\": STAGE}",
              json.dump());
  return std::nullopt;
}

SessionSeries::SessionSeries(const PupilRegister& reg, const Pupil& pupil, bool compulsoryOnly)
    : index_(reg.calendar().index()), days_(index_.days) {
  sessions_.reserve(days_.size() * 2);
  excluded_.reserve(days_.size());
  auto [compulsoryFirst, compulsoryLast] = compulsorySchoolAgeDays(pupil);
  for (Date day : days_) {
    bool out = (compulsoryOnly && (day < compulsoryFirst || day > compulsoryLast)) ||
               !isOnRoll(pupil.on_roll, day);
    excluded_.push_back(out);
    for (Session s : {Session::AM, Session::PM})
      sessions_.push_back(out ? Code::notTaken() : reg.at(day, s));
  }
}

const std::vector<int>& SessionSeries::prefix(const CodeSet& set) const {
  for (const auto& [key, sums] : prefixes_)
    if (key == set.key()) return sums;
  std::vector<int> sums(sessions_.size() + 1, 0);
  for (std::size_t i = 0; i < sessions_.size(); ++i) sums[i + 1] = sums[i] + set.has(sessions_[i]);
  prefixes_.emplace_back(set.key(), std::move(sums));
  return prefixes_.back().second;
}

int SessionSeries::count(const CodeSet& set, int fromDay, int toDay) const {
  const auto& sums = prefix(set);
  return sums[static_cast<std::size_t>(toDay + 1) * 2] -
         sums[static_cast<std::size_t>(fromDay) * 2];
}

int SessionSeries::countToMorning(const CodeSet& set, int fromDay, int toDay) const {
  const auto& sums = prefix(set);
  return sums[static_cast<std::size_t>(toDay) * 2 + 1] -
         sums[static_cast<std::size_t>(fromDay) * 2];
}

int SessionSeries::taken(int fromDay, int toDay) const {
  static const CodeSet possible = CodeSet::of(
      {Category::Present, Category::Attending, Category::Authorised, Category::Unauthorised});
  fromDay = std::max(0, fromDay);
  toDay = std::min(toDay, days() - 1);
  return fromDay > toDay ? 0 : count(possible, fromDay, toDay);
}

int SessionSeries::windowStart(const Window& window, int i, int sinceDay) const {
  auto at = static_cast<std::size_t>(i);
  switch (window.kind) {
    case Window::Kind::SinceStage:
      return sinceDay + 1;  // may be i + 1: nothing yet since the stage was entered today
    case Window::Kind::All:
      return 0;
    case Window::Kind::AcademicYear:
      return index_.yearFirst[at];
    case Window::Kind::Term:
      return index_.termFirst[at];
    case Window::Kind::LastSchoolDays:
      return std::max(0, i - window.n + 1);
    case Window::Kind::SchoolDaysAgo:
      return i - window.n;  // the window is that one day; negative: before the calendar
    case Window::Kind::RollingSchoolWeeks:
      return index_
          .weekFirst[static_cast<std::size_t>(std::max(0, index_.week[at] - window.n + 1))];
    case Window::Kind::SchoolWeekEndedDaysAgo: {
      int end = windowEnd(window, i);
      return end < 0 ? -1
                     : index_.weekFirst[static_cast<std::size_t>(
                           index_.week[static_cast<std::size_t>(end)])];
    }
  }
  return 0;
}

int SessionSeries::windowEnd(const Window& window, int i) const {
  switch (window.kind) {
    case Window::Kind::SchoolDaysAgo:
      return i - window.n;
    case Window::Kind::SchoolWeekEndedDaysAgo: {
      int end = i - window.n;  // the week's last school day, if it ended then
      if (end < 0) return -1;
      bool lastOfWeek = end + 1 >= days() || index_.week[static_cast<std::size_t>(end) + 1] !=
                                                 index_.week[static_cast<std::size_t>(end)];
      return lastOfWeek ? end : -1;
    }
    default:
      return i;
  }
}

std::vector<int> SessionSeries::countedSessions(const Measure& m, int i, int sinceDay) const {
  std::vector<int> out;
  if (m.kind != Measure::Kind::Count || !value(m, i, nullptr, sinceDay)) return out;
  int start = std::max(0, windowStart(m.window, i, sinceDay));
  int end = windowEnd(m.window, i);
  bool morning = m.as_of_morning && end == i;
  for (int s = start * 2; s <= end * 2 + (morning ? 0 : 1); ++s)
    if (m.codes.has(sessions_[static_cast<std::size_t>(s)])) out.push_back(s);
  return out;
}

std::optional<double> SessionSeries::value(const Measure& m, int i, int* from, int sinceDay) const {
  if (m.window.kind == Window::Kind::SinceStage && (sinceDay < 0 || sinceDay > i))
    return std::nullopt;
  switch (m.kind) {
    case Measure::Kind::Count: {
      int start = windowStart(m.window, i, sinceDay);
      int end = windowEnd(m.window, i);
      if (m.window.kind == Window::Kind::SchoolWeekEndedDaysAgo && end < 0)
        return std::nullopt;  // not the day that week is taken
      if (start < 0) return 0;
      bool morning = m.as_of_morning && end == i;  // today's afternoon is left out
      int n = morning ? countToMorning(m.codes, start, end) : count(m.codes, start, end);
      if (from) {
        // The first school day in the window with a matching session.
        const auto& sums = prefix(m.codes);
        auto base = sums[static_cast<std::size_t>(start) * 2];
        auto it = std::upper_bound(sums.begin() + start * 2,
                                   sums.begin() + (end + 1) * 2 + (morning ? 0 : 1), base);
        *from = n ? static_cast<int>((it - sums.begin() - 1) / 2) : i;
      }
      return n;
    }
    case Measure::Kind::Percent: {
      int end = m.window.kind == Window::Kind::SchoolWeekEndedDaysAgo ? windowEnd(m.window, i) : i;
      if (end < 0) return std::nullopt;  // not the day that week is taken
      int start = std::max(0, windowStart(m.window, i, sinceDay));
      static const CodeSet possible = CodeSet::of(
          {Category::Present, Category::Attending, Category::Authorised, Category::Unauthorised});
      auto sessions = [&](const CodeSet& set) {
        return m.as_of_morning && end == i ? countToMorning(set, start, end)
                                           : count(set, start, end);
      };
      int denominator = sessions(possible);
      if (denominator == 0 || denominator < m.min_possible) return std::nullopt;
      if (from) *from = start;
      return 100.0 * sessions(m.codes) / denominator;
    }
    case Measure::Kind::ConsecutiveDays: {
      // A day with a breaking session ends the run; a day whose sessions are all taken and one
      // of which matches extends it; any other day (not taken, not counted) leaves it as it is.
      std::vector<int>* runs = nullptr;
      auto& cache = m.as_of_morning ? morningRuns_ : runs_;
      for (auto& [key, r] : cache)
        if (key.first == m.codes.key() && key.second == m.breaks.key()) runs = &r;
      if (!runs && m.as_of_morning) {
        cache.emplace_back(std::pair{m.codes.key(), m.breaks.key()},
                           morningRuns(sessions_, excluded_, m.codes, m.breaks));
        runs = &cache.back().second;
      }
      if (!runs) {
        std::vector<int> r(days_.size() * 2, 0);  // run length, run start per day
        int length = 0, start = 0;
        for (std::size_t d = 0; d < days_.size(); ++d) {
          Code am = sessions_[d * 2], pm = sessions_[d * 2 + 1];
          if (excluded_[d] || m.breaks.has(am) || m.breaks.has(pm)) {
            length = 0;
          } else if (!am.isNotTaken() && !pm.isNotTaken() && (m.codes.has(am) || m.codes.has(pm))) {
            if (length++ == 0) start = static_cast<int>(d);
          }
          r[d * 2] = length;
          r[d * 2 + 1] = start;
        }
        runs_.emplace_back(std::pair{m.codes.key(), m.breaks.key()}, std::move(r));
        runs = &runs_.back().second;
      }
      int length = (*runs)[static_cast<std::size_t>(i) * 2];
      if (from) *from = length ? (*runs)[static_cast<std::size_t>(i) * 2 + 1] : i;
      return length;
    }
  }
  return std::nullopt;
}

std::string weeklyWindowNote(const Window& window, const SchoolCalendar& calendar, Date asOf) {
  if (window.kind != Window::Kind::SchoolWeekEndedDaysAgo) return "";
  const auto& index = calendar.index();
  const auto& days = index.days;
  const int n = window.n;
  const int count = static_cast<int>(days.size());
  const int today =
      static_cast<int>(std::upper_bound(days.begin(), days.end(), asOf) - days.begin()) - 1;
  auto lastOfWeek = [&](int e) {
    return e + 1 >= count ||
           index.week[static_cast<std::size_t>(e) + 1] != index.week[static_cast<std::size_t>(e)];
  };
  auto countedOn = [&](int e) {
    return e + n < count ? days[static_cast<std::size_t>(e) + static_cast<std::size_t>(n)].iso()
                         : std::string("a day after the calendar ends");
  };
  int next = -1, previous = -1;
  for (int e = 0; e < count; ++e) {
    if (!lastOfWeek(e)) continue;
    if (e + n > today) {
      next = e;
      break;
    }
    previous = e;
  }
  std::string text = "none on " + asOf.iso() + ": it counts one school week, " + std::to_string(n) +
                     " school day(s) after the week's last school day, and has no value on "
                     "other days";
  if (next >= 0)
    text += "; the school week ending " + days[static_cast<std::size_t>(next)].iso() +
            " is counted on " + countedOn(next);
  if (previous >= 0)
    text += "; the school week ending " + days[static_cast<std::size_t>(previous)].iso() +
            " was counted on " + countedOn(previous);
  return text;
}

}  // namespace markbridge
