#pragma once
// Settings of the LA portal sink (built-in profile `la-portal`).

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>

#include "connectors/outbound/common/sink_connection.h"

namespace markbridge {

struct LaPortalConfig {
  std::string name;
  ConnectionConfig connection;
  std::set<std::string> events = {"unauthorised_10_day", "sickness_15_day"};
  std::string contact_name, contact_email, contact_phone;
  // The school's note per notification type, added to `cause_if_known` (e.g. what it knows of
  // a sickness run). No pupil names: every notification of the type carries it.
  std::map<std::string, std::string> cause_notes;

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static LaPortalConfig fromJson(const nlohmann::json& json, const std::string& path,
                                 const std::filesystem::path& baseDir,
                                 const ConfigContext& context);
};

}  // namespace markbridge
