#include "connectors/inbound/ctf_xml/ctf_xml_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

const SettingTable<CtfXmlConfig>& ctfXmlTable() {
  using M = CtfXmlConfig;
  static const auto table =
      SettingTable<M>()
          .rowsOf(&fileSourcePart<M>, fileSourceTable())
          .typeKey("ctf_xml")
          .choice("marks_form", &M::marks_form,
                  {{"characters", "two per calendar day, AM then PM"},
                   {"tokens", "comma-separated, for two-character codes such as C1"},
                   {"auto", "tokens when the string has a comma"}},
                  "");
  return table;
}

}  // namespace

std::string CtfXmlConfig::describe() {
  return ctfXmlTable().describe();
}

CtfXmlConfig CtfXmlConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                    const std::filesystem::path& baseDir,
                                    const ConfigContext& context) {
  CtfXmlConfig config;
  ctfXmlTable().apply(json, path, baseDir, context, config);
  return config;
}

}  // namespace markbridge
