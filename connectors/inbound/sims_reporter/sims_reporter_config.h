#pragma once
// Settings of the SIMS CommandReporter XML connector: the file source's settings and a field
// mapping like sims_csv's `columns`.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "connectors/inbound/common/source_config.h"

namespace markbridge {

struct SimsReporterXmlConfig : FileSourceConfig {
  // field -> the report's field name (its caption in the SIMS report), e.g.
  // {"surname": "Legal Surname"}; compared with the element names once `_x0020_` is decoded.
  std::map<std::string, std::string> columns;

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  // Pure validation: no file is opened here.
  static SimsReporterXmlConfig fromJson(const nlohmann::json& json, const std::string& path,
                                        const std::filesystem::path& baseDir,
                                        const ConfigContext& context);
};

}  // namespace markbridge
