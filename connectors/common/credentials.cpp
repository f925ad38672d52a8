#include "connectors/common/credentials.h"

#include <Poco/Base64Encoder.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/common/http_policy.h"
#include "connectors/common/secret.h"
#include "core/domain/logging.h"

namespace markbridge {
namespace {

// The `auth` object as written: each key its own member (three of them fill AuthConfig's
// secret_env, by type), the initialisers the defaults.
struct AuthSettings {
  std::string type;
  std::string header = "X-API-Key";
  std::string key_env;
  std::filesystem::path key_file;
  std::string token_env;
  std::filesystem::path token_file;
  std::string token_url;
  std::string client_id;
  std::string client_secret_env;
  std::filesystem::path client_secret_file;
  std::string scope;
  std::string client_auth = "client_secret_basic";
};

const SettingTable<AuthSettings>& authTable() {
  using A = AuthSettings;
  static const auto table =
      SettingTable<A>()
          .choice("type", &A::type, {{"none"}, {"api_key"}, {"bearer"}, {"oauth2"}}, "")
          .required()
          .text("header", &A::header, "api_key: the header carrying the key")
          .text("key_env", &A::key_env, "api_key: environment variable holding the key")
          .path("key_file", &A::key_file, "api_key: owner-only file holding the key")
          .text("token_env", &A::token_env, "bearer: environment variable of the token")
          .path("token_file", &A::token_file, "bearer: owner-only file of the token")
          .text("token_url", &A::token_url, "oauth2: the token endpoint (https)")
          .text("client_id", &A::client_id, "oauth2: the client id")
          .text("client_secret_env", &A::client_secret_env,
                "oauth2: environment variable of the client secret")
          .path("client_secret_file", &A::client_secret_file,
                "oauth2: owner-only file of the client secret")
          .text("scope", &A::scope, "oauth2: the scope asked for, if any")
          .choice("client_auth", &A::client_auth,
                  {{"client_secret_basic", "HTTP Basic"}, {"client_secret_post", "in the form"}},
                  "oauth2: how the client authenticates at the token endpoint");
  return table;
}

// Refresh an OAuth2 token this long before it expires (half its life when that is shorter).
constexpr auto kTokenMargin = std::chrono::seconds(60);
// A token answer without a lifetime: assume an hour (a 401 fetches a new one sooner).
constexpr auto kDefaultTokenLifetime = std::chrono::seconds(3600);

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

}  // namespace

AuthConfig AuthConfig::fromJson(const nlohmann::json& json, const std::string& at,
                                const std::filesystem::path& baseDir,
                                const ConfigContext& context) {
  AuthSettings a;
  authTable().apply(json, at, baseDir, context, a);
  AuthConfig auth;
  auth.type = a.type.empty() ? auth.type : a.type;  // empty: refused, the problem is reported
  auto secret = [&](const std::string& env, const std::filesystem::path& file, const char* envKey,
                    const char* fileKey, const std::string& what) {
    auth.secret_env = env;
    auth.secret_file = file;
    if (env.empty() && file.empty())
      context.add(at + "." + envKey, "set " + std::string(envKey) + " or " + fileKey + ": " + what);
  };
  if (a.type == "api_key") {
    auth.header = a.header;
    secret(a.key_env, a.key_file, "key_env", "key_file", "the API key");
  } else if (a.type == "bearer") {
    secret(a.token_env, a.token_file, "token_env", "token_file", "the bearer token");
  } else if (a.type == "oauth2") {
    auth.token_url = a.token_url;
    auth.client_id = a.client_id;
    auth.scope = a.scope;
    auth.client_auth = a.client_auth;
    if (auth.token_url.rfind("https://", 0) != 0)
      context.add(at + ".token_url", "must be the token endpoint's https:// address",
                  auth.token_url);
    if (auth.client_id.empty()) context.add(at + ".client_id", "is required for oauth2");
    secret(a.client_secret_env, a.client_secret_file, "client_secret_env", "client_secret_file",
           "the client secret");
  }
  return auth;
}

std::string AuthConfig::describe() {
  return authTable().describe();
}

const SettingTable<ClientCertificateConfig>& clientCertificateTable() {
  using T = ClientCertificateConfig;
  auto text = [](const SettingText& t) { return std::string(t.description); };
  auto key = [](const SettingText& t) { return std::string(t.key); };
  static const auto table =
      SettingTable<T>()
          .path(key(kClientCertField), &T::client_cert, text(kClientCertField))
          .path(key(kClientKeyField), &T::client_key, text(kClientKeyField))
          .text(key(kClientKeyPassphraseEnvField), &T::key_passphrase_env,
                text(kClientKeyPassphraseEnvField))
          .path(key(kClientKeyPassphraseFileField), &T::key_passphrase_file,
                text(kClientKeyPassphraseFileField));
  return table;
}

ClientCertificateConfig ClientCertificateConfig::fromJson(const nlohmann::json& object,
                                                          const std::string& path,
                                                          const std::filesystem::path& baseDir,
                                                          const ConfigContext& context) {
  ClientCertificateConfig c;
  for (const auto& row : clientCertificateTable().rows()) {
    auto found = object.find(row.key);
    std::string at = path + "." + row.key;
    if (found != object.end() && found->is_string())
      row.read(c, *found, SettingScope{at, baseDir, context});
  }
  c.check(path, context);
  return c;
}

void ClientCertificateConfig::check(const std::string& path, const ConfigContext& context) const {
  if (client_cert.empty() != client_key.empty())
    context.add(path + ".client_key", "client_cert and client_key go together");
}

std::optional<TlsSettings> ClientCertificateConfig::tls(const std::filesystem::path& caFile,
                                                        const std::string& path,
                                                        const ConfigContext& context) const {
  for (const auto& [f, key] :
       {std::pair{caFile, "ca_file"}, {client_cert, "client_cert"}, {client_key, "client_key"}})
    if (!f.empty() && !std::filesystem::exists(f)) {
      context.add(path + "." + key, "file not found", f.string());
      return std::nullopt;
    }
  TlsSettings tls{caFile.string(), client_cert.string(), client_key.string(), ""};
  if (!key_passphrase_env.empty() || !key_passphrase_file.empty()) {
    std::string error;
    auto value = readSecret(key_passphrase_env, key_passphrase_file, error);
    if (!value) {
      context.add(path + (key_passphrase_env.empty() ? ".client_key_passphrase_file"
                                                     : ".client_key_passphrase_env"),
                  error);
      return std::nullopt;
    }
    tls.key_passphrase = std::move(*value);
  }
  return tls;
}

std::unique_ptr<Credentials> Credentials::open(const AuthConfig& auth, const TlsSettings& tokenTls,
                                               int timeoutMs, const std::string& kind,
                                               const std::string& name, const std::string& path,
                                               const ConfigContext& context) {
  std::string secret;
  if (auth.type != "none") {
    std::string error;
    auto value = readSecret(auth.secret_env, auth.secret_file, error);
    if (!value) {
      std::string key = auth.type == "api_key"  ? "key"
                        : auth.type == "bearer" ? "token"
                                                : "client_secret";
      context.add(path + ".auth." + key + (auth.secret_env.empty() ? "_file" : "_env"), error);
      return nullptr;
    }
    secret = std::move(*value);
  }
  return std::unique_ptr<Credentials>(
      new Credentials(auth, std::move(secret), tokenTls, timeoutMs, kind, name));
}

Credentials::Credentials(AuthConfig auth, std::string secret, const TlsSettings& tokenTls,
                         int timeoutMs, std::string kind, std::string name)
    : auth_(std::move(auth)),
      secret_(std::move(secret)),
      kind_(std::move(kind)),
      name_(std::move(name)) {
  if (auth_.type == "oauth2") {
    Poco::URI uri(auth_.token_url);
    // The token endpoint is verified against the same CA bundle, and offered the same client
    // certificate when it asks for one (mutual TLS there too, RFC 8705).
    tokenClient_ = std::make_unique<HttpsClient>(uri.getScheme() + "://" + uri.getAuthority(),
                                                 tokenTls, timeoutMs);
    tokenPath_ = uri.getPathAndQuery();
  }
}

Credentials::~Credentials() = default;

void Credentials::closeIdle() {
  std::lock_guard lock(tokenMutex_);
  if (tokenClient_) tokenClient_->close();
}

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

bool Credentials::fetchToken(HttpResponse& failure,
                             std::optional<std::chrono::steady_clock::time_point> by) {
  HttpRequest request;
  request.path = tokenPath_;
  request.deadline = by;
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"}};
  if (auth_.client_auth == "client_secret_post") {
    form.emplace_back("client_id", auth_.client_id);
    form.emplace_back("client_secret", secret_);
  } else {  // RFC 6749 2.3.1: each part form-encoded, then HTTP Basic
    request.headers["Authorization"] =
        "Basic " + base64(urlEncode(auth_.client_id) + ":" + urlEncode(secret_));
  }
  if (!auth_.scope.empty()) form.emplace_back("scope", auth_.scope);
  request.body = formEncode(form);
  auto response = tokenClient_->send(request);
  std::string where = "OAuth2 token endpoint " + auth_.token_url + ": ";
  auto answer = classifyAnswer(response);
  if (response.status == 0) {
    failure.transport_error = where + response.transport_error;
    failure.timed_out = response.timed_out;
    failure.tls_failure = response.tls_failure;
    failure.refused_us = response.refused_us;
    return false;
  }
  if (answer.retryable() || response.status == 501) {  // down or busy: retried with backoff
    failure.transport_error = where + "HTTP " + std::to_string(response.status) + " " +
                              answerExcerpt(response.body) + " (an outage there; retried)";
    if (auto it = response.headers.find("retry-after"); it != response.headers.end())
      failure.headers["retry-after"] = it->second;
    return false;
  }
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (answer.kind != AnswerKind::Ok) {
    failure.refused_us = true;
    failure.transport_error = "OAuth2 token refused by " + auth_.token_url + ": HTTP " +
                              std::to_string(response.status) + " " + answerExcerpt(response.body) +
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
    namedLogger(name_)->warn(
        "{} {}: OAuth2 token answer's expires_in is not a number of seconds ({}); keeping the "
        "token for an hour or until refused",
        kind_, name_, answerExcerpt(json["expires_in"].dump()));
  tokenUntil_ = std::chrono::steady_clock::now() +
                tokenRefreshAfter(lifetime.value_or(kDefaultTokenLifetime));
  return true;
}

bool Credentials::addTo(HttpRequest& request, HttpResponse& failure) {
  const auto& type = auth_.type;
  if (type == "api_key") {
    request.headers[auth_.header] = secret_;
  } else if (type == "bearer") {
    request.headers["Authorization"] = "Bearer " + secret_;
  } else if (type == "oauth2") {
    // One thread fetches a token; the others in flight wait for it rather than fetch their own.
    std::lock_guard lock(tokenMutex_);
    if (token_.empty() || std::chrono::steady_clock::now() >= tokenUntil_)
      if (!fetchToken(failure, request.deadline)) return false;
    request.headers["Authorization"] = "Bearer " + token_;
  }
  return true;
}

HttpResponse Credentials::send(HttpRequest request,
                               const std::function<HttpResponse(const HttpRequest&)>& transport) {
  for (int attempt = 0;; ++attempt) {
    HttpResponse noCredentials;
    if (!addTo(request, noCredentials)) return noCredentials;
    auto response = transport(request);
    // A 401 with a cached OAuth2 token: it may have been revoked early. Once more, fresh (unless
    // another request in flight has fetched a new one meanwhile).
    if (response.status == 401 && auth_.type == "oauth2" && attempt == 0) {
      std::lock_guard lock(tokenMutex_);
      if (request.headers["Authorization"] == "Bearer " + token_) token_.clear();
      continue;
    }
    return response;
  }
}

}  // namespace markbridge
