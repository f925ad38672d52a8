#include "connectors/outbound/cpoms/cpoms_connector.h"
#include "connectors/outbound/la_portal/la_portal_connector.h"
#include "connectors/outbound/outbound_types.h"
#include "connectors/outbound/webhook/webhook_connector.h"

namespace markbridge {

std::span<const OutboundType> outboundTypes() {
  static const OutboundType kTypes[] = {
      {"la_portal", "LA portal notifications (built-in profile la-portal)", &LaPortalConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { LaPortalConfig::fromJson(c, p, b, ctx); },
       &buildLaPortalSink},
      {"cpoms", "CPOMS-style concerns, tasks and notes (built-in profile cpoms)",
       &CpomsConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { CpomsConfig::fromJson(c, p, b, ctx); },
       &buildCpomsSink},
      {"webhook", "any HTTPS API, described by a request template (generic profile)",
       &WebhookConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { WebhookConfig::fromJson(c, p, b, ctx); },
       &buildWebhookSink},
  };
  return kTypes;
}

const OutboundType* findOutboundType(std::string_view type) {
  return findType(outboundTypes(), type);
}

}  // namespace markbridge
