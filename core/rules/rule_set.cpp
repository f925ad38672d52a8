#include "core/rules/rule_set.h"

#include <nlohmann/json.hpp>

#include "core/rules/continuous_unauthorised.h"
#include "core/rules/sickness.h"

namespace markbridge {
namespace {

constexpr Field kRulesFields[] = {
    {"unauthorised_10_day", FieldType::Object, "{}", false,
     "LA notification: continuous unauthorised absence (statutory)"},
    {"sickness_15_day", FieldType::Object, "{}", false,
     "LA notification: 15 school days' sickness in the academic year (statutory)"},
    {"notify_from", FieldType::String, "\"\"", false,
     "yyyy-mm-dd: events that arose before this day are recorded but never sent (set it to the "
     "go-live day when connecting a school part-way through the year)"},
};
constexpr Field kUnauthorisedFields[] = {
    {"enabled", FieldType::Boolean, "true", false, "run this rule"},
    {"school_days", FieldType::Integer, "10", false,
     "continuous school days of unauthorised absence that trigger the notification (law: 10)"},
};
constexpr Field kSicknessFields[] = {
    {"enabled", FieldType::Boolean, "true", false, "run this rule"},
    {"sessions", FieldType::Integer, "30", false,
     "illness (I) sessions in one academic year that trigger the notification (15 days = 30)"},
};

int positive(const nlohmann::json& value, const std::string& path, const ConfigContext& context) {
  int n = value.get<int>();
  if (n < 1) context.add(path, "must be at least 1", std::to_string(n));
  return n;
}

}  // namespace

std::span<const Field> RuleSet::schema() {
  return kRulesFields;
}

std::vector<std::pair<std::string_view, std::span<const Field>>> RuleSet::ruleSchemas() {
  return {{"unauthorised_10_day", kUnauthorisedFields}, {"sickness_15_day", kSicknessFields}};
}

RuleSet RuleSet::fromJson(const nlohmann::json& json, const std::string& path,
                          const ConfigContext& context) {
  RuleSet set;
  auto rules = applySchema(json, kRulesFields, path, context);
  if (auto from = rules.value("notify_from", std::string()); !from.empty()) {
    set.notify_from_ = Date::parseIso(from);
    if (!set.notify_from_) context.add(path + ".notify_from", "is not a date yyyy-mm-dd", from);
  }
  if (rules.contains("unauthorised_10_day")) {
    std::string p = path + ".unauthorised_10_day";
    auto r = applySchema(rules["unauthorised_10_day"], kUnauthorisedFields, p, context);
    if (r.value("enabled", true) && r.contains("school_days"))
      set.rules_.push_back(std::make_shared<ContinuousUnauthorisedRule>(
          positive(r["school_days"], p + ".school_days", context)));
  }
  if (rules.contains("sickness_15_day")) {
    std::string p = path + ".sickness_15_day";
    auto r = applySchema(rules["sickness_15_day"], kSicknessFields, p, context);
    if (r.value("enabled", true) && r.contains("sessions"))
      set.rules_.push_back(
          std::make_shared<SicknessRule>(positive(r["sessions"], p + ".sessions", context)));
  }
  return set;
}

std::vector<Event> RuleSet::evaluate(const Pupil& pupil, const PupilRegister& reg) const {
  std::vector<Event> events;
  PupilFacts facts{pupil, reg};
  for (const auto& rule : rules_) rule->evaluate(facts, events);
  return events;
}

Event makeEvent(const Rule& rule, std::string_view type, const PupilFacts& facts,
                std::string episode, Date occurredOn, Date from, Date to) {
  return makeEvent(std::string(rule.id()), type, facts.pupil, facts.reg, std::move(episode),
                   occurredOn, from, to);
}

Event makeEvent(const std::string& ruleId, std::string_view type, const Pupil& pupil,
                const PupilRegister& reg, std::string episode, Date occurredOn, Date from,
                Date to) {
  Event event;
  event.rule = ruleId;
  event.type = std::string(type);
  event.id = Event::makeId(event.rule, pupil.upn, episode);
  event.episode = std::move(episode);
  event.pupil = pupil;
  event.occurred_on = occurredOn;
  event.from = from;
  event.to = to;
  event.sessions_by_code = tally(reg, from, to).by_code;
  Date yearStart = *Date::fromYmd(occurredOn.academicYear(), 9, 1);
  event.attendance_percent = tally(reg, yearStart, occurredOn).attendancePercent();
  return event;
}

}  // namespace markbridge
