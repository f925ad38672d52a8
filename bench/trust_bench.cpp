// `markbridge-bench trust`: a trust's or an LA's schools in one deployment, synced as
// `markbridge run` workers sync them. Each school's year is imported and evaluated (the state a
// school is in when it goes live part-way through a year: its history recorded, nothing sent),
// then the next day's afternoon register closes at every school at once (the export holds the
// day's two sessions; the statutory policy's measures are taken at the end of the day, so this
// is the close that raises events), and every school's sync
// (import, evaluation, delivery to the sandbox) runs on whichever worker takes its lease, each
// worker walking the schools in the configuration's order as the service does. On SQLite (a
// file per school) and PostgreSQL (one database, every row keyed by school), with 1, 2 and 4
// workers; each worker is a process of its own, as on a real server.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "bench/measure.h"
#include "bench/trust_workers.h"
#include "core/app/deployment_config.h"
#include "core/app/gateway.h"
#include "core/store/postgres_db.h"
#include "schedules/london_time.h"

namespace fs = std::filesystem;

namespace markbridge::bench {
namespace {

int usage() {
  std::fprintf(stderr,
               "usage: markbridge-bench trust [--schools N] [--pupils-per-school M] "
               "[--sessions S]\n"
               "                              [--workers 1,2,4] [--postgres URI [--postgres-only]] "
               "[--dir DIR]\n"
               "  defaults: 300 schools x 1000 pupils, 378 sessions each (189 school days, 113 "
               "million marks) and then the 190th day's (a Friday's) afternoon register closes; "
               "1, 2 and 4 workers; SQLite, and PostgreSQL when --postgres names a server (a "
               "schema of its own per run, dropped after). The statutory policy's weekly tasks "
               "arise on Fridays: with --sessions, a number 2 short of a multiple of 10 closes "
               "a Friday\n");
  return 2;
}

std::string urnOf(int school) {
  return std::to_string(150000 + school);
}

// One run's figures, for the scaling table.
struct RunFigures {
  std::string store;
  int workers = 0;
  double import = 0, evaluation = 0, close = 0;
  bool ok = false;
};

struct TrustRun {
  fs::path dir;   // the run's folder: trust.json, drops/, stores/
  fs::path year;  // the schools' year exports (shared by every run)
  int schools = 0, pupils = 0, sessions = 0;
  nlohmann::json store;  // the configuration's `store`

  // The configuration: every school in LA 801, sharing the sandbox as LA portal and CPOMS; each
  // going live on the day its register closes (`notify_from`), so its year is history.
  void write(const std::string& sandboxUrl, Date goLive) const {
    fs::create_directories(dir / "drops");
    fs::create_directories(dir / "stores");
    std::ofstream(dir / "calendar.json")
        << nlohmann::json{{"name", "bench year"},
                          {"terms",
                           {{{"name", "year"}, {"start", "2024-09-01"}, {"end", "2025-08-31"}}}}}
               .dump();
    nlohmann::json schools = nlohmann::json::array();
    for (int s = 0; s < this->schools; ++s)
      schools.push_back({{"school",
                          {{"urn", urnOf(s)},
                           {"la", "801"},
                           {"estab", std::to_string(4000 + s)},
                           {"name", "Bench School " + std::to_string(s)}}},
                         {"calendar", "calendar.json"},
                         {"rules", {{"notify_from", goLive.iso()}}},
                         {"sources",
                          {{{"name", "sims"},
                            {"type", "sims_csv"},
                            {"files", {"drops/" + urnOf(s) + ".csv"}}}}}});
    const std::string ca = std::string(MB_CERTS_DIR) + "/ca.pem";
    nlohmann::json config = {
        {"schools", schools},
        {"store", store},
        {"sinks",
         {{{"name", "la"},
           {"type", "la_portal"},
           {"base_url", sandboxUrl},
           {"ca_file", ca},
           {"auth", {{"type", "bearer"}, {"token_env", "MB_BENCH_LA_TOKEN"}}}},
          {{"name", "cpoms"},
           {"type", "cpoms"},
           {"base_url", sandboxUrl},
           {"ca_file", ca},
           {"auth", {{"type", "api_key"}, {"key_env", "MB_BENCH_CPOMS_KEY"}}}}}},
        {"service", {{"admin_port", -1}}}};
    std::ofstream(dir / "trust.json") << config.dump(1);
  }
};

void printPhase(const char* label, const WorkersDone& done, const char* what) {
  std::printf("    %-34s %8.2f s  %s\n", label, done.seconds, what);
  std::fflush(stdout);
}

// One store, one number of workers: the year, then the register close.
RunFigures runTrust(const TrustRun& run, int workers, const std::string& storeName) {
  RunFigures figures{storeName, workers};
  const Date closeDay = benchDay(run.sessions);
  const int64_t yearEndMs = london::toUtc(benchDay(run.sessions - 1), 18 * 60) * 1000;
  const int64_t closeMs = london::toUtc(closeDay, 13 * 60 + 30) * 1000;
  SandboxProcess sandbox;
  run.write(sandbox.baseUrl(), closeDay);
  for (int s = 0; s < run.schools; ++s)  // the day's export lands in each drop folder
    writeLongCsv(run.dir / "drops" / (urnOf(s) + ".csv"), run.pupils, 2, run.sessions, 0,
                 s * run.pupils);
  SchoolsOfTrust trust{run.dir / "trust.json", run.year};
  std::printf("  %s, %d worker(s):\n", storeName.c_str(), workers);
  auto made =
      onWorkers(1, [&](int, const std::function<void()>& go) { return trust.makeStores(go); });
  if (!made.ok()) return figures;

  auto imported = onWorkers(workers, [&](int w, const std::function<void()>& go) {
    return trust.importYear(w, workers, yearEndMs, go);
  });
  char what[160];
  std::snprintf(what, sizeof what, "%.1f M marks, %.2f M marks/s%s",
                static_cast<double>(imported.tally.marks) / 1e6,
                static_cast<double>(imported.tally.marks) / 1e6 / imported.seconds,
                imported.ok() ? "" : "  FAILED");
  printPhase("a year imported", imported, what);
  figures.import = imported.seconds;

  auto evaluated = onWorkers(workers, [&](int w, const std::function<void()>& go) {
    return trust.evaluateYear(w, workers, yearEndMs, go);
  });
  std::snprintf(what, sizeof what, "%lld pupils, %lld events recorded as history%s",
                static_cast<long long>(evaluated.tally.pupils),
                static_cast<long long>(evaluated.tally.events), evaluated.ok() ? "" : "  FAILED");
  printPhase("the year evaluated (go-live)", evaluated, what);
  figures.evaluation = evaluated.seconds;

  auto closed = onWorkers(workers, [&](int, const std::function<void()>& go) {
    return trust.registerClose(closeMs, go);
  });
  const auto kept = sandbox.received();
  const auto& t = closed.tally;
  // Every school synced once, every item delivered, none twice (no faults: nothing repeated).
  bool ok = closed.ok() && t.synced == run.schools && t.pending == 0 && kept.repeats == 0 &&
            kept.records >= t.delivered && imported.ok() && evaluated.ok();
  std::snprintf(what, sizeof what,
                "%d schools: %lld marks, %lld new events, %lld items delivered (%d records at the "
                "sandbox)%s",
                t.synced, static_cast<long long>(t.marks), static_cast<long long>(t.events),
                static_cast<long long>(t.delivered), kept.records, ok ? "" : "  FAILED");
  printPhase("the afternoon register closes", closed, what);
  std::printf("    %-34s %s\n", "", closed.per_worker.c_str());
  std::printf("    %-34s TLS connections to the sandbox: %d (%d resumed)\n", "", kept.handshakes,
              kept.resumed);
  const double synced = std::max(1, t.synced);
  std::printf(
      "    %-34s each school's sync: gateway made %.0f ms, import %.0f ms, evaluation %.0f "
      "ms, delivery %.0f ms\n",
      "", t.setup_ms / synced, t.import_ms / synced, t.evaluate_ms / synced, t.deliver_ms / synced);
  const auto* w = t.worker_cpu_ms;
  const auto* s = t.server_cpu_ms;
  std::printf(
      "    %-34s CPU a school (worker + its server process): gateway %.0f + %.0f ms, import %.0f "
      "+ %.0f ms, evaluation %.0f + %.0f ms, delivery %.0f + %.0f ms; the sandbox %.0f ms\n",
      "", w[0] / synced, s[0] / synced, w[1] / synced, s[1] / synced, w[2] / synced, s[2] / synced,
      w[3] / synced, s[3] / synced, kept.cpu_ms / synced);
  figures.close = closed.seconds;
  figures.ok = ok;
  return figures;
}

std::vector<int> workerCounts(const std::string& list) {
  std::vector<int> counts;
  for (std::size_t at = 0; at < list.size();) {
    auto end = list.find(',', at);
    int k = std::atoi(list.substr(at, end - at).c_str());
    if (k <= 0 || k > 16) return {};
    counts.push_back(k);
    at = end == std::string::npos ? list.size() : end + 1;
  }
  return counts;
}

// The server's URI without its password (a configuration may not hold one), the password put
// where the configuration says to read it.
std::string passwordToEnvironment(const std::string& uri) {
  auto scheme = uri.find("://"), at = uri.find('@');
  auto colon = uri.find(':', scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || colon > at) return uri;
  ::setenv("MB_BENCH_PG_PASSWORD", uri.substr(colon + 1, at - colon - 1).c_str(), 1);
  return uri.substr(0, colon) + uri.substr(at);
}

}  // namespace

int trustBench(int argc, char** argv) {
  BenchOptions options;
  options.schools = 300;
  options.pupils = 1000;
  options.sessions = 378;
  options.workers = "1,2,4";
  if (!parseBenchOptions(argc, argv, options)) return usage();
  auto counts = workerCounts(options.workers);
  if (options.schools <= 0 || options.pupils <= 0 || options.sessions <= 2 || counts.empty() ||
      (options.postgres_only && options.postgres.empty()))
    return usage();
  spdlog::set_level(spdlog::level::err);
  ::setenv("MB_BENCH_LA_TOKEN", "la-sandbox-token", 1);
  ::setenv("MB_BENCH_CPOMS_KEY", "cpoms-sandbox-key", 1);
  fs::path dir = options.dir;
  const bool ownDir = dir.empty();
  if (ownDir) dir = fs::temp_directory_path() / ("markbridge-trust-" + std::to_string(getpid()));
  fs::create_directories(dir / "year");
  std::printf(
      "trust benchmark: %d schools x %d pupils, a year of %d sessions each (%.1f million "
      "marks); then every school's afternoon register closes at once\n",
      options.schools, options.pupils, options.sessions,
      static_cast<double>(options.schools) * options.pupils * options.sessions / 1e6);

  auto start = std::chrono::steady_clock::now();
  auto generated = onWorkers(2, [&](int w, const std::function<void()>& go) {
    go();
    Tally t;
    for (int s = w; s < options.schools; s += 2)
      t.marks += writeLongCsv(dir / "year" / (urnOf(s) + ".csv"), options.pupils, options.sessions,
                              0, 0, s * options.pupils)
                     .marks;
    return t;
  });
  std::printf("  each school's year export generated (2 processes): %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  bool ok = generated.ok();

  std::vector<RunFigures> all;
  std::vector<std::pair<std::string, nlohmann::json>> stores = {
      {"SQLite", {{"sqlite", "stores/{urn}.db"}}}};
  if (options.postgres_only) stores.clear();
  std::string pgServer;
  if (!options.postgres.empty()) pgServer = passwordToEnvironment(options.postgres);
  for (int k : counts) {
    for (const auto& [name, store] : stores) {
      TrustRun run{dir / ("run-" + name + "-" + std::to_string(k)),
                   dir / "year",
                   options.schools,
                   options.pupils,
                   options.sessions,
                   store};
      all.push_back(runTrust(run, k, name));
      if (!options.keep) fs::remove_all(run.dir);
    }
    if (pgServer.empty()) continue;
    std::string schema = "markbridge_trust_" + std::to_string(getpid()) + "_" + std::to_string(k);
    std::string uri = benchSchema(options.postgres, schema);
    TrustRun run{
        dir / ("run-PostgreSQL-" + std::to_string(k)),
        dir / "year",
        options.schools,
        options.pupils,
        options.sessions,
        {{"postgresql", passwordToEnvironment(uri)}, {"password_env", "MB_BENCH_PG_PASSWORD"}}};
    all.push_back(runTrust(run, k, "PostgreSQL"));
    fs::remove_all(run.dir);
    if (!options.keep) dropBenchSchema(options.postgres, schema);
  }

  std::printf("\n  %-11s %7s %12s %12s %16s %9s\n", "store", "workers", "year import", "evaluation",
              "register close", "scaling");
  for (const auto& f : all) {
    double single = 0;
    for (const auto& g : all)
      if (g.store == f.store && g.workers == 1) single = g.close;
    std::printf("  %-11s %7d %10.1f s %10.1f s %14.2f s", f.store.c_str(), f.workers, f.import,
                f.evaluation, f.close);
    if (single > 0) std::printf(" %8.2fx", single / f.close);
    std::printf("%s\n", f.ok ? "" : "  FAILED");
    ok &= f.ok;
  }
  if (ownDir) fs::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace markbridge::bench
