// `markbridge user`: the web console's people, in the users file the configuration names
// (service.console_users_file).
//   user add NAME --role ROLE   adds NAME, or gives them a new password and role; the password
//                               is read from standard input (asked twice, without echo, on a
//                               terminal), never taken as an argument
//   user list                   names and roles (never a hash)
//   user remove NAME

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <ostream>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/console/console_users.h"
#include "core/app/console/password_hash.h"

namespace markbridge {
namespace {

constexpr std::size_t kMinPasswordLength = 12;

// One line from `in`; on a terminal, asked for without echo.
std::optional<std::string> readPassword(std::istream& in, std::ostream& err, const char* prompt) {
  bool terminal = &in == &std::cin && ::isatty(STDIN_FILENO);
  termios before{};
  if (terminal) {
    err << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &before);
    termios quiet = before;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(in, line));
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &before);
    err << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int userCommand(const Args& args, std::istream& in, std::ostream& out, std::ostream& err) {
  auto config = loadConfigOrSay(args, err);
  if (!config) return kExitConfig;
  const auto& file = config->service.console_users_file;
  if (file.empty()) {
    err << "markbridge user: the configuration has no service.console_users_file: set it (e.g. "
           "\"console-users\") to keep the console's users\n";
    return kExitConfig;
  }
  std::string action = args.files.empty() ? "list" : args.files[0];
  std::string name = args.files.size() > 1 ? args.files[1] : "";
  if (args.files.size() > 2) {
    err << "markbridge user: the password is read from standard input, never given as an "
           "argument\n";
    return kExitConfig;
  }
  auto users = readConsoleUsers(file, action == "add");
  auto found = std::find_if(users.begin(), users.end(),
                            [&](const ConsoleUser& u) { return u.name == name; });
  if (action == "list") {
    if (users.empty()) out << "no console users in " << file.string() << "\n";
    for (const auto& u : users) out << u.name << "  " << toString(u.role) << "\n";
    return kExitOk;
  }
  if (action == "add") {
    if (auto problem = userNameProblem(name)) {
      err << "markbridge user add: '" << oneLine(name) << "': " << *problem << "\n";
      return kExitConfig;
    }
    // Logins are throttled whatever their capitals: two users differing only in case would share
    // a throttle (and confuse people), so the second is refused.
    auto folded = [](std::string text) {
      for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return text;
    };
    for (const auto& u : users)
      if (u.name != name && folded(u.name) == folded(name)) {
        err << "markbridge user add: '" << oneLine(name) << "' differs from the user '"
            << oneLine(u.name) << "' only in capitals: use that name, or another\n";
        return kExitConfig;
      }
    auto role = consoleRoleFrom(args.role);
    if (!role) {
      err << "markbridge user add: --role is technician, attendance_officer, dsl or read_only\n";
      return kExitConfig;
    }
    auto password = readPassword(in, err, "password: ");
    if (!password || password->size() < kMinPasswordLength) {
      err << "markbridge user add: give a password of at least " << kMinPasswordLength
          << " characters on standard input\n";
      return kExitConfig;
    }
    if (&in == &std::cin && ::isatty(STDIN_FILENO)) {
      auto again = readPassword(in, err, "the same again: ");
      if (!again || *again != *password) {
        err << "markbridge user add: the two passwords differ; nothing was changed\n";
        return kExitConfig;
      }
    }
    ConsoleUser user{name, *role, hashPassword(*password)};
    bool existed = found != users.end();
    if (existed)
      *found = user;
    else
      users.push_back(user);
    writeConsoleUsers(file, users);
    out << (existed ? "user " + name + " updated: role " : "user " + name + " added: role ")
        << toString(*role) << " (" << file.string() << ")\n";
    return kExitOk;
  }
  if (action == "remove") {
    if (found == users.end()) {
      err << "markbridge user remove: no user '" << oneLine(name) << "' in " << file.string()
          << "\n";
      return kExitConfig;
    }
    users.erase(found);
    writeConsoleUsers(file, users);
    out << "user " << name << " removed; their console sessions end at their next request\n";
    return kExitOk;
  }
  err << "markbridge user: add NAME --role ROLE, list or remove NAME\n";
  return kExitConfig;
}

}  // namespace markbridge
