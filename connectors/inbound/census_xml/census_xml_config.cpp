#include "connectors/inbound/census_xml/census_xml_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

// The attendance elements of a census return whose dates a school gives.
constexpr std::string_view kPeriodNames[] = {"termly", "annual", "summer_half_term_2"};

void readPeriods(CensusXmlConfig& config, const nlohmann::json& periods,
                 const SettingScope& scope) {
  for (const auto& [name, period] : periods.items()) {
    auto at = scope.path + "." + name;
    if (std::find(std::begin(kPeriodNames), std::end(kPeriodNames), name) ==
        std::end(kPeriodNames)) {
      scope.context.add(at, "must be termly, annual or summer_half_term_2", name);
      continue;
    }
    CensusPeriod p;
    for (const char* end : {"from", "to"}) {
      auto text = period.is_object() ? period.value(end, "") : "";
      auto date = Date::parseIso(text);
      if (!date)
        scope.context.add(at + "." + end, "must be a date yyyy-mm-dd", text);
      else
        (std::string_view(end) == "from" ? p.from : p.to) = date;
    }
    config.periods[name] = p;
  }
}

nlohmann::json writePeriods(const CensusXmlConfig& config) {
  auto periods = nlohmann::json::object();
  for (const auto& [name, p] : config.periods)
    periods[name] = {{"from", p.from ? p.from->iso() : ""}, {"to", p.to ? p.to->iso() : ""}};
  return periods;
}

const SettingTable<CensusXmlConfig>& censusXmlTable() {
  using M = CensusXmlConfig;
  static const auto table =
      SettingTable<M>()
          .rowsOf(&fileSourcePart<M>, fileSourceTable())
          .typeKey("census_xml")
          .converted("periods", FieldType::Object, "object",
                     "the dates each attendance element covers, for `markbridge reconcile`, e.g. "
                     "{\"termly\": {\"from\": \"2024-09-02\", \"to\": \"2024-12-20\"}}; keys "
                     "termly, annual, summer_half_term_2",
                     readPeriods, [](M& c) { return writePeriods(c); });
  return table;
}

}  // namespace

std::string CensusXmlConfig::describe() {
  return censusXmlTable().describe();
}

CensusXmlConfig CensusXmlConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                          const std::filesystem::path& baseDir,
                                          const ConfigContext& context) {
  CensusXmlConfig config;
  censusXmlTable().apply(json, path, baseDir, context, config);
  return config;
}

}  // namespace markbridge
