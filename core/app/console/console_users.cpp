#include "core/app/console/console_users.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/app/console/password_hash.h"

namespace markbridge {

std::optional<ConsoleRole> consoleRoleFrom(std::string_view text) {
  if (text == "technician") return ConsoleRole::Technician;
  if (text == "attendance_officer") return ConsoleRole::AttendanceOfficer;
  if (text == "dsl") return ConsoleRole::Dsl;
  if (text == "read_only") return ConsoleRole::ReadOnly;
  return std::nullopt;
}

std::string_view toString(ConsoleRole role) {
  switch (role) {
    case ConsoleRole::Technician:
      return "technician";
    case ConsoleRole::AttendanceOfficer:
      return "attendance_officer";
    case ConsoleRole::Dsl:
      return "dsl";
    case ConsoleRole::ReadOnly:
      return "read_only";
  }
  return "read_only";
}

bool maySeePupils(ConsoleRole role) {
  return role != ConsoleRole::Technician;
}

bool mayChange(ConsoleRole role) {
  return role != ConsoleRole::ReadOnly;
}

std::optional<std::string> userNameProblem(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a user name is 1 to 64 characters";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' &&
        c != '-')
      return "a user name holds only letters, digits and . _ @ -";
  return std::nullopt;
}

std::vector<ConsoleUser> readConsoleUsers(const std::filesystem::path& file, bool missingIsEmpty) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    if (missingIsEmpty && errno == ENOENT) return {};
    throw std::runtime_error("cannot read the console users file " + file.string());
  }
  if ((info.st_mode & 077) != 0)
    throw std::runtime_error("the console users file " + file.string() +
                             " must be readable by its owner only (chmod 600)");
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the console users file " + file.string());
  std::vector<ConsoleUser> users;
  std::string line;
  int number = 0;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) fail("expected NAME:ROLE:HASH");
    ConsoleUser user;
    user.name = line.substr(0, first);
    if (auto problem = userNameProblem(user.name)) fail(*problem);
    auto roleText = line.substr(first + 1, second - first - 1);
    auto role = consoleRoleFrom(roleText);
    if (!role)
      fail("unknown role '" + roleText + "': technician, attendance_officer, dsl or read_only");
    user.role = *role;
    user.password_hash = line.substr(second + 1);
    if (auto problem = passwordHashProblem(user.password_hash))
      fail("the password hash of " + user.name + " is unreadable: " + *problem);
    for (const auto& other : users)
      if (other.name == user.name) fail("user " + user.name + " is named twice");
    users.push_back(std::move(user));
  }
  return users;
}

void writeConsoleUsers(const std::filesystem::path& file, const std::vector<ConsoleUser>& users) {
  std::ostringstream text;
  text << "# Markbridge console users: NAME:ROLE:HASH (managed by `markbridge user`)\n";
  for (const auto& u : users)
    text << u.name << ":" << toString(u.role) << ":" << u.password_hash << "\n";
  auto body = text.str();
  auto temporary = file.string() + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + temporary);
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(temporary.c_str(), file.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write the console users file " + file.string());
  }
}

}  // namespace markbridge
