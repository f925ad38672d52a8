#pragma once
// What every HTTPS sink shares: where it sends (base_url), the CA bundle it checks the server
// against (verification is always on), an optional client certificate for mutual TLS (its key
// optionally under a passphrase), and how it proves who it is ("auth"):
//
//   "auth": {"type": "api_key", "header": "X-API-Key", "key_env": "MB_CPOMS_KEY"}
//   "auth": {"type": "bearer", "token_env": "MB_LA_TOKEN"}
//   "auth": {"type": "oauth2", "token_url": "https://login.example/oauth/token",
//            "client_id": "markbridge", "client_secret_env": "MB_SECRET", "scope": "incidents"}
//
// Secrets come from environment variables or owner-only files (*_file), never from the config
// itself, and never reach a log. An OAuth2 token is fetched when first needed, kept until a
// minute before it expires, and fetched again once if the destination answers 401.

#include <chrono>
#include <filesystem>
#include <memory>
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
};

struct ConnectionConfig {
  std::string sink;  // the sink's name, for messages
  std::string base_url;
  std::filesystem::path ca_file, client_cert, client_key;
  std::string key_passphrase_env;
  std::filesystem::path key_passphrase_file;
  int timeout_ms = 10000;
  AuthConfig auth;

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
  HttpResponse send(HttpRequest request);
  const std::string& sink() const { return config_.sink; }

 private:
  SinkConnection(ConnectionConfig config, std::string secret, std::string passphrase);
  // False with `error` (and `refused` when the token endpoint said no) when they cannot be had.
  bool addCredentials(HttpRequest& request, std::string& error, bool& refused);
  bool fetchToken(std::string& error, bool& refused);

  ConnectionConfig config_;
  std::string secret_;
  HttpsClient client_;
  std::unique_ptr<HttpsClient> tokenClient_;  // oauth2: the token endpoint
  std::string tokenPath_;
  std::string token_;
  std::chrono::steady_clock::time_point tokenUntil_{};
};

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
// kept. 401/403 and TLS certificate failures mark the sink unavailable: its items wait, none
// is rejected, until the technician fixes the credentials.
DeliveryResult deliveryResult(const std::string& sink, const HttpResponse& response,
                              const std::string& reference);

}  // namespace markbridge
