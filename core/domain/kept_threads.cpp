#include "core/domain/kept_threads.h"

#include <thread>

#include "core/domain/logging.h"

namespace markbridge {

KeptThreads& KeptThreads::ofProcess() {
  static auto* threads = new KeptThreads;  // NOLINT(cppcoreguidelines-owning-memory): kept
  return *threads;
}

void KeptThreads::run(std::function<void()> task) {
  // The task logs as the school its caller logs for (a trust's worker: the school being synced).
  auto aboutSchool = [school = LogSchool::now(), task = std::move(task)] {
    LogSchool about(school);
    task();
  };
  std::lock_guard lock(mutex_);
  todo_.push_back(std::move(aboutSchool));
  // Each task waiting needs a thread of its own: an idle one for each, or a new one.
  if (waiting_ >= todo_.size()) {
    wake_.notify_one();
    return;
  }
  try {
    std::thread([this] { work(); }).detach();
  } catch (...) {
    todo_.pop_back();  // no thread would run it: the caller hears why instead of waiting
    throw;
  }
  ++threads_;
}

int KeptThreads::threads() const {
  std::lock_guard lock(mutex_);
  return threads_;
}

int KeptThreads::idle() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(waiting_);
}

void KeptThreads::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++waiting_;
    bool given = wake_.wait_for(lock, kIdleFor, [&] { return !todo_.empty(); });
    --waiting_;
    if (!given) {
      --threads_;
      return;
    }
    auto task = std::move(todo_.front());
    todo_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // what it holds goes before the thread waits again
    lock.lock();
  }
}

}  // namespace markbridge
