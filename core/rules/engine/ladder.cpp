#include "core/rules/engine/ladder.h"

#include <algorithm>

#include "core/rules/engine/filled_value.h"
#include "core/rules/engine/reachability.h"

namespace markbridge {
namespace {

constexpr Field kLadderFields[] = {
    {"id", FieldType::String, "", true, "unique in the policy"},
    {"description", FieldType::String, "\"\"", false, "what the ladder is, and its decisions"},
    {"jump", FieldType::Boolean, "false", false,
     "go straight to the highest stage whose condition holds (otherwise one stage at a time)"},
    {"compulsory_school_age_only", FieldType::Boolean, "true", false,
     "ignore the days a pupil is not of compulsory school age"},
    {"restart_each_academic_year", FieldType::Boolean, "true", false,
     "every pupil starts each academic year off the ladder"},
    {"de_escalate", FieldType::Object, "", false,
     "{\"when\": CONDITION, \"for_school_days\": N, \"to\": \"start\" | \"previous_stage\"}: "
     "step down once the condition has held N school days in a row"},
    {"stages", FieldType::Array, "", true, "the stages, lowest first"},
    {"reviews", FieldType::Array, "[]", false,
     "reviews held a number of school days after a stage was entered (see review.h)"},
};
constexpr Field kStageFields[] = {
    {"id", FieldType::String, "", true, "unique in the ladder"},
    {"description", FieldType::String, "\"\"", false, "what the stage is"},
    {"when", FieldType::Object, "", true, "the condition for entering the stage"},
    {"action", FieldType::Object, "", true,
     "{\"la_notification\": TYPE} | {\"concern\": {...}} | {\"task\": {...}} | {\"note\": {...}}"},
    {"summary", FieldType::String, "\"\"", false,
     "plain text for the record; {value}, {from}, {to} and {day} are filled in"},
};
constexpr Field kDeEscalateFields[] = {
    {"when", FieldType::Object, "", true,
     "the condition of improvement (\"since_stage\" and \"no_improvement\" speak of the "
     "current stage)"},
    {"for_school_days", FieldType::Integer, "", true, "school days in a row it must hold"},
    {"to", FieldType::String, "\"start\"", false,
     "\"start\": off the ladder; \"previous_stage\": one stage down"},
};

// Gives every named stage reference in `c` its stage's index.
void resolve(Condition& c, const std::vector<PolicyRule>& stages, const std::string& path,
             const ConfigContext& context) {
  // A measure's "since_stage" window is copied into `since` when it is read.
  if (!c.since.name.empty()) {
    auto it = std::find_if(stages.begin(), stages.end(),
                           [&](const PolicyRule& s) { return s.id == c.since.name; });
    if (it == stages.end())
      context.add(path, "names no stage of this ladder", c.since.name);
    else
      c.since.index = static_cast<int>(it - stages.begin());
  }
  for (auto& child : c.children) resolve(child, stages, path, context);
}

bool speaksOfUnnamedStage(const Condition& c) {
  if ((c.isReview() || c.measure.window.kind == Window::Kind::SinceStage) && c.since.name.empty())
    return true;
  return std::any_of(c.children.begin(), c.children.end(), speaksOfUnnamedStage);
}

int highestNamedStage(const Condition& c) {
  int highest = c.since.index;
  for (const auto& child : c.children) highest = std::max(highest, highestNamedStage(child));
  return highest;
}

}  // namespace

std::optional<Ladder> Ladder::fromJson(const nlohmann::json& json, const std::string& path,
                                       const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto l = applySchema(json, kLadderFields, path, context);
  Ladder ladder;
  ladder.id_ = filledValue<std::string>(l, "id");
  ladder.description_ = filledValue<std::string>(l, "description");
  ladder.jump_ = filledValue<bool>(l, "jump");
  ladder.compulsory_ = filledValue<bool>(l, "compulsory_school_age_only");
  ladder.restartEachYear_ = filledValue<bool>(l, "restart_each_academic_year");
  const auto& stages = l.contains("stages") ? l["stages"] : nlohmann::json::array();
  if (stages.empty()) context.add(path + ".stages", "must list at least one stage");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    std::string at = path + ".stages[" + std::to_string(i) + "]";
    auto stage = readRule(applySchema(stages[i], kStageFields, at, context), at, context);
    for (const auto& other : ladder.stages_)
      if (other.id == stage.id) context.add(at + ".id", "is used by another stage", stage.id);
    ladder.stages_.push_back(std::move(stage));
  }
  for (std::size_t i = 0; i < ladder.stages_.size(); ++i) {
    std::string at = path + ".stages[" + std::to_string(i) + "].when";
    resolve(ladder.stages_[i].when, ladder.stages_, at, context);
    if (i == 0 && speaksOfUnnamedStage(ladder.stages_[i].when))
      context.add(at,
                  "the first stage has no stage before it: name the stage with \"since_stage\"");
  }
  if (l.contains("reviews"))
    ladder.reviews_ =
        readReviews(l["reviews"], path + ".reviews", context, ladder.stages_, ladder.id_);
  if (l.contains("de_escalate")) {
    std::string at = path + ".de_escalate";
    auto d = applySchema(l["de_escalate"], kDeEscalateFields, at, context);
    if (d.contains("when"))
      if (auto when = Condition::fromJson(d["when"], at + ".when", context)) {
        resolve(*when, ladder.stages_, at + ".when", context);
        ladder.leaveWhen_ = std::move(*when);
      }
    ladder.leaveAfter_ = d.value("for_school_days", 0);
    if (d.contains("for_school_days") && ladder.leaveAfter_ < 1)
      context.add(at + ".for_school_days", "must be at least 1", d["for_school_days"].dump());
    auto to = filledValue<std::string>(d, "to");
    if (to != "start" && to != "previous_stage")
      context.add(at + ".to", "must be \"start\" or \"previous_stage\"", to);
    ladder.leaveToStart_ = to == "start";
  }
  if (context.problems->size() != before) return std::nullopt;
  return ladder;
}

std::string Ladder::stageRuleId(const std::string& policy, std::size_t s) const {
  return policy + "." + id_ + "." + stages_[s].id;
}

bool Ladder::stageHolds(std::size_t s, const Pupil& pupil, const SessionSeries& series, int i,
                        const LadderStanding& standing) const {
  StageContext context{&standing.entered, static_cast<int>(s) - 1};
  return holds(stages_[s].when, pupil, series, i, &context);
}

bool Ladder::neverClimbs(const Pupil& pupil) const {
  if (!jump_) return neverHolds(stages_.front().when, pupil);
  return std::all_of(stages_.begin(), stages_.end(),
                     [&](const PolicyRule& s) { return neverHolds(s.when, pupil); });
}

LadderStanding Ladder::walk(const std::string& policy, const Pupil& pupil, const PupilRegister& reg,
                            const SessionSeries& series, std::vector<Event>& events,
                            const LadderWalk& plan) const {
  const auto& yearFirst = reg.calendar().index().yearFirst;
  const int n = static_cast<int>(stages_.size());
  const LadderStanding fresh = offTheLadder();
  LadderStanding standing = plan.start.value_or(fresh);
  bool anyDisarmed =
      std::any_of(standing.disarmed.begin(), standing.disarmed.end(), [](char c) { return c; });
  int end = plan.through < 0 ? series.days() - 1 : std::min(plan.through, series.days() - 1);
  if (plan.saved && plan.save < plan.from) *plan.saved = standing;
  for (int i = plan.from; i <= end; ++i) {
    if (plan.stage_by_day && i > plan.from)
      (*plan.stage_by_day)[static_cast<std::size_t>(i - 1)] = standing.stage;
    if (plan.saved && i == plan.save + 1) *plan.saved = standing;
    if (restartEachYear_ && yearFirst[static_cast<std::size_t>(i)] == i &&
        (standing.stage >= 0 || anyDisarmed)) {
      standing = fresh;
      anyDisarmed = false;
    }
    if (!reviews_.empty())
      holdReviews(reviews_, policy, stages_, pupil, reg, series, i, standing.entered, events);
    if (anyDisarmed) {
      anyDisarmed = false;
      for (std::size_t s = 0; s < stages_.size(); ++s) {
        if (standing.disarmed[s] && !stageHolds(s, pupil, series, i, standing))
          standing.disarmed[s] = 0;
        anyDisarmed = anyDisarmed || standing.disarmed[s];
      }
    }
    if (standing.stage >= 0 && leaveWhen_) {
      StageContext context{&standing.entered, standing.stage};
      if (!holds(*leaveWhen_, pupil, series, i, &context)) {
        standing.improving_days = 0;
      } else if (++standing.improving_days >= leaveAfter_) {
        standing.improving_days = 0;
        auto left = static_cast<std::size_t>(standing.stage);
        if (leaveToStart_) {
          std::fill(standing.disarmed.begin(),
                    standing.disarmed.begin() + static_cast<std::ptrdiff_t>(left) + 1, 1);
          standing.stage = -1;
          std::fill(standing.entered.begin(), standing.entered.end(), -1);
        } else {
          standing.disarmed[left] = 1;
          standing.entered[left] = -1;
          if (--standing.stage >= 0) standing.entered[static_cast<std::size_t>(standing.stage)] = i;
        }
        anyDisarmed = true;
        continue;
      }
    }
    int next = -1;
    if (jump_) {
      for (int s = n - 1; s > standing.stage && next < 0; --s)
        if (!standing.disarmed[static_cast<std::size_t>(s)] &&
            stageHolds(static_cast<std::size_t>(s), pupil, series, i, standing))
          next = s;
    } else if (standing.stage + 1 < n &&
               !standing.disarmed[static_cast<std::size_t>(standing.stage) + 1] &&
               stageHolds(static_cast<std::size_t>(standing.stage) + 1, pupil, series, i,
                          standing)) {
      next = standing.stage + 1;
    }
    if (next < 0) continue;
    auto s = static_cast<std::size_t>(next);
    StageContext context{&standing.entered, next - 1};
    events.push_back(fireRule(stageRuleId(policy, s), stages_[s], pupil, reg, series, i, &context));
    standing.stage = next;
    standing.entered[s] = i;
    standing.improving_days = 0;
  }
  if (plan.saved && end == plan.save) *plan.saved = standing;
  if (plan.stage_by_day && end >= plan.from)
    (*plan.stage_by_day)[static_cast<std::size_t>(end)] = standing.stage;
  return standing;
}

LadderStanding Ladder::offTheLadder() const {
  return LadderStanding{-1, std::vector<int>(stages_.size(), -1), 0,
                        std::vector<char>(stages_.size(), 0)};
}

void Ladder::save(const LadderStanding& standing, std::vector<int32_t>& out) const {
  out.push_back(standing.stage);
  out.push_back(standing.improving_days);
  out.insert(out.end(), standing.entered.begin(), standing.entered.end());
  out.insert(out.end(), standing.disarmed.begin(), standing.disarmed.end());
}

std::optional<LadderStanding> Ladder::restore(std::span<const int32_t>& in) const {
  std::size_t n = stages_.size();
  if (in.size() < 2 + 2 * n) return std::nullopt;
  LadderStanding standing{in[0], std::vector<int>(in.begin() + 2, in.begin() + 2 + n), in[1],
                          std::vector<char>(in.begin() + 2 + n, in.begin() + 2 + 2 * n)};
  in = in.subspan(2 + 2 * n);
  if (standing.stage < -1 || standing.stage >= static_cast<int>(n)) return std::nullopt;
  return standing;
}

std::vector<std::string> Ladder::unreachable(const std::string& path) const {
  std::vector<std::string> warnings;
  std::vector<bool> never(stages_.size(), false);
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    std::string at = path + ".stages[" + std::to_string(s) + "]";
    const auto& stage = stages_[s];
    if (auto why = whyNeverHolds(stage.when)) {
      never[s] = true;
      warnings.push_back(at + " (" + stage.id + ") can never be entered: " + *why);
      continue;
    }
    if (int named = highestNamedStage(stage.when); named >= static_cast<int>(s))
      warnings.push_back(at + " (" + stage.id + ") speaks of stage " + stages_[named].id +
                         ", which a pupil cannot have entered while climbing to this one");
    if (!jump_ && s > 0 && never[s - 1]) {
      never[s] = true;
      warnings.push_back(at + " (" + stage.id +
                         ") can never be entered: the stage before it "
                         "cannot be, and the ladder climbs one stage at a time");
      continue;
    }
    if (jump_)
      for (std::size_t j = s + 1; j < stages_.size(); ++j)
        if (implies(stage.when, stages_[j].when)) {
          never[s] = true;
          warnings.push_back(at + " (" + stage.id +
                             ") can never be entered: whenever its "
                             "condition holds so does that of the later stage " +
                             stages_[j].id + ", and the ladder jumps to the highest");
          break;
        }
  }
  return warnings;
}

}  // namespace markbridge
