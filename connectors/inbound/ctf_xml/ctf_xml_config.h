#pragma once
// Settings of the Common Transfer File (CTF) XML connector.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "connectors/inbound/common/source_config.h"

namespace markbridge {

struct CtfXmlConfig : FileSourceConfig {
  // How AttendanceMarks is written: one character per session, comma-separated tokens (needed
  // for two-character codes such as C1), or auto (tokens when the string has a comma).
  std::string marks_form = "auto";

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static CtfXmlConfig fromJson(const nlohmann::json& json, const std::string& path,
                               const std::filesystem::path& baseDir, const ConfigContext& context);
};

}  // namespace markbridge
