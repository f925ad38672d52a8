#pragma once
// A local stand-in for a CPOMS-style safeguarding API and an LA portal, over real HTTPS on
// 127.0.0.1. It checks auth, honours Idempotency-Key (the same key never makes a second
// record), keeps what it receives, and can be told to fail: status codes, delays, dropped
// connections. Used by the tests and the demo.
//
//   POST /api/v1/notifications            LA portal (Authorization: Bearer <la_token>) -> 202
//   POST /api/v1/incidents                CPOMS-style (X-API-Key: <cpoms_key>) -> 201 {"id"}
//   POST /api/v1/incidents/{id}/actions   -> 201
//   POST /api/v1/incidents/{id}/notes     -> 201
//   GET  /v1.0/schools/{id}/attendance/session   MIS (Wonde-style) attendance, paged
//                                          (Authorization: Bearer <mis_token>)
//   GET  /_sandbox/received               everything accepted, as JSON
//   POST /_sandbox/mis                    {"items": [...], "page_size": N}: what the MIS serves
//   POST /_sandbox/faults                 {"fail": N, "status": 503, "delay_ms": D, "drop": M,
//                                          "stall": S, "stall_ms": T}

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace markbridge::sandbox {

struct SandboxOptions {
  std::string cert_file;  // server certificate (PEM)
  std::string key_file;
  std::string la_token = "la-sandbox-token";
  std::string cpoms_key = "cpoms-sandbox-key";
  std::string mis_token = "mis-sandbox-token";
  uint16_t port = 0;  // 0: any free port
  bool log_requests = false;
};

struct Received {
  std::string kind;  // "notification", "incident", "action", "note"
  std::string reference;
  std::string idempotency_key;
  std::string body;  // JSON
};

struct Faults {
  int fail = 0;  // the next N requests get `status`
  int status = 503;
  int delay_ms = 0;  // every request waits this long first
  int drop = 0;      // the next N requests have their connection closed with no answer
  int stall = 0;     // the next N requests are handled (and recorded) only after stall_ms,
  int stall_ms = 0;  // as a slow backend would: a client that timed out left a record behind
};

class SandboxServer {
 public:
  explicit SandboxServer(SandboxOptions options);
  ~SandboxServer();
  void start();
  void stop();
  uint16_t port() const;
  std::string baseUrl() const { return "https://127.0.0.1:" + std::to_string(port()); }

  void setFaults(const Faults& faults);
  std::vector<Received> received() const;
  int requests() const;    // every request that reached a handler
  int duplicates() const;  // repeats of an Idempotency-Key already recorded
  // What the MIS endpoint serves: Wonde-style items, each with updated_at.date.
  void setMisAttendance(std::vector<nlohmann::json> items, int pageSize);
  int misRequests() const;  // MIS pages served (not counting refusals)

  struct State;

 private:
  SandboxOptions options_;
  std::shared_ptr<State> state_;
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace markbridge::sandbox
