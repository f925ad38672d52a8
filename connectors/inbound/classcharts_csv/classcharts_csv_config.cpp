#include "connectors/inbound/classcharts_csv/classcharts_csv_config.h"

#include <nlohmann/json.hpp>

#include "connectors/inbound/common/csv_columns.h"
#include "core/domain/codes.h"

namespace markbridge {
namespace {

const SettingTable<ClassChartsCsvConfig>& classChartsCsvTable() {
  using M = ClassChartsCsvConfig;
  static const auto table =
      SettingTable<M>()
          .rowsOf(&fileSourcePart<M>, fileSourceTable())
          .typeKey("classcharts_csv")
          .converted(
              "status_map", FieldType::Object, "object of strings",
              "Status -> 2024 code when Code is blank; \"/\\\\\" is present (/ AM, \\\\ PM), "
              "\"-\" is register not taken. Your entries replace the defaults for the same status",
              [](M& c, const nlohmann::json& v, const SettingScope& scope) {
                // Layered over the defaults: a status the school does not name keeps its meaning.
                for (const auto& [status, code] : v.items()) {
                  if (!code.is_string()) {
                    scope.context.add(scope.path + "." + status, "must be a string", code.dump());
                    continue;
                  }
                  auto text = code.get<std::string>();
                  if (text != "/\\" && !Code::fromString(text))
                    scope.context.add(scope.path + "." + status,
                                      "must be a 2024 code, \"-\" or \"/\\\\\"", text);
                  c.status_map[normaliseHeader(status)] = text;
                }
              },
              [](M& c) { return nlohmann::json(c.status_map); })
          .map("columns", &M::columns,
               "header overrides, e.g. {\"mis_id\": \"Pupil ID\"}; fields: upn, adno (Student "
               "ID), surname, forename, reg_group, year, date, session, mark (Code), status, "
               "minutes_late")
          .rowsOf(&csvPart<M>, csvTable());
  return table;
}

}  // namespace

std::string ClassChartsCsvConfig::describe() {
  return classChartsCsvTable().describe();
}

ClassChartsCsvConfig ClassChartsCsvConfig::fromJson(const nlohmann::json& json,
                                                    const std::string& path,
                                                    const std::filesystem::path& baseDir,
                                                    const ConfigContext& context) {
  ClassChartsCsvConfig config;
  classChartsCsvTable().apply(json, path, baseDir, context, config);
  return config;
}

}  // namespace markbridge
