#include "connectors/inbound/sims_csv/sims_csv_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

const SettingTable<SimsCsvConfig>& simsCsvTable() {
  using M = SimsCsvConfig;
  static const auto table =
      SettingTable<M>()
          .rowsOf(&fileSourcePart<M>, fileSourceTable())
          .typeKey("sims_csv")
          .choice("layout", &M::layout,
                  {{"long", "one row per pupil-session"},
                   {"grid", "one row per pupil, a column per session headed \"02/09/2024 AM\""},
                   {"auto", "long when Date, Session and Mark columns exist"}},
                  "")
          .map("columns", &M::columns,
               "header overrides, e.g. {\"mark\": \"Attendance Mark\"}; fields: upn, adno, "
               "surname, forename, reg_group, year, date, session, mark, minutes_late, dob, sen, "
               "ehcp, cla, cp, cin, fsm, pp")
          .list("ignore_columns", &M::ignore_columns,
                "grid layout: headers of columns to skip, e.g. [\"Attendance %\"]; any other "
                "column that is neither a pupil field nor a session heading refuses the file",
                "must be a header text")
          .rowsOf(&csvPart<M>, csvTable());
  return table;
}

}  // namespace

std::string SimsCsvConfig::describe() {
  return simsCsvTable().describe();
}

SimsCsvConfig SimsCsvConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                      const std::filesystem::path& baseDir,
                                      const ConfigContext& context) {
  SimsCsvConfig config;
  simsCsvTable().apply(json, path, baseDir, context, config);
  return config;
}

}  // namespace markbridge
