#pragma once
// How a connector proves who it is, the same for the MIS REST pull and the HTTPS sinks: an API
// key header, a static bearer token, or OAuth2 client credentials, plus an optional client
// certificate for mutual TLS. Config (the same key names on both sides):
//
//   "auth": {"type": "api_key", "header": "X-API-Key", "key_env": "MB_CPOMS_KEY"}
//   "auth": {"type": "bearer", "token_env": "MB_LA_TOKEN"}
//   "auth": {"type": "oauth2", "token_url": "https://login.example/oauth/token",
//            "client_id": "markbridge", "client_secret_env": "MB_SECRET", "scope": "incidents",
//            "client_auth": "client_secret_basic"}
//   "client_cert": "certs/school.pem", "client_key": "certs/school.key",
//   "client_key_passphrase_env": "MB_KEY_PASS"
//
// Secrets come from environment variables or owner-only files (*_file), never from the config
// itself, and never reach a log. An OAuth2 token is fetched when first needed (the client
// authenticating with HTTP Basic, RFC 6749 2.3.1, or with the secret in the form), kept until
// shortly before it expires (a minute, or half its lifetime when that is shorter), and fetched
// again once if the destination answers 401. A token endpoint that is down (5xx, 408, 429, no
// answer) is an outage, retried; one that refuses the client is refused credentials.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "connectors/common/https_client.h"
#include "core/domain/config_table.h"

namespace markbridge {

// The keys both directions use, so their names and help are one.
inline constexpr SettingText kClientCertField{"client_cert",
                                              "PEM client certificate for mutual TLS"};
inline constexpr SettingText kClientKeyField{"client_key",
                                             "PEM private key of the client certificate"};
inline constexpr SettingText kClientKeyPassphraseEnvField{
    "client_key_passphrase_env",
    "environment variable holding the client key's passphrase, if it is encrypted"};
inline constexpr SettingText kClientKeyPassphraseFileField{
    "client_key_passphrase_file", "owner-only file holding the client key's passphrase"};
inline constexpr SettingText kAuthField{
    "auth",
    "how the connector proves who it is: {\"type\": \"api_key\", \"header\", \"key_env\" | "
    "\"key_file\"}, {\"type\": \"bearer\", \"token_env\" | \"token_file\"}, {\"type\": "
    "\"oauth2\", \"token_url\", \"client_id\", \"client_secret_env\" | "
    "\"client_secret_file\", \"scope\", \"client_auth\": \"client_secret_basic\" | "
    "\"client_secret_post\"}"};

struct AuthConfig {
  std::string type = "none";  // none | api_key | bearer | oauth2
  std::string header;         // api_key: the header that carries the key
  std::string secret_env;     // the key, the token or the client secret
  std::filesystem::path secret_file;
  std::string token_url, client_id, scope;  // oauth2
  // oauth2: how the client proves who it is at the token endpoint: "client_secret_basic" (HTTP
  // Basic, which every server must accept) or "client_secret_post" (in the form).
  std::string client_auth = "client_secret_basic";

  // The `auth` object at `path` (checked against its own table; problems in `context`).
  static AuthConfig fromJson(const nlohmann::json& auth, const std::string& path,
                             const std::filesystem::path& baseDir, const ConfigContext& context);
  // The `auth` object's keys as a Markdown table, with their defaults.
  static std::string describe();
};

// The client certificate settings (client_cert, client_key, client_key_passphrase_env/_file)
// of a connector's config object.
struct ClientCertificateConfig {
  std::filesystem::path client_cert, client_key;
  std::string key_passphrase_env;
  std::filesystem::path key_passphrase_file;

  // Reads those keys of `object` (a whole connector's settings, whose own table checks them).
  static ClientCertificateConfig fromJson(const nlohmann::json& object, const std::string& path,
                                          const std::filesystem::path& baseDir,
                                          const ConfigContext& context);
  // What no single key can check: client_cert and client_key go together.
  void check(const std::string& path, const ConfigContext& context) const;
  // The TLS settings with this certificate and its key's passphrase read; nothing (a problem
  // naming the setting in `context`) when a file is missing or the passphrase cannot be read.
  std::optional<TlsSettings> tls(const std::filesystem::path& caFile, const std::string& path,
                                 const ConfigContext& context) const;
};

// The rows of the client certificate keys, for a connector's table (SettingTable::rowsOf).
const SettingTable<ClientCertificateConfig>& clientCertificateTable();

// An `auth` row for a connector's table, filling the AuthConfig `get` names.
template <class C, class Get>
SettingTable<C>& addAuthRow(SettingTable<C>& table, Get get) {
  return table.converted(
      std::string(kAuthField.key), FieldType::Object, "object", std::string(kAuthField.description),
      [get](C& c, const nlohmann::json& v, const SettingScope& scope) {
        std::invoke(get, c) = AuthConfig::fromJson(v, scope.path, scope.base_dir, scope.context);
      },
      [get](C& c) {
        return nlohmann::json{{"type", std::invoke(get, c).type}};
      });
}

// One connector's credentials, safe to use from several threads at once.
class Credentials {
 public:
  // Reads the secret; null (with a problem naming the setting in `context`) when it cannot be
  // had. `tokenTls` is for an OAuth2 token endpoint (the connector's CA bundle and client
  // certificate, offered when the endpoint asks for one); `kind` and `name` ("sink",
  // "la") name the connector in log lines.
  static std::unique_ptr<Credentials> open(const AuthConfig& auth, const TlsSettings& tokenTls,
                                           int timeoutMs, const std::string& kind,
                                           const std::string& name, const std::string& path,
                                           const ConfigContext& context);
  ~Credentials();

  // Sends `request` through `transport` with the credentials added. A 401 makes OAuth2 fetch a
  // fresh token and send once more (unless another request has fetched one meanwhile). When no
  // token can be had, the answer has status 0 and says why: refused_us when the token endpoint
  // refused the client, its Retry-After kept when it was an outage.
  HttpResponse send(HttpRequest request,
                    const std::function<HttpResponse(const HttpRequest&)>& transport);
  const AuthConfig& config() const { return auth_; }
  // Closes the kept-alive connection to the OAuth2 token endpoint, if any (the token is kept).
  void closeIdle();

 private:
  Credentials(AuthConfig auth, std::string secret, const TlsSettings& tokenTls, int timeoutMs,
              std::string kind, std::string name);
  bool addTo(HttpRequest& request, HttpResponse& failure);
  bool fetchToken(HttpResponse& failure, std::optional<std::chrono::steady_clock::time_point> by);

  AuthConfig auth_;
  std::string secret_;
  std::string kind_, name_;
  std::mutex tokenMutex_;  // oauth2: the token and its endpoint
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

}  // namespace markbridge
