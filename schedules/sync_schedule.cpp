#include "schedules/sync_schedule.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "schedules/london_time.h"

namespace markbridge {
namespace {

constexpr Field kFields[] = {
    {"am_close", FieldType::String, "\"09:45\"", false,
     "when the morning register closes, hh:mm London time"},
    {"pm_close", FieldType::String, "\"13:30\"", false,
     "when the afternoon register closes, hh:mm London time"},
    {"grace_minutes", FieldType::Integer, "15", false,
     "minutes after a close before the sync, for late marks to be entered"},
    {"nightly", FieldType::String, "\"02:00\"", false,
     "hh:mm London time of the nightly reconciliation after each school day; \"\" for none"},
    {"reconcile_school_days", FieldType::Integer, "5", false,
     "school days the nightly reconciliation reads again from sources that can (MIS APIs)"},
};

int minutesOf(const std::string& text, const std::string& path, const ConfigContext& context) {
  if (text.size() == 5 && text[2] == ':' && std::isdigit(text[0]) && std::isdigit(text[1]) &&
      std::isdigit(text[3]) && std::isdigit(text[4])) {
    int h = std::stoi(text.substr(0, 2)), m = std::stoi(text.substr(3, 2));
    if (h < 24 && m < 60) return h * 60 + m;
  }
  context.add(path, "must be a time hh:mm (24-hour clock)", text);
  return 0;
}

std::string hhmm(int minutes) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60 % 24, minutes % 60);
  return text;
}

}  // namespace

std::span<const Field> ScheduleConfig::schema() {
  return kFields;
}

ScheduleConfig ScheduleConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                        const ConfigContext& context) {
  ScheduleConfig c;
  auto f = applySchema(json, kFields, path, context);
  std::size_t before = context.problems->size();
  if (f.contains("am_close")) c.am_close = minutesOf(f["am_close"], path + ".am_close", context);
  if (f.contains("pm_close")) c.pm_close = minutesOf(f["pm_close"], path + ".pm_close", context);
  if (context.problems->size() == before && c.pm_close <= c.am_close)
    context.add(path + ".pm_close", "must be after am_close", hhmm(c.pm_close));
  c.grace_minutes = f.value("grace_minutes", 15);
  if (c.grace_minutes < 0 || c.grace_minutes > 180)
    context.add(path + ".grace_minutes", "must be 0 to 180", std::to_string(c.grace_minutes));
  auto nightly = f.value("nightly", std::string("02:00"));
  c.nightly = nightly.empty() ? -1 : minutesOf(nightly, path + ".nightly", context);
  c.reconcile_school_days = f.value("reconcile_school_days", 5);
  if (c.reconcile_school_days < 1)
    context.add(path + ".reconcile_school_days", "must be at least 1");
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
