#include "core/rules/engine/policy.h"

#include <fstream>
#include <sstream>

#include "core/rules/rule.h"

namespace markbridge {
namespace {

constexpr Field kPolicyFields[] = {
    {"name", FieldType::String, "", true, "the policy's name, e.g. \"statutory\""},
    {"description", FieldType::String, "\"\"", false, "what the policy is, and its decisions"},
    {"rules", FieldType::Array, "", true, "the rules"},
};
constexpr Field kRuleFields[] = {
    {"id", FieldType::String, "", true, "unique in the policy"},
    {"description", FieldType::String, "\"\"", false, "what the rule is for"},
    {"when", FieldType::Object, "", true, "the condition"},
    {"action", FieldType::Object, "", true,
     "{\"la_notification\": TYPE} | {\"concern\": {...}} | {\"task\": {...}} | {\"note\": {...}}"},
    {"summary", FieldType::String, "\"\"", false,
     "plain text for the record; {value}, {from}, {to} and {day} are filled in"},
    {"compulsory_school_age_only", FieldType::Boolean, "true", false,
     "ignore the days a pupil is not of compulsory school age"},
    {"rearm_after_school_days", FieldType::Integer, "1", false,
     "school days the condition must stop holding before the rule can fire again"},
};

std::string render(std::string text, const std::string& key, const std::string& value) {
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

std::string number(double v) {
  std::ostringstream out;
  out << (v == static_cast<int>(v) ? std::to_string(static_cast<int>(v)) : std::to_string(v));
  std::string s = out.str();
  if (auto dot = s.find('.'); dot != std::string::npos) s = s.substr(0, dot + 2);
  return s;
}

}  // namespace

std::optional<Policy> Policy::fromJson(const nlohmann::json& json, const std::string& file,
                                       std::vector<Problem>& problems) {
  ConfigContext context{file, &problems};
  std::size_t before = problems.size();
  auto root = applySchema(json, kPolicyFields, "$", context);
  Policy policy;
  policy.name_ = root.value("name", "");
  policy.description_ = root.value("description", "");
  const auto& rules = root.contains("rules") ? root["rules"] : nlohmann::json::array();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    std::string path = "$.rules[" + std::to_string(i) + "]";
    auto r = applySchema(rules[i], kRuleFields, path, context);
    PolicyRule rule;
    rule.id = r.value("id", "");
    for (const auto& other : policy.rules_)
      if (other.id == rule.id) context.add(path + ".id", "is used by another rule", rule.id);
    rule.description = r.value("description", "");
    rule.summary = r.value("summary", "");
    rule.compulsory_school_age_only = r.value("compulsory_school_age_only", true);
    rule.rearm_after_school_days = r.value("rearm_after_school_days", 1);
    if (rule.rearm_after_school_days < 1)
      context.add(path + ".rearm_after_school_days", "must be at least 1");
    if (r.contains("when"))
      if (auto when = Condition::fromJson(r["when"], path + ".when", context))
        rule.when = std::move(*when);
    if (r.contains("action")) {
      const auto& a = r["action"];
      if (a.size() != 1) {
        context.add(path + ".action", "must have exactly one action", a.dump());
      } else {
        auto [kind, value] = *a.items().begin();
        rule.action.kind = kind;
        rule.action.details = value;
        if (kind == "la_notification" && value.is_string())
          rule.action.type = value.get<std::string>();
        else if (kind == "concern" || kind == "task" || kind == "note")
          rule.action.type = kind;
        else
          context.add(path + ".action." + kind,
                      "must be la_notification (with its type), concern, task or note",
                      value.dump());
      }
    }
    policy.rules_.push_back(std::move(rule));
  }
  if (problems.size() != before) return std::nullopt;
  return policy;
}

Policy Policy::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<Problem> problems;
  if (!in) throw ProblemError({Problem{file.string(), 0, 0, "", "", "cannot open the policy"}});
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded())
    throw ProblemError({Problem{file.string(), 0, 0, "", "", "not valid JSON"}});
  auto policy = fromJson(json, file.string(), problems);
  if (!policy) throw ProblemError(problems);
  return *policy;
}

std::vector<RuleExplanation> Policy::explain(const Pupil& pupil, const PupilRegister& reg,
                                             Date asOf) const {
  auto events = evaluate(pupil, reg);
  std::vector<RuleExplanation> out;
  for (const auto& rule : rules_) {
    RuleExplanation e;
    e.rule = &rule;
    SessionSeries series(reg, pupil, rule.compulsory_school_age_only);
    int day = -1;
    while (day + 1 < series.days() && series.day(day + 1) <= asOf) ++day;
    if (day >= 0) {
      e.holds = !neverHolds(rule.when, pupil) && holds(rule.when, pupil, series, day);
      if (const Condition* dating = rule.when.primary()) {
        int from = day;
        e.value = series.value(dating->measure, day, &from);
        if (e.value) e.from = series.day(from);
      }
    }
    for (const auto& event : events)
      if (event.rule == name_ + "." + rule.id) e.fired.push_back(event);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Event> Policy::evaluate(const Pupil& pupil, const PupilRegister& reg) const {
  std::vector<Event> events;
  std::optional<SessionSeries> all, compulsory;
  for (const auto& rule : rules_) {
    if (neverHolds(rule.when, pupil)) continue;
    auto& series = rule.compulsory_school_age_only ? compulsory : all;
    if (!series) series.emplace(reg, pupil, rule.compulsory_school_age_only);
    const Condition* dating = rule.when.primary();
    bool armed = true;
    int quiet = 0;
    for (int i = 0; i < series->days(); ++i) {
      if (!holds(rule.when, pupil, *series, i)) {
        if (++quiet >= rule.rearm_after_school_days) armed = true;
        continue;
      }
      quiet = 0;
      if (!armed) continue;
      armed = false;
      int from = i;
      double value = 0;
      if (dating) value = series->value(dating->measure, i, &from).value_or(0);
      Date day = series->day(i), start = series->day(from);
      // A run is known by its first day, so an amendment that lengthens it is the same episode;
      // other measures by the day the threshold was reached.
      bool run = dating && dating->measure.kind == Measure::Kind::ConsecutiveDays;
      Event event = makeEvent(name_ + "." + rule.id, rule.action.type, pupil, reg,
                              (run ? start : day).iso(), day, start, day);
      event.summary = render(
          render(render(render(rule.summary, "{value}", number(value)), "{from}", start.iso()),
                 "{to}", day.iso()),
          "{day}", day.iso());
      events.push_back(std::move(event));
    }
  }
  return events;
}

}  // namespace markbridge
