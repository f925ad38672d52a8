#pragma once
// Every connector and sink logs through its own named logger. Pupil names and UPNs are never
// logged at info or above: log counts and file names, and put identities at debug only.

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace markbridge {
std::shared_ptr<spdlog::logger> namedLogger(const std::string& name);
// The process's logging: the human format on stderr, and with `jsonFile` also JSON lines
// ({"time", "level", "logger", "message"}) to that file, rotated at 10 MB with 5 kept. Every
// logger flushes each line at warn and above at once, and all lines at least every second.
// Newlines and control characters in a message are escaped (\n, \x1b, and \\ for a backslash):
// one line is one record.
void configureLogging(const std::string& level, const std::string& jsonFile = "");
// The commands' own log (the default logger, before or without configureLogging) escaped too.
void escapeTerminalLog();
// The escaping the human log uses.
std::string escapeLogText(std::string_view text);
// While one lives, every line this thread logs is one school's (a trust's configuration serves
// many): the human format starts its message "school URN: ", the JSON line has "school": URN.
// An empty URN changes nothing (a single school's lines stay as they were).
class LogSchool {
 public:
  // The school this thread's lines are about now ("" for none).
  static const std::string& now();
  explicit LogSchool(const std::string& urn);
  ~LogSchool();
  LogSchool(const LogSchool&) = delete;
  LogSchool& operator=(const LogSchool&) = delete;

 private:
  std::string previous_;
};
}  // namespace markbridge
