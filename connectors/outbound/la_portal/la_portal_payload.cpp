#include "connectors/outbound/la_portal/la_portal_payload.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/domain/codes.h"
#include "core/outbox/la_notice.h"
#include "core/rules/actions_taken.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

using Json = nlohmann::json;

Json dateOrNull(const std::optional<Date>& date) {
  return date ? Json(date->iso()) : Json();
}

Json period(const SinkEvent& event) {
  return {{"from", event.from.iso()}, {"to", event.to.iso()}};
}

// A detail of the action, or empty text when the event has none.
std::string detail(const SinkEvent& event, std::optional<std::string> SinkAction::*field) {
  if (!event.action) return "";
  const auto& value = (*event.action).*field;
  return value ? *value : std::string();
}

}  // namespace

std::string laPortalCause(const SinkEvent& event, const LaPortalConfig& config) {
  struct Absent {
    std::string code;
    int sessions;
    Code info;
  };
  std::vector<Absent> absences;
  int total = 0;
  for (const auto& [text, n] : event.sessions_by_code) {
    auto code = Code::fromString(text);
    if (!code || !code->isAbsence() || n <= 0) continue;
    absences.push_back({text, n, *code});
    total += n;
  }
  std::stable_sort(absences.begin(), absences.end(),
                   [](const Absent& a, const Absent& b) { return a.sessions > b.sessions; });
  std::string cause;
  if (total > 0) {
    cause = "Absent " + std::to_string(total) + (total == 1 ? " session" : " sessions") + " from " +
            event.from.iso() + " to " + event.to.iso() + ": ";
    for (std::size_t i = 0; i < absences.size(); ++i) {
      const auto& a = absences[i];
      cause += (i ? ", " : "") + a.code + " " + std::to_string(a.sessions) + " (" +
               std::string(toString(a.info.category())) + ": " + std::string(a.info.meaning()) +
               ")";
    }
  }
  if (auto note = config.cause_notes.find(event.type);
      note != config.cause_notes.end() && !note->second.empty())
    cause += (cause.empty() ? "" : ". School's note: ") + note->second;
  return cause;
}

std::string laPortalNotificationBody(const OutboxItem& item, const SinkEvent& event,
                                     const std::string& originalReference, const School& school,
                                     const LaPortalConfig& config) {
  const auto& p = event.pupil;
  Json body;
  body["event_id"] = event.event_id;
  body["school"] = {
      {"urn", school.urn}, {"la", school.la}, {"estab", school.estab}, {"name", school.name}};
  if (item.kind != OutboxKind::Notify) {
    // A correction names the record it corrects and the pupil, nothing more.
    body["type"] = "update";
    body["corrects"] = {{"type", event.type}, {"reference", originalReference}};
    body["pupil"] = {{"upn", p.upn}};
    body["period"] = period(event);
    if (item.kind == OutboxKind::Withdraw) {
      body["update"] = "withdrawn: " + laCorrectionReason(item.kind);
    } else {
      body["update"] = "revised: " + laCorrectionReason(item.kind);
      body["sessions_by_code"] = event.sessions_by_code;
      body["attendance_percent"] = event.attendance_percent;
    }
  } else if (event.type == "new_pupil" || event.type == "deletion") {
    // The admission register's returns (reg. 13): what the register holds, nothing about marks.
    body["type"] = event.type;
    body["pupil"] = {{"upn", p.upn},         {"forename", p.forename},
                     {"surname", p.surname}, {"dob", dateOrNull(p.dob)},
                     {"year", p.year},       {"reg_group", p.reg_group}};
    if (event.type == "new_pupil") {
      auto due = detail(event, &SinkAction::due_on);
      body["admission_date"] = detail(event, &SinkAction::admission_date);
      body["due_on"] = due;
      // Late: first queued after the end of the fifth day after entry (London time).
      auto queued = london::localDate(item.created_at / 1000).iso();
      body["late"] = !due.empty() && queued > due;
    } else {
      body["leaving_date"] = detail(event, &SinkAction::leaving_date);
      body["deletion_ground"] = detail(event, &SinkAction::deletion_ground);
      std::string destination = detail(event, &SinkAction::destination);
      bool urn = destination.size() == 6 &&
                 destination.find_first_not_of("0123456789") == std::string::npos;
      body["destination"] =
          urn ? Json{{"school_urn", destination}} : Json{{"school_name", destination}};
    }
    body["summary"] = event.summary;
  } else {
    body["type"] = event.type;
    body["pupil"] = {{"upn", p.upn},         {"forename", p.forename},
                     {"surname", p.surname}, {"dob", dateOrNull(p.dob)},
                     {"year", p.year},       {"reg_group", p.reg_group},
                     {"sen", p.sen},         {"ehcp", p.ehcp},
                     {"cla", p.cla},         {"cp", p.cp},
                     {"cin", p.cin},         {"fsm", p.fsm}};
    body["period"] = period(event);
    body["sessions_by_code"] = event.sessions_by_code;
    body["attendance_percent"] = event.attendance_percent;
    body["cause_if_known"] = laPortalCause(event, config);
    body["actions_taken"] =
        event.actions_taken ? actionsTakenJson(*event.actions_taken) : Json::array();
    body["summary"] = event.summary;
    // Children missing education (core/rules/missing_education.h): why, and the leaving details.
    if (event.type == "missing_education" && event.action)
      body["missing_education"] = event.action->details;
  }
  body["contact"] = {{"name", config.contact_name},
                     {"email", config.contact_email},
                     {"phone", config.contact_phone}};
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace markbridge
