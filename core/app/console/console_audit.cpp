#include "core/app/console/console_audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/domain/utc_time.h"

namespace markbridge {

bool ConsoleAudit::record(const AuditEntry& e, int64_t nowMs) {
  nlohmann::json line = {{"time", utcIsoMs(nowMs)}, {"user", e.user.substr(0, 64)},
                         {"role", e.role},          {"address", e.address},
                         {"action", e.action},      {"target", e.target},
                         {"outcome", e.outcome},    {"school", e.school}};
  auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

}  // namespace markbridge
