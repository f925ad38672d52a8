#pragma once
// Settings of the Class Charts-style CSV connector.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "connectors/inbound/common/source_config.h"

namespace markbridge {

struct ClassChartsCsvConfig : FileSourceConfig, CsvOptions {
  // Status (lower case, spaces ignored) -> 2024 code, used when Code is blank. "/\\" means
  // present: / in the morning, \ in the afternoon.
  // The defaults; a school's `status_map` entries replace those for the same status.
  std::map<std::string, std::string> status_map = {
      {"present", "/\\"}, {"yes", "/\\"},   {"late", "L"},  {"absent", "N"},
      {"no", "N"},        {"excused", "C"}, {"ignore", "-"}};

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static ClassChartsCsvConfig fromJson(const nlohmann::json& json, const std::string& path,
                                       const std::filesystem::path& baseDir,
                                       const ConfigContext& context);
};

}  // namespace markbridge
