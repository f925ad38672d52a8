#pragma once
// The threads a worker process runs work aside on, kept from one school's sync to the next: its
// delivery attempts (core/outbox/delivery_worker.cpp) and the evaluation's batches of pupils
// (core/app/evaluation.cpp). A trust's worker syncs one school after another, each delivery
// run with up to max_in_flight attempts per sink at once: making and ending that many threads
// for each school's run (their stacks mapped and unmapped) cost more than the attempts' own
// work once the connections were kept (connectors/outbound/common/connection_shelf.h). A thread
// idle for a minute ends.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace markbridge {

class KeptThreads {
 public:
  static constexpr std::chrono::seconds kIdleFor{60};

  // The process's threads (never destroyed: an idle thread may still be waiting at exit).
  static KeptThreads& ofProcess();

  // Runs `task` on an idle thread, or on a new one when none is idle: never waits behind
  // another task. When no thread can be made, throws (std::system_error) and drops the task.
  // The task's log lines are about the school the caller's are (LogSchool, logging.h).
  void run(std::function<void()> task);
  int threads() const;  // threads alive now, idle or working
  int idle() const;     // threads waiting for a task

 private:
  void work();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> todo_;
  std::size_t waiting_ = 0;  // threads idle, waiting for a task
  int threads_ = 0;
};

}  // namespace markbridge
