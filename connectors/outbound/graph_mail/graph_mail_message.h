#pragma once
// The mail a `graph_mail` sink sends for an event, and Graph's sendMail body that carries it
// (pure: no network). Plain text, so every mail client shows it the same way.
//
// Subject: "[Markbridge] Attendance concern: Zoë O'Brien (7A)", or with names off
// "[Markbridge] Attendance concern: B...5001 (7A)". A correction's subject is "Withdrawn: " or
// "Revised: " before the subject of the mail it corrects (rebuilt from the same event: its type,
// pupil and roles do not change), and its text says so and quotes that subject.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/outbox/outbox_item.h"
#include "core/rules/sink_event.h"

namespace markbridge {

// The staff roles an event is mailed to: a task's assignee_role, a concern's alert roles, or
// `defaultRole` when the action names none (a note, an LA notification, a concern without
// alert). In the order the action names them, each once.
std::vector<std::string> mailRoles(const SinkEvent& event, const std::string& defaultRole);

struct MailMessage {
  std::string subject;
  std::string text;
};

// The first mail's subject for `event` (a correction quotes it).
std::string mailSubject(const SinkEvent& event, bool names);

// The mail for one outbox item: a notification, or a correction of the mail sent as
// `originalReference` (the first mail's X-Markbridge-Key).
MailMessage mailMessage(OutboxKind kind, const SinkEvent& event, bool names,
                        const std::vector<std::string>& roles, const std::string& key,
                        const std::string& originalReference);

// POST /v1.0/users/{sender}/sendMail: {"message": {subject, body (Text), toRecipients,
// internetMessageHeaders: X-Markbridge-Key}, "saveToSentItems"}.
nlohmann::json graphSendMailBody(const MailMessage& mail, const std::vector<std::string>& to,
                                 const std::string& key, bool saveToSentItems);

}  // namespace markbridge
