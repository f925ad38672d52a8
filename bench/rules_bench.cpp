// `markbridge-bench rules`: the statutory policy over a school's stored register, as a sync runs
// it: first a full evaluation (no checkpoints yet), then the morning and afternoon registers of
// the next day close, each imported and evaluated again, resuming from each pupil's checkpoint.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/bench_data.h"
#include "bench/measure.h"
#include "core/store/store.h"

namespace fs = std::filesystem;

namespace markbridge::bench {
namespace {

// Runs `step` on the open store and prints its time.
template <typename Step>
bool timed(const char* label, Step step, const char* what) {
  auto start = std::chrono::steady_clock::now();
  PhaseResult r = step();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (r.failed) {
    std::printf("  %-36s FAILED\n", label);
    return false;
  }
  std::printf("  %-36s %8.1f ms  %lld %s", label, ms, static_cast<long long>(r.marks), what);
  if (r.problems) std::printf(", %lld pupils resumed", static_cast<long long>(r.problems));
  std::printf("\n");
  std::fflush(stdout);
  return true;
}

}  // namespace

int rulesBench(int argc, char** argv) {
  BenchOptions options;
  options.pupils = 1500;
  options.sessions = 370;
  if (!parseBenchOptions(argc, argv, options)) return 2;
  int pupils = options.pupils, sessions = options.sessions;
  fs::path dir = options.dir;
  if (pupils <= 0 || sessions <= 2) return 2;
  spdlog::set_level(spdlog::level::warn);
  bool ownDir = dir.empty();
  if (ownDir) dir = fs::temp_directory_path() / ("markbridge-rules-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto db = dir / "rules.db";
  for (const char* f : {"rules.db", "rules.db-wal", "rules.db-shm"}) fs::remove(dir / f);
  std::printf("rules benchmark: %d pupils, a register of %d sessions, the statutory policy\n",
              pupils, sessions);

  auto year = writeLongCsv(dir / "year.csv", pupils, sessions);
  auto stored = inChild([&] { return storeCsv(year.path, db); });
  std::printf("  %-34s %8.1f ms  %lld marks\n", "register stored", stored.seconds * 1000,
              static_cast<long long>(stored.result.marks));
  Date lastDay = benchDay(sessions - 1), nextDay = benchDay(sessions);
  auto am = writeLongCsv(dir / "am.csv", pupils, 1, sessions);
  auto pm = writeLongCsv(dir / "pm.csv", pupils, 1, sessions + 1);
  // As the service runs it: the store open throughout, a sync after each register closes.
  auto run = inChild([&] {
    auto store = openSqliteStore(db.string());
    bool ok = timed(
        "full evaluation (no checkpoints)", [&] { return syncEvaluation(*store, lastDay); },
        "new events");
    ok &= timed(
        "full re-evaluation, events recorded",
        [&] { return syncEvaluation(*store, lastDay, false); }, "new events");
    ok &= timed(
        "again, resumed from checkpoints", [&] { return syncEvaluation(*store, lastDay); },
        "new events");
    ok &= timed(
        "next morning's register imported", [&] { return importCsv(*store, am.path); }, "marks");
    ok &= timed(
        "evaluation after it (incremental)", [&] { return syncEvaluation(*store, nextDay); },
        "new events");
    ok &= timed(
        "afternoon register imported", [&] { return importCsv(*store, pm.path); }, "marks");
    ok &= timed(
        "evaluation after it (incremental)", [&] { return syncEvaluation(*store, nextDay); },
        "new events");
    ok &= timed(
        "backtest of the year (nothing sent)", [&] { return backtestYear(*store, nextDay); },
        "events");
    return PhaseResult{0, 0, !ok};
  });
  std::printf("  peak memory %.0f MB\n", run.peak_mb);
  bool ok = !stored.result.failed && !run.result.failed;
  if (ownDir) fs::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace markbridge::bench
