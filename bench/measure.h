#pragma once
// How the benchmarks measure: a phase in a child process (its time, its own peak memory, its
// result), and the wall time of a shell command for comparison.

#include <filesystem>
#include <functional>
#include <string>

#include "bench/bench_phases.h"

namespace markbridge::bench {

struct Measured {
  PhaseResult result;
  double seconds = 0;
  double peak_mb = 0;
};

Measured inChild(const std::function<PhaseResult()>& phase);

// The options the benchmarks share; false on one it does not know.
struct BenchOptions {
  int pupils = 0;
  int sessions = 0;  // always even: whole school days
  int events = 0;
  std::filesystem::path dir;
  bool keep = false;
  // ingest: then the same register again with 1% of its marks amended (a later export)
  bool reimport = false;
  // ingest: also into PostgreSQL at this URI (a schema of its own, dropped after)
  std::string postgres;
  // delivery: the sandbox's answer time, its 503s and lost answers (percent of requests), and
  // the sink's max_in_flight (0: its default).
  int latency_ms = 0;
  int fail_percent = 0;
  int drop_percent = 0;
  int in_flight = 0;
  // trust: how many schools (each `pupils` pupils), and the worker counts to run ("1,2,4").
  int schools = 0;
  std::string workers;
  // trust: PostgreSQL only (with --postgres), the SQLite runs left out
  bool postgres_only = false;
};
bool parseBenchOptions(int argc, char** argv, BenchOptions& options);
double timeCommand(const std::string& command);

int ingestBench(int argc, char** argv);
int rulesBench(int argc, char** argv);
int deliveryBench(int argc, char** argv);
int consoleBench(int argc, char** argv);
int trustBench(int argc, char** argv);

}  // namespace markbridge::bench
