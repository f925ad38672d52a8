#pragma once
// Every connector and sink logs through its own named logger. Pupil names and UPNs are never
// logged at info or above: log counts and file names, and put identities at debug only.

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace markbridge {
std::shared_ptr<spdlog::logger> namedLogger(const std::string& name);
// The process's logging: the human format on stderr, and with `jsonFile` also JSON lines
// ({"time", "level", "logger", "message"}) to that file, rotated at 10 MB with 5 kept.
void configureLogging(const std::string& level, const std::string& jsonFile = "");
}  // namespace markbridge
