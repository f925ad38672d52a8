#include "connectors/outbound/cpoms/cpoms_connector.h"
#include "connectors/outbound/graph_mail/graph_mail_connector.h"
#include "connectors/outbound/la_portal/la_portal_connector.h"
#include "connectors/outbound/outbound_types.h"
#include "connectors/outbound/webhook/webhook_connector.h"

namespace markbridge {
namespace {

// One registry line: the type's name, its summary, and the sink's config struct (its
// describe()/schema() and fromJson) and build function.
template <class Config>
constexpr OutboundType outboundType(std::string_view type, std::string_view summary,
                                    decltype(OutboundType::build) build) {
  return OutboundType{type, summary, &describeConfig<Config>, &validateConfig<Config>, build};
}

}  // namespace

std::span<const OutboundType> outboundTypes() {
  static const OutboundType kTypes[] = {
      outboundType<LaPortalConfig>(
          "la_portal", "LA portal notifications (built-in profile la-portal)", &buildLaPortalSink),
      outboundType<CpomsConfig>("cpoms",
                                "CPOMS-style concerns, tasks and notes (built-in profile cpoms)",
                                &buildCpomsSink),
      outboundType<WebhookConfig>(
          "webhook", "any HTTPS API, described by a request template (generic profile)",
          &buildWebhookSink),
      outboundType<GraphMailConfig>(
          "graph_mail", "an email per event through Microsoft 365 (Microsoft Graph sendMail)",
          &buildGraphMailSink),
  };
  return kTypes;
}

const OutboundType* findOutboundType(std::string_view type) {
  return findType(outboundTypes(), type);
}

}  // namespace markbridge
