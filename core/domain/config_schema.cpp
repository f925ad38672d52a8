#include "core/domain/config_schema.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

std::string_view typeName(FieldType type) {
  switch (type) {
    case FieldType::String:
      return "string";
    case FieldType::Integer:
      return "integer";
    case FieldType::Number:
      return "number";
    case FieldType::Boolean:
      return "boolean";
    case FieldType::Object:
      return "object";
    case FieldType::Array:
      return "array";
  }
  return "?";
}

bool hasType(const nlohmann::json& value, FieldType type) {
  switch (type) {
    case FieldType::String:
      return value.is_string();
    case FieldType::Integer:
      return value.is_number_integer();
    case FieldType::Number:
      return value.is_number();
    case FieldType::Boolean:
      return value.is_boolean();
    case FieldType::Object:
      return value.is_object();
    case FieldType::Array:
      return value.is_array();
  }
  return false;
}

}  // namespace

void ConfigContext::add(const std::string& path, const std::string& message,
                        const std::string& value) const {
  problems->push_back(Problem{file, 0, 0, path, value, message});
}

nlohmann::json applySchema(const nlohmann::json& object, std::span<const Field> schema,
                           const std::string& path, const ConfigContext& context) {
  nlohmann::json filled = nlohmann::json::object();
  if (!object.is_object()) {
    context.add(path, "must be an object");
    return filled;
  }
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const auto& field : schema) known = known || field.key == key;
    if (!known) {
      std::string allowed;
      for (const auto& field : schema)
        allowed += (allowed.empty() ? "" : ", ") + std::string(field.key);
      context.add(path + "." + key, "unknown setting; allowed here: " + allowed);
    }
  }
  for (const auto& field : schema) {
    std::string key(field.key);
    std::string fieldPath = path + "." + key;
    if (object.contains(key)) {
      const auto& value = object.at(key);
      if (!hasType(value, field.type)) {
        context.add(fieldPath, "must be a " + std::string(typeName(field.type)), value.dump());
        continue;
      }
      filled[key] = value;
    } else if (field.required) {
      context.add(fieldPath, "is required: " + std::string(field.description));
    } else if (!field.default_json.empty()) {
      filled[key] = nlohmann::json::parse(field.default_json);
    }
  }
  return filled;
}

std::filesystem::path resolveConfigPath(const std::filesystem::path& baseDir,
                                        const std::string& path) {
  std::filesystem::path p = path;
  return p.empty() || p.is_absolute() ? p : baseDir / p;
}

std::string describeSchema(std::span<const Field> schema) {
  auto cell = [](std::string_view raw) {
    std::string escaped;
    for (char c : raw) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    return escaped;
  };
  std::string text = "| key | type | default | required | description |\n|---|---|---|---|---|\n";
  for (const auto& field : schema) {
    text += "| `" + std::string(field.key) + "` | " + std::string(typeName(field.type)) + " | " +
            (field.default_json.empty() ? std::string("") : "`" + cell(field.default_json) + "`") +
            " | " + (field.required ? "yes" : "no") + " | " + cell(field.description) + " |\n";
  }
  return text;
}

}  // namespace markbridge
