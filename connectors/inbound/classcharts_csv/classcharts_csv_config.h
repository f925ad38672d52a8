#pragma once
// Settings of the Class Charts-style CSV connector.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>

#include "connectors/inbound/common/source_config.h"

namespace markbridge {

struct ClassChartsCsvConfig : FileSourceConfig, CsvOptions {
  // Status (lower case, spaces ignored) -> 2024 code, used when Code is blank. "/\\" means
  // present: / in the morning, \ in the afternoon.
  std::map<std::string, std::string> status_map;

  static std::span<const Field> schema();
  static ClassChartsCsvConfig fromJson(const nlohmann::json& json, const std::string& path,
                                       const std::filesystem::path& baseDir,
                                       const ConfigContext& context);
};

}  // namespace markbridge
