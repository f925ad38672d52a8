// `markbridge-bench ingest`: how fast marks go from a large export into the register.
// Each phase runs in its own child process so its peak memory is its own.

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/bench_data.h"
#include "bench/bench_phases.h"
#include "bench/measure.h"

namespace fs = std::filesystem;
using markbridge::bench::inChild;
using markbridge::bench::Measured;
using markbridge::bench::PhaseResult;
using markbridge::bench::timeCommand;

namespace {

bool report(const char* label, const Measured& m, int64_t expected, double wcSeconds) {
  if (m.result.failed || m.result.marks != expected) {
    std::printf("  %-22s FAILED: %lld of %lld marks, %lld problems\n", label,
                static_cast<long long>(m.result.marks), static_cast<long long>(expected),
                static_cast<long long>(m.result.problems));
    return false;
  }
  double rate = static_cast<double>(m.result.marks) / m.seconds;
  std::printf("  %-22s %8.2f s  %6.2f M marks/s", label, m.seconds, rate / 1e6);
  if (wcSeconds > 0) std::printf("  (%.1fx the time of wc -l)", m.seconds / wcSeconds);
  std::printf("  peak memory %.0f MB\n", m.peak_mb);
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: markbridge-bench ingest [--pupils N] [--sessions N] [--dir DIR] [--keep]\n"
               "                              [--postgres URI] [--reimport]\n"
               "  defaults: 150000 pupils x 380 sessions (57 million marks), a temporary dir\n"
               "  --reimport: then the same register again, 1%% of its marks amended, into the\n"
               "              stores just filled (the statutory evaluation then reads that one)\n");
  return 2;
}

}  // namespace

namespace markbridge::bench {

int ingestBench(int argc, char** argv) {
  BenchOptions options;
  options.pupils = 150000;
  options.sessions = 380;
  if (!parseBenchOptions(argc, argv, options)) return usage();
  int pupils = options.pupils, sessions = options.sessions;
  fs::path dir = options.dir;
  bool keep = options.keep;
  if (pupils <= 0 || sessions <= 0) return usage();
  spdlog::set_level(spdlog::level::warn);
  bool ownDir = dir.empty();
  if (ownDir) dir = fs::temp_directory_path() / ("markbridge-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (const char* f : {"long.db", "long.db-wal", "long.db-shm"}) fs::remove(dir / f);
  int64_t expected = int64_t{pupils} * sessions;
  std::printf(
      "ingest benchmark: %d pupils x %d sessions = %lld marks (parsing on one core; the store "
      "import writes on a second thread while parsing goes on)\n",
      pupils, sessions, static_cast<long long>(expected));

  auto t0 = std::chrono::steady_clock::now();
  auto csv = markbridge::bench::writeLongCsv(dir / "long.csv", pupils, sessions);
  double generated = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("long CSV: %.0f MB generated in %.1f s\n", static_cast<double>(csv.bytes) / 1e6,
              generated);
  double wc = timeCommand("wc -l < '" + csv.path.string() + "' > /dev/null");
  std::printf("  %-22s %8.2f s  (%.0f MB/s)\n", "wc -l", wc,
              static_cast<double>(csv.bytes) / 1e6 / wc);
  bool ok = true;
  ok &= report("parse + normalise", inChild([&] { return markbridge::bench::parseCsv(csv.path); }),
               expected, wc);
  ok &= report("into the SQLite store",
               inChild([&] { return markbridge::bench::storeCsv(csv.path, dir / "long.db"); }),
               expected, wc);
  // A schema of its own, so a run never meets another's rows; dropped after.
  std::string schema = "markbridge_bench_" + std::to_string(getpid()), uri;
  if (!options.postgres.empty()) {
    uri = markbridge::bench::benchSchema(options.postgres, schema);
    ok &= report("into PostgreSQL (COPY)",
                 inChild([&] { return markbridge::bench::storeCsvPostgres(csv.path, uri); }),
                 expected, wc);
  }
  // The next export of the same register, 1% of its marks changed, into the stores just filled:
  // every week is read back and laid over, the changed ones written again, each change recorded.
  // Asked for (--reimport), so the default run measures what it always has.
  if (options.reimport) {
    if (!keep) fs::remove(csv.path);  // read for the last time: half the disk for the next one
    auto amended = markbridge::bench::writeLongCsv(dir / "amended.csv", pupils, sessions, 0, 10);
    std::printf("the same register again, 1%% of its marks amended (a later export):\n");
    ok &=
        report("again into SQLite",
               inChild([&] { return markbridge::bench::storeCsv(amended.path, dir / "long.db"); }),
               expected, wc);
    if (!options.postgres.empty())
      ok &= report("again into PostgreSQL",
                   inChild([&] { return markbridge::bench::storeCsvPostgres(amended.path, uri); }),
                   expected, wc);
    if (!keep) fs::remove(amended.path);
  }
  if (!options.postgres.empty()) markbridge::bench::dropBenchSchema(options.postgres, schema);

  // Evaluating the statutory policy over the whole register just stored.
  auto evaluated = inChild([&] { return markbridge::bench::evaluateStatutory(dir / "long.db"); });
  if (evaluated.result.failed || evaluated.result.problems != pupils) {
    std::printf("  %-22s FAILED\n", "statutory evaluation");
    ok = false;
  } else {
    std::printf("  %-22s %8.2f s  %lld pupils, %lld events  peak memory %.0f MB\n",
                "statutory evaluation", evaluated.seconds,
                static_cast<long long>(evaluated.result.problems),
                static_cast<long long>(evaluated.result.marks), evaluated.peak_mb);
  }

  auto ctf = markbridge::bench::writeCtf(dir / "ctf.xml", pupils, sessions);
  std::printf("CTF XML: %.0f MB\n", static_cast<double>(ctf.bytes) / 1e6);
  double wcCtf = timeCommand("wc -l < '" + ctf.path.string() + "' > /dev/null");
  ok &= report("parse + normalise", inChild([&] { return markbridge::bench::parseCtf(ctf.path); }),
               ctf.marks, wcCtf);

  if (!keep) {
    if (ownDir)
      fs::remove_all(dir);
    else
      for (const char* f :
           {"long.csv", "amended.csv", "long.db", "long.db-wal", "long.db-shm", "ctf.xml"})
        fs::remove(dir / f);
  }
  return ok ? 0 : 1;
}

}  // namespace markbridge::bench
