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

#include "bench/bench_phases.h"
#include "bench/measure.h"
#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/postgres_store.h"
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
  if (events <= 0 || bench.latency_ms < 0 || bench.fail_percent < 0 || bench.fail_percent > 90 ||
      bench.drop_percent < 0 || bench.drop_percent > 90 || bench.in_flight < 0 ||
      bench.in_flight > 64)
    return 2;
  bool faults = bench.latency_ms > 0 || bench.fail_percent > 0 || bench.drop_percent > 0;
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
  if (bench.in_flight > 0) config["max_in_flight"] = bench.in_flight;
  std::vector<Problem> problems;
  auto sink = findOutboundType("la_portal")
                  ->build(config, "$", ".", School{"140000", "801", "4000", "Bench Academy"},
                          ConfigContext{"bench", &problems});
  if (!sink) {
    std::fprintf(stderr, "cannot build the sink: %s\n", problems.front().str().c_str());
    return 1;
  }
  int inFlight = sink->pacing().max_in_flight;
  std::printf(
      "delivery benchmark: %d LA notifications to the sandbox over HTTPS (keep-alive), %d in "
      "flight; sandbox latency %d ms, %d%% 503, %d%% answers lost after the record was kept; "
      "the outbox on %s\n",
      events, inFlight, bench.latency_ms, bench.fail_percent, bench.drop_percent,
      bench.postgres.empty() ? "SQLite" : "PostgreSQL");

  // 1. Straight to the destination, one at a time: the network and TLS alone (without faults).
  double direct = 0;
  if (!faults) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < events; ++i) {
      OutboxItem item;
      item.key = "direct-" + std::to_string(i);
      auto event = benchEvent(i);
      if (sink->deliver(item, SinkEvent::of(event), "").outcome !=
          DeliveryResult::Outcome::Delivered)
        return 1;
    }
    direct = since(start);
    std::printf("  %-40s %8.2f s  %8.0f events/s\n", "sent directly, one at a time", direct,
                events / direct);
  }
  int directRecords = static_cast<int>(server.received().size());

  // 2. Through the durable outbox: recorded with the evaluation, then delivered and recorded.
  sandbox::Faults chaos;
  chaos.delay_ms = bench.latency_ms;
  chaos.fail_percent = bench.fail_percent;
  chaos.status = 503;
  chaos.drop_after_percent = bench.drop_percent;
  server.setFaults(chaos);
  auto dir = fs::temp_directory_path() / ("markbridge-delivery-" + std::to_string(getpid()));
  fs::create_directories(dir);
  double queued = 0, delivered = 0;
  DeliveryReport report;
  int peak = 0;
  std::vector<OutboxItem> outbox;
  // On PostgreSQL (--postgres URI) in a schema of its own, dropped after: a backlog of `events`
  // items, each claimed by the worker (FOR UPDATE SKIP LOCKED) before it is sent: the claims the
  // evaluation made as it queued them are ended first, as the delivery runs of an outage end
  // theirs, so the backlog is read as a destination back after an outage finds it.
  const std::string schema = "markbridge_delivery_" + std::to_string(getpid());
  {
    auto store = bench.postgres.empty()
                     ? openSqliteStore((dir / "outbox.db").string())
                     : openPostgresStore(benchSchema(bench.postgres, schema), "140000");
    std::vector<PupilEvaluated> pupils;
    std::vector<Event> found;
    for (int i = 0; i < events; ++i) {
      found.push_back(benchEvent(events + i));
      pupils.emplace_back(found.back().pupil.upn);
    }
    SystemClock clock;
    SystemRandom random;
    auto start = std::chrono::steady_clock::now();
    store->commitEvaluation(pupils, found, {{"la", {"unauthorised_10_day"}}}, clock.nowMs());
    store->endClaims();
    queued = since(start);
    std::map<std::string, CircuitBreaker> circuits;
    DeliveryOptions delivery;
    delivery.run_budget_ms = 30 * 60 * 1000;
    DeliveryWorker worker(*store, {{"la", sink.get()}}, clock, random, delivery, circuits);
    start = std::chrono::steady_clock::now();
    report = worker.run();
    delivered = since(start);
    peak = worker.peakInFlight();
    outbox = store->outbox(std::nullopt, events + 1);
  }
  fs::remove_all(dir);
  if (!bench.postgres.empty()) dropBenchSchema(bench.postgres, schema);
  server.setFaults(sandbox::Faults{});
  // Compared key by key: every outbox item delivered, and one record at the destination each.
  std::map<std::string, int> records;
  for (const auto& r : server.received()) ++records[r.idempotency_key];
  int lost = 0, doubled = 0, undelivered = 0;
  for (const auto& item : outbox) {
    undelivered += item.state != OutboxState::Delivered;
    int n = records.count(item.key) ? records[item.key] : 0;
    lost += n == 0;
    doubled += n > 1;
  }
  int requests = server.requests();
  std::printf("  %-40s %8.2f s  %8.0f events/s\n", "queued in the outbox (one transaction)", queued,
              events / queued);
  std::printf("  %-40s %8.2f s  %8.0f events/s  (%d retries, peak %d in flight)\n",
              "delivered from the outbox (drained)", delivered, events / delivered, report.retried,
              peak);
  if (faults) {
    // The ideal: every attempt takes the latency, `inFlight` at a time, and only the successful
    // share of them delivers.
    double success = (100.0 - bench.fail_percent) / 100 * (100.0 - bench.drop_percent) / 100;
    double ideal = events * (bench.latency_ms / 1000.0) / inFlight / success;
    std::printf("  ideal (events x latency / in-flight / success rate): %.2f s; ratio %.2f\n",
                ideal, ideal > 0 ? delivered / ideal : 0);
  } else {
    std::printf("  outbox overhead per event: %.2f ms (%.0f%% on top of sending one at a time)\n",
                (queued + delivered - direct) * 1000 / events,
                100 * (queued + delivered - direct) / direct);
  }
  std::printf(
      "  compared key by key: %d of %d delivered, %d lost, %d created twice (%d records, "
      "%d requests, %d repeats recognised)\n",
      events - undelivered, events, lost, doubled,
      static_cast<int>(server.received().size()) - directRecords, requests, server.duplicates());
  server.stop();
  return undelivered == 0 && lost == 0 && doubled == 0 ? 0 : 1;
}

}  // namespace markbridge::bench
