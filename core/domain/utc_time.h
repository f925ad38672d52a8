#pragma once
// A moment as the JSON logs and the console's audit log write it: UTC, to the millisecond.

#include <cstdint>
#include <string>

namespace markbridge {

// "2026-11-30T09:12:03.120Z" for unix milliseconds `ms`.
std::string utcIsoMs(int64_t ms);

}  // namespace markbridge
