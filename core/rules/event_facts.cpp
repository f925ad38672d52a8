#include "core/rules/rule.h"

namespace markbridge {

Event makeEvent(const std::string& ruleId, std::string_view type, const Pupil& pupil,
                const PupilRegister& reg, std::string episode, Date occurredOn, Date from,
                Date to) {
  Event event;
  event.rule = ruleId;
  event.type = std::string(type);
  event.id = Event::makeId(event.rule, pupil.upn, episode);
  event.episode = std::move(episode);
  event.pupil = pupil;
  event.occurred_on = occurredOn;
  event.from = from;
  event.to = to;
  event.sessions_by_code = tally(reg, from, to, pupil.on_roll).by_code;
  Date yearStart = *Date::fromYmd(occurredOn.academicYear(), 9, 1);
  event.attendance_percent = tally(reg, yearStart, occurredOn, pupil.on_roll).attendancePercent();
  return event;
}

}  // namespace markbridge
