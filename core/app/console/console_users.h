#pragma once
// The console's people: a users file (service.console_users_file) that only its owner may read
// or write (mode 0600, checked like the other secrets files), one person a line:
//   NAME:ROLE:HASH
// NAME is 1-64 of A-Z a-z 0-9 . _ @ -; ROLE one of the roles below; HASH as password_hash.h makes
// it. Lines starting with # and blank lines are ignored. `markbridge user add|list|remove`
// manages it; the service reads it at each login, so a change needs no restart.
//
// Roles:
//   technician          health, sources, sinks and the outbox; never a pupil's name (masked UPN)
//   attendance_officer  the same and pupils (names)
//   dsl                 the same as attendance_officer (the safeguarding lead)
//   read_only           sees what attendance_officer sees; changes nothing (no retry, discard)

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace markbridge {

enum class ConsoleRole { Technician, AttendanceOfficer, Dsl, ReadOnly };
std::optional<ConsoleRole> consoleRoleFrom(std::string_view text);
std::string_view toString(ConsoleRole role);
// What a role may do.
bool maySeePupils(ConsoleRole role);
bool mayChange(ConsoleRole role);

struct ConsoleUser {
  std::string name;
  ConsoleRole role = ConsoleRole::ReadOnly;
  std::string password_hash;
};

// Whether `name` is a user name the file can hold, else the reason.
std::optional<std::string> userNameProblem(const std::string& name);

// Reads the users file. Throws std::runtime_error naming the file (and line) when it cannot be
// read, is readable by others than its owner, or a line is malformed. A missing file reads as
// no users when `missingIsEmpty` (for `user add`'s first user).
std::vector<ConsoleUser> readConsoleUsers(const std::filesystem::path& file,
                                          bool missingIsEmpty = false);
// Writes the users file whole (a temporary file renamed over it), owner-only (0600).
void writeConsoleUsers(const std::filesystem::path& file, const std::vector<ConsoleUser>& users);

}  // namespace markbridge
