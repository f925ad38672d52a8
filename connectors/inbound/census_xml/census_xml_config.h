#pragma once
// Settings of the School Census XML connector.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "connectors/inbound/common/source_config.h"
#include "core/domain/date.h"

namespace markbridge {

struct CensusPeriod {
  std::optional<Date> from, to;
};

struct CensusXmlConfig : FileSourceConfig {
  // The dates each attendance element covers in this return (the census says "the previous
  // term"; the school knows which days that was), keyed termly / annual / summer_half_term_2.
  std::map<std::string, CensusPeriod> periods;

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static CensusXmlConfig fromJson(const nlohmann::json& json, const std::string& path,
                                  const std::filesystem::path& baseDir,
                                  const ConfigContext& context);
};

}  // namespace markbridge
