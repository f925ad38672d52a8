#pragma once
// The body of an LA portal notification, built from the typed event the delivery worker read
// from the outbox. Only what the notification needs is sent (UK GDPR data minimisation). Pure:
// no network.

#include <string>

#include "connectors/outbound/la_portal/la_portal_config.h"
#include "core/domain/school.h"
#include "core/outbox/outbox_item.h"
#include "core/rules/sink_event.h"

namespace markbridge {

// POST {base}/api/v1/notifications with this JSON body. `item` gives the kind (a notification
// or a correction) and when it was queued (a new pupil return's lateness).
std::string laPortalNotificationBody(const OutboxItem& item, const SinkEvent& event,
                                     const std::string& originalReference, const School& school,
                                     const LaPortalConfig& config);

// `cause_if_known`: the period's absences by code with their 2024 meanings, e.g. "Absent 10
// sessions from 2024-09-16 to 2024-09-27: O 8 (unauthorised: absent in other or unknown
// circumstances), G 2 (unauthorised: holiday not granted by the school)", most first, then the
// school's note for the type (`cause_notes`), if any. Empty when neither says anything.
std::string laPortalCause(const SinkEvent& event, const LaPortalConfig& config);

}  // namespace markbridge
