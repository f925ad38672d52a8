#pragma once
// Settings of the LA portal sink (built-in profile `la-portal`).

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <span>
#include <string>

#include "connectors/outbound/common/sink_connection.h"
#include "core/domain/config_schema.h"

namespace markbridge {

struct LaPortalConfig {
  std::string name;
  ConnectionConfig connection;
  std::set<std::string> events;
  std::string contact_name, contact_email, contact_phone;

  static std::span<const Field> schema();
  static LaPortalConfig fromJson(const nlohmann::json& json, const std::string& path,
                                 const std::filesystem::path& baseDir,
                                 const ConfigContext& context);
};

}  // namespace markbridge
