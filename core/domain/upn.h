#pragma once
// Unique Pupil Number (UPN): 13 characters, a check letter then 12 characters.

#include <string>
#include <string_view>

namespace markbridge {

// The check letter that the 12 characters after it call for, or '\0' if they are malformed.
char upnCheckLetter(std::string_view upn);
// Empty when the UPN is valid; otherwise why it is not (for error messages).
std::string upnProblem(std::string_view upn);
inline bool isValidUpn(std::string_view upn) {
  return upnProblem(upn).empty();
}
// "B...5001": enough for a person to find the pupil, not enough to identify them in a log.
std::string maskUpn(std::string_view upn);

}  // namespace markbridge
