#include "connectors/inbound/sims_csv/sims_csv_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

constexpr Field kFields[] = {
    {"name", FieldType::String, "", true, "a short name for this source, e.g. \"sims\""},
    {"type", FieldType::String, "", true, "\"sims_csv\""},
    {"files", FieldType::Array, "[]", false,
     "CSV exports to read on each sync (paths relative to the config file)"},
    {"layout", FieldType::String, "\"auto\"", false,
     "long (one row per pupil-session) | grid (one row per pupil, a column per session) | auto"},
    {"priority", FieldType::Integer, "0", false,
     "precedence when two sources disagree on a session: a mark from a lower-priority source "
     "never replaces one from a higher-priority source"},
    {"encoding", FieldType::String, "\"auto\"", false,
     "auto | utf-8 | windows-1252 | utf-16le (auto: BOM, then UTF-8, else Windows-1252)"},
    {"delimiter", FieldType::String, "\"auto\"", false, "auto | , | ; | tab"},
    {"columns", FieldType::Object, "{}", false,
     "header overrides, e.g. {\"mark\": \"Attendance Mark\"}; fields: upn, adno, surname, "
     "forename, "
     "reg_group, year, date, session, mark, minutes_late, dob, sen, ehcp, cla, cp, cin, fsm, pp"},
    {"code_map", FieldType::Object, "{}", false,
     "vendor code -> 2024 code, layered over the built-in legacy map, e.g. {\"H\": \"G\"}"},
};

}  // namespace

std::span<const Field> SimsCsvConfig::schema() {
  return kFields;
}

SimsCsvConfig SimsCsvConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                      const std::filesystem::path& baseDir,
                                      const ConfigContext& context) {
  SimsCsvConfig config;
  auto filled = applySchema(json, kFields, path, context);
  if (filled.contains("name")) config.name = filled["name"].get<std::string>();
  if (filled.contains("files")) {
    const auto& files = filled["files"];
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!files[i].is_string()) {
        context.add(path + ".files[" + std::to_string(i) + "]", "must be a file path",
                    files[i].dump());
        continue;
      }
      config.files.push_back(resolveConfigPath(baseDir, files[i].get<std::string>()));
    }
  }
  if (filled.contains("layout")) {
    config.layout = filled["layout"].get<std::string>();
    if (config.layout != "auto" && config.layout != "long" && config.layout != "grid")
      context.add(path + ".layout", "must be auto, long or grid", config.layout);
  }
  if (filled.contains("priority")) config.priority = filled["priority"].get<int>();
  if (filled.contains("encoding")) {
    auto text = filled["encoding"].get<std::string>();
    if (auto encoding = parseTextEncoding(text))
      config.encoding = *encoding;
    else
      context.add(path + ".encoding", "must be auto, utf-8, windows-1252 or utf-16le", text);
  }
  if (filled.contains("delimiter")) {
    auto text = filled["delimiter"].get<std::string>();
    if (text == "auto")
      config.delimiter = 0;
    else if (text == "tab" || text == "\t")
      config.delimiter = '\t';
    else if (text == "," || text == ";")
      config.delimiter = text[0];
    else
      context.add(path + ".delimiter", "must be auto, \",\", \";\" or \"tab\"", text);
  }
  for (const char* key : {"columns", "code_map"}) {
    if (!filled.contains(key)) continue;
    auto& target = std::string_view(key) == "columns" ? config.columns : config.code_map;
    for (const auto& [k, v] : filled[key].items()) {
      if (v.is_string())
        target[k] = v.get<std::string>();
      else
        context.add(path + "." + key + "." + k, "must be a string", v.dump());
    }
  }
  return config;
}

}  // namespace markbridge
