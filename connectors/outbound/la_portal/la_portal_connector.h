#pragma once
// Sends notifications to an LA portal over verified HTTPS with a bearer token (and a client
// certificate when configured). Every request carries the outbox key as Idempotency-Key.

#include <memory>

#include "connectors/common/https_client.h"
#include "connectors/outbound/la_portal/la_portal_config.h"
#include "connectors/outbound/outbound_types.h"

namespace markbridge {

class LaPortalSink : public Sink {
 public:
  LaPortalSink(LaPortalConfig config, School school, std::string token);
  const std::string& name() const override { return config_.name; }
  std::set<std::string> eventTypes() const override { return config_.events; }
  DeliveryResult deliver(const OutboxItem& item, const std::string& originalReference) override;

 private:
  static DeliveryResult classify(const HttpResponse& response);
  LaPortalConfig config_;
  School school_;
  std::string token_;
  HttpsClient client_;
};

std::unique_ptr<Sink> buildLaPortalSink(const nlohmann::json& config, const std::string& path,
                                        const std::filesystem::path& baseDir, const School& school,
                                        const ConfigContext& context);

}  // namespace markbridge
