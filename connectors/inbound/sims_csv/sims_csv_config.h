#pragma once
// Settings of the SIMS-style long CSV connector.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/domain/config_schema.h"
#include "mapping/text_encoding.h"

namespace markbridge {

struct SimsCsvConfig {
  std::string name;
  std::vector<std::filesystem::path> files;
  std::string layout = "auto";  // auto | long | grid
  int priority = 0;
  TextEncoding encoding = TextEncoding::Auto;
  char delimiter = 0;                           // 0: detect from the header line
  std::map<std::string, std::string> columns;   // field -> header in this school's export
  std::map<std::string, std::string> code_map;  // vendor code -> 2024 code

  static std::span<const Field> schema();
  // Pure validation: no file is opened here.
  static SimsCsvConfig fromJson(const nlohmann::json& json, const std::string& path,
                                const std::filesystem::path& baseDir, const ConfigContext& context);
};

}  // namespace markbridge
