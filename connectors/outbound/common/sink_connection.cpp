#include "connectors/outbound/common/sink_connection.h"

#include <Poco/Base64Encoder.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/common/secret.h"
#include "core/domain/logging.h"

namespace markbridge {
namespace {

constexpr Field kAuthFields[] = {
    {"type", FieldType::String, "", true, "none | api_key | bearer | oauth2"},
    {"header", FieldType::String, "\"X-API-Key\"", false, "api_key: the header carrying the key"},
    {"key_env", FieldType::String, "\"\"", false, "api_key: environment variable holding the key"},
    {"key_file", FieldType::String, "\"\"", false, "api_key: owner-only file holding the key"},
    {"token_env", FieldType::String, "\"\"", false, "bearer: environment variable of the token"},
    {"token_file", FieldType::String, "\"\"", false, "bearer: owner-only file of the token"},
    {"token_url", FieldType::String, "\"\"", false, "oauth2: the token endpoint (https)"},
    {"client_id", FieldType::String, "\"\"", false, "oauth2: the client id"},
    {"client_secret_env", FieldType::String, "\"\"", false,
     "oauth2: environment variable of the client secret"},
    {"client_secret_file", FieldType::String, "\"\"", false,
     "oauth2: owner-only file of the client secret"},
    {"scope", FieldType::String, "\"\"", false, "oauth2: the scope asked for, if any"},
    {"client_auth", FieldType::String, "\"client_secret_basic\"", false,
     "oauth2: how the client authenticates at the token endpoint: client_secret_basic (HTTP "
     "Basic) or client_secret_post (in the form)"},
};

// Refresh an OAuth2 token this long before it expires (half its life when that is shorter).
constexpr auto kTokenMargin = std::chrono::seconds(60);
// A token answer without a lifetime: assume an hour (a 401 fetches a new one sooner).
constexpr auto kDefaultTokenLifetime = std::chrono::seconds(3600);

std::string urlEncode(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "!#$&'()*+,/:;=?@[]~", out);
  return out;
}

std::string excerpt(const std::string& body) {
  return answerExcerpt(body);
}

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

bool isOutage(int status) {
  return status == 408 || status == 429 || status >= 500;
}

}  // namespace

std::span<const Field> ConnectionConfig::fields() {
  static constexpr Field kFields[] = {
      {"base_url", FieldType::String, "", true,
       "the destination's address, https://host[:port][/prefix]"},
      {"ca_file", FieldType::String, "", true,
       "PEM bundle of the CA that signs the destination's certificate (verification is always "
       "on)"},
      {"client_cert", FieldType::String, "\"\"", false, "PEM client certificate for mutual TLS"},
      {"client_key", FieldType::String, "\"\"", false, "PEM private key of the client certificate"},
      {"client_key_passphrase_env", FieldType::String, "\"\"", false,
       "environment variable holding the client key's passphrase, if it is encrypted"},
      {"client_key_passphrase_file", FieldType::String, "\"\"", false,
       "owner-only file holding the client key's passphrase"},
      {"timeout_ms", FieldType::Integer, "10000", false,
       "the hard limit on one delivery attempt: connecting, the TLS handshake, every request "
       "and its answer together"},
      {"max_in_flight", FieldType::Integer, "16", false,
       "requests in flight at once, each on a kept-alive connection of its own (a pupil's items "
       "still go one at a time, in order)"},
      {"max_per_second", FieldType::Number, "0", false,
       "attempts started a second at most (0: as fast as the destination answers); a 429 or a "
       "503 with Retry-After slows the sink further"},
      {"auth", FieldType::Object, "{\"type\": \"none\"}", false,
       "how the sink proves who it is: {\"type\": \"api_key\", \"header\", \"key_env\" | "
       "\"key_file\"}, {\"type\": \"bearer\", \"token_env\" | \"token_file\"}, {\"type\": "
       "\"oauth2\", \"token_url\", \"client_id\", \"client_secret_env\" | "
       "\"client_secret_file\", \"scope\", \"client_auth\": \"client_secret_basic\" | "
       "\"client_secret_post\"}"},
  };
  return kFields;
}

std::vector<Field> withConnectionFields(std::span<const Field> own) {
  std::vector<Field> all(own.begin(), own.begin() + std::min<std::size_t>(own.size(), 2));
  auto connection = ConnectionConfig::fields();
  all.insert(all.end(), connection.begin(), connection.end());
  if (own.size() > 2) all.insert(all.end(), own.begin() + 2, own.end());
  return all;
}

ConnectionConfig ConnectionConfig::fromJson(const nlohmann::json& f, const std::string& path,
                                            const std::filesystem::path& baseDir,
                                            const ConfigContext& context) {
  ConnectionConfig c;
  auto str = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  auto file = [&](const nlohmann::json& j, const char* key) {
    auto value = str(j, key);
    return value.empty() ? std::filesystem::path() : resolveConfigPath(baseDir, value);
  };
  c.sink = str(f, "name");
  c.base_url = str(f, "base_url");
  if (!c.base_url.empty() && c.base_url.rfind("https://", 0) != 0)
    context.add(path + ".base_url", "must start with https:// (TLS is required)", c.base_url);
  c.ca_file = file(f, "ca_file");
  c.client_cert = file(f, "client_cert");
  c.client_key = file(f, "client_key");
  if (c.client_cert.empty() != c.client_key.empty())
    context.add(path + ".client_key", "client_cert and client_key go together");
  c.key_passphrase_env = str(f, "client_key_passphrase_env");
  c.key_passphrase_file = file(f, "client_key_passphrase_file");
  if (f.contains("timeout_ms") && f["timeout_ms"].is_number_integer()) {
    c.timeout_ms = f["timeout_ms"].get<int>();
    if (c.timeout_ms < 100)
      context.add(path + ".timeout_ms", "must be at least 100", std::to_string(c.timeout_ms));
  }
  if (f.contains("max_in_flight") && f["max_in_flight"].is_number_integer()) {
    c.max_in_flight = f["max_in_flight"].get<int>();
    if (c.max_in_flight < 1 || c.max_in_flight > 64)
      context.add(path + ".max_in_flight", "must be from 1 to 64", std::to_string(c.max_in_flight));
  }
  if (f.contains("max_per_second") && f["max_per_second"].is_number()) {
    c.max_per_second = f["max_per_second"].get<double>();
    if (c.max_per_second < 0)
      context.add(path + ".max_per_second", "must be 0 or more", f["max_per_second"].dump());
  }
  if (!f.contains("auth")) return c;
  std::string at = path + ".auth";
  auto a = applySchema(f["auth"], kAuthFields, at, context);
  auto& auth = c.auth;
  auth.type = str(a, "type");
  auto secret = [&](const char* env, const char* fileKey, const std::string& what) {
    auth.secret_env = str(a, env);
    auth.secret_file = file(a, fileKey);
    if (auth.secret_env.empty() && auth.secret_file.empty())
      context.add(at + "." + env, "set " + std::string(env) + " or " + fileKey + ": " + what);
  };
  if (auth.type == "api_key") {
    auth.header = a.value("header", std::string("X-API-Key"));
    secret("key_env", "key_file", "the API key");
  } else if (auth.type == "bearer") {
    secret("token_env", "token_file", "the bearer token");
  } else if (auth.type == "oauth2") {
    auth.token_url = str(a, "token_url");
    auth.client_id = str(a, "client_id");
    auth.scope = str(a, "scope");
    if (a.contains("client_auth")) auth.client_auth = str(a, "client_auth");
    if (auth.client_auth != "client_secret_basic" && auth.client_auth != "client_secret_post")
      context.add(at + ".client_auth", "must be client_secret_basic or client_secret_post",
                  auth.client_auth);
    if (auth.token_url.rfind("https://", 0) != 0)
      context.add(at + ".token_url", "must be the token endpoint's https:// address",
                  auth.token_url);
    if (auth.client_id.empty()) context.add(at + ".client_id", "is required for oauth2");
    secret("client_secret_env", "client_secret_file", "the client secret");
  } else if (auth.type != "none") {
    context.add(at + ".type", "must be none, api_key, bearer or oauth2", auth.type);
  }
  return c;
}

std::unique_ptr<SinkConnection> SinkConnection::open(const ConnectionConfig& config,
                                                     const std::string& path,
                                                     const ConfigContext& context) {
  for (const auto& [file, key] : {std::pair{config.ca_file, "ca_file"},
                                  {config.client_cert, "client_cert"},
                                  {config.client_key, "client_key"}})
    if (!file.empty() && !std::filesystem::exists(file)) {
      context.add(path + "." + key, "file not found", file.string());
      return nullptr;
    }
  std::string secret, passphrase, error;
  if (config.auth.type != "none") {
    auto value = readSecret(config.auth.secret_env, config.auth.secret_file, error);
    if (!value) {
      const auto& a = config.auth;
      std::string key = a.type == "api_key"  ? "key"
                        : a.type == "bearer" ? "token"
                                             : "client_secret";
      context.add(path + ".auth." + key + (a.secret_env.empty() ? "_file" : "_env"), error);
      return nullptr;
    }
    secret = std::move(*value);
  }
  if (!config.key_passphrase_env.empty() || !config.key_passphrase_file.empty()) {
    auto value = readSecret(config.key_passphrase_env, config.key_passphrase_file, error);
    if (!value) {
      context.add(path + (config.key_passphrase_env.empty() ? ".client_key_passphrase_file"
                                                            : ".client_key_passphrase_env"),
                  error);
      return nullptr;
    }
    passphrase = std::move(*value);
  }
  try {
    return std::unique_ptr<SinkConnection>(
        new SinkConnection(config, std::move(secret), std::move(passphrase)));
  } catch (const std::exception& e) {
    // A CA bundle or client certificate that OpenSSL cannot load, a wrong passphrase, a
    // malformed address.
    context.add(path, std::string("cannot set up TLS: ") + e.what());
    return nullptr;
  }
}

SinkConnection::SinkConnection(ConnectionConfig config, std::string secret, std::string passphrase)
    : config_(std::move(config)),
      secret_(std::move(secret)),
      tls_{config_.ca_file.string(), config_.client_cert.string(), config_.client_key.string(),
           std::move(passphrase)} {
  // The first connection now: an address or a certificate that cannot be used is refused here.
  idle_.push_back(std::make_unique<HttpsClient>(config_.base_url, tls_, config_.timeout_ms));
  if (config_.auth.type == "oauth2") {
    Poco::URI uri(config_.auth.token_url);
    tokenClient_ = std::make_unique<HttpsClient>(uri.getScheme() + "://" + uri.getAuthority(),
                                                 TlsSettings{config_.ca_file.string(), "", "", ""},
                                                 config_.timeout_ms);
    tokenPath_ = uri.getPathAndQuery();
  }
}

SinkConnection::~SinkConnection() = default;

std::optional<std::chrono::seconds> tokenLifetime(const nlohmann::json& answer) {
  if (!answer.is_object() || !answer.contains("expires_in")) return std::nullopt;
  const auto& v = answer["expires_in"];
  int64_t seconds = -1;
  if (v.is_number_integer()) {
    seconds = v.get<int64_t>();
  } else if (v.is_number_float()) {
    seconds = static_cast<int64_t>(v.get<double>());
  } else if (v.is_string()) {
    const auto& text = v.get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size()) seconds = -1;
  }
  if (seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

std::chrono::seconds tokenRefreshAfter(std::chrono::seconds lifetime) {
  return lifetime - std::min(kTokenMargin, lifetime / 2);
}

namespace {
// The attempt under way on this thread: its connection and deadline.
struct Attempt {
  const SinkConnection* connection = nullptr;
  std::chrono::steady_clock::time_point deadline{};
};
thread_local Attempt tlsAttempt;

std::optional<std::chrono::steady_clock::time_point> attemptDeadline(const SinkConnection* c) {
  if (tlsAttempt.connection != c) return std::nullopt;
  return tlsAttempt.deadline;
}
}  // namespace

void SinkConnection::beginAttempt() {
  tlsAttempt = Attempt{
      this, std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.timeout_ms)};
}

std::unique_ptr<HttpsClient> SinkConnection::takeClient() {
  {
    std::lock_guard lock(poolMutex_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  return std::make_unique<HttpsClient>(config_.base_url, tls_, config_.timeout_ms);
}

void SinkConnection::giveBack(std::unique_ptr<HttpsClient> client) {
  std::lock_guard lock(poolMutex_);
  if (static_cast<int>(idle_.size()) < std::max(config_.max_in_flight, 1))
    idle_.push_back(std::move(client));
}

bool SinkConnection::fetchToken(HttpResponse& failure) {
  const auto& auth = config_.auth;
  HttpRequest request;
  request.path = tokenPath_;
  request.deadline = attemptDeadline(this);
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  request.body = "grant_type=client_credentials";
  if (auth.client_auth == "client_secret_post")
    request.body +=
        "&client_id=" + urlEncode(auth.client_id) + "&client_secret=" + urlEncode(secret_);
  else  // RFC 6749 2.3.1: each part form-encoded, then HTTP Basic
    request.headers["Authorization"] =
        "Basic " + base64(urlEncode(auth.client_id) + ":" + urlEncode(secret_));
  if (!auth.scope.empty()) request.body += "&scope=" + urlEncode(auth.scope);
  auto response = tokenClient_->send(request);
  std::string where = "OAuth2 token endpoint " + auth.token_url + ": ";
  if (response.status == 0) {
    failure.transport_error = where + response.transport_error;
    failure.timed_out = response.timed_out;
    return false;
  }
  if (isOutage(response.status)) {  // the endpoint is down or busy: retried with backoff
    failure.transport_error = where + "HTTP " + std::to_string(response.status) + " " +
                              excerpt(response.body) + " (an outage there; retried)";
    if (auto it = response.headers.find("retry-after"); it != response.headers.end())
      failure.headers["retry-after"] = it->second;
    return false;
  }
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status / 100 != 2) {
    failure.refused_us = true;
    failure.transport_error = "OAuth2 token refused by " + auth.token_url + ": HTTP " +
                              std::to_string(response.status) + " " + excerpt(response.body) +
                              " (check client_id, the client secret and client_auth)";
    return false;
  }
  if (!json.is_object() || !json.contains("access_token") || !json["access_token"].is_string() ||
      json["access_token"].get_ref<const std::string&>().empty()) {
    failure.refused_us = true;  // not a token endpoint: a person must look at token_url
    failure.transport_error = where + "HTTP " + std::to_string(response.status) +
                              " without an access_token (is token_url the token endpoint?)";
    return false;
  }
  token_ = json["access_token"].get<std::string>();
  auto lifetime = tokenLifetime(json);
  if (!lifetime && json.contains("expires_in"))
    namedLogger(config_.sink)
        ->warn(
            "sink {}: OAuth2 token answer's expires_in is not a number of seconds ({}); "
            "keeping the token for an hour or until refused",
            config_.sink, excerpt(json["expires_in"].dump()));
  tokenUntil_ = std::chrono::steady_clock::now() +
                tokenRefreshAfter(lifetime.value_or(kDefaultTokenLifetime));
  return true;
}

bool SinkConnection::addCredentials(HttpRequest& request, HttpResponse& failure) {
  const auto& type = config_.auth.type;
  if (type == "api_key") {
    request.headers[config_.auth.header] = secret_;
  } else if (type == "bearer") {
    request.headers["Authorization"] = "Bearer " + secret_;
  } else if (type == "oauth2") {
    // One thread fetches a token; the others in flight wait for it rather than fetch their own.
    std::lock_guard lock(tokenMutex_);
    if (token_.empty() || std::chrono::steady_clock::now() >= tokenUntil_)
      if (!fetchToken(failure)) return false;
    request.headers["Authorization"] = "Bearer " + token_;
  }
  return true;
}

HttpResponse SinkConnection::send(HttpRequest request) {
  if (!request.deadline) request.deadline = attemptDeadline(this);
  for (int attempt = 0;; ++attempt) {
    HttpResponse noCredentials;
    if (!addCredentials(request, noCredentials)) return noCredentials;
    auto client = takeClient();
    auto response = client->send(request);
    giveBack(std::move(client));
    // A 401 with a cached OAuth2 token: it may have been revoked early. Once more, fresh (unless
    // another request in flight has fetched a new one meanwhile).
    if (response.status == 401 && config_.auth.type == "oauth2" && attempt == 0) {
      std::lock_guard lock(tokenMutex_);
      if (request.headers["Authorization"] == "Bearer " + token_) token_.clear();
      continue;
    }
    return response;
  }
}

DeliveryResult deliveryResult(const std::string& sink, const HttpResponse& response,
                              const std::string& reference) {
  DeliveryResult result;
  if (response.status == 0) {
    std::optional<int64_t> afterMs;
    if (auto seconds = response.retryAfterSeconds()) afterMs = *seconds * 1000;
    result = DeliveryResult::retry(response.transport_error, afterMs);
    result.sink_unavailable = response.refused_us;
  } else {
    result = classifyHttpStatus(response.status, reference, excerpt(response.body),
                                response.retryAfterSeconds());
    if (auto refusal = clientCertificateRefusal(response.status, response.body)) {
      // A proxy that checks client certificates finished the handshake, then said no.
      result = DeliveryResult::retry(
          "TLS: the server refused our client certificate (missing, expired, or not issued by "
          "the authority it trusts; check client_cert and client_key): " +
          *refusal);
      result.sink_unavailable = true;
      result.http_status = response.status;
    } else if (response.status == 401 || response.status == 403) {
      result = DeliveryResult::retry(result.reason + " (check the sink's credentials)");
      result.sink_unavailable = true;
      result.http_status = response.status;
    }
    if (result.outcome == DeliveryResult::Outcome::Reject)
      result.response_body = response.body.substr(0, 4096);
  }
  if (!result.reason.empty()) result.reason = "sink " + sink + ": " + result.reason;
  return result;
}

}  // namespace markbridge
