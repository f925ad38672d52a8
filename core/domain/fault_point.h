#pragma once
// Crash-test hook: when MARKBRIDGE_FAULT names this point, the process kills itself with
// SIGKILL right here, as a power cut or `kill -9` would. Used by the reliability tests only.

#include <string_view>

namespace markbridge {
void faultPoint(std::string_view name);
}  // namespace markbridge
