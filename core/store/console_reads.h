#pragma once
// Reads the console's pupil pages need that the store's interfaces do not offer: SQLite answers
// them directly; another backend through what every store has (slower, the same answer).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store.h"

namespace markbridge {

// Every pupil's event history at once (EventStore::eventHistory for each), by UPN; pupils with
// no event are left out. SQLite reads it in two passes (the events, then the outbox).
std::map<std::string, std::vector<EventHistory>> everyEventHistory(Store& store);

// One pupil's register laid over `calendar`, as forEachPupilRegister gives it (marks on days
// outside the calendar left out), without reading anyone else's; nothing when there is no such
// pupil. `visit` is called with it (the register refers to `calendar`).
bool visitPupilRegister(Store& store, const SchoolCalendar& calendar, const std::string& upn,
                        const std::function<void(const Pupil&, const PupilRegister&)>& visit);

}  // namespace markbridge
