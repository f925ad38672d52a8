#pragma once
// Shared helpers for the tests: temporary folders, small calendars and registers, and running
// the real `markbridge` binary.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/domain/date.h"
#include "core/domain/mark.h"
#include "core/outbox/outbox_item.h"
#include "schedules/school_calendar.h"
#include "tests/sandbox/sandbox_server.h"

namespace markbridge::test {

// A fresh folder under the system temp dir, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

Date d(const char* iso);

// Autumn 2024: 2 Sep - 20 Dec, half term 28 Oct - 1 Nov, INSET 2 Sep, closure 20 Dec;
// Spring 2025: 6 Jan - 4 Apr.
SchoolCalendar autumnCalendar();
std::string autumnCalendarJson();

// Marks for one pupil: each day in `days` gets `am` and `pm`.
void addDays(std::vector<Mark>& marks, const std::string& upn, const std::vector<Date>& days,
             const char* am, const char* pm);
Mark mark(const std::string& upn, Date day, Session s, const char* code);

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that killed it
  std::string out, err;
};
// Runs the built `markbridge` with `args`, extra environment `env`, in `cwd`.
// Starts the built `markbridge` with `args` and extra environment `env` in `cwd`, its stdout and
// stderr to the files given (the same file: both appended); returns its pid.
pid_t spawnMarkbridge(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env,
                      const std::filesystem::path& cwd, const std::filesystem::path& outFile,
                      const std::filesystem::path& errFile);
// `hangAfterMs` > 0 is a watchdog for a command that must end on its own (the service refusing
// a store): killed with SIGKILL if still running then, which the test sees as `signal`. Tests
// that crash a run on purpose use MARKBRIDGE_FAULT=point:N (core/domain/fault_point.h), never
// a time.
RunResult runMarkbridge(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
                        const std::filesystem::path& cwd, int hangAfterMs = 0);

// Polls `condition` every few milliseconds until it holds (true) or `deadline` passes (false).
// The deadline is for a hang, not a speed check: generous, so a loaded machine or a sanitizer
// build only makes the test slower, never wrong. Tests wait with this, never a fixed sleep.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds deadline = std::chrono::seconds(60));

// The one-school configuration the black-box tests start from (Test School, URN 140000, the store
// register.db and the calendar calendar.json in the test's folder) with `more` merged over it.
nlohmann::json schoolConfig(const nlohmann::json& more);
// The LA portal sink "la" at `baseUrl`, trusting the development CA, with the bearer token from
// MB_LA_TOKEN.
nlohmann::json laSink(const std::string& baseUrl);
// A CPOMS sink at the sandbox, its API key in the environment variable `keyEnv`.
nlohmann::json cpomsSink(const std::string& baseUrl, const std::string& keyEnv = "MB_CPOMS_KEY");

// The memory bound (300 MB peak) in kB, and whether this build can be held to it: under
// AddressSanitizer (shadow memory, quarantine) the same run takes two to three times as much, so
// the sanitizer pass runs these tests for their behaviour and the normal pass checks memory.
constexpr long kPeakMemoryLimitKb = 300 * 1024;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMemoryIsMeasured = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMemoryIsMeasured = false;
#else
constexpr bool kMemoryIsMeasured = true;
#endif
#else
constexpr bool kMemoryIsMeasured = true;
#endif
// Peak memory `kb` is within the bound (always true where memory is not measured).
inline bool withinPeakMemory(long kb) {
  return !kMemoryIsMeasured || kb < kPeakMemoryLimitKb;
}

std::string certsDir();

// A started sandbox on 127.0.0.1:0 with the development certificate `cert` (server or
// untrusted-server) from certsDir().
std::unique_ptr<sandbox::SandboxServer> startSandbox(
    const std::string& cert = "server",
    const std::function<void(sandbox::SandboxOptions&)>& tune = {});
// The records a destination holds for delivered outbox `items`, each "kind|Idempotency-Key":
// an LA notification; a CPOMS-style incident, and its action (a task) or note; a note for a
// revision or withdrawal. recordsAt() is what the sandbox holds, in the same form: equal, every
// item was delivered exactly once (a record per key: the sandbox keeps one per key). A trust's
// school sends its keys after `keyScope` ("URN:", DeliveryWorker::key_scope).
std::multiset<std::string> recordsFor(const std::vector<OutboxItem>& items,
                                      const std::string& keyScope = "");
std::multiset<std::string> recordsAt(const sandbox::SandboxServer& server);
std::string sourceDir();
// The bytes of tests/fixtures/<relative>; throws naming the file when it is missing.
std::string fixtureText(const std::string& relative);
// The first ```json block after the line `heading` in docs/connectors.md: the example an IT
// technician copies, so a test proves it works as shown (null when there is none).
nlohmann::json docExample(const std::string& heading);

}  // namespace markbridge::test
