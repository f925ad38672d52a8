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

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : std::string();
}

std::filesystem::path file(const nlohmann::json& j, const char* key,
                           const std::filesystem::path& baseDir) {
  auto value = str(j, key);
  return value.empty() ? std::filesystem::path() : resolveConfigPath(baseDir, value);
}

}  // namespace

AuthConfig AuthConfig::fromJson(const nlohmann::json& json, const std::string& at,
                                const std::filesystem::path& baseDir,
                                const ConfigContext& context) {
  AuthConfig auth;
  auto a = applySchema(json, kAuthFields, at, context);
  auth.type = str(a, "type");
  auto secret = [&](const char* env, const char* fileKey, const std::string& what) {
    auth.secret_env = str(a, env);
    auth.secret_file = file(a, fileKey, baseDir);
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
  return auth;
}

ClientCertificateConfig ClientCertificateConfig::fromJson(const nlohmann::json& f,
                                                          const std::string& path,
                                                          const std::filesystem::path& baseDir,
                                                          const ConfigContext& context) {
  ClientCertificateConfig c;
  c.client_cert = file(f, "client_cert", baseDir);
  c.client_key = file(f, "client_key", baseDir);
  if (c.client_cert.empty() != c.client_key.empty())
    context.add(path + ".client_key", "client_cert and client_key go together");
  c.key_passphrase_env = str(f, "client_key_passphrase_env");
  c.key_passphrase_file = file(f, "client_key_passphrase_file", baseDir);
  return c;
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
