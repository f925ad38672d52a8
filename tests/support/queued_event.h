#pragma once
// A ten-day unauthorised-absence notification for `upn` whose episode (and period) is the one day
// `episode`: what the delivery tests queue, one per pupil or several in a pupil's order.

#include <string>

#include "core/domain/date.h"
#include "core/rules/event.h"

namespace markbridge::test {

inline Event queuedEvent(const std::string& upn, const char* episode) {
  Event e;
  e.rule = "statutory.unauthorised_10_day";
  e.type = "unauthorised_10_day";
  e.pupil.upn = upn;
  e.episode = episode;
  e.id = Event::makeId(e.rule, upn, episode);
  e.from = e.to = e.occurred_on = *Date::parseIso(episode);
  return e;
}

}  // namespace markbridge::test
