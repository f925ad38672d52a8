#include "connectors/inbound/census_xml/census_xml_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

constexpr std::array<Field, 2> kOwnFields = {{
    {"type", FieldType::String, "", true, "\"census_xml\""},
    {"periods", FieldType::Object, "{}", false,
     "the dates each attendance element covers, for `markbridge reconcile`, e.g. {\"termly\": "
     "{\"from\": \"2024-09-02\", \"to\": \"2024-12-20\"}}; keys termly, annual, "
     "summer_half_term_2"},
}};
constexpr auto kFields = joinFields(kFileSourceFields, kOwnFields);

}  // namespace

std::span<const Field> CensusXmlConfig::schema() {
  return kFields;
}

CensusXmlConfig CensusXmlConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                          const std::filesystem::path& baseDir,
                                          const ConfigContext& context) {
  auto filled = applySchema(json, kFields, path, context);
  CensusXmlConfig config;
  static_cast<FileSourceConfig&>(config) = FileSourceConfig::from(filled, path, baseDir, context);
  if (!filled.contains("periods")) return config;
  for (const auto& [name, period] : filled["periods"].items()) {
    auto at = path + ".periods." + name;
    if (name != "termly" && name != "annual" && name != "summer_half_term_2") {
      context.add(at, "must be termly, annual or summer_half_term_2", name);
      continue;
    }
    CensusPeriod p;
    for (const char* end : {"from", "to"}) {
      auto text = period.is_object() ? period.value(end, "") : "";
      auto date = Date::parseIso(text);
      if (!date)
        context.add(at + "." + end, "must be a date yyyy-mm-dd", text);
      else
        (std::string_view(end) == "from" ? p.from : p.to) = date;
    }
    config.periods[name] = p;
  }
  return config;
}

}  // namespace markbridge
