#pragma once
// The LA portal's notification types a policy may send (../shared/domain/interfaces.md, plus
// `ehcp_attendance_concern`, which extends it). One list, read both by `markbridge check` (a
// policy's la_notification) and by the la_portal sink (its `events`), so the two cannot drift.
// `update` (a correction) is the gateway's own and is not in it.

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

namespace markbridge {

inline constexpr std::string_view kLaNotificationTypes[] = {
    "unauthorised_10_day", "sickness_15_day", "irregular_attendance", "penalty_threshold",
    // Head teacher's duty (OTW 3.2): "Communicating with the local authority when a pupil with
    // an education, health and care (EHC) plan has falling attendance".
    "ehcp_attendance_concern",
    // The admission register's returns (reg. 13(1) and 13(4)): core/rules/admission_returns.h.
    "new_pupil", "deletion",
    // Children missing education (attendance-reference.md 3a): a pupil who vanished from the
    // exports, or left with an open unauthorised run or no known destination.
    "missing_education"};

inline bool isLaNotificationType(std::string_view type) {
  return std::find(std::begin(kLaNotificationTypes), std::end(kLaNotificationTypes), type) !=
         std::end(kLaNotificationTypes);
}

// "a, b, c or d", for error messages.
inline std::string laNotificationTypeList() {
  std::string out;
  constexpr auto kCount = std::size(kLaNotificationTypes);
  for (std::size_t i = 0; i < kCount; ++i)
    out += std::string(i == 0            ? ""
                       : i + 1 == kCount ? " or "
                                         : ", ") +
           std::string(kLaNotificationTypes[i]);
  return out;
}

}  // namespace markbridge
