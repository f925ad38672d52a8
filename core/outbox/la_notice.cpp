#include "core/outbox/la_notice.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/domain/la_notification_types.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

// "2024-11-22 14:03 (London time)"
std::string londonTime(int64_t ms) {
  int64_t seconds = ms / 1000;
  int minutes = london::localMinutes(seconds);
  char hhmm[8];
  std::snprintf(hhmm, sizeof hhmm, "%02d:%02d", (minutes / 60) % 24, minutes % 60);
  return london::localDate(seconds).iso() + " " + hhmm + " (London time)";
}

// The words of the note: what the LA was told, its reference and when the portal accepted it.
std::string noticeText(OutboxKind kind, const SinkEvent& event, const std::string& reference,
                       const std::string& original, const std::string& acceptedAt) {
  std::string period = event.from.iso() + " to " + event.to.iso();
  const std::string& laReference = original.empty() ? reference : original;
  switch (kind) {
    case OutboxKind::Notify:
      return "The LA was notified: " + event.type + ", period " + period + ", LA reference " +
             reference + ", accepted by the LA portal " + acceptedAt +
             ". What the LA was told: " + event.summary;
    case OutboxKind::Withdraw:
      return "The LA notification " + event.type + " (period " + period + ", LA reference " +
             laReference + ") was withdrawn; the LA portal accepted the withdrawal " + acceptedAt +
             ". Why: " + laCorrectionReason(kind);
    case OutboxKind::Revise:
      return "The LA notification " + event.type + " (LA reference " + laReference +
             ") was revised: its period is now " + period + "; the LA portal accepted the " +
             "revision " + acceptedAt + ". Why: " + laCorrectionReason(kind);
  }
  return event.summary;
}

const char* changeOf(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::Notify:
      return "notified";
    case OutboxKind::Withdraw:
      return "withdrawn";
    case OutboxKind::Revise:
      return "revised";
  }
  return "notified";
}

}  // namespace

std::string laCorrectionReason(OutboxKind kind) {
  if (kind == OutboxKind::Withdraw)
    return "the register was amended and the grounds for the notification no longer hold";
  return "the register was amended; the grounds still hold for this period";
}

std::string laNoticeKey(const std::string& laItemKey, const std::string& toSink) {
  return laItemKey + "/" + std::string(kLaNoticeType) + "@" + toSink;
}

std::vector<OutboxEntry> laNotices(const OutboxItem& laItem, const SinkEvent& event,
                                   const std::string& reference,
                                   const std::string& originalReference, int64_t acceptedAtMs,
                                   const std::vector<std::string>& toSinks) {
  std::vector<OutboxEntry> out;
  if (toSinks.empty() || !isLaNotificationType(event.type)) return out;
  std::string acceptedAt = londonTime(acceptedAtMs);
  SinkEvent notice = event;
  notice.type = std::string(kLaNoticeType);
  notice.summary = noticeText(laItem.kind, event, reference, originalReference, acceptedAt);
  notice.actions_taken.reset();  // the LA's business; the school's record has its own history
  notice.digest.reset();
  nlohmann::json details = {
      {"text", notice.summary},
      {"la_type", event.type},
      {"change", changeOf(laItem.kind)},
      {"la_reference", originalReference.empty() ? reference : originalReference},
      {"accepted_at", acceptedAt}};
  notice.action = SinkAction::fromDetails(std::move(details));
  std::string payload =
      notice.toJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (const auto& sink : toSinks) {
    if (sink == laItem.sink) continue;
    out.push_back(OutboxEntry{laNoticeKey(laItem.key, sink), sink, laItem.event_id, laItem.upn,
                              laItem.kind, payload});
  }
  return out;
}

}  // namespace markbridge
