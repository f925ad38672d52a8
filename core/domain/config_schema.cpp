#include "core/domain/config_schema.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/domain/config_table.h"

namespace markbridge {

std::string_view fieldTypeName(FieldType type) {
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

bool fieldHasType(const nlohmann::json& value, FieldType type) {
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

std::string limitsText(const Limits& limits) {
  constexpr auto kMin = std::numeric_limits<int64_t>::min();
  constexpr auto kMax = std::numeric_limits<int64_t>::max();
  if (limits.min == kMin && limits.max == kMax) return "";
  if (limits.max == kMax) return "at least " + std::to_string(limits.min);
  if (limits.min == kMin) return "at most " + std::to_string(limits.max);
  return "from " + std::to_string(limits.min) + " to " + std::to_string(limits.max);
}

std::string alternatives(const std::vector<std::string>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
  return text;
}

namespace {

std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool looksSecret(const std::string& key) {
  for (const char* word : {"token", "secret", "password", "passphrase", "key"})
    if (key.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string closestKey(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t bestDistance = 3;  // more than 2 edits away is no suggestion
  for (const auto& candidate : known) {
    // "admin_token" for "admin_token_env": a known key that starts with the unknown one.
    if (key.size() >= 4 && candidate.rfind(key, 0) == 0) return candidate;
    auto distance = editDistance(key, candidate);
    if (distance < bestDistance) best = candidate, bestDistance = distance;
  }
  return best;
}

void reportUnknownKeys(const nlohmann::json& object, const std::vector<std::string>& known,
                       const std::string& path, const ConfigContext& context) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = "unknown setting";
    if (auto near = closestKey(key, known); !near.empty())
      message += " (did you mean \"" + near + "\"?)";
    std::string allowed;
    for (const auto& k : known) allowed += (allowed.empty() ? "" : ", ") + k;
    message += "; allowed here: " + allowed;
    std::string shown = looksSecret(key) ? std::string() : value.dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    context.add(path + "." + key, message, shown);
  }
}

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
  std::vector<std::string> known;
  for (const auto& field : schema) known.emplace_back(field.key);
  reportUnknownKeys(object, known, path, context);
  for (const auto& field : schema) {
    std::string key(field.key);
    std::string fieldPath = path + "." + key;
    if (object.contains(key)) {
      const auto& value = object.at(key);
      if (!fieldHasType(value, field.type)) {
        auto name = fieldTypeName(field.type);
        bool vowel = name.front() == 'a' || name.front() == 'i' || name.front() == 'o';
        context.add(fieldPath,
                    std::string(vowel ? "must be an " : "must be a ") + std::string(name),
                    value.dump());
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

std::string describeFields(const std::vector<DescribedField>& fields) {
  auto cell = [](std::string_view raw) {
    std::string escaped;
    for (char c : raw) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    return escaped;
  };
  std::string text = "| key | type | default | required | description |\n|---|---|---|---|---|\n";
  for (const auto& field : fields) {
    text += "| `" + field.key + "` | " + field.type + " | " +
            (field.default_json.empty() ? std::string("") : "`" + cell(field.default_json) + "`") +
            " | " + (field.required ? "yes" : "no") + " | " + cell(field.description) + " |\n";
  }
  return text;
}

}  // namespace markbridge
