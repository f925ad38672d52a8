#include "core/app/service_health.h"

#include "schedules/london_time.h"

namespace markbridge {

std::optional<HealthConcern> scheduleConcern(const ScheduleConfig& schedule,
                                             const SchoolCalendar& calendar, int64_t nowSeconds) {
  if (!syncSlots(schedule, calendar, nowSeconds, nowSeconds + 7 * 86400).empty())
    return std::nullopt;
  Date today = london::localDate(nowSeconds);
  if (calendar.nextSchoolDay(today)) return std::nullopt;  // a holiday: school starts again
  return HealthConcern{
      "no sync is due in the next school week: the calendar '" + calendar.name() + "' ends on " +
          calendar.last().iso() + " and has no school day after " + today.iso(),
      "add next year's terms to the calendar file (the `calendar` setting), run `markbridge "
      "check`, then `systemctl reload markbridge`"};
}

std::vector<HealthConcern> healthConcerns(const HealthInputs& in) {
  std::vector<HealthConcern> concerns;
  if (in.schedule) concerns.push_back(*in.schedule);
  if (in.storage) concerns.push_back(*in.storage);
  if (in.reload) concerns.push_back(*in.reload);
  if (in.syncs_failed_in_a_row > 0)
    concerns.push_back(
        {"the last " + std::to_string(in.syncs_failed_in_a_row) +
             " sync(s) failed (last: " + in.last_sync + ")",
         "read the log for 'sync failed', fix the cause, then POST /sync to try again"});
  for (const auto& [sink, h] : in.sinks)
    if (h.state == SinkState::PausedCredentials)
      concerns.push_back(
          {"sink " + sink + " is paused: the destination refused our credentials (" + h.reason +
               "); its items wait, nothing reaches it",
           "fix the sink's secret or client certificate (docs/operations.md, 'What each alert "
           "means'), `markbridge check`, then `systemctl reload markbridge`"});
  return concerns;
}

std::vector<std::string> calendarWarnings(const SchoolCalendar& calendar, Date today) {
  std::vector<std::string> warnings;
  if (today < calendar.first() || today > calendar.last())
    warnings.push_back("today (" + today.iso() + ") is outside the calendar '" + calendar.name() +
                       "' (" + calendar.first().iso() + " to " + calendar.last().iso() +
                       "): the service will not sync until the calendar covers today; add this "
                       "year's terms");
  else if (calendar.last() - today <= 28)
    warnings.push_back("the calendar '" + calendar.name() + "' ends on " + calendar.last().iso() +
                       ", within 4 weeks: add next year's terms before then, or the service stops "
                       "syncing");
  return warnings;
}

}  // namespace markbridge
