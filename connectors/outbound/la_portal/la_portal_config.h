#pragma once
// Settings of the LA portal sink (built-in profile `la-portal`).

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <span>
#include <string>

#include "core/domain/config_schema.h"

namespace markbridge {

struct LaPortalConfig {
  std::string name;
  std::string base_url;
  std::filesystem::path ca_file;
  std::string token_env;
  std::filesystem::path token_file;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
  int timeout_ms = 10000;
  std::set<std::string> events;
  std::string contact_name, contact_email, contact_phone;

  static std::span<const Field> schema();
  static LaPortalConfig fromJson(const nlohmann::json& json, const std::string& path,
                                 const std::filesystem::path& baseDir,
                                 const ConfigContext& context);
};

}  // namespace markbridge
