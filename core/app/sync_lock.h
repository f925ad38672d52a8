#pragma once
// One sync at a time per store, across processes: an exclusive lock (flock) on a file next to
// the store, held for the whole sync. A sync that finds it taken does not wait and does not
// stack: the sync in progress will cover what it would have done.

#include <filesystem>
#include <memory>
#include <optional>

namespace markbridge {

class SyncLock {
 public:
  // The lock on `store` + ".lock", or nothing when another sync holds it.
  static std::optional<SyncLock> tryAcquire(const std::filesystem::path& store);
  SyncLock(SyncLock&& other) noexcept;
  SyncLock& operator=(SyncLock&&) = delete;
  ~SyncLock();

 private:
  explicit SyncLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace markbridge
