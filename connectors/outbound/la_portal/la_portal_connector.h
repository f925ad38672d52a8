#pragma once
// Sends notifications to an LA portal over verified HTTPS, with the configured credentials
// (usually a client certificate and a bearer or OAuth2 token). Every request carries the outbox
// key as Idempotency-Key.

#include <memory>

#include "connectors/outbound/la_portal/la_portal_config.h"
#include "connectors/outbound/outbound_types.h"

namespace markbridge {

class LaPortalSink : public Sink {
 public:
  LaPortalSink(LaPortalConfig config, School school, std::unique_ptr<SinkConnection> connection);
  const std::string& name() const override { return config_.name; }
  std::set<std::string> eventTypes() const override { return config_.events; }
  bool notifiesLa() const override { return true; }
  SinkPacing pacing() const override { return connection_->pacing(); }
  void closeConnections() override { connection_->closeIdle(); }
  DeliveryResult deliver(const OutboxItem& item, const SinkEvent& event,
                         const std::string& originalReference) override;

 private:
  LaPortalConfig config_;
  School school_;
  std::unique_ptr<SinkConnection> connection_;
};

std::unique_ptr<Sink> buildLaPortalSink(const nlohmann::json& config, const std::string& path,
                                        const std::filesystem::path& baseDir, const School& school,
                                        const ConfigContext& context);

}  // namespace markbridge
