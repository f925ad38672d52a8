#pragma once
// Each configurable part (connector, sink, rule) declares its settings as a table; one routine
// checks a JSON object against the table (unknown keys, missing keys, wrong types, each named by
// its JSON path) and fills in defaults. The same table prints the reference docs. New tables are
// SettingTable (core/domain/config_table.h): rows bound to the struct members they fill, whose
// initialisers are the defaults. `Field` tables (below) are the older form: their defaults are
// JSON text here and the code reading `filled` repeats them.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/problem.h"

namespace markbridge {

enum class FieldType { String, Integer, Number, Boolean, Object, Array };

struct Field {
  std::string_view key;
  FieldType type;
  std::string_view default_json;  // JSON text of the default; empty when there is none
  bool required;
  std::string_view description;
};

struct ConfigContext {
  std::string file;  // the config file, for messages
  std::vector<Problem>* problems;
  void add(const std::string& path, const std::string& message,
           const std::string& value = {}) const;
};

// Returns `object` with defaults filled in; problems are appended to `context`.
nlohmann::json applySchema(const nlohmann::json& object, std::span<const Field> schema,
                           const std::string& path, const ConfigContext& context);

// A path from a config file: relative paths are relative to the config file's folder; an empty
// path stays empty (the setting is unused).
std::filesystem::path resolveConfigPath(const std::filesystem::path& baseDir,
                                        const std::string& path);

// The entry of an explicit type list (inbound connectors, sinks) whose `type` is `name`.
template <class Type>
const Type* findType(std::span<const Type> types, std::string_view name) {
  for (const auto& t : types)
    if (t.type == name) return &t;
  return nullptr;
}

// One row of a reference table, as `markbridge describe` prints it.
struct DescribedField {
  std::string key;
  std::string type;
  std::string default_json;  // empty: no default
  bool required = false;
  std::string description;
};
std::string describeFields(const std::vector<DescribedField>& fields);

// What a registry (inbound connectors, sinks) needs of each type's config struct: its reference
// table (`describe()`, from its SettingTable) and a pure validation (`fromJson`, the result
// dropped).
template <class Config>
std::string describeConfig() {
  return Config::describe();
}
template <class Config>
void validateConfig(const nlohmann::json& json, const std::string& path,
                    const std::filesystem::path& baseDir, const ConfigContext& context) {
  (void)Config::fromJson(json, path, baseDir, context);
}

}  // namespace markbridge
