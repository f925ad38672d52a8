#pragma once
// A settings table bound to the struct it fills (the idea of Fluent Bit's config_map): each row
// is {key, type, the member it fills, description, limits}. The struct's member initialiser is
// the one default: `describe` (and so docs/configuration-reference.md) prints it from a
// default-constructed struct, and a setting left out keeps it. One routine checks a JSON object
// against the table (unknown keys with a did-you-mean, missing keys, wrong types, values out of
// limits, each named by its JSON path and value) and fills the struct.
//
//   static const auto kService = SettingTable<ServiceConfig>()
//       .integer("admin_port", &ServiceConfig::admin_port, "port of the admin API", {-1, 65535})
//       .text("admin_bind", &ServiceConfig::admin_bind, "address the admin API listens on")
//       .path("log_file", &ServiceConfig::log_file, "JSON-lines log file");
//   kService.apply(json, "$.service", baseDir, context, config.service);
//
// A member is named by a member pointer or by a function returning a reference to it (for
// members of members: `[](DeliveryOptions& d) -> auto& { return d.backoff.base_ms; }`).

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/domain/config_schema.h"

namespace markbridge {

// Inclusive bounds of an integer (or duration, in its unit) setting.
struct Limits {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};

// One allowed value of a choice setting and what it means (may be empty).
struct Choice {
  Choice(std::string v, std::string m = {}) : value(std::move(v)), meaning(std::move(m)) {}
  std::string value;
  std::string meaning;
};

// A key and its help, for settings that several tables share (the auth and client certificate
// keys of the MIS REST source and the sinks).
struct SettingText {
  std::string_view key;
  std::string_view description;
};

// What a row's reader gets besides the value.
struct SettingScope {
  const std::string& path;  // the setting's JSON path, e.g. "$.service.admin_port"
  const std::filesystem::path& base_dir;
  const ConfigContext& context;
};

template <class C>
struct Setting {
  std::string key;
  FieldType type = FieldType::String;
  std::string type_text;  // as the docs show it, e.g. "integer, 1 to 100"
  bool required = false;
  std::string description;
  // Fills the member from `value` (its JSON type already checked); adds a problem and leaves the
  // member as it was when the value is refused.
  std::function<void(C&, const nlohmann::json&, const SettingScope&)> read;
  // The member as JSON: write(C{}) is the default.
  std::function<nlohmann::json(C&)> write;
  // Further checks of the JSON value: when one returns true, its message is the problem.
  std::vector<std::pair<std::function<bool(const nlohmann::json&)>, std::string>> refusals;
};

// Text helpers shared by every table (config_schema.cpp).
std::string_view fieldTypeName(FieldType type);
bool fieldHasType(const nlohmann::json& value, FieldType type);
std::string limitsText(const Limits& limits);
// "a, b or c"
std::string alternatives(const std::vector<std::string>& values);
// The known key closest to `key` (at most 2 edits away), or empty.
std::string closestKey(const std::string& key, const std::vector<std::string>& known);
// Problems for the keys of `object` that are not in `known`; the value is shown unless the key
// looks like it holds a secret.
void reportUnknownKeys(const nlohmann::json& object, const std::vector<std::string>& known,
                       const std::string& path, const ConfigContext& context);

template <class C>
class SettingTable {
 public:
  using Row = Setting<C>;

  // An integer member (int, int64_t...); the limits are also those of the member's type.
  template <class Get>
  SettingTable& integer(std::string key, Get get, std::string doc, Limits limits = {}) {
    return scaled(std::move(key), get, 1, "", std::move(doc), limits);
  }
  // A duration held in milliseconds, written in the config in `unit` (`unitMs` each).
  template <class Get>
  SettingTable& duration(std::string key, Get get, int64_t unitMs, const std::string& unit,
                         std::string doc, Limits limits = {}) {
    return scaled(std::move(key), get, unitMs, unit, std::move(doc), limits);
  }
  template <class Get>
  SettingTable& boolean(std::string key, Get get, std::string doc) {
    Row row = start(std::move(key), FieldType::Boolean, "boolean", std::move(doc));
    row.read = [get](C& c, const nlohmann::json& v, const SettingScope&) {
      member(c, get) = v.get<bool>();
    };
    row.write = [get](C& c) { return nlohmann::json(member(c, get)); };
    return add(std::move(row));
  }
  template <class Get>
  SettingTable& text(std::string key, Get get, std::string doc) {
    Row row = start(std::move(key), FieldType::String, "string", std::move(doc));
    row.read = [get](C& c, const nlohmann::json& v, const SettingScope&) {
      member(c, get) = v.get<std::string>();
    };
    row.write = [get](C& c) { return nlohmann::json(member(c, get)); };
    return add(std::move(row));
  }
  // A string that must be one of `choices`; the description lists them with their meanings,
  // then `doc`.
  template <class Get>
  SettingTable& choice(std::string key, Get get, const std::vector<Choice>& choices,
                       const std::string& doc) {
    std::string described;
    std::vector<std::string> values;
    for (const auto& c : choices) {
      described += (described.empty() ? "" : " | ") + c.value +
                   (c.meaning.empty() ? "" : " (" + c.meaning + ")");
      values.push_back(c.value);
    }
    if (!doc.empty()) described += " " + doc;
    Row row = start(std::move(key), FieldType::String, "string", std::move(described));
    row.read = [get, values](C& c, const nlohmann::json& v, const SettingScope& scope) {
      auto value = v.get<std::string>();
      for (const auto& allowed : values)
        if (value == allowed) {
          member(c, get) = value;
          return;
        }
      scope.context.add(scope.path, "must be " + alternatives(values), value);
    };
    row.write = [get](C& c) { return nlohmann::json(member(c, get)); };
    return add(std::move(row));
  }
  // A file or folder: relative to the config file's folder; "" stays empty (unused).
  template <class Get>
  SettingTable& path(std::string key, Get get, std::string doc) {
    Row row = start(std::move(key), FieldType::String, "string (path)", std::move(doc));
    row.read = [get](C& c, const nlohmann::json& v, const SettingScope& scope) {
      member(c, get) = resolveConfigPath(scope.base_dir, v.get<std::string>());
    };
    row.write = [get](C& c) { return nlohmann::json(member(c, get).string()); };
    return add(std::move(row));
  }
  // A list of strings (std::vector<std::string> or std::set<std::string>); an entry that is not
  // a string is refused with `notString`.
  template <class Get>
  SettingTable& list(std::string key, Get get, std::string doc,
                     const std::string& notString = "must be a string") {
    Row row = start(std::move(key), FieldType::Array, "array of strings", std::move(doc));
    row.read = [get, notString](C& c, const nlohmann::json& v, const SettingScope& scope) {
      auto& target = member(c, get);
      target.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].is_string())
          target.insert(target.end(), v[i].get<std::string>());
        else
          scope.context.add(scope.path + "[" + std::to_string(i) + "]", notString, v[i].dump());
      }
    };
    row.write = [get](C& c) {
      auto list = nlohmann::json::array();
      for (const auto& s : member(c, get)) list.push_back(s);
      return list;
    };
    return add(std::move(row));
  }
  // A number (a double member) of at least `min`.
  template <class Get>
  SettingTable& number(std::string key, Get get, std::string doc,
                       double min = std::numeric_limits<double>::lowest()) {
    bool bounded = min > std::numeric_limits<double>::lowest();
    // 0, not 0.0: a whole bound is shown as one.
    bool whole =
        bounded && std::abs(min) < 1e15 && min == static_cast<double>(static_cast<int64_t>(min));
    std::string minText =
        whole ? std::to_string(static_cast<int64_t>(min)) : nlohmann::json(min).dump();
    std::string typeText = "number";
    if (bounded) typeText += ", at least " + minText;
    Row row = start(std::move(key), FieldType::Number, std::move(typeText), std::move(doc));
    row.read = [get, min, bounded, minText](C& c, const nlohmann::json& v,
                                            const SettingScope& scope) {
      auto value = v.get<double>();
      if (bounded && value < min) {
        scope.context.add(scope.path, "must be at least " + minText, v.dump());
        return;
      }
      member(c, get) = value;
    };
    row.write = [get](C& c) { return nlohmann::json(member(c, get)); };
    return add(std::move(row));
  }
  // A list of files or folders (std::vector<std::filesystem::path>), each relative to the
  // config file's folder.
  template <class Get>
  SettingTable& paths(std::string key, Get get, std::string doc) {
    Row row = start(std::move(key), FieldType::Array, "array of strings (paths)", std::move(doc));
    row.read = [get](C& c, const nlohmann::json& v, const SettingScope& scope) {
      auto& target = member(c, get);
      target.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].is_string())
          target.push_back(resolveConfigPath(scope.base_dir, v[i].get<std::string>()));
        else
          scope.context.add(scope.path + "[" + std::to_string(i) + "]", "must be a path",
                            v[i].dump());
      }
    };
    row.write = [get](C& c) {
      auto list = nlohmann::json::array();
      for (const auto& p : member(c, get)) list.push_back(p.string());
      return list;
    };
    return add(std::move(row));
  }
  // An object of strings (std::map<std::string, std::string>): what the config sets replaces
  // the default.
  template <class Get>
  SettingTable& map(std::string key, Get get, std::string doc) {
    Row row = start(std::move(key), FieldType::Object, "object of strings", std::move(doc));
    row.read = [get](C& c, const nlohmann::json& v, const SettingScope& scope) {
      auto& target = member(c, get);
      target.clear();
      for (const auto& [k, value] : v.items()) {
        if (value.is_string())
          target[k] = value.template get<std::string>();
        else
          scope.context.add(scope.path + "." + k, "must be a string", value.dump());
      }
    };
    row.write = [get](C& c) { return nlohmann::json(member(c, get)); };
    return add(std::move(row));
  }
  // An object read by its own table into a member (a struct of its own).
  template <class Get, class S>
  SettingTable& section(std::string key, Get get, const SettingTable<S>& table, std::string doc) {
    Row row = start(std::move(key), FieldType::Object, "object", std::move(doc));
    row.read = [get, &table](C& c, const nlohmann::json& v, const SettingScope& scope) {
      table.apply(v, scope.path, scope.base_dir, scope.context, member(c, get));
    };
    row.write = [](C&) { return nlohmann::json::object(); };
    return add(std::move(row));
  }
  // A row read by a function of its own (a part with tables elsewhere: rules, schedule...).
  SettingTable& custom(std::string key, FieldType type, std::string doc,
                       std::function<void(C&, const nlohmann::json&, const SettingScope&)> read,
                       nlohmann::json defaultValue) {
    Row row = start(std::move(key), type, std::string(fieldTypeName(type)), std::move(doc));
    row.read = std::move(read);
    row.write = [defaultValue](C&) { return defaultValue; };
    return add(std::move(row));
  }

  // A row read by a function of its own whose default is the struct's, written back as JSON by
  // `write` (an enum, a parsed time, a map of objects...): `read(c, write(C{}))` must leave the
  // member as it was.
  SettingTable& converted(std::string key, FieldType type, std::string typeText, std::string doc,
                          std::function<void(C&, const nlohmann::json&, const SettingScope&)> read,
                          std::function<nlohmann::json(C&)> write) {
    Row row = start(std::move(key), type, std::move(typeText), std::move(doc));
    row.read = std::move(read);
    row.write = std::move(write);
    return add(std::move(row));
  }
  // Every row of `table` (a struct S reached from C by `get`: a base, a member), as rows of this
  // one: settings several parts share, written once (a file source's `files`, a sink's
  // connection).
  template <class Get, class S>
  SettingTable& rowsOf(Get get, const SettingTable<S>& table) {
    for (const auto& inner : table.rows()) {
      Row row;
      row.key = inner.key;
      row.type = inner.type;
      row.type_text = inner.type_text;
      row.required = inner.required;
      row.description = inner.description;
      row.refusals = inner.refusals;
      row.read = [get, read = inner.read](C& c, const nlohmann::json& v,
                                          const SettingScope& scope) {
        read(member(c, get), v, scope);
      };
      row.write = [get, write = inner.write](C& c) { return write(member(c, get)); };
      rows_.push_back(std::move(row));
    }
    return *this;
  }

  // The required `type` key of a source or sink, naming `name`: the registry has read it to
  // pick this table, so the row only makes it known and documented.
  SettingTable& typeKey(const std::string& name) {
    Row row = start("type", FieldType::String, "string", "\"" + name + "\"");
    row.required = true;
    row.read = [](C&, const nlohmann::json&, const SettingScope&) {};
    row.write = [](C&) { return nlohmann::json(nullptr); };
    return add(std::move(row));
  }

  // Modifiers of the row added last.
  SettingTable& required() {
    rows_.back().required = true;
    return *this;
  }
  SettingTable& refuse(std::function<bool(const nlohmann::json&)> bad, std::string message) {
    rows_.back().refusals.emplace_back(std::move(bad), std::move(message));
    return *this;
  }

  std::span<const Row> rows() const { return rows_; }
  const Row* find(std::string_view key) const {
    for (const auto& row : rows_)
      if (row.key == key) return &row;
    return nullptr;
  }

  // Checks `object` and fills `config`. A setting left out gets the struct's default (read
  // again, so a default path is resolved too); a required one left out is a problem.
  void apply(const nlohmann::json& object, const std::string& path,
             const std::filesystem::path& baseDir, const ConfigContext& context, C& config) const {
    if (!object.is_object()) {
      context.add(path, "must be an object");
      return;
    }
    std::vector<std::string> known;
    for (const auto& row : rows_) known.push_back(row.key);
    reportUnknownKeys(object, known, path, context);
    C defaults{};
    for (const auto& row : rows_) {
      std::string rowPath = path + "." + row.key;
      SettingScope scope{rowPath, baseDir, context};
      auto found = object.find(row.key);
      if (found == object.end()) {
        if (row.required)
          context.add(rowPath, "is required: " + row.description);
        else
          row.read(config, row.write(defaults), scope);
        continue;
      }
      if (!fieldHasType(*found, row.type)) {
        auto name = fieldTypeName(row.type);
        bool vowel = name.front() == 'a' || name.front() == 'i' || name.front() == 'o';
        context.add(rowPath, std::string(vowel ? "must be an " : "must be a ") + std::string(name),
                    found->dump());
        continue;
      }
      bool refused = false;
      for (const auto& [bad, message] : row.refusals)
        if (!refused && bad(*found)) {
          context.add(rowPath, message,
                      found->is_string() ? found->template get<std::string>() : found->dump());
          refused = true;
        }
      if (!refused) row.read(config, *found, scope);
    }
  }

  // The Markdown table `markbridge describe` prints, defaults from a default-constructed C.
  std::string describe() const {
    std::vector<DescribedField> described;
    C defaults{};
    for (const auto& row : rows_) {
      std::string shown;
      if (!row.required) {
        auto value = row.write(defaults);
        shown = value.dump();
      }
      described.push_back(
          DescribedField{row.key, row.type_text, shown, row.required, row.description});
    }
    return describeFields(described);
  }

 private:
  template <class Get>
  static auto& member(C& c, Get get) {
    return std::invoke(get, c);
  }

  // Each text is moved into the row; clang-tidy 14 does not see a move into a member of the
  // dependent Row and would make them copies.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Row start(std::string key, FieldType type, std::string typeText, std::string doc) {
    Row row;
    row.key = std::move(key);
    row.type = type;
    row.type_text = std::move(typeText);
    row.description = std::move(doc);
    return row;
  }
  SettingTable& add(Row row) {
    rows_.push_back(std::move(row));
    return *this;
  }

  template <class Get>
  SettingTable& scaled(std::string key, Get get, int64_t unitMs, const std::string& unit,
                       std::string doc, Limits limits) {
    using Member = std::remove_cvref_t<decltype(std::invoke(get, std::declval<C&>()))>;
    static_assert(std::is_integral_v<Member>, "integer and duration settings fill integers");
    Limits allowed = limits;
    allowed.min = std::max<int64_t>(allowed.min, std::numeric_limits<Member>::min() / unitMs);
    allowed.max = std::min<int64_t>(
        allowed.max, static_cast<int64_t>(std::min<uint64_t>(std::numeric_limits<Member>::max(),
                                                             std::numeric_limits<int64_t>::max())) /
                         unitMs);
    std::string typeText = "integer";
    if (!unit.empty()) typeText += " (" + unit + ")";
    auto bounds = limitsText(limits);
    if (!bounds.empty()) typeText += ", " + bounds;
    Row row = start(std::move(key), FieldType::Integer, typeText, std::move(doc));
    row.read = [get, limits, allowed, unitMs](C& c, const nlohmann::json& v,
                                              const SettingScope& scope) {
      bool tooBig = v.is_number_unsigned() &&
                    v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      int64_t value = tooBig ? 0 : v.get<int64_t>();
      if (!tooBig && (value < limits.min || value > limits.max)) {
        scope.context.add(scope.path, "must be " + limitsText(limits), v.dump());
        return;
      }
      if (tooBig || value < allowed.min || value > allowed.max) {  // beyond what the member holds
        scope.context.add(scope.path, "must be " + limitsText(allowed), v.dump());
        return;
      }
      member(c, get) = static_cast<Member>(value * unitMs);
    };
    row.write = [get, unitMs](C& c) {
      return nlohmann::json(static_cast<int64_t>(member(c, get)) / unitMs);
    };
    return add(std::move(row));
  }

  std::vector<Row> rows_;
};

}  // namespace markbridge
