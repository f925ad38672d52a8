#pragma once
// The body of an LA portal notification, built from the event the outbox holds. Only what the
// notification needs is sent (UK GDPR data minimisation). Pure: no network.

#include <string>

#include "connectors/outbound/la_portal/la_portal_config.h"
#include "core/domain/school.h"
#include "core/outbox/outbox_item.h"

namespace markbridge {

// POST {base}/api/v1/notifications with this JSON body.
std::string laPortalNotificationBody(const OutboxItem& item, const std::string& originalReference,
                                     const School& school, const LaPortalConfig& config);

}  // namespace markbridge
