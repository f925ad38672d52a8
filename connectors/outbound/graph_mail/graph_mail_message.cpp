#include "connectors/outbound/graph_mail/graph_mail_message.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/domain/la_notification_types.h"
#include "core/domain/upn.h"

namespace markbridge {
namespace {

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// What happened, in the school's words.
std::string headline(const SinkEvent& e) {
  const auto* action = e.action ? &*e.action : nullptr;
  if (e.type == "concern") return "Attendance concern";
  if (e.type == "task")
    return action && action->assignee_role && !action->assignee_role->empty()
               ? "Attendance task for " + *action->assignee_role
               : "Attendance task";
  if (e.type == "note") return "Attendance note";
  if (e.type == "unauthorised_10_day")
    return "LA notification: 10 school days of unauthorised absence";
  if (e.type == "sickness_15_day") return "LA notification: 15 school days of sickness";
  if (e.type == "irregular_attendance") return "LA notification: irregular attendance";
  if (e.type == "penalty_threshold") return "LA notification: penalty notice threshold reached";
  if (e.type == "ehcp_attendance_concern")
    return "LA notification: falling attendance of a pupil with an EHC plan";
  if (e.type == "new_pupil") return "LA return: new pupil";
  if (e.type == "deletion") return "LA return: deletion from the admission register";
  if (e.type == "missing_education") return "LA notification: possibly missing education";
  return "Attendance event " + e.type;
}

// "Zoë O'Brien (7A)", or "B...5001 (7A)" with names off.
std::string pupilShort(const SinkPupil& p, bool names) {
  std::string who = names ? p.forename + " " + p.surname : maskUpn(p.upn);
  return p.reg_group.empty() ? who : who + " (" + p.reg_group + ")";
}

std::string pupilLine(const SinkPupil& p, bool names) {
  if (!names)
    return "Pupil: UPN " + maskUpn(p.upn) +
           (p.reg_group.empty() ? "" : ", registration group " + p.reg_group) +
           " (names are not sent by email: find the pupil in the MIS)";
  std::string line = "Pupil: " + p.forename + " " + p.surname;
  if (!p.year.empty()) line += ", year " + p.year;
  if (!p.reg_group.empty()) line += ", registration group " + p.reg_group;
  return line + ", UPN " + p.upn;
}

// The period, the sessions, the attendance, what the action asks, what the school did before.
void details(std::ostringstream& out, const SinkEvent& e, bool names) {
  out << "What happened: " << e.summary << "\n";
  out << pupilLine(e.pupil, names) << "\n";
  out << "Period: " << e.from.iso() << " to " << e.to.iso() << "\n";
  std::vector<std::string> sessions;
  for (const auto& [code, n] : e.sessions_by_code)
    sessions.push_back(code + " " + std::to_string(n));
  out << "Sessions by code: " << (sessions.empty() ? "none" : joined(sessions, ", ")) << "\n";
  out << "Attendance this academic year: " << nlohmann::json(e.attendance_percent).dump() << "%\n";
  if (e.action) {
    const auto& a = *e.action;
    if (e.type == "task") {
      out << "Task for " << a.assignee_role.value_or("(no role named)");
      if (a.due_on) out << ", due " << *a.due_on;
      out << ": " << a.text.value_or(e.summary) << "\n";
    } else if (e.type == "note" && a.text) {
      out << "Note: " << *a.text << "\n";
    }
    if (e.type == "concern" && a.alert && !a.alert->empty())
      out << "Alert: " << joined(*a.alert, ", ") << "\n";
    if (e.type == "concern" && a.categories && !a.categories->empty())
      out << "Categories: " << joined(*a.categories, ", ") << "\n";
    if (a.admission_date)
      out << "Admitted on " << *a.admission_date
          << (a.due_on ? "; the return is due by " + *a.due_on : "") << "\n";
    if (a.leaving_date)
      out << "Left on " << *a.leaving_date << ", deletion ground "
          << a.deletion_ground.value_or("not recorded") << ", destination "
          << (a.destination && !a.destination->empty() ? *a.destination : "not known") << "\n";
  }
  if (e.actions_taken && !e.actions_taken->empty()) {
    out << "What the school did before this:\n";
    for (const auto& t : *e.actions_taken)
      out << "- " << t.on.iso() << " " << t.action << " (" << t.stage << ")\n";
  }
}

}  // namespace

std::vector<std::string> mailRoles(const SinkEvent& event, const std::string& defaultRole) {
  std::vector<std::string> roles;
  auto add = [&](const std::string& role) {
    if (!role.empty() && std::find(roles.begin(), roles.end(), role) == roles.end())
      roles.push_back(role);
  };
  if (event.action && event.type == "task" && event.action->assignee_role)
    add(*event.action->assignee_role);
  if (event.action && event.type == "concern" && event.action->alert)
    for (const auto& role : *event.action->alert) add(role);
  if (roles.empty()) add(defaultRole);
  return roles;
}

std::string mailSubject(const SinkEvent& event, bool names) {
  return "[Markbridge] " + headline(event) + ": " + pupilShort(event.pupil, names);
}

MailMessage mailMessage(OutboxKind kind, const SinkEvent& event, bool names,
                        const std::vector<std::string>& roles, const std::string& key,
                        const std::string& originalReference) {
  auto first = mailSubject(event, names);
  std::string quoted = "the email \"" + first + "\"" +
                       (originalReference.empty() ? "" : " (reference " + originalReference + ")");
  std::ostringstream text;
  MailMessage mail;
  switch (kind) {
    case OutboxKind::Notify:
      mail.subject = first;
      text << headline(event) << ": " << pupilShort(event.pupil, names) << ".\n";
      if (isLaNotificationType(event.type))
        text << "A copy for staff: the LA itself is told through the school's LA portal sink, "
                "if one takes this type.\n";
      text << "\n";
      break;
    case OutboxKind::Withdraw:
      mail.subject = "Withdrawn: " + first;
      text << "Withdrawn: the register was amended and the grounds for " << quoted
           << " no longer hold. Nothing more is needed for it.\n\nAs it was:\n";
      break;
    case OutboxKind::Revise:
      mail.subject = "Revised: " + first;
      text << "Revised: the register was amended; the grounds for " << quoted
           << " still hold, with the figures below.\n\n";
      break;
  }
  details(text, event, names);
  text << "\n--\nSent by Markbridge to " << joined(roles, ", ") << " (rule " << event.rule
       << "). Reference: " << key << "\n";
  mail.text = text.str();
  return mail;
}

nlohmann::json graphSendMailBody(const MailMessage& mail, const std::vector<std::string>& to,
                                 const std::string& key, bool saveToSentItems) {
  auto recipients = nlohmann::json::array();
  for (const auto& address : to) recipients.push_back({{"emailAddress", {{"address", address}}}});
  return {{"message",
           {{"subject", mail.subject},
            {"body", {{"contentType", "Text"}, {"content", mail.text}}},
            {"toRecipients", recipients},
            {"internetMessageHeaders",
             nlohmann::json::array({{{"name", "X-Markbridge-Key"}, {"value", key}}})}}},
          {"saveToSentItems", saveToSentItems}};
}

}  // namespace markbridge
