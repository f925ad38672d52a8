// The threads work runs aside on (delivery attempts, evaluation batches) are the process's,
// kept from one run (one school's sync) to the next: a run's tasks never wait behind each
// other, and a later run makes no new threads.

#include "core/domain/kept_threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>

#include "core/domain/logging.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// `n` tasks that each wait until released: all must be under way at once.
void runTogether(int n) {
  std::mutex mutex;
  std::condition_variable released;
  bool go = false;
  std::atomic<int> started{0}, finished{0};
  for (int i = 0; i < n; ++i)
    KeptThreads::ofProcess().run([&] {
      ++started;
      {
        std::unique_lock lock(mutex);
        released.wait(lock, [&] { return go; });
      }
      ++finished;  // the last it touches of this function's
    });
  EXPECT_TRUE(test::waitUntil([&] { return started == n; }))
      << started << " of " << n << " tasks under way: one waited behind another";
  {
    std::lock_guard lock(mutex);
    go = true;
  }
  released.notify_all();
  ASSERT_TRUE(test::waitUntil([&] { return finished == n; }));
}

}  // namespace

TEST(KeptThreads, EachTaskHasAThreadAndTheNextRunReusesThem) {
  runTogether(12);
  int afterFirst = KeptThreads::ofProcess().threads();
  EXPECT_GE(afterFirst, 12);
  ASSERT_TRUE(test::waitUntil([&] { return KeptThreads::ofProcess().idle() == afterFirst; }));
  runTogether(12);
  EXPECT_EQ(KeptThreads::ofProcess().threads(), afterFirst);
}

// A trust's worker logs each school's lines as that school's (LogSchool): what a delivery
// attempt or an evaluation batch logs on a kept thread is the school's that handed it over.
TEST(KeptThreads, ATaskLogsAsTheSchoolOfTheThreadThatHandedItOver) {
  auto schoolOfTask = [] {
    std::promise<std::string> seen;
    auto future = seen.get_future();
    KeptThreads::ofProcess().run([&seen] { seen.set_value(LogSchool::now()); });
    return future.get();
  };
  {
    LogSchool about("140001");
    EXPECT_EQ(schoolOfTask(), "140001");
    LogSchool other("140002");
    EXPECT_EQ(schoolOfTask(), "140002");
  }
  EXPECT_EQ(schoolOfTask(), "");  // a kept thread keeps no school from its last task
}
