#pragma once
// The school's own record of what the LA was told (issue 14 item 5). When the LA portal ACCEPTS
// an LA notification, or its revision or withdrawal, each sink that takes the "la_notice" type
// (the school's CPOMS) is queued a note on that pupil: what the LA was told (the type, the
// period, the LA's reference, when the portal accepted it), or that it was revised or withdrawn
// and why. A DSL reading the pupil's CPOMS record then sees that the LA was told.
//
// The note is an outbox item like any other, queued by the delivery worker in the same store
// transaction that records the LA's acceptance (OutboxStore::queueOutbox inside recordTogether),
// under a key derived from the LA item's key: a crash before that transaction leaves neither
// (the LA item is sent again with its Idempotency-Key and the portal recognises it), a crash
// after it leaves the note pending, and queuing it twice is impossible. Nothing is queued for
// an LA item that is dead-lettered, nor before the portal answered.
//
// laNotices is pure: the delivered item and its event in, the items to queue out.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/outbox/outbox_item.h"
#include "core/rules/event_lifecycle.h"
#include "core/rules/sink_event.h"

namespace markbridge {

inline constexpr std::string_view kLaNoticeType = "la_notice";

// What the LA portal is told of a correction, and why (the `update` of its body); the same words
// go into the school's note.
std::string laCorrectionReason(OutboxKind kind);

// The notes to queue now that the LA portal accepted `laItem` (whose event is `event`) with
// `reference` at `acceptedAtMs`: one for each of `toSinks` (the sinks that take la_notice). For
// a revision or withdrawal, `originalReference` is the notification's own LA reference. Nothing
// when the event is not an LA notification.
std::vector<OutboxEntry> laNotices(const OutboxItem& laItem, const SinkEvent& event,
                                   const std::string& reference,
                                   const std::string& originalReference, int64_t acceptedAtMs,
                                   const std::vector<std::string>& toSinks);

// The Idempotency-Key of the note `toSink` gets for `laItemKey`.
std::string laNoticeKey(const std::string& laItemKey, const std::string& toSink);

}  // namespace markbridge
