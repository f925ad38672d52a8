#pragma once
// The service's admin API over HTTP (HTTPS when admin_cert/admin_key are set), on the
// configured address and port, every endpoint but /health behind the admin bearer token:
//   GET  /health                 {"status": "ok" | "degraded", "problems": [{problem, action}],
//                                ...}: is it alive and doing its job (no token; always 200)
//   GET  /metrics                Prometheus text: syncs, marks imported, rule firings, outbox
//                                depth and age per sink, last successful sync per connector
//   GET  /status                 JSON: school, store, schedule, last and next sync, outbox
//   POST /sync                   a sync now (409 while one is running)
//   GET  /outbox?state=dead      outbox items
//   POST /outbox/{seq}/retry     a dead letter back to pending
//   /console/...                 the web console, when service.console_users_file is set:
//                                people log in with their own names (console/console.h)
// A missing or wrong token gets 401 with WWW-Authenticate: Bearer; a bad request 400. Idle and
// slow clients are cut off (see kHeadDeadline and kBodyDeadline in admin_api.cpp) so /health always
// answers.

#include <cstdint>
#include <memory>
#include <string>

#include "core/app/gateway_config.h"

namespace markbridge {

class Service;

class AdminApi {
 public:
  // Throws std::runtime_error when it cannot listen or the token cannot be read.
  AdminApi(Service& service, const ServiceConfig& config);
  ~AdminApi();
  uint16_t port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A console request's body (a form) must arrive within kBodyDeadline of its head, or the
// connection is cut: the reader calls this once it has the whole body, which ends the deadline.
void requestBodyRead();

// The /metrics text for these figures and the store's outbox.
std::string prometheusText(const struct ServiceFigures& figures,
                           const std::vector<SinkOutboxStats>& outbox, int64_t nowMs);
// A trust's: every series labelled school="URN" (a school with no URN here: no label).
struct SchoolMetrics {
  std::string urn;
  const struct ServiceFigures& figures;
  std::vector<SinkOutboxStats> outbox;
};
std::string prometheusText(const std::vector<SchoolMetrics>& schools, int64_t nowMs);

}  // namespace markbridge
