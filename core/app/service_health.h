#pragma once
// Whether the service is doing its job, said loudly: /health turns "degraded" (and says why and
// what to do) when no sync is due in the next school week because the calendar has run out, when
// the last sync failed, or when a sink is paused because its credentials were refused. `check`
// and the service's start warn when today is outside the calendar or it ends within 4 weeks.
// Pure functions of figures, schedule and calendar: tested without a clock or a network.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/app/sink_health.h"
#include "core/domain/date.h"
#include "schedules/sync_schedule.h"

namespace markbridge {

struct HealthConcern {
  std::string problem;  // what is wrong
  std::string action;   // what to do about it
};

// What /health reads (kept by the service; see service.h).
struct HealthInputs {
  std::optional<HealthConcern> schedule;  // from scheduleConcern()
  int syncs_failed_in_a_row = 0;
  std::string last_sync;
  std::map<std::string, SinkHealth> sinks;
  // The school's store could not be read or written (a trust's school is tried again; see
  // Service::run): said until its next piece of work succeeds.
  std::optional<HealthConcern> storage;
  // The last reload could not open the school's store: it runs the configuration it had.
  std::optional<HealthConcern> reload;
};

// Nothing while a sync is due in the next 7 days, or the calendar has a school day after them
// (a holiday: the service wakes when school starts again); a concern once the calendar has run
// out.
std::optional<HealthConcern> scheduleConcern(const ScheduleConfig& schedule,
                                             const SchoolCalendar& calendar, int64_t nowSeconds);

// Everything that makes /health "degraded"; empty: "ok".
std::vector<HealthConcern> healthConcerns(const HealthInputs& inputs);

// Today outside the calendar, or the calendar ending within 4 weeks (28 days).
std::vector<std::string> calendarWarnings(const SchoolCalendar& calendar, Date today);

}  // namespace markbridge
