// `markbridge-bench delivery`: how fast events reach a destination over HTTPS with keep-alive,
// and what the durable outbox costs per event. The destination is the sandbox, in this process,
// on 127.0.0.1 with the development certificates.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/measure.h"
#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"

namespace fs = std::filesystem;

namespace markbridge::bench {
namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Event benchEvent(int i) {
  Event e;
  e.rule = "statutory.unauthorised_10_day";
  e.type = "unauthorised_10_day";
  e.pupil.upn = "A" + std::to_string(100000000000LL + i);
  e.episode = "2024-09-16";
  e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
  e.from = *Date::parseIso("2024-09-16");
  e.to = e.occurred_on = *Date::parseIso("2024-09-27");
  e.sessions_by_code = {{"N", 20}};
  e.summary = "10 school days of continuous unauthorised absence";
  return e;
}

}  // namespace

int deliveryBench(int argc, char** argv) {
  BenchOptions bench;
  bench.events = 2000;
  if (!parseBenchOptions(argc, argv, bench)) return 2;
  int events = bench.events;
  if (events <= 0) return 2;
  spdlog::set_level(spdlog::level::err);
  sandbox::SandboxOptions options;
  options.cert_file = std::string(MB_CERTS_DIR) + "/server.pem";
  options.key_file = std::string(MB_CERTS_DIR) + "/server.key";
  sandbox::SandboxServer server(options);
  server.start();
  ::setenv("MB_BENCH_LA_TOKEN", "la-sandbox-token", 1);
  nlohmann::json config = {{"name", "la"},
                           {"type", "la_portal"},
                           {"base_url", server.baseUrl()},
                           {"ca_file", std::string(MB_CERTS_DIR) + "/ca.pem"},
                           {"auth", {{"type", "bearer"}, {"token_env", "MB_BENCH_LA_TOKEN"}}}};
  std::vector<Problem> problems;
  auto sink = findOutboundType("la_portal")
                  ->build(config, "$", ".", School{"140000", "801", "4000", "Bench Academy"},
                          ConfigContext{"bench", &problems});
  if (!sink) {
    std::fprintf(stderr, "cannot build the sink: %s\n", problems.front().str().c_str());
    return 1;
  }
  std::printf("delivery benchmark: %d LA notifications to the sandbox over HTTPS (keep-alive)\n",
              events);

  // 1. Straight to the destination: the network and TLS alone.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < events; ++i) {
    OutboxItem item;
    item.key = "direct-" + std::to_string(i);
    item.payload = benchEvent(i).toJson();
    if (sink->deliver(item, "").outcome != DeliveryResult::Outcome::Delivered) return 1;
  }
  double direct = since(start);
  std::printf("  %-40s %8.2f s  %8.0f events/s\n", "sent directly (no outbox)", direct,
              events / direct);

  // 2. Through the durable outbox: recorded with the evaluation, then delivered and recorded.
  auto dir = fs::temp_directory_path() / ("markbridge-delivery-" + std::to_string(getpid()));
  fs::create_directories(dir);
  double queued = 0, delivered = 0;
  {
    auto store = openSqliteStore((dir / "outbox.db").string());
    std::vector<PupilEvaluated> pupils;
    std::vector<Event> found;
    for (int i = 0; i < events; ++i) {
      found.push_back(benchEvent(events + i));
      pupils.emplace_back(found.back().pupil.upn);
    }
    SystemClock clock;
    SystemRandom random;
    start = std::chrono::steady_clock::now();
    store->commitEvaluation(pupils, found, {{"la", {"unauthorised_10_day"}}}, clock.nowMs());
    queued = since(start);
    std::map<std::string, CircuitBreaker> circuits;
    DeliveryOptions delivery;
    DeliveryWorker worker(*store, {{"la", sink.get()}}, clock, random, delivery, circuits);
    start = std::chrono::steady_clock::now();
    auto report = worker.run();
    delivered = since(start);
    if (report.delivered != events) {
      std::printf("  FAILED: %d of %d delivered\n", report.delivered, events);
      return 1;
    }
  }
  fs::remove_all(dir);
  std::printf("  %-40s %8.2f s  %8.0f events/s\n", "queued in the outbox (one transaction)", queued,
              events / queued);
  std::printf("  %-40s %8.2f s  %8.0f events/s\n", "delivered from the outbox", delivered,
              events / delivered);
  std::printf("  outbox overhead per event: %.2f ms (%.0f%% on top of sending)\n",
              (queued + delivered - direct) * 1000 / events,
              100 * (queued + delivered - direct) / direct);
  std::printf("  sandbox: %zu records, %d requests\n", server.received().size(), server.requests());
  server.stop();
  return 0;
}

}  // namespace markbridge::bench
