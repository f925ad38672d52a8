#include "schedules/sync_schedule.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/domain/config_table.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

std::optional<int> minutesOf(const std::string& text, const std::string& path,
                             const ConfigContext& context) {
  if (text.size() == 5 && text[2] == ':' && std::isdigit(text[0]) && std::isdigit(text[1]) &&
      std::isdigit(text[3]) && std::isdigit(text[4])) {
    int h = std::stoi(text.substr(0, 2)), m = std::stoi(text.substr(3, 2));
    if (h < 24 && m < 60) return h * 60 + m;
  }
  context.add(path, "must be a time hh:mm (24-hour clock)", text);
  return std::nullopt;
}

std::string hhmm(int minutes) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60 % 24, minutes % 60);
  return text;
}

// A time of day row: "hh:mm" in the config, minutes past midnight in the struct; with
// `noneAllowed`, "" is -1 (none).
void timeRow(SettingTable<ScheduleConfig>& table, std::string key, int ScheduleConfig::*member,
             std::string doc, bool noneAllowed) {
  table.converted(
      std::move(key), FieldType::String, "string (hh:mm)", std::move(doc),
      [member, noneAllowed](ScheduleConfig& c, const nlohmann::json& v, const SettingScope& scope) {
        auto text = v.get<std::string>();
        if (noneAllowed && text.empty())
          c.*member = -1;
        else if (auto minutes = minutesOf(text, scope.path, scope.context))
          c.*member = *minutes;
      },
      [member](ScheduleConfig& c) {
        int minutes = c.*member;
        return nlohmann::json(minutes < 0 ? std::string() : hhmm(minutes));
      });
}

const SettingTable<ScheduleConfig>& scheduleTable() {
  using S = ScheduleConfig;
  static const auto table = [] {
    SettingTable<S> t;
    timeRow(t, "am_close", &S::am_close, "when the morning register closes, hh:mm London time",
            false);
    timeRow(t, "pm_close", &S::pm_close, "when the afternoon register closes, hh:mm London time",
            false);
    t.integer("grace_minutes", &S::grace_minutes,
              "minutes after a close before the sync, for late marks to be entered", {0, 180});
    timeRow(t, "nightly", &S::nightly,
            "hh:mm London time of the nightly reconciliation after each school day; \"\" for "
            "none",
            true);
    t.integer("reconcile_school_days", &S::reconcile_school_days,
              "school days the nightly reconciliation reads again from sources that can (MIS "
              "APIs)",
              {1});
    return t;
  }();
  return table;
}

}  // namespace

std::string ScheduleConfig::describe() {
  return scheduleTable().describe();
}

ScheduleConfig ScheduleConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                        const ConfigContext& context) {
  ScheduleConfig c;
  std::size_t before = context.problems->size();
  scheduleTable().apply(json, path, {}, context, c);
  // Only when both times were read: a refused one would make this a second, confusing problem.
  bool timesRead = true;
  for (auto i = before; i < context.problems->size(); ++i) {
    const auto& at = (*context.problems)[i].location;
    if (at == path + ".am_close" || at == path + ".pm_close") timesRead = false;
  }
  if (timesRead && c.pm_close <= c.am_close)
    context.add(path + ".pm_close", "must be after am_close", hhmm(c.pm_close));
  return c;
}

std::string SyncSlot::describe() const {
  switch (kind) {
    case Kind::MorningClose:
      return day.iso() + " morning register";
    case Kind::AfternoonClose:
      return day.iso() + " afternoon register";
    case Kind::Nightly:
      return day.iso() + " nightly reconciliation";
  }
  return day.iso();
}

std::vector<SyncSlot> syncSlots(const ScheduleConfig& config, const SchoolCalendar& calendar,
                                int64_t after, int64_t upTo) {
  std::vector<SyncSlot> slots;
  if (upTo <= after) return slots;
  Date from = std::max(london::localDate(after) - 1, calendar.first());
  Date to = std::min(london::localDate(upTo), calendar.last());
  for (Date day = from; day <= to; day = day + 1) {
    if (!calendar.isSchoolDay(day)) continue;
    auto add = [&](SyncSlot::Kind kind, Date on, int minutes) {
      int64_t at = london::toUtc(on, minutes);
      if (at > after && at <= upTo) slots.push_back(SyncSlot{at, day, kind});
    };
    add(SyncSlot::Kind::MorningClose, day, config.am_close + config.grace_minutes);
    add(SyncSlot::Kind::AfternoonClose, day, config.pm_close + config.grace_minutes);
    // The nightly run after a school day: past midnight it is the next calendar day.
    if (config.nightly >= 0)
      add(SyncSlot::Kind::Nightly, config.nightly < config.pm_close ? day + 1 : day,
          config.nightly);
  }
  std::sort(slots.begin(), slots.end(),
            [](const SyncSlot& a, const SyncSlot& b) { return a.at < b.at; });
  return slots;
}

}  // namespace markbridge
