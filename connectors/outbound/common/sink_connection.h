#pragma once
// What every HTTPS sink shares: where it sends (base_url), the CA bundle it checks the server
// against (verification is always on), an optional client certificate for mutual TLS (its key
// optionally under a passphrase), and how it proves who it is ("auth"): the credentials and
// client certificate settings are connectors/common/credentials.h's, the same keys the MIS REST
// source reads. A token endpoint that is down is an outage, retried with backoff; one that
// refuses the client pauses the sink.

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/credentials.h"
#include "connectors/common/https_client.h"
#include "connectors/outbound/common/connection_shelf.h"
#include "core/domain/config_table.h"
#include "core/outbox/sink.h"

namespace markbridge {

struct ConnectionConfig {
  std::string sink;  // the sink's name, for messages
  std::string base_url;
  std::filesystem::path ca_file;
  ClientCertificateConfig certificate;
  int timeout_ms = 10000;
  AuthConfig auth;
  // Requests in flight at once, each on its own kept-alive connection (a pupil's items still go
  // one at a time, in order); attempts started a second (0: as fast as the answers come).
  int max_in_flight = kDefaultMaxInFlight;
  double max_per_second = 0;
  static constexpr int kDefaultMaxInFlight = 16;

  // What no single key can check (after the table filled the struct).
  void check(const std::string& path, const ConfigContext& context) const;
};

// The rows of the settings above, for a sink's table (SettingTable::rowsOf): every HTTPS sink
// takes them after its name and type.
const SettingTable<ConnectionConfig>& connectionTable();

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
  // Hands the kept-alive connections not in use to the worker's shelf, for the next sync that
  // sends the same way (Sink::closeConnections, connection_shelf.h); closes the token
  // endpoint's.
  void closeIdle();

 private:
  SinkConnection(ConnectionConfig config, const TlsSettings& tls,
                 std::unique_ptr<Credentials> credentials);

  // A kept-alive connection from the pool, or a new one; back to the pool when done.
  std::unique_ptr<HttpsClient> takeClient();
  void giveBack(std::unique_ptr<HttpsClient> client);

  ConnectionConfig config_;
  // Every connection's TLS side (the CA bundle read once) and the key of its connections on the
  // worker's shelf.
  ConnectionShelf::Transport transport_;
  std::unique_ptr<Credentials> credentials_;
  std::mutex poolMutex_;
  std::vector<std::unique_ptr<HttpsClient>> idle_;  // connections not in use
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
// kept. 401/403, TLS certificate failures and a proxy's client-certificate refusal page (nginx's
// 400/495/496) mark the sink unavailable: its items wait, none is rejected, until the
// technician fixes the credentials.
DeliveryResult deliveryResult(const std::string& sink, const HttpResponse& response,
                              const std::string& reference);

}  // namespace markbridge
