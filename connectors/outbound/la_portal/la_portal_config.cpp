#include "connectors/outbound/la_portal/la_portal_config.h"

#include <nlohmann/json.hpp>

#include "core/domain/la_notification_types.h"

namespace markbridge {
namespace {

constexpr Field kOwnFields[] = {
    {"name", FieldType::String, "", true, "a short name for this sink, e.g. \"la\""},
    {"type", FieldType::String, "", true, "\"la_portal\""},
    {"events", FieldType::Array, R"(["unauthorised_10_day","sickness_15_day"])", false,
     "notification types sent to this portal; corrections (`update`) always follow a "
     "notification that was sent"},
    {"contact", FieldType::Object, "{}", false,
     "school attendance contact: {\"name\", \"email\", \"phone\"}"},
    {"cause_notes", FieldType::Object, "{}", false,
     "a note per notification type added to its cause_if_known, e.g. {\"sickness_15_day\": "
     "\"medical evidence requested from the family\"}; no pupil names"},
};

}  // namespace

std::span<const Field> LaPortalConfig::schema() {
  static const std::vector<Field> fields = withConnectionFields(kOwnFields);
  return fields;
}

LaPortalConfig LaPortalConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                        const std::filesystem::path& baseDir,
                                        const ConfigContext& context) {
  LaPortalConfig config;
  auto f = applySchema(json, schema(), path, context);
  config.name = f.value("name", "");
  config.connection = ConnectionConfig::fromJson(f, path, baseDir, context);
  if (f.contains("events")) {
    const auto& events = f["events"];
    for (std::size_t i = 0; i < events.size(); ++i) {
      std::string p = path + ".events[" + std::to_string(i) + "]";
      if (!events[i].is_string() ||
          (events[i] != "update" && !isLaNotificationType(events[i].get<std::string>())))
        context.add(p, "is not an LA notification type (" + laNotificationTypeList() + ")",
                    events[i].dump());
      else
        config.events.insert(events[i].get<std::string>());
    }
  }
  if (f.contains("contact")) {
    const auto& c = f["contact"];
    for (const auto& [key, value] : c.items()) {
      if (!value.is_string() || (key != "name" && key != "email" && key != "phone"))
        context.add(path + ".contact." + key, "contact takes string name, email and phone",
                    value.dump());
    }
    config.contact_name = c.value("name", "");
    config.contact_email = c.value("email", "");
    config.contact_phone = c.value("phone", "");
  }
  auto notes = f.value("cause_notes", nlohmann::json::object());
  if (!notes.is_object()) notes = nlohmann::json::object();  // the schema reported it
  for (const auto& [type, note] : notes.items()) {
    if (!note.is_string() || !isLaNotificationType(type))
      context.add(path + ".cause_notes." + type,
                  "takes text per LA notification type (" + laNotificationTypeList() + ")",
                  note.dump());
    else
      config.cause_notes[type] = note.get<std::string>();
  }
  return config;
}

}  // namespace markbridge
