#pragma once
// Settings of the MIS REST (Wonde-style aggregator) connector.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>

#include "connectors/inbound/mis_rest/mis_rest_page.h"
#include "core/domain/config_schema.h"

namespace markbridge {

struct MisRestConfig {
  std::string name;
  std::string base_url;  // https://host[:port][/prefix]
  std::string school_id;
  std::string token_env;
  std::filesystem::path token_file;
  std::filesystem::path ca_file;
  int priority = 0;
  std::map<std::string, std::string> code_map;
  MisFieldPaths fields;
  std::string since = "2000-01-01 00:00:00";  // updated_after for the very first pull
  int max_attempts = 5;
  int retry_base_ms = 500;
  int timeout_ms = 30000;

  static std::span<const Field> schema();
  static MisRestConfig fromJson(const nlohmann::json& json, const std::string& path,
                                const std::filesystem::path& baseDir, const ConfigContext& context);
};

}  // namespace markbridge
