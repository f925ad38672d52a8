#pragma once
// Every pupil's event history at once (EventStore::eventHistory for each), for the console's
// list of pupils at risk: SQLite reads it in two passes (the events, then the outbox); another
// backend is asked pupil by pupil.

#include <map>
#include <string>
#include <vector>

#include "core/store/store.h"

namespace markbridge {

// By UPN; pupils with no event are left out.
std::map<std::string, std::vector<EventHistory>> everyEventHistory(Store& store);

}  // namespace markbridge
