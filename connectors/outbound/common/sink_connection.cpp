#include "connectors/outbound/common/sink_connection.h"

#include <nlohmann/json.hpp>

#include "connectors/common/http_policy.h"

namespace markbridge {

std::span<const Field> ConnectionConfig::fields() {
  static constexpr Field kFields[] = {
      {"base_url", FieldType::String, "", true,
       "the destination's address, https://host[:port][/prefix]"},
      {"ca_file", FieldType::String, "", true,
       "PEM bundle of the CA that signs the destination's certificate (verification is always "
       "on)"},
      kClientCertField,
      kClientKeyField,
      kClientKeyPassphraseEnvField,
      kClientKeyPassphraseFileField,
      {"timeout_ms", FieldType::Integer, "10000", false,
       "the hard limit on one delivery attempt: connecting, the TLS handshake, every request "
       "and its answer together"},
      {"max_in_flight", FieldType::Integer, "16", false,
       "requests in flight at once, each on a kept-alive connection of its own (a pupil's items "
       "still go one at a time, in order)"},
      {"max_per_second", FieldType::Number, "0", false,
       "attempts started a second at most (0: as fast as the destination answers); a 429 or a "
       "503 with Retry-After slows the sink further"},
      kAuthField,
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
  c.certificate = ClientCertificateConfig::fromJson(f, path, baseDir, context);
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
  if (f.contains("auth"))
    c.auth = AuthConfig::fromJson(f["auth"], path + ".auth", baseDir, context);
  return c;
}

std::unique_ptr<SinkConnection> SinkConnection::open(const ConnectionConfig& config,
                                                     const std::string& path,
                                                     const ConfigContext& context) {
  auto tls = config.certificate.tls(config.ca_file, path, context);
  if (!tls) return nullptr;
  try {
    auto credentials =
        Credentials::open(config.auth, *tls, config.timeout_ms, "sink", config.sink, path, context);
    if (!credentials) return nullptr;
    return std::unique_ptr<SinkConnection>(
        new SinkConnection(config, std::move(*tls), std::move(credentials)));
  } catch (const std::exception& e) {
    // A CA bundle or client certificate that OpenSSL cannot load, a wrong passphrase, a
    // malformed address.
    context.add(path, std::string("cannot set up TLS: ") + e.what());
    return nullptr;
  }
}

SinkConnection::SinkConnection(ConnectionConfig config, TlsSettings tls,
                               std::unique_ptr<Credentials> credentials)
    : config_(std::move(config)), tls_(std::move(tls)), credentials_(std::move(credentials)) {
  // The first connection now: an address or a certificate that cannot be used is refused here.
  idle_.push_back(std::make_unique<HttpsClient>(config_.base_url, tls_, config_.timeout_ms));
}

SinkConnection::~SinkConnection() = default;

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

HttpResponse SinkConnection::send(HttpRequest request) {
  if (!request.deadline) request.deadline = attemptDeadline(this);
  return credentials_->send(std::move(request), [this](const HttpRequest& withCredentials) {
    auto client = takeClient();
    auto response = client->send(withCredentials);
    giveBack(std::move(client));
    return response;
  });
}

DeliveryResult deliveryResult(const std::string& sink, const HttpResponse& response,
                              const std::string& reference) {
  auto answer = classifyAnswer(response);
  std::optional<int64_t> afterMs;  // whole seconds, rounded up: never earlier than asked
  if (answer.retry_after_ms) afterMs = (*answer.retry_after_ms + 999) / 1000 * 1000;
  std::string said = response.status == 0 ? response.transport_error
                                          : "HTTP " + std::to_string(response.status) + [&] {
                                              auto text = answerExcerpt(response.body);
                                              return text.empty() ? "" : ": " + text;
                                            }();
  DeliveryResult result;
  switch (answer.kind) {
    case AnswerKind::Ok:
      result = DeliveryResult::delivered(reference);
      break;
    case AnswerKind::Retryable:
    case AnswerKind::RateLimited:
      result = DeliveryResult::retry(said, afterMs);
      break;
    case AnswerKind::Refused:
      result = DeliveryResult::reject(said);
      result.response_body = response.body.substr(0, 4096);
      break;
    case AnswerKind::CredentialsRefused:
      // 401/403, or the token endpoint refused the client: the items wait, none is rejected.
      result = DeliveryResult::retry(
          response.status == 0 ? said : said + " (check the sink's credentials)", afterMs);
      result.sink_unavailable = true;
      break;
    case AnswerKind::TlsFailure:
      if (response.status == 0) {
        result = DeliveryResult::retry(said);
      } else {  // a proxy that checks client certificates finished the handshake, then said no
        result = DeliveryResult::retry(
            "TLS: " + describe(TlsFailure::ClientCertificateRefused) +
            "; check client_cert and client_key: " +
            clientCertificateRefusal(response.status, response.body).value_or(said));
      }
      result.sink_unavailable = true;
      break;
  }
  if (response.status != 0) result.http_status = response.status;
  if (!result.reason.empty()) result.reason = "sink " + sink + ": " + result.reason;
  return result;
}

}  // namespace markbridge
