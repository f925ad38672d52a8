#pragma once
// Crash-test hook: when MARKBRIDGE_FAULT names this point, the process kills itself with
// SIGKILL right here, as a power cut or `kill -9` would. `name:N` kills on the Nth time the
// point is passed (counted across threads), so a test picks where a run dies by fault point and
// count, never by time. Used by the reliability tests only.

#include <string_view>

namespace markbridge {
void faultPoint(std::string_view name);
}  // namespace markbridge
