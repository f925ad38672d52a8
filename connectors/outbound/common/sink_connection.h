#pragma once
// What every HTTPS sink shares: where it sends (base_url), the CA bundle it checks the server
// against (verification is always on), an optional client certificate for mutual TLS (its key
// optionally under a passphrase), and how it proves who it is ("auth"):
//
//   "auth": {"type": "api_key", "header": "X-API-Key", "key_env": "MB_CPOMS_KEY"}
//   "auth": {"type": "bearer", "token_env": "MB_LA_TOKEN"}
//   "auth": {"type": "oauth2", "token_url": "https://login.example/oauth/token",
//            "client_id": "markbridge", "client_secret_env": "MB_SECRET", "scope": "incidents",
//            "client_auth": "client_secret_basic"}
//
// Secrets come from environment variables or owner-only files (*_file), never from the config
// itself, and never reach a log. An OAuth2 token is fetched when first needed (the client
// authenticating with HTTP Basic, RFC 6749 2.3.1, or with the secret in the form), kept until
// shortly before it expires (a minute, or half its lifetime when that is shorter), and fetched
// again once if the destination answers 401. A token endpoint that is down (5xx, 408, 429, no
// answer) is an outage, retried with backoff; one that refuses the client pauses the sink.

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connectors/common/https_client.h"
#include "core/domain/config_schema.h"
#include "core/outbox/sink.h"

namespace markbridge {

struct AuthConfig {
  std::string type = "none";  // none | api_key | bearer | oauth2
  std::string header;         // api_key: the header that carries the key
  std::string secret_env;     // the key, the token or the client secret
  std::filesystem::path secret_file;
  std::string token_url, client_id, scope;  // oauth2
  // oauth2: how the client proves who it is at the token endpoint: "client_secret_basic" (HTTP
  // Basic, which every server must accept) or "client_secret_post" (in the form).
  std::string client_auth = "client_secret_basic";
};

struct ConnectionConfig {
  std::string sink;  // the sink's name, for messages
  std::string base_url;
  std::filesystem::path ca_file, client_cert, client_key;
  std::string key_passphrase_env;
  std::filesystem::path key_passphrase_file;
  int timeout_ms = 10000;
  AuthConfig auth;
  // Requests in flight at once, each on its own kept-alive connection (a pupil's items still go
  // one at a time, in order); attempts started a second (0: as fast as the answers come).
  int max_in_flight = kDefaultMaxInFlight;
  double max_per_second = 0;
  static constexpr int kDefaultMaxInFlight = 16;

  // The settings above, for a sink's schema; `auth` is checked by fromJson.
  static std::span<const Field> fields();
  static ConnectionConfig fromJson(const nlohmann::json& checked, const std::string& path,
                                   const std::filesystem::path& baseDir,
                                   const ConfigContext& context);
};

// A sink's schema: its own first two fields (name, type), the connection's, then the rest of
// its own.
std::vector<Field> withConnectionFields(std::span<const Field> own);

// An open connection to one sink's destination, with its credentials.
class SinkConnection {
 public:
  // Reads the secrets and loads the certificates; null (with problems in `context`) when one
  // cannot be had.
  static std::unique_ptr<SinkConnection> open(const ConnectionConfig& config,
                                              const std::string& path,
                                              const ConfigContext& context);
  ~SinkConnection();

  // Sends with credentials. A 401 makes OAuth2 fetch a fresh token and send once more. When the
  // credentials cannot be had at all (the token endpoint refused), the response has status 0 and
  // `auth_error` is set.
  // Safe from several threads at once: each request takes a kept-alive connection of its own
  // from the pool (up to max_in_flight are kept).
  HttpResponse send(HttpRequest request);
  const std::string& sink() const { return config_.sink; }
  // Starts one delivery attempt on this thread: every request it makes here (a token, a lookup,
  // the record, a retry after 401) shares one deadline, timeout_ms from now.
  void beginAttempt();
  SinkPacing pacing() const { return {config_.max_in_flight, config_.max_per_second}; }

 private:
  SinkConnection(ConnectionConfig config, std::string secret, std::string passphrase);
  // False with `error` (and `refused` when the token endpoint said no) when they cannot be had.
  bool addCredentials(HttpRequest& request, HttpResponse& response);
  // False when no token could be had: `response` then says why (status 0; refused_us when the
  // token endpoint refused the client; its Retry-After kept when it was an outage).
  bool fetchToken(HttpResponse& response);

  // A kept-alive connection from the pool, or a new one; back to the pool when done.
  std::unique_ptr<HttpsClient> takeClient();
  void giveBack(std::unique_ptr<HttpsClient> client);

  ConnectionConfig config_;
  std::string secret_;
  TlsSettings tls_;
  std::mutex poolMutex_;
  std::vector<std::unique_ptr<HttpsClient>> idle_;  // connections not in use
  std::mutex tokenMutex_;                           // oauth2: the token and its endpoint
  std::unique_ptr<HttpsClient> tokenClient_;
  std::string tokenPath_;
  std::string token_;
  std::chrono::steady_clock::time_point tokenUntil_{};
};

// How long an OAuth2 token answer says its token lives: `expires_in` as a number or as a
// string of digits (as some servers send it); nothing when absent or not a count of seconds.
std::optional<std::chrono::seconds> tokenLifetime(const nlohmann::json& answer);
// When to fetch a token again: a minute before it expires, or halfway through a shorter life.
std::chrono::seconds tokenRefreshAfter(std::chrono::seconds lifetime);

// Builds an HTTPS sink: its config checked (problems in `context`), its connection opened
// (secrets read, certificates loaded), then SinkType(config, extra..., connection); null when
// anything was wrong.
template <typename Config, typename SinkType, typename... Extra>
std::unique_ptr<Sink> buildHttpsSink(const nlohmann::json& json, const std::string& path,
                                     const std::filesystem::path& baseDir,
                                     const ConfigContext& context, Extra&&... extra) {
  std::size_t before = context.problems->size();
  auto config = Config::fromJson(json, path, baseDir, context);
  if (context.problems->size() != before) return nullptr;
  auto connection = SinkConnection::open(config.connection, path, context);
  if (!connection) return nullptr;
  return std::make_unique<SinkType>(std::move(config), std::forward<Extra>(extra)...,
                                    std::move(connection));
}

// A response as a delivery result, named for the sink: 2xx delivered (with `reference`),
// 408/429/5xx (not 501) and transport failures retried, other statuses rejected with the body
// kept. 401/403, TLS certificate failures and a proxy's client-certificate refusal page (nginx's
// 400/495/496) mark the sink unavailable: its items wait, none is rejected, until the
// technician fixes the credentials.
DeliveryResult deliveryResult(const std::string& sink, const HttpResponse& response,
                              const std::string& reference);

}  // namespace markbridge
