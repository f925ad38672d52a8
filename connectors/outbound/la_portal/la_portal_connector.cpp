#include "connectors/outbound/la_portal/la_portal_connector.h"

#include <nlohmann/json.hpp>

#include "connectors/common/secret.h"
#include "connectors/outbound/la_portal/la_portal_payload.h"

namespace markbridge {

LaPortalSink::LaPortalSink(LaPortalConfig config, School school,
                           std::unique_ptr<SinkConnection> connection)
    : config_(std::move(config)), school_(std::move(school)), connection_(std::move(connection)) {}

DeliveryResult LaPortalSink::deliver(const OutboxItem& item, const SinkEvent& event,
                                     const std::string& originalReference) {
  connection_->beginAttempt();  // one deadline for every request of this attempt
  HttpRequest request;
  request.path = "/api/v1/notifications";
  request.headers["Idempotency-Key"] = item.key;
  request.body = laPortalNotificationBody(item, event, originalReference, school_, config_);
  counters_.bytes += static_cast<int64_t>(request.body.size());
  auto response = connection_->send(request);
  std::string reference;
  if (response.status / 100 == 2) {
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_object() && json.contains("reference") && json["reference"].is_string())
      reference = json["reference"].get<std::string>();
  }
  auto result = deliveryResult(config_.name, response, reference);
  count(result);
  return result;
}

std::unique_ptr<Sink> buildLaPortalSink(const nlohmann::json& json, const std::string& path,
                                        const std::filesystem::path& baseDir, const School& school,
                                        const ConfigContext& context) {
  return buildHttpsSink<LaPortalConfig, LaPortalSink>(json, path, baseDir, context, school);
}

}  // namespace markbridge
