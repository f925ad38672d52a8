#pragma once
// Settings every file-reading source shares (name, files, priority, code_map) and those every
// CSV source shares (encoding, delimiter, columns). Each connector's table is its own fields
// joined to these, so `markbridge describe` lists them all for each type.

#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/domain/config_schema.h"
#include "mapping/code_map.h"
#include "mapping/text_encoding.h"

namespace markbridge {

struct FileSourceConfig {
  std::string name;
  std::vector<std::filesystem::path> files;
  int priority = 0;
  std::map<std::string, std::string> code_map;  // vendor code -> 2024 code
  std::filesystem::path drop_folder;            // watched folder (empty: none)
  int settle_seconds = 10;                      // a dropped file this fresh is left for later

  // Reads the shared fields from `filled` (the schema already applied).
  static FileSourceConfig from(const nlohmann::json& filled, const std::string& path,
                               const std::filesystem::path& baseDir, const ConfigContext& context);
  // The built-in code map with this source's overrides; problems go to `context`.
  CodeMap codeMap(const std::string& path, const ConfigContext& context) const;
};

struct CsvOptions {
  TextEncoding encoding = TextEncoding::Auto;
  char delimiter = 0;                          // 0: detect from the header line
  std::map<std::string, std::string> columns;  // field -> header in this school's export

  static CsvOptions from(const nlohmann::json& filled, const std::string& path,
                         const ConfigContext& context);
};

// A string map setting (`code_map`, `columns`, `status_map`); non-strings are reported.
std::map<std::string, std::string> stringMap(const nlohmann::json& filled, const char* key,
                                             const std::string& path, const ConfigContext& context);

constexpr std::array<Field, 6> kFileSourceFields = {{
    {"name", FieldType::String, "", true, "a short name for this source, e.g. \"sims\""},
    {"files", FieldType::Array, "[]", false,
     "files to read on each sync (paths relative to the config file)"},
    {"drop_folder", FieldType::String, "\"\"", false,
     "a folder watched on each sync: each file is read once, then moved to archive/ (stored) "
     "or quarantine/ with <name>.error.txt (refused)"},
    {"settle_seconds", FieldType::Integer, "10", false,
     "a dropped file modified more recently than this is still being written: left for the "
     "next sync"},
    {"priority", FieldType::Integer, "0", false,
     "precedence when two sources disagree on a session: a mark from a lower-priority source "
     "never replaces one written by a higher-priority source"},
    {"code_map", FieldType::Object, "{}", false,
     "vendor code -> 2024 code, layered over the built-in legacy map, e.g. {\"H\": \"G\"}; "
     "\"-\" means register not taken"},
}};

constexpr std::array<Field, 2> kCsvFields = {{
    {"encoding", FieldType::String, "\"auto\"", false,
     "auto | utf-8 | windows-1252 | utf-16le (auto: BOM, then UTF-8, else Windows-1252)"},
    {"delimiter", FieldType::String, "\"auto\"", false, "auto | , | ; | tab"},
}};

template <std::size_t A, std::size_t B>
constexpr std::array<Field, A + B> joinFields(const std::array<Field, A>& a,
                                              const std::array<Field, B>& b) {
  std::array<Field, A + B> all{};
  for (std::size_t i = 0; i < A; ++i) all[i] = a[i];
  for (std::size_t i = 0; i < B; ++i) all[A + i] = b[i];
  return all;
}

}  // namespace markbridge
