#include "connectors/inbound/classcharts_csv/classcharts_csv_config.h"

#include <nlohmann/json.hpp>

#include "connectors/inbound/common/csv_columns.h"
#include "core/domain/codes.h"

namespace markbridge {
namespace {

constexpr std::array<Field, 3> kOwnFields = {{
    {"type", FieldType::String, "", true, "\"classcharts_csv\""},
    {"status_map", FieldType::Object,
     R"({"present": "/\\", "yes": "/\\", "late": "L", "absent": "N", "no": "N", "excused": "C", "ignore": "-"})",
     false,
     "Status -> 2024 code when Code is blank; \"/\\\\\" is present (/ AM, \\\\ PM), \"-\" is "
     "register not taken. Your entries replace the defaults for the same status"},
    {"columns", FieldType::Object, "{}", false,
     "header overrides, e.g. {\"mis_id\": \"Pupil ID\"}; fields: upn, adno (Student ID), "
     "surname, forename, reg_group, year, date, session, mark (Code), status, minutes_late"},
}};
constexpr auto kFields = joinFields(joinFields(kFileSourceFields, kOwnFields), kCsvFields);

}  // namespace

std::span<const Field> ClassChartsCsvConfig::schema() {
  return kFields;
}

ClassChartsCsvConfig ClassChartsCsvConfig::fromJson(const nlohmann::json& json,
                                                    const std::string& path,
                                                    const std::filesystem::path& baseDir,
                                                    const ConfigContext& context) {
  auto filled = applySchema(json, kFields, path, context);
  ClassChartsCsvConfig config;
  static_cast<FileSourceConfig&>(config) = FileSourceConfig::from(filled, path, baseDir, context);
  static_cast<CsvOptions&>(config) = CsvOptions::from(filled, path, context);
  auto defaults = nlohmann::json::parse(std::string(kOwnFields[1].default_json));
  for (const auto& [status, code] : defaults.items())
    config.status_map[status] = code.get<std::string>();
  for (const auto& [status, code] : stringMap(filled, "status_map", path, context)) {
    if (code != "/\\" && !Code::fromString(code))
      context.add(path + ".status_map." + status, "must be a 2024 code, \"-\" or \"/\\\\\"", code);
    config.status_map[normaliseHeader(status)] = code;
  }
  return config;
}

}  // namespace markbridge
