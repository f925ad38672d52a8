#include "bench/measure.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace markbridge::bench {

// Runs `phase` in a child process: its time, its peak resident memory, its count of marks.
Measured inChild(const std::function<PhaseResult()>& phase) {
  int pipeFds[2];
  if (pipe(pipeFds) != 0) std::exit(2);
  std::fflush(stdout);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    close(pipeFds[0]);
    PhaseResult r = phase();
    if (write(pipeFds[1], &r, sizeof r) != sizeof r) _exit(3);
    _exit(0);
  }
  close(pipeFds[1]);
  Measured m;
  if (read(pipeFds[0], &m.result, sizeof m.result) != sizeof m.result) m.result.failed = true;
  close(pipeFds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) m.result.failed = true;
  return m;
}

double timeCommand(const std::string& command) {
  auto start = std::chrono::steady_clock::now();
  if (std::system(command.c_str()) != 0) return -1;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool parseBenchOptions(int argc, char** argv, BenchOptions& options) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    bool value = i + 1 < argc;
    if ((a == "--pupils" || a == "--pupils-per-school") && value)
      options.pupils = std::atoi(argv[++i]);
    else if (a == "--sessions" && value)
      options.sessions = std::atoi(argv[++i]) / 2 * 2;
    else if (a == "--events" && value)
      options.events = std::atoi(argv[++i]);
    else if (a == "--dir" && value)
      options.dir = argv[++i];
    else if (a == "--latency" && value)
      options.latency_ms = std::atoi(argv[++i]);
    else if (a == "--fail" && value)
      options.fail_percent = std::atoi(argv[++i]);
    else if (a == "--drop" && value)
      options.drop_percent = std::atoi(argv[++i]);
    else if (a == "--in-flight" && value)
      options.in_flight = std::atoi(argv[++i]);
    else if (a == "--schools" && value)
      options.schools = std::atoi(argv[++i]);
    else if (a == "--workers" && value)
      options.workers = argv[++i];
    else if (a == "--postgres" && value)
      options.postgres = argv[++i];
    else if (a == "--postgres-only")
      options.postgres_only = true;
    else if (a == "--keep")
      options.keep = true;
    else if (a == "--reimport")
      options.reimport = true;
    else
      return false;
  }
  return true;
}

}  // namespace markbridge::bench
