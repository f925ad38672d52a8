#include "core/rules/engine/condition.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/rules/engine/on_ladder.h"

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

// The measure's own settings (measure, codes, breaks, window, min_possible); false on a problem.
bool readMeasure(const nlohmann::json& json, const std::string& path, const ConfigContext& context,
                 Measure& m) {
  auto kind = json.contains("measure") ? json["measure"] : nlohmann::json();
  std::string name = kind.is_string() ? kind.get<std::string>() : "";
  if (name == "count")
    m.kind = Measure::Kind::Count;
  else if (name == "consecutive_days")
    m.kind = Measure::Kind::ConsecutiveDays;
  else if (name == "percent")
    m.kind = Measure::Kind::Percent;
  else {
    context.add(path + ".measure", "must be count, consecutive_days or percent", kind.dump());
    return false;
  }
  bool ok = true;
  if (!json.contains("codes")) {
    context.add(path + ".codes", "is required: the codes or categories the measure counts");
    ok = false;
  } else if (auto codes = CodeSet::fromJson(json["codes"], path + ".codes", context)) {
    m.codes = *codes;
  } else {
    ok = false;
  }
  m.breaks = CodeSet::of({Category::Present, Category::Attending, Category::Authorised});
  if (json.contains("breaks")) {
    auto breaks = CodeSet::fromJson(json["breaks"], path + ".breaks", context);
    ok = ok && breaks;
    if (breaks) m.breaks = *breaks;
  }
  if (json.contains("window")) {
    auto window = Window::fromJson(json["window"], path + ".window", context);
    ok = ok && window;
    if (window) m.window = *window;
  }
  if (json.contains("min_possible") && !json["min_possible"].is_number_integer()) {
    context.add(path + ".min_possible", "must be a whole number of sessions",
                json["min_possible"].dump());
    return false;
  }
  m.min_possible = json.value("min_possible", 0);
  if (json.contains("as_of")) {
    m.as_of_morning = json["as_of"] == "morning";
    if (!m.as_of_morning && json["as_of"] != "end_of_day") {
      context.add(path + ".as_of",
                  "must be \"morning\" (today's afternoon left out) or \"end_of_day\"",
                  json["as_of"].dump());
      ok = false;
    }
  }
  return ok;
}

constexpr const char* kMeasureKeys[] = {"measure", "codes",        "breaks",
                                        "window",  "min_possible", "as_of"};

void refuseUnknownKeys(const nlohmann::json& json, const std::string& path,
                       const ConfigContext& context, std::initializer_list<const char*> own) {
  for (const auto& item : json.items()) {
    const std::string& key = item.key();
    auto is = [&key](const char* k) { return key == k; };
    if (std::none_of(std::begin(kMeasureKeys), std::end(kMeasureKeys), is) &&
        std::none_of(own.begin(), own.end(), is))
      context.add(path + "." + key, "is not a setting here", key);
  }
}

std::optional<Condition> compare(const nlohmann::json& json, const std::string& path,
                                 const ConfigContext& context) {
  Condition c;
  c.kind = Condition::Kind::Compare;
  bool ok = readMeasure(json, path, context, c.measure);
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
  refuseUnknownKeys(json, path, context, {"at_least", "more_than", "at_most", "less_than"});
  if (!ok) return std::nullopt;
  if (c.measure.window.kind == Window::Kind::SinceStage) c.since = c.measure.window.stage;
  return c;
}

std::optional<Condition> noImprovement(const nlohmann::json& json, const std::string& path,
                                       const ConfigContext& context, bool improved) {
  Condition c;
  c.kind = improved ? Condition::Kind::Improved : Condition::Kind::NoImprovement;
  if (!json.is_object()) {
    context.add(path, "must be an object: a measure, better, after_school_days", json.dump());
    return std::nullopt;
  }
  bool ok = readMeasure(json, path, context, c.measure);
  auto better = json.value("better", std::string());
  if (better != "higher" && better != "lower") {
    context.add(path + ".better", "must be \"higher\" or \"lower\": which way is better",
                json.contains("better") ? json["better"].dump() : "");
    ok = false;
  }
  c.higher_is_better = better == "higher";
  if (!json.contains("after_school_days") || !json["after_school_days"].is_number_integer() ||
      json["after_school_days"].get<int>() < 1) {
    context.add(path + ".after_school_days",
                "must be the review period: a whole number of school days, at least 1",
                json.contains("after_school_days") ? json["after_school_days"].dump() : "");
    ok = false;
  } else {
    c.after_days = json["after_school_days"].get<int>();
  }
  if (json.contains("by")) {
    if (!json["by"].is_number() || json["by"].get<double>() < 0) {
      context.add(path + ".by", "must be a number, 0 or more", json["by"].dump());
      ok = false;
    } else {
      c.by = json["by"].get<double>();
    }
  }
  if (json.contains("since_stage")) {
    if (!json["since_stage"].is_string()) {
      context.add(path + ".since_stage", "must be a stage's id", json["since_stage"].dump());
      ok = false;
    } else {
      c.since.name = json["since_stage"].get<std::string>();
    }
  }
  if (c.measure.window.kind == Window::Kind::SinceStage) {
    context.add(path + ".window",
                "cannot be since_stage: the measure is compared with its value "
                "on the day the stage was entered");
    ok = false;
  }
  refuseUnknownKeys(json, path, context, {"better", "after_school_days", "by", "since_stage"});
  if (!ok) return std::nullopt;
  return c;
}

}  // namespace

std::optional<Condition> Condition::fromJson(const nlohmann::json& json, const std::string& path,
                                             const ConfigContext& context) {
  if (!json.is_object()) {
    context.add(path,
                "must be an object (a measure, pupil, year_group, all, any, not, no_improvement "
                "or on_ladder)",
                json.dump());
    return std::nullopt;
  }
  if (json.contains("measure")) return compare(json, path, context);
  if (json.size() != 1) {
    context.add(
        path,
        "must have exactly one of measure, pupil, year_group, all, any, not, no_improvement, "
        "on_ladder");
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
  if (key == "no_improvement" || key == "improved")
    return noImprovement(value, path + "." + key, context, key == "improved");
  if (key == "on_ladder") return onLadder(value, path + ".on_ladder", context);
  if (key == "pupil" || key == "year_group") {
    c.kind = key == "pupil" ? Kind::PupilFlag : Kind::YearGroup;
    c.values = strings(value, path + "." + key, context);
    for (const auto& v : c.values)
      if (key == "pupil" && v != "sen" && v != "ehcp" && v != "cla" && v != "cp" && v != "cin" &&
          v != "fsm" && v != "pp")
        context.add(path + ".pupil", "must be sen, ehcp, cla, cp, cin, fsm or pp", v);
    return c;
  }
  context.add(path + "." + key,
              "is not a condition (measure, pupil, year_group, all, any, not, no_improvement, "
              "on_ladder)",
              key);
  return std::nullopt;
}

const Condition* Condition::primary() const {
  if (kind == Kind::Compare || isReview()) return this;
  for (const auto& child : children)
    if (kind != Kind::Not)
      if (const auto* found = child.primary()) return found;
  return nullptr;
}

bool Condition::usesStages() const {
  if (isReview() || measure.window.kind == Window::Kind::SinceStage) return true;
  return std::any_of(children.begin(), children.end(),
                     [](const Condition& child) { return child.usesStages(); });
}

int StageContext::enteredDay(const StageRef& ref) const {
  int stage = ref.name.empty() ? reference : ref.index;
  if (!entered || stage < 0 || stage >= static_cast<int>(entered->size())) return -1;
  return (*entered)[static_cast<std::size_t>(stage)];
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

bool holds(const Condition& c, const Pupil& pupil, const SessionSeries& series, int i,
           const StageContext* stages) {
  auto child = [&](const Condition& child) { return holds(child, pupil, series, i, stages); };
  switch (c.kind) {
    case Condition::Kind::All:
      return std::all_of(c.children.begin(), c.children.end(), child);
    case Condition::Kind::Any:
      return std::any_of(c.children.begin(), c.children.end(), child);
    case Condition::Kind::Not:
      return !child(c.children.front());
    case Condition::Kind::NoImprovement:
    case Condition::Kind::Improved: {
      int entered = stages ? stages->enteredDay(c.since) : -1;
      if (entered < 0 || i - entered < c.after_days) return false;
      if (series.taken(entered + 1, i) < c.evidenceNeeded()) return false;
      auto then = series.value(c.measure, entered, nullptr);
      auto now = series.value(c.measure, i, nullptr);
      if (!then || !now) return false;
      double gain = c.higher_is_better ? *now - *then : *then - *now;
      return c.kind == Condition::Kind::Improved ? gain > c.by : gain <= c.by;
    }
    case Condition::Kind::PupilFlag:
      return std::any_of(c.values.begin(), c.values.end(),
                         [&](const std::string& f) { return flag(pupil, f); });
    case Condition::Kind::YearGroup:
      return std::find(c.values.begin(), c.values.end(), pupil.year_group) != c.values.end();
    case Condition::Kind::OnLadder:
      return onLadderHolds(c, stages, i);
    case Condition::Kind::Compare: {
      int since = c.measure.window.kind == Window::Kind::SinceStage && stages
                      ? stages->enteredDay(c.since)
                      : -1;
      auto value = series.value(c.measure, i, nullptr, since);
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

const Condition* firing(const Condition& c, const Pupil& pupil, const SessionSeries& series, int i,
                        const StageContext* stages) {
  struct Search {
    const Pupil& pupil;
    const SessionSeries& series;
    int i;
    const StageContext* stages;
    const Condition* in(const Condition& c) const {
      if (c.kind == Condition::Kind::Compare || c.isReview())
        return holds(c, pupil, series, i, stages) ? &c : nullptr;
      if (c.kind == Condition::Kind::Not) return nullptr;
      for (const auto& child : c.children)
        if (const auto* found = in(child)) return found;
      return nullptr;
    }
  };
  if (const auto* found = Search{pupil, series, i, stages}.in(c)) return found;
  return c.primary();
}

std::optional<std::string> waitingForEvidence(const Condition& c, const SessionSeries& series,
                                              int i, const StageContext* stages) {
  if (c.isReview()) {
    int entered = stages ? stages->enteredDay(c.since) : -1;
    if (entered < 0 || i - entered < c.after_days) return std::nullopt;
    int taken = series.taken(entered + 1, i);
    if (taken >= c.evidenceNeeded()) return std::nullopt;
    return "waiting: the review since " + series.day(entered).iso() + " has " +
           std::to_string(taken) + " of the " + std::to_string(c.evidenceNeeded()) +
           " taken sessions it needs (registers not taken are no evidence either way)";
  }
  for (const auto& child : c.children)
    if (auto why = waitingForEvidence(child, series, i, stages)) return why;
  return std::nullopt;
}

}  // namespace markbridge
