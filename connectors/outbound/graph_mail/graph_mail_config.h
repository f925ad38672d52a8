#pragma once
// Settings of the `graph_mail` sink: an email per event, sent through Microsoft 365 (Microsoft
// Graph's sendMail) as one mailbox, to the addresses of the staff role the event's action names.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "connectors/outbound/common/sink_connection.h"

namespace markbridge {

// Where Graph is and whose certificates sign it, unless the configuration says otherwise.
inline constexpr const char* kGraphBaseUrl = "https://graph.microsoft.com";
inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

struct GraphMailConfig {
  std::string name;
  // base_url and ca_file have defaults here (Graph, the system's CA bundle); auth is required
  // and must be oauth2. The pace stays within Exchange Online's limits: 4 requests at once per
  // mailbox and app (Graph's Outlook concurrency limit) and 30 messages a minute per mailbox.
  ConnectionConfig connection = [] {
    ConnectionConfig c;
    c.base_url = kGraphBaseUrl;
    c.ca_file = kSystemCaBundle;
    c.max_in_flight = 4;
    c.max_per_second = 0.5;
    return c;
  }();
  std::string sender;  // the mailbox it sends as (user principal name or object id)
  // Addresses by staff role: "dsl", "attendance_officer", "head_of_year"...
  std::map<std::string, std::vector<std::string>> to;
  // The role for an event whose action names none (a note, an LA notification, a concern with
  // no `alert`).
  std::string default_role = "attendance_officer";
  std::set<std::string> events = {"concern", "task", "note"};
  bool names = true;  // false: the masked UPN and registration group only, no names
  bool save_to_sent_items = true;

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static GraphMailConfig fromJson(const nlohmann::json& json, const std::string& path,
                                  const std::filesystem::path& baseDir,
                                  const ConfigContext& context);
};

}  // namespace markbridge
