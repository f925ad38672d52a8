#include "connectors/inbound/ctf_xml/ctf_xml_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

constexpr std::array<Field, 2> kOwnFields = {{
    {"type", FieldType::String, "", true, "\"ctf_xml\""},
    {"marks_form", FieldType::String, "\"auto\"", false,
     "characters (two per calendar day, AM then PM) | tokens (comma-separated, for two-character "
     "codes such as C1) | auto (tokens when the string has a comma)"},
}};
constexpr auto kFields = joinFields(kFileSourceFields, kOwnFields);

}  // namespace

std::span<const Field> CtfXmlConfig::schema() {
  return kFields;
}

CtfXmlConfig CtfXmlConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                    const std::filesystem::path& baseDir,
                                    const ConfigContext& context) {
  auto filled = applySchema(json, kFields, path, context);
  CtfXmlConfig config;
  static_cast<FileSourceConfig&>(config) = FileSourceConfig::from(filled, path, baseDir, context);
  if (filled.contains("marks_form")) {
    config.marks_form = filled["marks_form"].get<std::string>();
    if (config.marks_form != "auto" && config.marks_form != "characters" &&
        config.marks_form != "tokens")
      context.add(path + ".marks_form", "must be auto, characters or tokens", config.marks_form);
  }
  return config;
}

}  // namespace markbridge
