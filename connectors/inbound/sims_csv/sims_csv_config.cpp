#include "connectors/inbound/sims_csv/sims_csv_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

constexpr std::array<Field, 4> kOwnFields = {{
    {"type", FieldType::String, "", true, "\"sims_csv\""},
    {"layout", FieldType::String, "\"auto\"", false,
     "long (one row per pupil-session) | grid (one row per pupil, a column per session headed "
     "\"02/09/2024 AM\") | auto (long when Date, Session and Mark columns exist)"},
    {"columns", FieldType::Object, "{}", false,
     "header overrides, e.g. {\"mark\": \"Attendance Mark\"}; fields: upn, adno, surname, "
     "forename, reg_group, year, date, session, mark, minutes_late, dob, sen, ehcp, cla, cp, cin, "
     "fsm, pp"},
    {"ignore_columns", FieldType::Array, "[]", false,
     "grid layout: headers of columns to skip, e.g. [\"Attendance %\"]; any other column that is "
     "neither a pupil field nor a session heading refuses the file"},
}};
constexpr auto kFields = joinFields(joinFields(kFileSourceFields, kOwnFields), kCsvFields);

}  // namespace

std::span<const Field> SimsCsvConfig::schema() {
  return kFields;
}

SimsCsvConfig SimsCsvConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                      const std::filesystem::path& baseDir,
                                      const ConfigContext& context) {
  auto filled = applySchema(json, kFields, path, context);
  SimsCsvConfig config;
  static_cast<FileSourceConfig&>(config) = FileSourceConfig::from(filled, path, baseDir, context);
  static_cast<CsvOptions&>(config) = CsvOptions::from(filled, path, context);
  if (filled.contains("layout")) {
    config.layout = filled["layout"].get<std::string>();
    if (config.layout != "auto" && config.layout != "long" && config.layout != "grid")
      context.add(path + ".layout", "must be auto, long or grid", config.layout);
  }
  if (filled.contains("ignore_columns")) {
    const auto& list = filled["ignore_columns"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].is_string())
        config.ignore_columns.push_back(list[i].get<std::string>());
      else
        context.add(path + ".ignore_columns[" + std::to_string(i) + "]", "must be a header text",
                    list[i].dump());
    }
  }
  return config;
}

}  // namespace markbridge
