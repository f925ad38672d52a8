#include "core/app/sync_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <stdexcept>

namespace markbridge {

std::optional<SyncLock> SyncLock::tryAcquire(const std::filesystem::path& store) {
  auto file = store.string() + ".lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open the sync lock " + file);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return SyncLock(fd);
}

SyncLock::SyncLock(SyncLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

SyncLock::~SyncLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace markbridge
