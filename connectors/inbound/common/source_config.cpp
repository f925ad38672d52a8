#include "connectors/inbound/common/source_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {

const SettingTable<FileSourceConfig>& fileSourceTable() {
  using F = FileSourceConfig;
  static const auto table =
      SettingTable<F>()
          .text("name", &F::name, "a short name for this source, e.g. \"sims\"")
          .required()
          .paths("files", &F::files,
                 "files to read on each sync (paths relative to the config file)")
          .path("drop_folder", &F::drop_folder,
                "a folder watched on each sync: each file is read once, then moved to archive/ "
                "(stored) or quarantine/ with <name>.error.txt (refused)")
          .integer("settle_seconds", &F::settle_seconds,
                   "a dropped file modified more recently than this is still being written: left "
                   "for the next sync",
                   {0})
          .integer("priority", &F::priority,
                   "precedence when two sources disagree on a session: a mark from a "
                   "lower-priority source never replaces one written by a higher-priority source")
          .map("code_map", &F::code_map,
               "vendor code -> 2024 code, layered over the built-in legacy map, e.g. {\"H\": "
               "\"G\"}; \"-\" means register not taken");
  return table;
}

const SettingTable<CsvOptions>& csvTable() {
  using O = CsvOptions;
  static const auto table =
      SettingTable<O>()
          .converted(
              "encoding", FieldType::String, "string",
              "auto | utf-8 | windows-1252 | utf-16le (auto: BOM, then UTF-8, else Windows-1252)",
              [](O& o, const nlohmann::json& v, const SettingScope& scope) {
                auto text = v.get<std::string>();
                if (auto encoding = parseTextEncoding(text))
                  o.encoding = *encoding;
                else
                  scope.context.add(scope.path, "must be auto, utf-8, windows-1252 or utf-16le",
                                    text);
              },
              [](O& o) { return nlohmann::json(std::string(toString(o.encoding))); })
          .converted(
              "delimiter", FieldType::String, "string", "auto | , | ; | tab",
              [](O& o, const nlohmann::json& v, const SettingScope& scope) {
                auto text = v.get<std::string>();
                if (text == "auto")
                  o.delimiter = 0;
                else if (text == "tab" || text == "\t")
                  o.delimiter = '\t';
                else if (text == "," || text == ";")
                  o.delimiter = text[0];
                else
                  scope.context.add(scope.path, "must be auto, \",\", \";\" or \"tab\"", text);
              },
              [](O& o) {
                return nlohmann::json(o.delimiter == 0      ? std::string("auto")
                                      : o.delimiter == '\t' ? std::string("tab")
                                                            : std::string(1, o.delimiter));
              });
  return table;
}

CodeMap FileSourceConfig::codeMap(const std::string& path, const ConfigContext& context) const {
  auto codes = CodeMap::builtIn();
  codes.addOverrides(code_map, path + ".code_map", context);
  return codes;
}

}  // namespace markbridge
