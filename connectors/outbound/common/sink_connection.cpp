#include "connectors/outbound/common/sink_connection.h"

#include <nlohmann/json.hpp>

#include "connectors/common/http_policy.h"
#include "connectors/outbound/common/connection_shelf.h"

namespace markbridge {

const SettingTable<ConnectionConfig>& connectionTable() {
  using C = ConnectionConfig;
  static const auto table = [] {
    SettingTable<C> t;
    t.text("base_url", &C::base_url, "the destination's address, https://host[:port][/prefix]")
        .required()
        .refuse(
            [](const nlohmann::json& v) {
              auto url = v.get<std::string>();
              return !url.empty() && url.rfind("https://", 0) != 0;
            },
            "must start with https:// (TLS is required)")
        .path("ca_file", &C::ca_file,
              "PEM bundle of the CA that signs the destination's certificate (verification is "
              "always on)")
        .required()
        .rowsOf(&C::certificate, clientCertificateTable())
        .integer("timeout_ms", &C::timeout_ms,
                 "the hard limit on one delivery attempt: connecting, the TLS handshake, every "
                 "request and its answer together",
                 {100})
        .integer("max_in_flight", &C::max_in_flight,
                 "requests in flight at once, each on a kept-alive connection of its own (a "
                 "pupil's items still go one at a time, in order)",
                 {1, 64})
        .number("max_per_second", &C::max_per_second,
                "attempts started a second at most (0: as fast as the destination answers); a 429 "
                "or a 503 with Retry-After slows the sink further",
                0);
    return addAuthRow(t, &C::auth);
  }();
  return table;
}

void ConnectionConfig::check(const std::string& path, const ConfigContext& context) const {
  certificate.check(path, context);
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
        new SinkConnection(config, *tls, std::move(credentials)));
  } catch (const std::exception& e) {
    // A CA bundle or client certificate that OpenSSL cannot load, a wrong passphrase, a
    // malformed address.
    context.add(path, std::string("cannot set up TLS: ") + e.what());
    return nullptr;
  }
}

SinkConnection::SinkConnection(ConnectionConfig config, const TlsSettings& tls,
                               std::unique_ptr<Credentials> credentials)
    : config_(std::move(config)),
      transport_(
          ConnectionShelf::ofProcess().transportFor(tls, config_.base_url, config_.timeout_ms)),
      credentials_(std::move(credentials)) {
  // An address that cannot be used is refused here (making a client connects nothing).
  [[maybe_unused]] HttpsClient probe(config_.base_url, transport_.tls, config_.timeout_ms);
}

SinkConnection::~SinkConnection() {
  try {
    closeIdle();
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory handing them on: they close
  }
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
  // One an earlier sync (another school's, sending the same way) finished with, or a new one.
  if (auto kept = ConnectionShelf::ofProcess().take(transport_.key)) return kept;
  return std::make_unique<HttpsClient>(config_.base_url, transport_.tls, config_.timeout_ms);
}

void SinkConnection::giveBack(std::unique_ptr<HttpsClient> client) {
  std::lock_guard lock(poolMutex_);
  if (static_cast<int>(idle_.size()) < std::max(config_.max_in_flight, 1))
    idle_.push_back(std::move(client));
}

void SinkConnection::closeIdle() {
  std::vector<std::unique_ptr<HttpsClient>> handing;
  {
    std::lock_guard lock(poolMutex_);
    handing.swap(idle_);
  }
  auto keep = static_cast<std::size_t>(std::max(config_.max_in_flight, 1));
  for (auto& client : handing)
    ConnectionShelf::ofProcess().put(transport_.key, std::move(client), keep);
  credentials_->closeIdle();  // the token endpoint's are closed
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
  // A refusal of the record (400, 409, 422...) may quote the pupil it refused: its words are
  // kept apart from the reason (DeliveryResult::answer), out of the log. An answer about the
  // connection (5xx, 429, credentials) says nothing of a record and stays in the reason, where
  // the technician reading the log needs it.
  std::string excerpt = answerExcerpt(response.body);
  bool aboutTheRecord = answer.kind == AnswerKind::Refused;
  std::string said = response.status == 0
                         ? response.transport_error
                         : "HTTP " + std::to_string(response.status) +
                               (excerpt.empty() || aboutTheRecord ? "" : ": " + excerpt);
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
  if (aboutTheRecord) result.answer = excerpt;
  return result;
}

}  // namespace markbridge
