#pragma once
// Who is on roll: a pupil's periods in the admission register (admission to leaving), as the
// sources that carry them give them. A pupil can have several (leaves and rejoins). A pupil with
// none is one whose sources say nothing about the roll: every day counts, as it always did.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/date.h"

namespace markbridge {

struct OnRollPeriod {
  std::optional<Date> admitted;  // first day on roll; nothing: the source does not say
  std::optional<Date> left;      // last day on roll (the MIS's Date of Leaving); nothing: on roll
  std::string leaving_reason;    // the reason or ground for deletion as the source gave it
  std::string destination;       // the new school (URN or name) or address, where known
  bool operator==(const OnRollPeriod&) const = default;
  bool covers(Date day) const { return (!admitted || *admitted <= day) && (!left || day <= *left); }
};

// On roll on `day`: true when there are no periods at all (no on-roll data), else when a
// period covers the day.
inline bool isOnRoll(const std::vector<OnRollPeriod>& periods, Date day) {
  return periods.empty() || std::any_of(periods.begin(), periods.end(),
                                        [&](const OnRollPeriod& p) { return p.covers(day); });
}

// What one source says about one of a pupil's periods.
struct OnRollRecord {
  std::string upn;
  OnRollPeriod period;
  int line = 0;  // where in the input, for problems and warnings
  // The source carries leaving dates: a period without one is still open (a stored leaving
  // date for the same admission is withdrawn). False for a source that cannot say (a column
  // not exported), which keeps what the store knew.
  bool states_leaving = true;
};

}  // namespace markbridge
