#include "connectors/inbound/common/source_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {

std::map<std::string, std::string> stringMap(const nlohmann::json& filled, const char* key,
                                             const std::string& path,
                                             const ConfigContext& context) {
  std::map<std::string, std::string> map;
  if (!filled.contains(key)) return map;
  for (const auto& [k, v] : filled[key].items()) {
    if (v.is_string())
      map[k] = v.get<std::string>();
    else
      context.add(path + "." + key + "." + k, "must be a string", v.dump());
  }
  return map;
}

FileSourceConfig FileSourceConfig::from(const nlohmann::json& filled, const std::string& path,
                                        const std::filesystem::path& baseDir,
                                        const ConfigContext& context) {
  FileSourceConfig config;
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
  if (filled.contains("priority")) config.priority = filled["priority"].get<int>();
  config.drop_folder = resolveConfigPath(baseDir, filled.value("drop_folder", std::string()));
  config.settle_seconds = filled.value("settle_seconds", 10);
  if (config.settle_seconds < 0)
    context.add(path + ".settle_seconds", "must not be negative",
                std::to_string(config.settle_seconds));
  config.code_map = stringMap(filled, "code_map", path, context);
  return config;
}

CodeMap FileSourceConfig::codeMap(const std::string& path, const ConfigContext& context) const {
  auto codes = CodeMap::builtIn();
  codes.addOverrides(code_map, path + ".code_map", context);
  return codes;
}

CsvOptions CsvOptions::from(const nlohmann::json& filled, const std::string& path,
                            const ConfigContext& context) {
  CsvOptions options;
  if (filled.contains("encoding")) {
    auto text = filled["encoding"].get<std::string>();
    if (auto encoding = parseTextEncoding(text))
      options.encoding = *encoding;
    else
      context.add(path + ".encoding", "must be auto, utf-8, windows-1252 or utf-16le", text);
  }
  if (filled.contains("delimiter")) {
    auto text = filled["delimiter"].get<std::string>();
    if (text == "auto")
      options.delimiter = 0;
    else if (text == "tab" || text == "\t")
      options.delimiter = '\t';
    else if (text == "," || text == ";")
      options.delimiter = text[0];
    else
      context.add(path + ".delimiter", "must be auto, \",\", \";\" or \"tab\"", text);
  }
  options.columns = stringMap(filled, "columns", path, context);
  return options;
}

}  // namespace markbridge
