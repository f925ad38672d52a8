#include "core/rules/engine/condition.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

constexpr std::pair<const char*, Condition::Op> kOps[] = {{"at_least", Condition::Op::AtLeast},
                                                          {"more_than", Condition::Op::MoreThan},
                                                          {"at_most", Condition::Op::AtMost},
                                                          {"less_than", Condition::Op::LessThan}};

bool flag(const Pupil& pupil, const std::string& name) {
  const auto& f = pupil.flags;
  return (name == "sen" && f.sen) || (name == "ehcp" && f.ehcp) || (name == "cla" && f.cla) ||
         (name == "cp" && f.cp) || (name == "cin" && f.cin) || (name == "fsm" && f.fsm) ||
         (name == "pp" && f.pp);
}

std::vector<std::string> strings(const nlohmann::json& json, const std::string& path,
                                 const ConfigContext& context) {
  std::vector<std::string> out;
  auto list = json.is_array() ? json : nlohmann::json::array({json});
  for (const auto& item : list) {
    if (!item.is_string()) {
      context.add(path, "must be a string or a list of strings", item.dump());
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<Condition> compare(const nlohmann::json& json, const std::string& path,
                                 const ConfigContext& context) {
  Condition c;
  c.kind = Condition::Kind::Compare;
  auto kind = json["measure"];
  std::string name = kind.is_string() ? kind.get<std::string>() : "";
  if (name == "count")
    c.measure.kind = Measure::Kind::Count;
  else if (name == "consecutive_days")
    c.measure.kind = Measure::Kind::ConsecutiveDays;
  else if (name == "percent")
    c.measure.kind = Measure::Kind::Percent;
  else {
    context.add(path + ".measure", "must be count, consecutive_days or percent", kind.dump());
    return std::nullopt;
  }
  bool ok = true;
  if (!json.contains("codes")) {
    context.add(path + ".codes", "is required: the codes or categories the measure counts");
    ok = false;
  } else if (auto codes = CodeSet::fromJson(json["codes"], path + ".codes", context)) {
    c.measure.codes = *codes;
  } else {
    ok = false;
  }
  c.measure.breaks = CodeSet::of({Category::Present, Category::Attending, Category::Authorised});
  if (json.contains("breaks")) {
    auto breaks = CodeSet::fromJson(json["breaks"], path + ".breaks", context);
    ok = ok && breaks;
    if (breaks) c.measure.breaks = *breaks;
  }
  if (json.contains("window")) {
    auto window = Window::fromJson(json["window"], path + ".window", context);
    ok = ok && window;
    if (window) c.measure.window = *window;
  }
  c.measure.min_possible = json.value("min_possible", 0);
  int comparisons = 0;
  for (const auto& [key, op] : kOps) {
    if (!json.contains(key)) continue;
    ++comparisons;
    c.op = op;
    if (!json[key].is_number()) {
      context.add(path + "." + key, "must be a number", json[key].dump());
      ok = false;
    } else {
      c.threshold = json[key].get<double>();
    }
  }
  if (comparisons != 1) {
    context.add(path, "needs exactly one of at_least, more_than, at_most, less_than");
    ok = false;
  }
  for (const auto& [key, value] : json.items()) {
    static const char* known[] = {"measure",  "codes",     "breaks",  "window",   "min_possible",
                                  "at_least", "more_than", "at_most", "less_than"};
    if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return key == k; }))
      context.add(path + "." + key, "is not a setting of a measure", key);
  }
  if (!ok) return std::nullopt;
  return c;
}

}  // namespace

std::optional<Condition> Condition::fromJson(const nlohmann::json& json, const std::string& path,
                                             const ConfigContext& context) {
  if (!json.is_object()) {
    context.add(path, "must be an object (a measure, pupil, year_group, all, any or not)",
                json.dump());
    return std::nullopt;
  }
  if (json.contains("measure")) return compare(json, path, context);
  if (json.size() != 1) {
    context.add(path, "must have exactly one of measure, pupil, year_group, all, any, not");
    return std::nullopt;
  }
  auto [key, value] = *json.items().begin();
  Condition c;
  if (key == "all" || key == "any") {
    c.kind = key == "all" ? Kind::All : Kind::Any;
    if (!value.is_array() || value.empty()) {
      context.add(path + "." + key, "must be a non-empty list of conditions", value.dump());
      return std::nullopt;
    }
    bool ok = true;
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto child = fromJson(value[i], path + "." + key + "[" + std::to_string(i) + "]", context);
      if (child)
        c.children.push_back(std::move(*child));
      else
        ok = false;
    }
    return ok ? std::optional(c) : std::nullopt;
  }
  if (key == "not") {
    c.kind = Kind::Not;
    auto child = fromJson(value, path + ".not", context);
    if (!child) return std::nullopt;
    c.children.push_back(std::move(*child));
    return c;
  }
  if (key == "pupil" || key == "year_group") {
    c.kind = key == "pupil" ? Kind::PupilFlag : Kind::YearGroup;
    c.values = strings(value, path + "." + key, context);
    for (const auto& v : c.values)
      if (key == "pupil" && v != "sen" && v != "ehcp" && v != "cla" && v != "cp" && v != "cin" &&
          v != "fsm" && v != "pp")
        context.add(path + ".pupil", "must be sen, ehcp, cla, cp, cin, fsm or pp", v);
    return c;
  }
  context.add(path + "." + key, "is not a condition (measure, pupil, year_group, all, any, not)",
              key);
  return std::nullopt;
}

const Condition* Condition::primary() const {
  if (kind == Kind::Compare) return this;
  for (const auto& child : children)
    if (kind != Kind::Not)
      if (const auto* found = child.primary()) return found;
  return nullptr;
}

bool neverHolds(const Condition& c, const Pupil& pupil) {
  switch (c.kind) {
    case Condition::Kind::PupilFlag:
      return std::none_of(c.values.begin(), c.values.end(),
                          [&](const std::string& f) { return flag(pupil, f); });
    case Condition::Kind::YearGroup:
      return std::find(c.values.begin(), c.values.end(), pupil.year_group) == c.values.end();
    case Condition::Kind::All:
      return std::any_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return neverHolds(child, pupil); });
    case Condition::Kind::Any:
      return std::all_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return neverHolds(child, pupil); });
    default:
      return false;
  }
}

bool holds(const Condition& c, const Pupil& pupil, const SessionSeries& series, int i) {
  switch (c.kind) {
    case Condition::Kind::All:
      return std::all_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return holds(child, pupil, series, i); });
    case Condition::Kind::Any:
      return std::any_of(c.children.begin(), c.children.end(),
                         [&](const Condition& child) { return holds(child, pupil, series, i); });
    case Condition::Kind::Not:
      return !holds(c.children.front(), pupil, series, i);
    case Condition::Kind::PupilFlag:
      return std::any_of(c.values.begin(), c.values.end(),
                         [&](const std::string& f) { return flag(pupil, f); });
    case Condition::Kind::YearGroup:
      return std::find(c.values.begin(), c.values.end(), pupil.year_group) != c.values.end();
    case Condition::Kind::Compare: {
      auto value = series.value(c.measure, i, nullptr);
      if (!value) return false;
      switch (c.op) {
        case Condition::Op::AtLeast:
          return *value >= c.threshold;
        case Condition::Op::MoreThan:
          return *value > c.threshold;
        case Condition::Op::AtMost:
          return *value <= c.threshold;
        case Condition::Op::LessThan:
          return *value < c.threshold;
      }
    }
  }
  return false;
}

}  // namespace markbridge
