#include "bench/trust_workers.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

#include "core/app/deployment_config.h"
#include "core/app/gateway.h"
#include "core/store/postgres_db.h"
#include "core/store/postgres_store.h"
#include "core/store/sync_lease.h"
#include "tests/sandbox/sandbox_server.h"

namespace fs = std::filesystem;

namespace markbridge::bench {
namespace {

// The benchmark's moment (a day of the benchmark year), going on at real speed from there, so
// deliveries' backoff and budgets behave as they do in a school.
class BenchClock : public Clock {
 public:
  explicit BenchClock(int64_t atMs) : offset_(atMs - system_.nowMs()) {}
  int64_t nowMs() override { return system_.nowMs() + offset_; }
  void sleepMs(int64_t ms) override { system_.sleepMs(ms); }

 private:
  SystemClock system_;
  int64_t offset_;
};

std::vector<GatewayConfig> schoolsOf(const fs::path& config) {
  std::vector<Problem> problems;
  auto deployment = loadDeployment(config, problems);
  if (!problems.empty()) throw ProblemError(problems);
  return deployment.schools;
}

// `work` for one school; what it throws is said and counted, and the worker goes on.
template <typename Work>
void forSchool(const GatewayConfig& school, Tally& tally, Work work) {
  try {
    work();
  } catch (const std::exception& e) {
    ++tally.failed;
    std::fprintf(stderr, "school %s: %s\n", school.school.urn.c_str(), e.what());
  }
}

// A process's CPU time so far (the scheduler's count, to the nanosecond): this process's, all
// its threads; another's, from its /proc file (0 when it cannot be read: a server elsewhere).
double cpuMsOf(pid_t pid) {
  if (pid == getpid()) {  // its /proc file would count only the main thread
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/schedstat");
  double ns = 0;
  return stat >> ns ? ns / 1e6 : 0;
}

bool readAll(int fd, void* data, std::size_t size) {
  return read(fd, data, size) == static_cast<ssize_t>(size);
}

}  // namespace

WorkersDone onWorkers(int workers,
                      const std::function<Tally(int, const std::function<void()>&)>& work) {
  std::fflush(stdout);
  std::fflush(stderr);
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) std::exit(2);
  std::vector<std::pair<pid_t, int>> children;  // pid, its result's pipe
  for (int w = 0; w < workers; ++w) {
    int result[2];
    if (pipe(result) != 0) std::exit(2);
    pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      close(go[1]);
      close(result[0]);
      bool gone = false;
      auto goNow = [&] {
        gone = true;
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) _exit(3);
      };
      Tally tally;
      try {
        tally = work(w, goNow);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", w + 1, e.what());
        ++tally.failed;
      }
      if (!gone) goNow();
      if (write(result[1], &tally, sizeof tally) != sizeof tally) _exit(3);
      _exit(0);
    }
    close(result[1]);
    children.emplace_back(pid, result[0]);
  }
  close(ready[1]);
  close(go[0]);
  WorkersDone done;
  char c = 0;
  for (int w = 0; w < workers; ++w) done.failed |= !readAll(ready[0], &c, 1);
  auto start = std::chrono::steady_clock::now();
  std::string bytes(static_cast<std::size_t>(workers), '\1');
  done.failed |= write(go[1], bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size());
  for (std::size_t w = 0; w < children.size(); ++w) {
    auto [pid, fd] = children[w];
    Tally t;
    if (!readAll(fd, &t, sizeof t)) {
      done.failed = true;
      t = Tally{};
    }
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    done.failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    auto& sum = done.tally;
    sum.synced += t.synced;
    sum.already_done += t.already_done;
    sum.held += t.held;
    sum.failed += t.failed;
    sum.pupils += t.pupils;
    sum.marks += t.marks;
    sum.events += t.events;
    sum.delivered += t.delivered;
    sum.pending += t.pending;
    sum.setup_ms += t.setup_ms;
    sum.import_ms += t.import_ms;
    sum.evaluate_ms += t.evaluate_ms;
    sum.deliver_ms += t.deliver_ms;
    for (int i = 0; i < 4; ++i) {
      sum.worker_cpu_ms[i] += t.worker_cpu_ms[i];
      sum.server_cpu_ms[i] += t.server_cpu_ms[i];
    }
    done.per_worker += (w ? "; worker " : "worker ") + std::to_string(w + 1) + ": " +
                       std::to_string(t.synced) + " synced, " + std::to_string(t.already_done) +
                       " found done, " + std::to_string(t.held) + " held";
  }
  done.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  close(ready[0]);
  close(go[1]);
  return done;
}

SandboxProcess::SandboxProcess() {
  int ask[2], answer[2];
  if (pipe(ask) != 0 || pipe(answer) != 0) std::exit(2);
  std::fflush(stdout);
  pid_ = fork();
  if (pid_ == 0) {
    close(ask[1]);
    close(answer[0]);
    sandbox::SandboxOptions options;
    options.cert_file = std::string(MB_CERTS_DIR) + "/server.pem";
    options.key_file = std::string(MB_CERTS_DIR) + "/server.key";
    sandbox::SandboxServer server(options);
    server.start();
    int port = server.port();
    char c = 0;
    if (write(answer[1], &port, sizeof port) != sizeof port || read(ask[0], &c, 1) != 1) _exit(3);
    Kept kept{static_cast<int>(server.received().size()), server.duplicates(), server.handshakes(),
              server.resumedHandshakes(), cpuMsOf(getpid())};
    if (write(answer[1], &kept, sizeof kept) != sizeof kept) _exit(3);
    server.stop();
    _exit(0);
  }
  close(ask[0]);
  close(answer[1]);
  ask_ = ask[1];
  answer_ = answer[0];
  if (!readAll(answer_, &port_, sizeof port_)) port_ = 0;
}

SandboxProcess::~SandboxProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (ask_ >= 0) close(ask_);
  if (answer_ >= 0) close(answer_);
}

SandboxProcess::Kept SandboxProcess::received() {
  char c = 1;
  Kept kept;
  if (write(ask_, &c, 1) != 1 || !readAll(answer_, &kept, sizeof kept)) kept = Kept{};
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return kept;
}

Tally SchoolsOfTrust::makeStores(const std::function<void()>& go) const {
  Tally tally;
  auto schools = schoolsOf(config);
  go();
  for (const auto& school : schools) forSchool(school, tally, [&] { openConfiguredStore(school); });
  return tally;
}

namespace {

// The schools numbered worker, worker + workers, ...: each one's gateway made as a worker makes
// it (its store on the worker's one connection, its clock at `atMs`) and handed to `work`.
template <typename Work>
Tally eachOfMine(const fs::path& config, int worker, int workers, int64_t atMs,
                 Gateway::Connectors connectors, const std::function<void()>& go, Work work) {
  Tally tally;
  auto schools = schoolsOf(config);
  BenchClock clock(atMs);
  SystemRandom random;
  PgConnectionShare share;
  go();
  for (std::size_t s = static_cast<std::size_t>(worker); s < schools.size();
       s += static_cast<std::size_t>(workers))
    forSchool(schools[s], tally, [&] {
      Gateway gateway(schools[s], Gateway::Store::Open, connectors, &share);
      gateway.setClock(&clock, &random);
      work(gateway, tally);
    });
  return tally;
}

}  // namespace

Tally SchoolsOfTrust::importYear(int worker, int workers, int64_t atMs,
                                 const std::function<void()>& go) const {
  return eachOfMine(config, worker, workers, atMs, Gateway::Connectors::Sources, go,
                    [&](Gateway& gateway, Tally& tally) {
                      auto file = year / (gateway.config().school.urn + ".csv");
                      for (const auto& r : gateway.importFiles(*gateway.source("sims"), {file})) {
                        if (!r.problems.empty()) throw std::runtime_error(r.problems.front().str());
                        tally.marks += r.outcome.marks_added + r.outcome.marks_amended +
                                       r.outcome.marks_unchanged;
                      }
                    });
}

Tally SchoolsOfTrust::evaluateYear(int worker, int workers, int64_t atMs,
                                   const std::function<void()>& go) const {
  return eachOfMine(config, worker, workers, atMs, Gateway::Connectors::Build, go,
                    [](Gateway& gateway, Tally& tally) {
                      int pupils = 0;
                      auto outcome = gateway.evaluate(&pupils);
                      tally.pupils += pupils;
                      tally.events += outcome.new_events + outcome.historical_events;
                      tally.pending += outcome.outbox_items;
                    });
}

Tally SchoolsOfTrust::registerClose(int64_t atMs, const std::function<void()>& go) const {
  Tally tally;
  auto schools = schoolsOf(config);
  BenchClock clock(atMs);
  SystemRandom random;
  // As `markbridge run` has them: every school's store open before the register closes (on
  // PostgreSQL all on the worker's one connection). Each school's gateway (its sources and sinks)
  // is made for its sync: a service keeps them too, but here hundreds of schools' idle
  // keep-alive connections would hold the sandbox's threads, which an LA portal's would not.
  PgConnectionShare share;
  std::vector<std::unique_ptr<Store>> stores;
  stores.reserve(schools.size());
  for (const auto& school : schools) stores.push_back(openConfiguredStore(school, &share));
  // The worker's server process, whose CPU time is counted with the worker's.
  pid_t server = -1;
  if (!schools.empty() && !schools.front().store_postgresql.empty()) {
    const char* password = std::getenv("MB_BENCH_PG_PASSWORD");
    auto db = share.connection(schools.front().store_postgresql, password ? password : "");
    PgStatement pid(*db, "SELECT pg_backend_pid()", "find the worker's server process");
    if (pid.step()) server = static_cast<pid_t>(pid.integer(0));
  }
  go();
  // From a school of the worker's own, and on from halfway through the rest past a school found
  // held, as the service walks them on a shared store.
  auto left =
      walkOrder(schools.size(), !schools.empty() && !schools.front().store_postgresql.empty());
  while (!left.empty()) {
    std::vector<std::size_t> later;
    for (std::size_t n = 0; n < left.size(); ++n) {
      const std::size_t s = left[n];
      forSchool(schools[s], tally, [&] {
        auto synced = [&] { return stores[s]->sourceState("_bench", "closed").has_value(); };
        // The service reads the school's last synced slot before it tries the lease.
        if (synced()) {
          ++tally.already_done;
          return;
        }
        auto mark = std::chrono::steady_clock::now();
        double cpu = cpuMsOf(getpid()), serverCpu = server > 0 ? cpuMsOf(server) : 0;
        auto lap = [&](double& into, int step) {
          auto now = std::chrono::steady_clock::now();
          into += std::chrono::duration<double, std::milli>(now - mark).count();
          mark = now;
          const double cpuNow = cpuMsOf(getpid()), serverNow = server > 0 ? cpuMsOf(server) : 0;
          tally.worker_cpu_ms[step] += cpuNow - cpu;
          tally.server_cpu_ms[step] += serverNow - serverCpu;
          cpu = cpuNow;
          serverCpu = serverNow;
        };
        Gateway gateway(schools[s], Gateway::Store::Open, Gateway::Connectors::Build, &share);
        gateway.setClock(&clock, &random);
        lap(tally.setup_ms, 0);
        SyncObserver observer;
        observer.what = "the afternoon register";
        observer.still_due = [&] { return !synced(); };
        bool imported = false;
        observer.imported = [&](const ImportResult&) {
          if (!imported) lap(tally.import_ms, 1);
          imported = true;
        };
        observer.evaluated = [&](const EvaluationOutcome&, int) { lap(tally.evaluate_ms, 2); };
        observer.finished = [&] {
          gateway.store().setSourceState("_bench", "closed", "1", clock.nowMs());
        };
        auto report = gateway.sync(observer);
        if (!report.skipped) lap(tally.deliver_ms, 3);
        if (report.already_done) {
          ++tally.already_done;
        } else if (report.skipped) {
          ++tally.held;
          later.push_back(s);
          walkOnFromHalfway(left, n);
        } else {
          ++tally.synced;
          for (const auto& r : report.imports)
            tally.marks += r.outcome.marks_added + r.outcome.marks_amended;
          tally.pupils += report.pupils_evaluated;
          tally.events += report.evaluation.new_events;
          tally.delivered += report.delivery.delivered;
          tally.pending += report.delivery.pending_left;
        }
      });
    }
    left.swap(later);
    // A school whose lease another worker holds is looked at again shortly (the service looks
    // again after 5 s; here at once, so the figure is the work's, not the wait's).
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return tally;
}

}  // namespace markbridge::bench
