#include "core/rules/rule_set.h"

#include <nlohmann/json.hpp>

#include "core/rules/statutory_policy.h"

namespace markbridge {
namespace {

constexpr Field kRulesFields[] = {
    {"policies", FieldType::Array, R"(["statutory"])", false,
     "the policies to run: \"statutory\" (built in: docs/policies/statutory.json) and/or paths "
     "of policy files, relative to the config file"},
    {"notify_from", FieldType::String, "\"\"", false,
     "yyyy-mm-dd: events that arose before this day are recorded but never sent (set it to the "
     "go-live day when connecting a school part-way through the year)"},
};

}  // namespace

std::span<const Field> RuleSet::schema() {
  return kRulesFields;
}

const Policy& RuleSet::statutory() {
  static const Policy policy = [] {
    std::vector<Problem> problems;
    auto parsed = Policy::fromJson(nlohmann::json::parse(kStatutoryPolicyJson),
                                   "built-in statutory policy", problems);
    if (!parsed) throw ProblemError(problems);
    return *parsed;
  }();
  return policy;
}

RuleSet RuleSet::fromJson(const nlohmann::json& json, const std::string& path,
                          const std::filesystem::path& baseDir, const ConfigContext& context) {
  RuleSet set;
  auto rules = applySchema(json, kRulesFields, path, context);
  if (auto from = rules.value("notify_from", std::string()); !from.empty()) {
    set.notify_from_ = Date::parseIso(from);
    if (!set.notify_from_) context.add(path + ".notify_from", "is not a date yyyy-mm-dd", from);
  }
  const auto& names = rules.contains("policies") ? rules["policies"] : nlohmann::json::array();
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string at = path + ".policies[" + std::to_string(i) + "]";
    if (!names[i].is_string()) {
      context.add(at, "must be \"statutory\" or a policy file's path", names[i].dump());
      continue;
    }
    auto name = names[i].get<std::string>();
    if (name == "statutory") {
      set.policies_.push_back(statutory());
      continue;
    }
    try {
      set.policies_.push_back(Policy::load(resolveConfigPath(baseDir, name)));
    } catch (const ProblemError& e) {
      for (const auto& p : e.problems())
        context.problems->push_back(Problem{p.file, p.line, p.column, p.location, p.value,
                                            p.message + " (policy named at " + at + ")"});
    }
  }
  for (std::size_t a = 0; a < set.policies_.size(); ++a)
    for (std::size_t b = a + 1; b < set.policies_.size(); ++b)
      if (set.policies_[a].name() == set.policies_[b].name())
        context.add(path + ".policies", "two policies are named " + set.policies_[a].name(),
                    set.policies_[a].name());
  return set;
}

std::size_t RuleSet::size() const {
  std::size_t n = 0;
  for (const auto& p : policies_) n += p.size();
  return n;
}

std::vector<Event> RuleSet::evaluate(const Pupil& pupil, const PupilRegister& reg) const {
  std::vector<Event> events;
  for (const auto& policy : policies_) {
    auto found = policy.evaluate(pupil, reg);
    events.insert(events.end(), std::make_move_iterator(found.begin()),
                  std::make_move_iterator(found.end()));
  }
  return events;
}

}  // namespace markbridge
