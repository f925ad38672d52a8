#pragma once
// When the service syncs: after each register closes (the morning and afternoon close times
// plus a grace period, London wall-clock time) on school days only, and a nightly
// reconciliation that re-reads the last few school days to catch late amendments.
//
//   "schedule": {"am_close": "09:45", "pm_close": "13:30", "grace_minutes": 15,
//                "nightly": "02:00", "reconcile_school_days": 5}

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/domain/config_schema.h"
#include "schedules/school_calendar.h"

namespace markbridge {

struct ScheduleConfig {
  int am_close = 9 * 60 + 45;  // minutes past midnight, London time
  int pm_close = 13 * 60 + 30;
  int grace_minutes = 15;
  int nightly = 2 * 60;  // -1: no nightly reconciliation
  int reconcile_school_days = 5;

  // Its settings as a Markdown table; the member initialisers above are the defaults.
  static std::string describe();
  static ScheduleConfig fromJson(const nlohmann::json& json, const std::string& path,
                                 const ConfigContext& context);
};

struct SyncSlot {
  enum class Kind { MorningClose, AfternoonClose, Nightly };
  int64_t at = 0;  // UTC seconds
  Date day;        // the school day (for the nightly run: the night after it)
  Kind kind = Kind::MorningClose;
  std::string describe() const;  // "2024-10-28 morning register (09:45 + 15 min)"
};

// The syncs due in (after, upTo], in time order: one after each register of each school day,
// and the nightly reconciliation after each school day.
std::vector<SyncSlot> syncSlots(const ScheduleConfig& config, const SchoolCalendar& calendar,
                                int64_t after, int64_t upTo);

}  // namespace markbridge
