#include "connectors/outbound/la_portal/la_portal_connector.h"

#include <nlohmann/json.hpp>

#include "connectors/common/secret.h"
#include "connectors/outbound/la_portal/la_portal_payload.h"

namespace markbridge {
namespace {

std::string excerpt(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("error") &&
      json["error"].is_string())
    return json["error"].get<std::string>();
  return body.substr(0, 200);
}

}  // namespace

LaPortalSink::LaPortalSink(LaPortalConfig config, School school, std::string token)
    : config_(std::move(config)),
      school_(std::move(school)),
      token_(std::move(token)),
      client_(config_.base_url,
              TlsSettings{config_.ca_file.string(), config_.client_cert.string(),
                          config_.client_key.string()},
              config_.timeout_ms) {}

DeliveryResult LaPortalSink::deliver(const OutboxItem& item, const std::string& originalReference) {
  HttpRequest request;
  request.path = "/api/v1/notifications";
  request.headers["Authorization"] = "Bearer " + token_;
  request.headers["Idempotency-Key"] = item.key;
  request.body = laPortalNotificationBody(item, originalReference, school_, config_);
  counters_.bytes += static_cast<int64_t>(request.body.size());
  auto response = client_.send(request);
  auto result =
      response.status == 0 ? DeliveryResult::retry(response.transport_error) : classify(response);
  if (!result.reason.empty()) result.reason = "sink " + config_.name + ": " + result.reason;
  switch (result.outcome) {
    case DeliveryResult::Outcome::Delivered:
      ++counters_.records;
      break;
    case DeliveryResult::Outcome::Retry:
      ++counters_.retries;
      break;
    case DeliveryResult::Outcome::Reject:
      ++counters_.failures;
      break;
  }
  return result;
}

DeliveryResult LaPortalSink::classify(const HttpResponse& response) {
  std::string reference;
  if (response.status / 100 == 2) {
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_object() && json.contains("reference") && json["reference"].is_string())
      reference = json["reference"].get<std::string>();
  }
  return classifyHttpStatus(response.status, reference, excerpt(response.body),
                            response.retryAfterSeconds());
}

std::unique_ptr<Sink> buildLaPortalSink(const nlohmann::json& json, const std::string& path,
                                        const std::filesystem::path& baseDir, const School& school,
                                        const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto config = LaPortalConfig::fromJson(json, path, baseDir, context);
  if (context.problems->size() != before) return nullptr;
  auto token = readTokenSetting(config.token_env, config.token_file, path, context);
  if (!token) return nullptr;
  for (const auto& file : {config.ca_file, config.client_cert, config.client_key}) {
    if (!file.empty() && !std::filesystem::exists(file)) {
      context.add(path, "file not found", file.string());
      return nullptr;
    }
  }
  try {
    return std::make_unique<LaPortalSink>(std::move(config), school, std::move(*token));
  } catch (const std::exception& e) {
    // A CA bundle or client certificate that OpenSSL cannot load, or a malformed base URL.
    context.add(path, std::string("cannot set up TLS: ") + e.what());
    return nullptr;
  }
}

}  // namespace markbridge
