#include "connectors/outbound/graph_mail/graph_mail_config.h"

#include <nlohmann/json.hpp>

#include "core/domain/la_notification_types.h"

namespace markbridge {
namespace {

using G = GraphMailConfig;

bool isMailEventType(const std::string& type) {
  return type == "concern" || type == "task" || type == "note" || isLaNotificationType(type);
}

// The shared connection rows (connectionTable), as rows of this table, except that base_url
// and ca_file are optional here (Graph and the system's CA bundle) and auth is required.
void addConnectionRows(SettingTable<G>& table) {
  for (const auto& inner : connectionTable().rows()) {
    auto doc = inner.key != "auth"
                   ? inner.description
                   : "OAuth2 client credentials from Microsoft Entra ID: {\"type\": \"oauth2\", "
                     "\"token_url\": \"https://login.microsoftonline.com/TENANT/oauth2/v2.0/"
                     "token\", \"client_id\", \"client_secret_env\" | \"client_secret_file\", "
                     "\"scope\": \"https://graph.microsoft.com/.default\"}";
    table.converted(
        inner.key, inner.type, inner.type_text, doc,
        [read = inner.read](G& c, const nlohmann::json& v, const SettingScope& scope) {
          read(c.connection, v, scope);
        },
        [write = inner.write](G& c) { return write(c.connection); });
    for (const auto& [bad, message] : inner.refusals) table.refuse(bad, message);
    bool optional = inner.key == "base_url" || inner.key == "ca_file";
    if ((inner.required && !optional) || inner.key == "auth") table.required();
  }
}

const SettingTable<G>& graphMailTable() {
  static const auto table = [] {
    SettingTable<G> t;
    t.text("name", &G::name, "a short name for this sink, e.g. \"mail\"")
        .required()
        .typeKey("graph_mail");
    addConnectionRows(t);
    t.text("sender", &G::sender,
           "the mailbox the mail is sent as (its address, e.g. \"markbridge@school.example\", or "
           "its object id): the app's Exchange access policy must allow it")
        .required()
        .refuse(
            [](const nlohmann::json& v) {
              auto s = v.get<std::string>();
              return s.empty() || s.find_first_of("/?#% ") != std::string::npos;
            },
            "must be a mailbox's address or object id (no spaces, /, ?, # or %)")
        .converted(
            "to", FieldType::Object, "object of arrays of strings",
            "the addresses of each staff role, e.g. {\"dsl\": [\"dsl@school.example\"], "
            "\"attendance_officer\": [\"attendance@school.example\"]}: an event goes to the "
            "addresses of the role its action names",
            [](G& c, const nlohmann::json& roles, const SettingScope& scope) {
              c.to.clear();
              for (const auto& [role, addresses] : roles.items()) {
                auto at = scope.path + "." + role;
                if (!addresses.is_array() || addresses.empty()) {
                  scope.context.add(at, "must be a list of one or more email addresses",
                                    addresses.dump());
                  continue;
                }
                for (std::size_t i = 0; i < addresses.size(); ++i) {
                  const auto& a = addresses[i];
                  auto text = a.is_string() ? a.get<std::string>() : "";
                  auto sign = text.find('@');
                  if (sign == std::string::npos || sign == 0 || sign + 1 == text.size() ||
                      text.find_first_of(" ,;<>\"") != std::string::npos)
                    scope.context.add(at + "[" + std::to_string(i) + "]",
                                      "must be an email address (name@domain)", a.dump());
                  else
                    c.to[role].push_back(text);
                }
              }
            },
            [](G& c) { return nlohmann::json(c.to); })
        .required()
        .text("default_role", &G::default_role,
              "the role mailed for an event whose action names none (a note, an LA "
              "notification, a concern without `alert`); must be a role of `to`")
        .converted(
            "events", FieldType::Array, "array of strings",
            "the event types sent here: concern, task, note, or an LA notification type (a "
            "copy for staff of what the rules found)",
            [](G& c, const nlohmann::json& events, const SettingScope& scope) {
              c.events.clear();
              for (std::size_t i = 0; i < events.size(); ++i) {
                auto type = events[i].is_string() ? events[i].get<std::string>() : "";
                if (!isMailEventType(type))
                  scope.context.add(scope.path + "[" + std::to_string(i) + "]",
                                    "must be concern, task, note or an LA notification type (" +
                                        laNotificationTypeList() + ")",
                                    events[i].dump());
                else
                  c.events.insert(type);
              }
              if (c.events.empty()) scope.context.add(scope.path, "must name an event type");
            },
            [](G& c) { return nlohmann::json(c.events); })
        .boolean("names", &G::names,
                 "whether pupils' names appear in the mail; false sends the masked UPN "
                 "(B...5001) and the registration group only")
        .boolean("save_to_sent_items", &G::save_to_sent_items,
                 "keep a copy of each mail in the sender mailbox's Sent Items");
    return t;
  }();
  return table;
}

}  // namespace

std::string GraphMailConfig::describe() {
  return graphMailTable().describe();
}

GraphMailConfig GraphMailConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                          const std::filesystem::path& baseDir,
                                          const ConfigContext& context) {
  GraphMailConfig config;
  graphMailTable().apply(json, path, baseDir, context, config);
  config.connection.sink = config.name;
  config.connection.check(path, context);
  const auto& auth = config.connection.auth;
  if (json.is_object() && json.contains("auth")) {
    if (auth.type != "oauth2")
      context.add(path + ".auth.type",
                  "must be oauth2: Microsoft Graph takes tokens from "
                  "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
                  auth.type);
    else if (auth.scope.empty())
      context.add(path + ".auth.scope",
                  "is required for Graph: \"https://graph.microsoft.com/.default\" (the app's "
                  "Mail.Send permission)");
  }
  if (json.is_object() && json.contains("to") && !config.to.empty() &&
      !config.to.count(config.default_role))
    context.add(path + ".default_role",
                "must be a role of `to`: a note or an LA notification goes to its addresses",
                config.default_role);
  return config;
}

}  // namespace markbridge
