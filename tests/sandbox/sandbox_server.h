#pragma once
// A local stand-in for a CPOMS-style safeguarding API and an LA portal, over real HTTPS on
// 127.0.0.1. It checks auth, honours Idempotency-Key (the same key never makes a second
// record), keeps what it receives, and can be told to fail: status codes, delays, dropped
// connections. Used by the tests and the demo.
//
//   POST /oauth/token                     OAuth2 client credentials (form: grant_type; the
//                                          client by HTTP Basic or client_id and client_secret
//                                          in the form, as `oauth_client_auth` allows)
//                                          -> {"access_token", "expires_in", ...}
//   POST /api/v1/notifications            LA portal (Authorization: Bearer <la_token> or an
//                                          OAuth2 token) -> 202 {"reference"}
//   POST /api/v1/incidents                CPOMS-style (X-API-Key: <cpoms_key> or an OAuth2
//                                          token) -> 201 {"id"}
//   GET  /api/v1/incidents?external_ref=R  the incidents made with that external_ref
//   POST /api/v1/incidents/{id}/actions   -> 201
//   POST /api/v1/incidents/{id}/notes     -> 201
//   POST|PUT|PATCH /hooks/...             any other system (the webhook profile): recorded as
//                                          "hook" (X-API-Key: <cpoms_key>) -> 201 {"id"}
// With `require_client_cert` the TLS handshake needs a client certificate signed by `ca_file`
// (mutual TLS, as an LA portal does).
//   GET  /v1.0/schools/{id}/attendance/session   MIS (Wonde-style) attendance, paged
//                                          (Authorization: Bearer <mis_token> or an
//                                          OAuth2 token)
//   GET  /_sandbox/received               everything accepted, as JSON
//   POST /_sandbox/mis                    {"items": [...], "page_size": N}: what the MIS serves
//   POST /_sandbox/faults                 {"fail": N, "status": 503, "delay_ms": D, "drop": M,
//                                          "stall": S, "stall_ms": T, "fail_percent": P,
//                                          "drop_percent": Q, "slow_percent": R, "slow_ms": U,
//                                          "pass": K, "hold": H, "hold_request": "POST /path",
//                                          "drop_after_percent": L, "echo": true}
//   POST /_sandbox/release                every request held by "hold" goes on
//   POST /_sandbox/revoke-tokens          every OAuth2 token issued so far stops working

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
  std::string oauth_client_id = "markbridge";
  std::string oauth_client_secret = "oauth-sandbox-secret";
  int oauth_expires_in = 3600;
  bool oauth_expires_in_as_text = false;  // "expires_in": "3600", as some real servers send
  // How a client may authenticate at /oauth/token: "any" (HTTP Basic or the form), "basic"
  // (RFC 6749 2.3.1: HTTP Basic only), "post" (the form only).
  std::string oauth_client_auth = "any";
  // Any bearer token is accepted (one another authorization server issued); what was sent is
  // kept with each record.
  bool accept_any_bearer = false;
  bool require_client_cert = false;
  std::string ca_file;  // the CA client certificates must be signed by
  uint16_t port = 0;    // 0: any free port
  bool log_requests = false;
  // How long a connection may wait idle for its next request before the server closes it
  // (nginx's keepalive_timeout: 75 s by default).
  int keep_alive_seconds = 15;
};

struct Received {
  std::string kind;  // "notification", "incident", "action", "note"
  std::string reference;
  std::string idempotency_key;
  std::string body;    // JSON
  std::string path;    // what was called (for "hook")
  std::string bearer;  // the bearer token it came with, if any
};

struct Faults {
  int fail = 0;  // the next N requests (after `pass`) get `status`
  int status = 503;
  int delay_ms = 0;  // every request waits this long first
  int drop = 0;      // the next N requests have their connection closed with no answer
  int stall = 0;     // the next N requests are handled (and recorded) only after stall_ms,
  int stall_ms = 0;  // as a slow backend would: a client that timed out left a record behind
  // At random (seeded, so a run can be repeated): this percentage of requests fail with
  // `status`, have their connection dropped (half of them after the record was kept, as a
  // response lost on the way back), or answer `slow_ms` late.
  int fail_percent = 0;
  int drop_percent = 0;
  int slow_percent = 0;
  int slow_ms = 0;
  int pass = 0;  // this many requests go through untouched before the faults above start
  // The next H requests (after `pass`) that match `hold_request` ("METHOD /path", the path
  // without its query; empty: any) wait, unhandled, until release() (or the server stops), then
  // are handled as usual: a client that gave up on one meanwhile left a record behind. Unlike
  // `stall`, how long the client waits is up to the test, not to a race with the clock.
  int hold = 0;
  std::string hold_request;
  // At random: this percentage of requests keep the record and lose the answer (the connection
  // is closed instead), as a CPOMS-style destination behind a flaky proxy does.
  int drop_after_percent = 0;
  // A failure (`fail`, `fail_percent`) answers with the request's text echoed back, as a
  // destination quoting what it refused does: every string in the JSON body in capitals and again
  // \u-escaped (pupil names, UPNs), so a test can see that none of it is shown to the wrong role.
  bool echo = false;
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
  // What the MIS endpoint serves: Wonde-style items, each with updated_at.date. Items whose
  // relations sit under `data` (student.data.education_details.data.upn, as Wonde has them) are
  // answered as each request's `include` asks: a relation not included is its id, or absent.
  void setMisAttendance(std::vector<nlohmann::json> items, int pageSize);
  int misRequests() const;                       // MIS pages served (not counting refusals)
  std::vector<std::string> misIncludes() const;  // the `include` each MIS page was asked with
  int tokensIssued() const;                      // OAuth2 tokens handed out
  void revokeTokens();
  int openConnections() const;  // connections the server holds now, idle kept-alive ones too
  // TLS handshakes finished, and how many of them resumed a session the server gave before.
  int handshakes() const;
  int resumedHandshakes() const;
  int holding() const;  // requests held by Faults::hold and not yet released
  void release();       // every held request goes on

  struct State;

 private:
  SandboxOptions options_;
  std::shared_ptr<State> state_;
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace markbridge::sandbox
