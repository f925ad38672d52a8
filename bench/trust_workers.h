#pragma once
// The pieces of `markbridge-bench trust` (bench/trust_bench.cpp): worker processes started
// together and timed from the moment they are told to go, the sandbox in a process of its own
// (so the benchmark's own process never has threads when it forks), and what each worker does
// with a trust's schools, through the same Gateway a `markbridge run` worker uses.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace markbridge::bench {

// What one worker did; passed back through a pipe, so plain numbers only.
struct Tally {
  int synced = 0;        // schools this worker synced
  int already_done = 0;  // the lease was free, but another worker had synced the school
  int held = 0;          // the lease was held by another worker: looked at again later
  int failed = 0;        // schools whose work threw (the message is on stderr)
  int64_t pupils = 0, marks = 0, events = 0, delivered = 0, pending = 0;
  // A register close's time in each step of the schools' syncs, summed (milliseconds): the
  // gateway made (sources, sinks), import, evaluation, delivery.
  double setup_ms = 0, import_ms = 0, evaluate_ms = 0, deliver_ms = 0;
  // The CPU time the same steps took: the worker's (all its threads) and, on PostgreSQL, its
  // server process's (what the server did for it), in the order above.
  double worker_cpu_ms[4] = {}, server_cpu_ms[4] = {};
};

struct WorkersDone {
  Tally tally;             // summed over the workers
  double seconds = 0;      // from "go" to the last worker's end
  std::string per_worker;  // "worker 1: 150 synced, 148 found done, 3 held; worker 2: ..."
  bool failed = false;     // a worker died or reported a failure
  bool ok() const { return !failed && tally.failed == 0; }
};

// Runs `work(worker, go)` in `workers` child processes. Each prepares what it needs, then calls
// go(), which returns once every worker is ready: the time is measured from there.
WorkersDone onWorkers(int workers,
                      const std::function<Tally(int, const std::function<void()>&)>& work);

// The sandbox (LA portal and CPOMS over HTTPS, the development certificates) in a child process.
class SandboxProcess {
 public:
  SandboxProcess();
  ~SandboxProcess();
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;
  std::string baseUrl() const { return "https://127.0.0.1:" + std::to_string(port_); }
  // What it kept: records (one per Idempotency-Key: a CPOMS task is an incident and its
  // action), requests that repeated a key already kept, and its TLS handshakes. Stops it.
  struct Kept {
    int records = -1, repeats = -1;
    int handshakes = -1, resumed = -1;  // TLS: connections made, and those resumed
    double cpu_ms = 0;                  // the sandbox's CPU time (all its threads)
  };
  Kept received();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int ask_ = -1, answer_ = -1;
};

// A trust's configuration (trust.json) and its schools' year exports (`year`/URN.csv).
struct SchoolsOfTrust {
  std::filesystem::path config, year;

  // Every school's store opened once, one after another, before the workers start (PostgreSQL:
  // the schema made by the first).
  Tally makeStores(const std::function<void()>& go) const;
  // The schools numbered worker, worker + workers, ...: the year's export imported through the
  // school's `sims` source, as if at `atMs`.
  Tally importYear(int worker, int workers, int64_t atMs, const std::function<void()>& go) const;
  // The same schools evaluated through the day of `atMs`: before each school's notify_from, so
  // every event is recorded as history and nothing is queued.
  Tally evaluateYear(int worker, int workers, int64_t atMs, const std::function<void()>& go) const;
  // As a `markbridge run` worker after a register closes: every school synced (import,
  // evaluation, delivery) under its lease, in the configuration's order (on PostgreSQL from a
  // school of the worker's own, walkStart), unless another worker holds the lease (looked at
  // again at the end) or has synced it already.
  Tally registerClose(int64_t atMs, const std::function<void()>& go) const;
};

}  // namespace markbridge::bench
