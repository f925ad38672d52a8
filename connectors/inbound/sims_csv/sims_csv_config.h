#pragma once
// Settings of the SIMS-style CSV connector (long and grid layouts).

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "connectors/inbound/common/source_config.h"

namespace markbridge {

struct SimsCsvConfig : FileSourceConfig, CsvOptions {
  std::string layout = "auto";              // auto | long | grid
  std::vector<std::string> ignore_columns;  // grid: headers read as neither pupil nor session

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  // Pure validation: no file is opened here.
  static SimsCsvConfig fromJson(const nlohmann::json& json, const std::string& path,
                                const std::filesystem::path& baseDir, const ConfigContext& context);
};

}  // namespace markbridge
