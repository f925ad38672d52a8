#include "core/rules/engine/policy.h"

#include <algorithm>

#include "core/domain/digest.h"
#include "core/domain/json_file.h"
#include "core/rules/engine/filled_value.h"
#include "core/rules/engine/morning_register.h"
#include "core/rules/engine/on_ladder.h"
#include "core/rules/engine/reachability.h"

namespace markbridge {
namespace {

constexpr Field kPolicyFields[] = {
    {"name", FieldType::String, "", true, "the policy's name, e.g. \"statutory\""},
    {"description", FieldType::String, "\"\"", false, "what the policy is, and its decisions"},
    {"rules", FieldType::Array, "[]", false, "rules that fire once per episode"},
    {"ladders", FieldType::Array, "[]", false, "graduated responses: ordered stages"},
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
    {"rearm_each", FieldType::String, "\"\"", false,
     "\"term\" or \"academic_year\": fire again on the first school day of each, if the "
     "condition still holds (e.g. termly letters)"},
    {"rearm_when", FieldType::Object, "", false,
     "a condition that must also hold on the quiet days that re-arm the rule (hysteresis: "
     "raised at 10%, raised again only after rearm_after_school_days under 9%)"},
    {"at_most_once_each", FieldType::String, "\"\"", false,
     "\"term\" or \"academic_year\": never fire twice in one (e.g. one letter per band per "
     "term, however often the pupil crosses the line)"},
};

// Whether a policy's JSON (a ladder) says "on_ladder" anywhere: for rules only.
bool mentionsOnLadder(const nlohmann::json& json) {
  if (json.is_object())
    for (const auto& [key, value] : json.items())
      if (key == "on_ladder" || mentionsOnLadder(value)) return true;
  if (json.is_array())
    for (const auto& item : json)
      if (mentionsOnLadder(item)) return true;
  return false;
}

PolicyRule::Rearm period(const nlohmann::json& rule, const char* key, const std::string& path,
                         const ConfigContext& context) {
  auto each = rule.value(key, std::string());
  if (each == "term") return PolicyRule::Rearm::Term;
  if (each == "academic_year") return PolicyRule::Rearm::AcademicYear;
  if (!each.empty()) context.add(path + "." + key, "must be \"term\" or \"academic_year\"", each);
  return PolicyRule::Rearm::Never;
}

}  // namespace

std::optional<Policy> Policy::fromJson(const nlohmann::json& json, const std::string& file,
                                       std::vector<Problem>& problems) {
  ConfigContext context{file, &problems};
  std::size_t before = problems.size();
  auto root = applySchema(json, kPolicyFields, "$", context);
  Policy policy;
  policy.name_ = filledValue<std::string>(root, "name");
  policy.description_ = filledValue<std::string>(root, "description");
  policy.digest_ = hash64(json.dump());
  const auto& rules = root.contains("rules") ? root["rules"] : nlohmann::json::array();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    std::string path = "$.rules[" + std::to_string(i) + "]";
    auto r = applySchema(rules[i], kRuleFields, path, context);
    PolicyRule rule = readRule(r, path, context);
    for (const auto& other : policy.rules_)
      if (other.id == rule.id) context.add(path + ".id", "is used by another rule", rule.id);
    rule.compulsory_school_age_only = filledValue<bool>(r, "compulsory_school_age_only");
    rule.rearm_after_school_days = filledValue<int>(r, "rearm_after_school_days");
    if (r.contains("rearm_when")) {
      rule.rearm_when = Condition::fromJson(r["rearm_when"], path + ".rearm_when", context);
      if (rule.rearm_when && (rule.rearm_when->usesStages() || usesLadders(*rule.rearm_when)))
        context.add(path + ".rearm_when",
                    "speaks of stages or ladders: a re-arm condition reads the register only");
    }
    rule.rearm_each = period(r, "rearm_each", path, context);
    rule.at_most_once_each = period(r, "at_most_once_each", path, context);
    if (rule.rearm_after_school_days < 1)
      context.add(path + ".rearm_after_school_days", "must be at least 1");
    if (rule.when.usesStages())
      context.add(path + ".when",
                  "speaks of stages (since_stage, no_improvement): put it in a ladder's stage");
    policy.rules_.push_back(std::move(rule));
  }
  const auto& ladders = root.contains("ladders") ? root["ladders"] : nlohmann::json::array();
  for (std::size_t i = 0; i < ladders.size(); ++i) {
    std::string path = "$.ladders[" + std::to_string(i) + "]";
    if (mentionsOnLadder(ladders[i]))
      context.add(path, "says on_ladder, which is for rules (a stage speaks of its own ladder)");
    auto ladder = Ladder::fromJson(ladders[i], path, context);
    if (!ladder) continue;
    for (const auto& other : policy.ladders_)
      if (other.id() == ladder->id()) context.add(path + ".id", "is used by another ladder");
    for (const auto& rule : policy.rules_)
      if (rule.id == ladder->id()) context.add(path + ".id", "is used by a rule", rule.id);
    // A review's events are POLICY.REVIEW.STAGE: its id is a name in the policy, like a ladder's.
    for (std::size_t r = 0; r < ladder->reviews().size(); ++r) {
      const auto& id = ladder->reviews()[r].rule.id;
      auto named = [&](const auto& other) { return other.id() == id; };
      if (std::any_of(policy.rules_.begin(), policy.rules_.end(),
                      [&](const PolicyRule& rule) { return rule.id == id; }) ||
          std::any_of(policy.ladders_.begin(), policy.ladders_.end(), named) ||
          std::any_of(policy.ladders_.begin(), policy.ladders_.end(), [&](const Ladder& other) {
            return std::any_of(other.reviews().begin(), other.reviews().end(),
                               [&](const LadderReview& rv) { return rv.rule.id == id; });
          }))
        context.add(path + ".reviews[" + std::to_string(r) + "].id",
                    "is used by a rule, a ladder or another ladder's review", id);
    }
    for (const auto& other : policy.ladders_)
      for (const auto& review : other.reviews())
        if (review.rule.id == ladder->id())
          context.add(path + ".id", "is used by another ladder's review", ladder->id());
    policy.ladders_.push_back(std::move(*ladder));
  }
  for (std::size_t i = 0; i < policy.rules_.size(); ++i) {
    auto& when = policy.rules_[i].when;
    if (!usesLadders(when)) continue;
    resolveLadders(when, policy.ladders_, "$.rules[" + std::to_string(i) + "].when", context);
    policy.rulesUseLadders_ = true;
  }
  if (rules.empty() && ladders.empty()) context.add("$", "has neither rules nor ladders");
  if (problems.size() != before) return std::nullopt;
  return policy;
}

Policy Policy::load(const std::filesystem::path& file) {
  std::vector<Problem> problems;
  auto json = readJsonFile(file, "policy", problems);
  if (!json) throw ProblemError(problems);
  auto policy = fromJson(*json, file.string(), problems);
  if (!policy) throw ProblemError(problems);
  return *policy;
}

std::size_t Policy::size() const {
  std::size_t n = rules_.size();
  for (const auto& ladder : ladders_) n += ladder.stages().size();
  return n;
}

std::vector<std::string> Policy::warnings() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (auto why = whyNeverHolds(rules_[i].when))
      out.push_back("$.rules[" + std::to_string(i) + "] (" + rules_[i].id +
                    ") can never fire: " + *why);
  for (std::size_t i = 0; i < ladders_.size(); ++i)
    for (auto& w : ladders_[i].unreachable("$.ladders[" + std::to_string(i) + "]"))
      out.push_back(std::move(w));
  return out;
}

std::vector<RuleExplanation> Policy::explain(const Pupil& pupil, const PupilRegister& reg,
                                             Date asOf) const {
  // Only the school days up to `asOf`: later ones have not happened yet.
  const auto& days = reg.calendar().index().days;
  WalkPlan plan;
  plan.through =
      static_cast<int>(std::upper_bound(days.begin(), days.end(), asOf) - days.begin()) - 1;
  std::vector<Event> events;
  if (plan.through >= 0) evaluate(pupil, reg, plan, events);
  auto firedBy = [&](const std::string& ruleId) {
    std::vector<Event> fired;
    for (const auto& event : events)
      if (event.rule == ruleId) fired.push_back(event);
    return fired;
  };
  auto lastDayBy = [&](const SessionSeries& series) {
    int day = -1;
    while (day + 1 < series.days() && series.day(day + 1) <= asOf) ++day;
    return day;
  };
  std::vector<RuleExplanation> out;
  auto onLadders =
      rulesUseLadders_ ? ladderDays(pupil, reg, plan.through) : std::vector<std::vector<int>>();
  const StageContext ladderContext{nullptr, -1, &onLadders};
  const StageContext* context = rulesUseLadders_ ? &ladderContext : nullptr;
  for (const auto& rule : rules_) {
    RuleExplanation e;
    e.id = rule.id;
    e.rule = &rule;
    SessionSeries series(reg, pupil, rule.compulsory_school_age_only);
    if (int day = lastDayBy(series); day >= 0) {
      e.holds = !neverHolds(rule.when, pupil) && holds(rule.when, pupil, series, day, context);
      int from = day;
      e.value = datingValue(rule, pupil, series, day, &from, context);
      e.dating = firing(rule.when, pupil, series, day, context);
      if (e.value) e.from = series.day(from);
    }
    e.fired = firedBy(name_ + "." + rule.id);
    out.push_back(std::move(e));
  }
  for (const auto& ladder : ladders_) {
    SessionSeries series(reg, pupil, ladder.compulsorySchoolAgeOnly());
    int day = lastDayBy(series);
    std::vector<Event> ignored;
    LadderStanding standing;
    LadderWalk upToDay;
    upToDay.through = day;
    if (day >= 0) standing = ladder.walk(name_, pupil, reg, series, ignored, upToDay);
    for (std::size_t s = 0; s < ladder.stages().size(); ++s) {
      const auto& stage = ladder.stages()[s];
      RuleExplanation e;
      e.id = ladder.id() + "." + stage.id;
      e.rule = &stage;
      StageContext context{&standing.entered, static_cast<int>(s) - 1};
      if (day >= 0) {
        e.holds = ladder.stageHolds(s, pupil, series, day, standing);
        int from = day;
        e.value = datingValue(stage, pupil, series, day, &from, &context);
        e.dating = firing(stage.when, pupil, series, day, &context);
        if (e.value) e.from = series.day(from);
      }
      auto at = static_cast<int>(s);
      if (at == standing.stage)
        e.standing = "current stage, entered " + series.day(standing.entered[s]).iso();
      else if (at < standing.stage)
        e.standing = "below the current stage";
      else if (day >= 0 && !e.holds)
        if (auto why = waitingForEvidence(stage.when, series, day, &context)) e.standing = *why;
      e.fired = firedBy(ladder.stageRuleId(name_, s));
      out.push_back(std::move(e));
    }
    for (const auto& review : ladder.reviews())
      for (int s : review.stages) {
        RuleExplanation e;
        e.id = review.rule.id + "." + ladder.stages()[static_cast<std::size_t>(s)].id;
        e.rule = &review.rule;
        e.standing = reviewStanding(review, series, day, standing.entered, s);
        StageContext context{&standing.entered, s};
        e.holds = day >= 0 && reviewDue(review, series, day, standing.entered, s) &&
                  holds(review.rule.when, pupil, series, day, &context);
        e.fired = firedBy(name_ + "." + e.id);
        out.push_back(std::move(e));
      }
  }
  return out;
}

std::vector<std::vector<int>> Policy::ladderDays(const Pupil& pupil, const PupilRegister& reg,
                                                 int through) const {
  std::vector<std::vector<int>> days(ladders_.size());
  for (std::size_t l = 0; l < ladders_.size(); ++l) {
    days[l].assign(reg.calendar().index().days.size(), -1);
    if (through < 0 || ladders_[l].neverClimbs(pupil)) continue;
    SessionSeries series(reg, pupil, ladders_[l].compulsorySchoolAgeOnly());
    std::vector<Event> ignored;
    LadderWalk walk;
    walk.through = through;
    walk.stage_by_day = &days[l];
    ladders_[l].walk(name_, pupil, reg, series, ignored, walk);
  }
  return days;
}

std::vector<Event> Policy::evaluate(const Pupil& pupil, const PupilRegister& reg) const {
  std::vector<Event> events;
  WalkPlan plan;
  evaluate(pupil, reg, plan, events);
  return events;
}

bool Policy::evaluate(const Pupil& pupil, const PupilRegister& reg, WalkPlan& plan,
                      std::vector<Event>& events) const {
  // What a resumed walk starts from: per rule (armed, quiet days), per ladder its standing.
  // A rule fired at most once a term also keeps the first day of the term it last fired in.
  struct RuleState {
    int32_t armed = 1, quiet = 0, period = -1;
  };
  auto width = [](const PolicyRule& rule) -> std::size_t {
    return rule.at_most_once_each == PolicyRule::Rearm::Never ? 2 : 3;
  };
  std::vector<RuleState> ruleStates(rules_.size());
  std::vector<std::optional<LadderStanding>> standings(ladders_.size());
  if (plan.resume > 0) {
    auto& in = plan.state;
    std::size_t need = 0;
    for (const auto& rule : rules_) need += width(rule);
    if (in.size() < need) return false;
    for (std::size_t r = 0; r < rules_.size(); ++r) {
      ruleStates[r] = {in[0], in[1], width(rules_[r]) > 2 ? in[2] : -1};
      in = in.subspan(width(rules_[r]));
    }
    for (std::size_t l = 0; l < ladders_.size(); ++l)
      if (!(standings[l] = ladders_[l].restore(in))) return false;
  }
  const auto& index = reg.calendar().index();
  const int last = static_cast<int>(index.days.size()) - 1;
  const int through = plan.through < 0 ? last : std::min(plan.through, last);
  std::optional<SessionSeries> all, compulsory;
  auto seriesFor = [&](bool compulsoryOnly) -> const SessionSeries& {
    auto& series = compulsoryOnly ? compulsory : all;
    if (!series) series.emplace(reg, pupil, compulsoryOnly);
    return *series;
  };
  // Ladders are walked first, as rules may ask where the pupil stands on one ("on_ladder");
  // their events still follow the rules' events.
  std::vector<Event> ladderEvents;
  std::vector<std::vector<int>> ladderDays(rulesUseLadders_ ? ladders_.size() : 0);
  std::vector<LadderStanding> savedStandings(ladders_.size());
  for (std::size_t l = 0; l < ladders_.size(); ++l) {
    const auto& ladder = ladders_[l];
    LadderWalk walk{plan.resume, through, standings[l], plan.save, &savedStandings[l]};
    if (rulesUseLadders_) {
      int stage = standings[l] ? standings[l]->stage : -1;
      ladderDays[l].assign(index.days.size(), stage);
      walk.stage_by_day = &ladderDays[l];
    }
    if (ladder.neverClimbs(pupil)) {  // off the ladder, and staying off
      savedStandings[l] = standings[l].value_or(ladder.offTheLadder());
      continue;
    }
    ladder.walk(name_, pupil, reg, seriesFor(ladder.compulsorySchoolAgeOnly()), ladderEvents, walk);
  }
  const StageContext onLadders{nullptr, -1, rulesUseLadders_ ? &ladderDays : nullptr};
  std::vector<RuleState> saved(rules_.size());
  for (std::size_t r = 0; r < rules_.size(); ++r) {
    const auto& rule = rules_[r];
    auto state = ruleStates[r];
    saved[r] = state;                            // what it stays when nothing is walked
    if (neverHolds(rule.when, pupil)) continue;  // a state that never changes
    const auto& series = seriesFor(rule.compulsory_school_age_only);
    auto firstDays = [&](PolicyRule::Rearm each) {
      return each == PolicyRule::Rearm::Term           ? &index.termFirst
             : each == PolicyRule::Rearm::AcademicYear ? &index.yearFirst
                                                       : nullptr;
    };
    const auto* firsts = firstDays(rule.rearm_each);
    const auto* once = firstDays(rule.at_most_once_each);
    const bool morningRun = measuresMorningRun(rule.when);
    const StageContext* context = rulesUseLadders_ ? &onLadders : nullptr;
    for (int i = plan.resume; i <= through; ++i) {
      if (i == plan.save + 1) saved[r] = state;
      if (firsts && (*firsts)[static_cast<std::size_t>(i)] == i) state.armed = 1;
      if (!holds(rule.when, pupil, series, i, context)) {
        if (rule.rearm_when && !holds(*rule.rearm_when, pupil, series, i, nullptr))
          state.quiet = 0;  // between the lines: not yet clear of it
        else if (++state.quiet >= rule.rearm_after_school_days)
          state.armed = 1;
        continue;
      }
      state.quiet = 0;
      if (!state.armed && morningRun && newMorningRun(rule, pupil, series, i, context))
        state.armed = 1;
      if (!state.armed) continue;
      state.armed = 0;
      if (once) {  // at most once in each term (or year)
        int period = (*once)[static_cast<std::size_t>(i)];
        if (period == state.period) continue;
        state.period = period;
      }
      events.push_back(fireRule(name_ + "." + rule.id, rule, pupil, reg, series, i, context));
    }
    if (through == plan.save) saved[r] = state;
  }
  events.insert(events.end(), std::make_move_iterator(ladderEvents.begin()),
                std::make_move_iterator(ladderEvents.end()));
  if (plan.saved) {
    for (std::size_t r = 0; r < rules_.size(); ++r) {
      plan.saved->insert(plan.saved->end(), {saved[r].armed, saved[r].quiet});
      if (width(rules_[r]) > 2) plan.saved->push_back(saved[r].period);
    }
    for (std::size_t l = 0; l < ladders_.size(); ++l)
      ladders_[l].save(savedStandings[l], *plan.saved);
  }
  return true;
}

}  // namespace markbridge
