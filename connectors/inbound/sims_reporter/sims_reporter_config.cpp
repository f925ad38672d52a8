#include "connectors/inbound/sims_reporter/sims_reporter_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

const SettingTable<SimsReporterXmlConfig>& simsReporterXmlTable() {
  using M = SimsReporterXmlConfig;
  static const auto table =
      SettingTable<M>()
          .rowsOf(&fileSourcePart<M>, fileSourceTable())
          .typeKey("sims_reporter_xml")
          .map("columns", &M::columns,
               "field name overrides, as the report's captions read (\"Legal Surname\", not "
               "\"Legal_x0020_Surname\"), e.g. {\"mark\": \"Attendance Mark\"}; fields: upn, "
               "adno, surname, forename, reg_group, year, date, session, mark, minutes_late, dob, "
               "sen, ehcp, cla, cp, cin, fsm, pp, admission_date, leaving_date, leaving_reason, "
               "destination");
  return table;
}

}  // namespace

std::string SimsReporterXmlConfig::describe() {
  return simsReporterXmlTable().describe();
}

SimsReporterXmlConfig SimsReporterXmlConfig::fromJson(const nlohmann::json& json,
                                                      const std::string& path,
                                                      const std::filesystem::path& baseDir,
                                                      const ConfigContext& context) {
  SimsReporterXmlConfig config;
  simsReporterXmlTable().apply(json, path, baseDir, context, config);
  return config;
}

}  // namespace markbridge
