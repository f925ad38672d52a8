#pragma once
// A full disk, made on demand: while a FileSizeLimit is alive, files this process and the
// children it starts write cannot grow past `bytes`; a write beyond fails with EFBIG, as on a
// full disk (SIGXFSZ ignored, which the child inherits), instead of ending the process.

#include <sys/resource.h>

#include <csignal>

namespace markbridge::test {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{bytes, saved_.rlim_max};
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
};

}  // namespace markbridge::test
