#include "connectors/outbound/la_portal/la_portal_config.h"

#include <nlohmann/json.hpp>

#include "core/domain/la_notification_types.h"

namespace markbridge {
namespace {

// The `contact` object's keys.
const SettingTable<LaPortalConfig>& contactTable() {
  using L = LaPortalConfig;
  static const auto table = SettingTable<L>()
                                .text("name", &L::contact_name, "who the LA asks for")
                                .text("email", &L::contact_email, "their email address")
                                .text("phone", &L::contact_phone, "their telephone number");
  return table;
}

const SettingTable<LaPortalConfig>& laPortalTable() {
  using L = LaPortalConfig;
  static const auto table =
      SettingTable<L>()
          .text("name", &L::name, "a short name for this sink, e.g. \"la\"")
          .required()
          .typeKey("la_portal")
          .rowsOf(&L::connection, connectionTable())
          .converted(
              "events", FieldType::Array, "array of strings",
              "notification types sent to this portal; corrections (`update`) always follow a "
              "notification that was sent",
              [](L& c, const nlohmann::json& events, const SettingScope& scope) {
                c.events.clear();
                for (std::size_t i = 0; i < events.size(); ++i) {
                  if (!events[i].is_string() ||
                      (events[i] != "update" &&
                       !isLaNotificationType(events[i].get<std::string>())))
                    scope.context.add(
                        scope.path + "[" + std::to_string(i) + "]",
                        "is not an LA notification type (" + laNotificationTypeList() + ")",
                        events[i].dump());
                  else
                    c.events.insert(events[i].get<std::string>());
                }
              },
              [](L& c) { return nlohmann::json(c.events); })
          .section(
              "contact", [](L& c) -> L& { return c; }, contactTable(),
              "school attendance contact: {\"name\", \"email\", \"phone\"}")
          .converted(
              "cause_notes", FieldType::Object, "object of text",
              "a note per notification type added to its cause_if_known, e.g. "
              "{\"sickness_15_day\": \"medical evidence requested from the family\"}; no pupil "
              "names",
              [](L& c, const nlohmann::json& notes, const SettingScope& scope) {
                c.cause_notes.clear();
                for (const auto& [type, note] : notes.items()) {
                  if (!note.is_string() || !isLaNotificationType(type))
                    scope.context.add(
                        scope.path + "." + type,
                        "takes text per LA notification type (" + laNotificationTypeList() + ")",
                        note.dump());
                  else
                    c.cause_notes[type] = note.get<std::string>();
                }
              },
              [](L& c) { return nlohmann::json(c.cause_notes); });
  return table;
}

}  // namespace

std::string LaPortalConfig::describe() {
  return laPortalTable().describe();
}

LaPortalConfig LaPortalConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                        const std::filesystem::path& baseDir,
                                        const ConfigContext& context) {
  LaPortalConfig config;
  laPortalTable().apply(json, path, baseDir, context, config);
  config.connection.sink = config.name;
  config.connection.check(path, context);
  return config;
}

}  // namespace markbridge
