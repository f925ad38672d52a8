#pragma once
// Settings every file-reading source shares (name, files, priority, code_map) and those every
// CSV source shares (encoding, delimiter, columns). Each connector's table takes these tables'
// rows beside its own (SettingTable::rowsOf), so `markbridge describe` lists them all for each
// type and each default is the member initialiser below.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/domain/config_table.h"
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

  // The built-in code map with this source's overrides; problems go to `context`.
  CodeMap codeMap(const std::string& path, const ConfigContext& context) const;
};

struct CsvOptions {
  TextEncoding encoding = TextEncoding::Auto;
  char delimiter = 0;                          // 0: detect from the header line
  std::map<std::string, std::string> columns;  // field -> header in this school's export
};

// The shared settings' rows: name, files, drop_folder, settle_seconds, priority, code_map.
const SettingTable<FileSourceConfig>& fileSourceTable();
// encoding and delimiter (`columns` is each CSV connector's own row: its help names its fields).
const SettingTable<CsvOptions>& csvTable();

// The parts of a connector's config struct the shared tables fill.
template <class C>
FileSourceConfig& fileSourcePart(C& config) {
  return config;
}
template <class C>
CsvOptions& csvPart(C& config) {
  return config;
}

}  // namespace markbridge
