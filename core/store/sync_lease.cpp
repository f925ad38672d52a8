#include "core/store/sync_lease.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <functional>
#include <numeric>

namespace markbridge {

const std::string& thisWorker() {
  static const std::string worker = [] {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    return std::string(host.data()) + ":" + std::to_string(::getpid());
  }();
  return worker;
}

std::size_t walkStart(std::size_t schools, bool sharedStore) {
  return schools == 0 || !sharedStore ? 0 : std::hash<std::string>{}(thisWorker()) % schools;
}

std::vector<std::size_t> walkOrder(std::size_t schools, bool sharedStore) {
  std::vector<std::size_t> order(schools);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::rotate(order.begin(),
              order.begin() + static_cast<std::ptrdiff_t>(walkStart(schools, sharedStore)),
              order.end());
  return order;
}

void walkOnFromHalfway(std::vector<std::size_t>& order, std::size_t at) {
  if (at + 1 >= order.size()) return;
  const auto rest = order.begin() + static_cast<std::ptrdiff_t>(at + 1);
  std::rotate(rest, rest + (order.end() - rest) / 2, order.end());
}

namespace {

class FileLease final : public SyncLease {
 public:
  explicit FileLease(int fd) : fd_(fd) {}
  ~FileLease() override { ::close(fd_); }  // closing releases the lock
  FileLease(const FileLease&) = delete;
  FileLease& operator=(const FileLease&) = delete;
  void confirm() override {}  // a lock on an open file is held until it is closed

 private:
  int fd_;
};

class FileLeases final : public SyncLeases {
 public:
  explicit FileLeases(const std::filesystem::path& store) : file_(store.string() + ".lock") {}

  std::unique_ptr<SyncLease> tryTake(const std::string& /*what*/) override {
    int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError("cannot open the sync lock " + file_);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return nullptr;
    }
    return std::make_unique<FileLease>(fd);
  }

  std::optional<LeaseHolder> holder() override { return std::nullopt; }

 private:
  std::string file_;
};

}  // namespace

std::unique_ptr<SyncLeases> fileSyncLeases(const std::filesystem::path& store) {
  return std::make_unique<FileLeases>(store);
}

}  // namespace markbridge
