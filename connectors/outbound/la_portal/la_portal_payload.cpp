#include "connectors/outbound/la_portal/la_portal_payload.h"

#include <nlohmann/json.hpp>

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
  }
  body["contact"] = {{"name", config.contact_name},
                     {"email", config.contact_email},
                     {"phone", config.contact_phone}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace markbridge
