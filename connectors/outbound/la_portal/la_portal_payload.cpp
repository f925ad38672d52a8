#include "connectors/outbound/la_portal/la_portal_payload.h"

#include <nlohmann/json.hpp>

#include "schedules/london_time.h"

namespace markbridge {

std::string laPortalNotificationBody(const OutboxItem& item, const std::string& originalReference,
                                     const School& school, const LaPortalConfig& config) {
  auto event = nlohmann::json::parse(item.payload);
  const auto& p = event["pupil"];
  nlohmann::json body;
  body["event_id"] = event["event_id"];
  body["school"] = {
      {"urn", school.urn}, {"la", school.la}, {"estab", school.estab}, {"name", school.name}};
  if (item.kind != OutboxKind::Notify) {
    // A correction names the record it corrects and the pupil, nothing more.
    body["type"] = "update";
    body["corrects"] = {{"type", event["type"]}, {"reference", originalReference}};
    body["pupil"] = {{"upn", p["upn"]}};
    body["period"] = event["period"];
    if (item.kind == OutboxKind::Withdraw) {
      body["update"] =
          "withdrawn: the register was amended and the grounds for the notification "
          "no longer hold";
    } else {
      body["update"] = "revised: the register was amended; the grounds still hold for this period";
      body["sessions_by_code"] = event["sessions_by_code"];
      body["attendance_percent"] = event["attendance_percent"];
    }
  } else if (event["type"] == "new_pupil" || event["type"] == "deletion") {
    // The admission register's returns (reg. 13): what the register holds, nothing about marks.
    const auto& action = event.contains("action") ? event["action"] : nlohmann::json::object();
    body["type"] = event["type"];
    body["pupil"] = {{"upn", p["upn"]}, {"forename", p["forename"]}, {"surname", p["surname"]},
                     {"dob", p["dob"]}, {"year", p["year"]},         {"reg_group", p["reg_group"]}};
    if (event["type"] == "new_pupil") {
      body["admission_date"] = action.value("admission_date", "");
      body["due_on"] = action.value("due_on", "");
      // Late: first queued after the end of the fifth day after entry (London time).
      auto queued = london::localDate(item.created_at / 1000).iso();
      body["late"] = !body["due_on"].get<std::string>().empty() && queued > body["due_on"];
    } else {
      body["leaving_date"] = action.value("leaving_date", "");
      body["deletion_ground"] = action.value("deletion_ground", "");
      std::string destination = action.value("destination", "");
      bool urn = destination.size() == 6 &&
                 destination.find_first_not_of("0123456789") == std::string::npos;
      body["destination"] = urn ? nlohmann::json{{"school_urn", destination}}
                                : nlohmann::json{{"school_name", destination}};
    }
    body["summary"] = event["summary"];
  } else {
    body["type"] = event["type"];
    body["pupil"] = {{"upn", p["upn"]}, {"forename", p["forename"]}, {"surname", p["surname"]},
                     {"dob", p["dob"]}, {"year", p["year"]},         {"reg_group", p["reg_group"]},
                     {"sen", p["sen"]}, {"ehcp", p["ehcp"]},         {"cla", p["cla"]},
                     {"cp", p["cp"]},   {"cin", p["cin"]},           {"fsm", p["fsm"]}};
    body["period"] = event["period"];
    body["sessions_by_code"] = event["sessions_by_code"];
    body["attendance_percent"] = event["attendance_percent"];
    body["cause_if_known"] = "";
    body["actions_taken"] = nlohmann::json::array();
    body["summary"] = event["summary"];
    // Children missing education (core/rules/missing_education.h): why, and the leaving details.
    if (event["type"] == "missing_education" && event.contains("action"))
      body["missing_education"] = event["action"];
  }
  body["contact"] = {{"name", config.contact_name},
                     {"email", config.contact_email},
                     {"phone", config.contact_phone}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace markbridge
