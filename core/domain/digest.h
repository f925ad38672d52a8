#pragma once
#include <string>
#include <string_view>

namespace markbridge {
// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);
}  // namespace markbridge
