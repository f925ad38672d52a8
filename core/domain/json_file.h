#pragma once
// The one way a JSON file written by a person is read: the configuration, policy files and
// school calendars. The file must be UTF-8 (a UTF-8 byte order mark is skipped; UTF-16 is
// refused with a hint) and at most kMaxJsonFileBytes; comments are not JSON and are refused
// (with a message that says so, not a bare syntax error). A problem names the file and, for a
// syntax error, the line and column of the byte where reading stopped.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "core/domain/problem.h"

namespace markbridge {

constexpr std::uintmax_t kMaxJsonFileBytes = 4 * 1024 * 1024;

// The document in `file`, or nothing with one problem appended to `problems`. `what` names the
// file in messages: "cannot open the <what>".
std::optional<nlohmann::json> readJsonFile(const std::filesystem::path& file, std::string_view what,
                                           std::vector<Problem>& problems,
                                           std::uintmax_t maxBytes = kMaxJsonFileBytes);

// The same for text already read (`file` names it in problems).
std::optional<nlohmann::json> parseJsonText(std::string_view text, const std::string& file,
                                            std::vector<Problem>& problems);

}  // namespace markbridge
