#pragma once
// Europe/London wall-clock time: GMT in winter, BST (UTC+1) from 01:00 UTC on the last Sunday
// of March to 01:00 UTC on the last Sunday of October (the rule since 1996). Registers close at
// wall-clock times, so a 09:45 close is 09:45 UTC in January and 08:45 UTC in June.
// (GCC 12's <chrono> has no time zone database; this is the one zone the product needs.)

#include <cstdint>

#include "core/domain/date.h"

namespace markbridge::london {

// Seconds to add to UTC for London wall-clock time at this instant: 0 or 3600.
int64_t offsetSeconds(int64_t utcSeconds);
// The UTC instant of London wall-clock `minutes` past midnight on `day`. In the spring gap
// (01:00-01:59 does not exist) the time moves an hour later; in the autumn repeat (01:00-01:59
// happens twice) the first is taken.
int64_t toUtc(Date day, int minutes);
Date localDate(int64_t utcSeconds);
int localMinutes(int64_t utcSeconds);

}  // namespace markbridge::london
