#pragma once
// Settings of the MIS REST (Wonde-style aggregator) connector.

#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/credentials.h"
#include "connectors/inbound/mis_rest/mis_rest_page.h"
#include "core/domain/config_schema.h"

namespace markbridge {

// The `include` asked for when a source sets neither `include` nor `preset`.
constexpr const char* kDefaultMisInclude = "student,attendance_code";

// A known API shape, named by `preset`: the `fields` and `include` that read it, so a school
// connects without mapping fields by hand. Nothing when the name is not a preset.
struct MisPreset {
  MisFieldPaths fields;
  std::string include;
};
std::optional<MisPreset> misPreset(std::string_view name);

// The includes a dotted field path reads through: Wonde nests each included object under
// `data`, so "student.data.education_details.data.upn" needs "student" and
// "student.education_details".
std::vector<std::string> includesRead(std::string_view path);

struct MisRestConfig {
  std::string name;
  std::string base_url;  // https://host[:port][/prefix]
  std::string school_id;
  std::string token_env;  // the short form of auth {"type": "bearer", ...}
  std::filesystem::path token_file;
  AuthConfig auth;  // bearer (from token_env/token_file or `auth`), oauth2 or api_key
  std::filesystem::path ca_file;
  ClientCertificateConfig certificate;  // mutual TLS, the sinks' keys
  int priority = 0;
  std::map<std::string, std::string> code_map;
  MisFieldPaths fields;
  std::string preset;                         // "wonde", or empty
  std::string include = kDefaultMisInclude;   // comma-separated, as the API takes it
  std::string since = "2000-01-01 00:00:00";  // updated_after for the very first pull
  int max_attempts = 5;
  int retry_base_ms = 500;
  int timeout_ms = 30000;

  // Its settings as a Markdown table; the member initialisers above are the defaults.
  static std::string describe();
  static MisRestConfig fromJson(const nlohmann::json& json, const std::string& path,
                                const std::filesystem::path& baseDir, const ConfigContext& context);
};

}  // namespace markbridge
