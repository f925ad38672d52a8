// `markbridge-bench console`: the console's pupil pages, server time only (the HTML built, no
// network). The at-risk list of a large authority's pupils (150,000 by default): its figures
// worked out once from the store (what the console does after each sync, in the background),
// then the first page, a filtered page and a late page, each as a request renders it; and one
// pupil's page in a 1,500-pupil school with a year's register. Targets: 200 ms a list page,
// 100 ms a pupil page (issue 19).

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "bench/measure.h"
#include "core/app/console/console_pupils.h"
#include "core/store/store.h"

namespace fs = std::filesystem;

namespace markbridge::bench {
namespace {

// The median of `runs` runs of `render`, in ms; `bytes` the page's size.
double medianMs(int runs, const std::function<std::string()>& render, std::size_t& bytes) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    bytes = render().size();
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void line(const char* label, double ms, double target, std::size_t bytes) {
  std::printf("  %-50s %8.1f ms  (target %.0f ms: %s)  %zu KB\n", label, ms, target,
              ms <= target ? "met" : "MISSED", bytes / 1024);
  std::fflush(stdout);
}

PageFrame frame(const std::string& title) {
  return PageFrame{title, "Bench Academy", "pupils", "bench", "dsl", "", true};
}

}  // namespace

int consoleBench(int argc, char** argv) {
  BenchOptions options;
  options.pupils = 150000;
  options.sessions = 60;  // the list's figures: four school weeks and two days each
  if (!parseBenchOptions(argc, argv, options)) return 2;
  if (options.pupils <= 0 || options.sessions <= 2) return 2;
  spdlog::set_level(spdlog::level::warn);
  fs::path dir = options.dir;
  bool ownDir = dir.empty();
  if (ownDir) dir = fs::temp_directory_path() / ("markbridge-console-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto calendar = benchCalendar();
  std::vector<Problem> problems;
  auto rules = RuleSet::fromJson(nlohmann::json::object(), "$.rules", ".",
                                 ConfigContext{"bench", &problems});
  auto dayOf = [](int sessions) {  // the weekday of the last session
    Date d = *Date::fromYmd(2024, 9, 2);
    for (int n = (sessions - 1) / 2;; d = d + 1)
      if (!d.isWeekend() && n-- == 0) return d;
  };
  bool ok = true;

  std::printf("console benchmark: the at-risk list of %d pupils (%d sessions each)\n",
              options.pupils, options.sessions);
  auto db = dir / "list.db";
  auto csv = writeLongCsv(dir / "list.csv", options.pupils, options.sessions);
  auto stored = inChild([&] { return storeCsv(csv.path, db); });
  fs::remove(csv.path);
  std::printf("  %-44s %8.1f s\n", "register stored", stored.seconds);
  auto list = inChild([&] {
    auto store = openSqliteStore(db.string());
    Date today = dayOf(options.sessions);
    auto evaluated = syncEvaluation(*store, today);
    std::printf("  %-44s %8lld events\n", "statutory policy evaluated",
                static_cast<long long>(evaluated.marks));
    auto snapshot = buildPupilSnapshot(*store, calendar, rules, today, 0);
    std::printf("  %-44s %8.1f ms  %zu pupils, %.1f MB held\n",
                "figures worked out (once per sync)", snapshot.build_ms, snapshot.rows.size(),
                static_cast<double>(snapshot.bytes()) / (1024.0 * 1024.0));
    std::size_t bytes = 0;
    PupilQuery first;
    double ms = medianMs(
        5, [&] { return pupilsPage(snapshot, first, frame("Pupils"), ""); }, bytes);
    line("first page (worst attendance first)", ms, 200, bytes);
    ok &= ms <= 200;
    auto filtered =
        pupilQueryFrom({{"band", "pa"}, {"year", "7"}, {"sort", "run"}, {"dir", "desc"}});
    ms = medianMs(
        5, [&] { return pupilsPage(snapshot, filtered, frame("Pupils"), ""); }, bytes);
    line("filtered: year 7, PA or SA, by unauthorised run", ms, 200, bytes);
    ok &= ms <= 200;
    PupilQuery late = pupilQueryFrom({{"sort", "name"}});
    late.page = std::max(1, static_cast<int>(snapshot.rows.size()) / PupilQuery::kPerPage - 1);
    ms = medianMs(
        5, [&] { return pupilsPage(snapshot, late, frame("Pupils"), ""); }, bytes);
    char label[64];
    std::snprintf(label, sizeof label, "late page (%d, by name)", late.page);
    line(label, ms, 200, bytes);
    ok &= ms <= 200;
    return PhaseResult{0, 0, false};
  });
  std::printf("  peak memory %.0f MB\n", list.peak_mb);

  constexpr int kSchool = 1500, kYear = 370;
  std::printf("console benchmark: a pupil's page in a school of %d pupils (%d sessions)\n", kSchool,
              kYear);
  auto schoolDb = dir / "school.db";
  auto year = writeLongCsv(dir / "school.csv", kSchool, kYear);
  inChild([&] { return storeCsv(year.path, schoolDb); });
  fs::remove(year.path);
  auto pupil = inChild([&] {
    auto store = openSqliteStore(schoolDb.string());
    Date today = dayOf(kYear);
    syncEvaluation(*store, today);
    // A persistently absent pupil (one in 20 is): the page with the most to say.
    auto named = store->pupil(benchUpn(7));
    if (!named) return PhaseResult{0, 0, true};
    std::size_t bytes = 0;
    double ms = medianMs(
        5,
        [&] {
          return pupilPage(*store, calendar, rules, *named, std::nullopt, today, frame("Pupil"));
        },
        bytes);
    line("pupil page", ms, 100, bytes);
    ok &= ms <= 100;
    ms = medianMs(
        5,
        [&] {
          return pupilPage(*store, calendar, rules, *named, today - 3, today, frame("Pupil"));
        },
        bytes);
    line("pupil page with a day explained", ms, 100, bytes);
    ok &= ms <= 100;
    return PhaseResult{0, 0, false};
  });
  if (ownDir) fs::remove_all(dir);
  return !stored.result.failed && !list.result.failed && !pupil.result.failed ? 0 : 1;
}

}  // namespace markbridge::bench
