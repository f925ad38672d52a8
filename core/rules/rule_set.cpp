#include "core/rules/rule_set.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/domain/digest.h"
#include "core/rules/statutory_policy.h"

namespace markbridge {
namespace {

// The `rules` section as written; the initialisers are the defaults.
struct RulesSettings {
  // The policies as written: an entry that is not a name is reported when they are loaded, in
  // order with the policy files' own problems.
  nlohmann::json policies = nlohmann::json::array({"statutory"});
  std::optional<Date> notify_from;
  AdmissionReturnSettings admission_register;
  MissingEducationSettings missing_education;
};

const SettingTable<RulesSettings>& rulesTable() {
  using R = RulesSettings;
  static const auto table =
      SettingTable<R>()
          .converted(
              "policies", FieldType::Array, "array of strings",
              "the policies to run: \"statutory\" (built in: docs/policies/statutory.json) and/or "
              "paths of policy files, relative to the config file",
              [](R& r, const nlohmann::json& v, const SettingScope&) { r.policies = v; },
              [](R& r) { return r.policies; })
          .converted(
              "notify_from", FieldType::String, "string (yyyy-mm-dd)",
              "yyyy-mm-dd: events that arose before this day are recorded but never sent (set it "
              "to the go-live day when connecting a school part-way through the year)",
              [](R& r, const nlohmann::json& v, const SettingScope& scope) {
                auto text = v.get<std::string>();
                r.notify_from = text.empty() ? std::nullopt : Date::parseIso(text);
                if (!text.empty() && !r.notify_from)
                  scope.context.add(scope.path, "is not a date yyyy-mm-dd", text);
              },
              [](R& r) { return nlohmann::json(r.notify_from ? r.notify_from->iso() : ""); })
          .section("admission_register", &R::admission_register, AdmissionReturnSettings::table(),
                   "the admission register's LA returns (new_pupil, deletion): which are owed; see "
                   "docs/rules.md \"Admission register returns\"")
          .section("missing_education", &R::missing_education, MissingEducationSettings::table(),
                   "children missing education (vanished pupils, leavers with an open "
                   "unauthorised run or no destination): see docs/rules.md \"Children missing "
                   "education\"");
  return table;
}

}  // namespace

std::string RuleSet::describe() {
  return rulesTable().describe();
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
  RulesSettings rules;
  rulesTable().apply(json, path, baseDir, context, rules);
  set.notifyFrom_ = rules.notify_from;
  set.admission_ = rules.admission_register;
  set.missing_ = rules.missing_education;
  const auto& names = rules.policies;
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

namespace {

// A checkpoint: what it was made with, the school day it is the end of, and the policies' state.
// Stored as its bytes: the padding is spelled out, so every byte of a checkpoint is defined
// (valgrind saw the compiler's padding written uninitialised); the layout is unchanged.
struct CheckpointHeader {
  char magic[4] = {'M', 'B', 'C', '1'};
  uint32_t unused = 0;
  uint64_t rules = 0;      // the policies and the calendar
  uint64_t pupil = 0;      // the details conditions read
  uint64_t register_ = 0;  // up to `day`; NOLINT(readability-identifier-naming): a keyword
  int32_t day = -1;        // school day index
  int32_t unused_end = 0;
};
static_assert(sizeof(CheckpointHeader) == 40);

uint64_t pupilDigest(const Pupil& pupil) {
  const auto& f = pupil.flags;
  std::string key = (pupil.dob ? pupil.dob->iso() : std::string()) + "|" + pupil.year_group + "|";
  for (bool flag : {f.sen, f.ehcp, f.cla, f.cp, f.cin, f.fsm, f.pp}) key += flag ? '1' : '0';
  // The roll decides which days count (nothing added without on-roll data, so checkpoints made
  // before the admission register was read still fit).
  for (const auto& p : pupil.on_roll)
    key += "|" + (p.admitted ? p.admitted->iso() : std::string("-")) + ".." +
           (p.left ? p.left->iso() : std::string("-"));
  // A pupil missing from the roll's listings (nothing added for the rest, so their checkpoints
  // still fit): each further missed sync, or being named again, walks the pupil again.
  if (!pupil.missed_roll_listings.empty()) {
    key += "|missed";
    for (const auto& day : pupil.missed_roll_listings) key += ":" + day.iso();
  }
  return hash64(key);
}

template <typename T>
std::string_view bytesOf(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

uint64_t rulesDigest(const std::vector<Policy>& policies, const SchoolCalendar& calendar,
                     const AdmissionReturnSettings& admission,
                     const MissingEducationSettings& missing) {
  const auto& index = calendar.index();
  uint64_t h = hash64(bytesOf(index.days));
  h = hash64(bytesOf(index.termFirst), h);
  h = hash64(bytesOf(index.yearFirst), h);
  h = hash64(bytesOf(index.week), h);
  for (const auto& policy : policies) h = hash64(policy.name(), h ^ policy.digest());
  // The admission register's settings decide which returns are owed: a change walks it all.
  std::string settings = std::to_string(admission.new_pupil) + std::to_string(admission.deletion) +
                         std::to_string(admission.youngest_on_first_day) +
                         std::to_string(admission.final_year_leavers) + admission.final_year;
  for (const auto& year : admission.youngest_years) settings += "|" + year;
  settings += "|" + missing.digest();
  return hash64(settings, h);
}

}  // namespace

uint64_t RuleSet::digestFor(const SchoolCalendar& calendar) const {
  return rulesDigest(policies_, calendar, admission_, missing_);
}

RuleSet::Outcome RuleSet::evaluate(const Pupil& pupil, const PupilRegister& reg, Date through,
                                   std::string_view checkpoint) const {
  return evaluate(pupil, reg, through, checkpoint, digestFor(reg.calendar()));
}

RuleSet::Outcome RuleSet::evaluate(const Pupil& pupil, const PupilRegister& reg, Date through,
                                   std::string_view checkpoint, uint64_t rulesDigest) const {
  Outcome outcome;
  const auto& days = reg.calendar().index().days;
  // The last school day on or before `through`.
  int last =
      static_cast<int>(std::upper_bound(days.begin(), days.end(), through) - days.begin()) - 1;
  outcome.from = days.empty() ? reg.calendar().first() : days.front();
  if (last < 0) return outcome;
  CheckpointHeader header;
  header.rules = rulesDigest;
  header.pupil = pupilDigest(pupil);
  WalkPlan plan;
  plan.through = last;
  plan.save = last - 1;
  CheckpointHeader old;
  if (checkpoint.size() >= sizeof old && (checkpoint.size() - sizeof old) % 4 == 0) {
    std::memcpy(&old, checkpoint.data(), sizeof old);
    if (std::memcmp(old.magic, header.magic, 4) == 0 && old.rules == header.rules &&
        old.pupil == header.pupil && old.day >= 0 && old.day < last &&
        old.register_ == reg.digestThrough(days[static_cast<std::size_t>(old.day)])) {
      plan.resume = old.day + 1;
      plan.state = std::span(reinterpret_cast<const int32_t*>(checkpoint.data() + sizeof old),
                             (checkpoint.size() - sizeof old) / 4);
    }
  }
  std::vector<int32_t> saved;
  plan.saved = &saved;
  for (const auto& policy : policies_) {
    if (policy.evaluate(pupil, reg, plan, outcome.events)) continue;
    return evaluate(pupil, reg, through, {}, rulesDigest);  // a state that does not fit: all
  }
  outcome.resumed = plan.resume > 0;
  if (outcome.resumed) outcome.from = days[static_cast<std::size_t>(plan.resume)];
  // Returns whose day (any day, school day or not) came after the checkpoint's school day.
  Date returnsFrom = outcome.resumed ? days[static_cast<std::size_t>(plan.resume - 1)] + 1
                                     : reg.calendar().first();
  auto returns = markbridge::admissionReturns(pupil, reg, admission_, returnsFrom, through);
  outcome.events.insert(outcome.events.end(), std::make_move_iterator(returns.begin()),
                        std::make_move_iterator(returns.end()));
  auto missing = markbridge::missingEducation(pupil, reg, missing_, returnsFrom, through);
  outcome.events.insert(outcome.events.end(), std::make_move_iterator(missing.begin()),
                        std::make_move_iterator(missing.end()));
  if (plan.save >= 0) {
    header.day = plan.save;
    header.register_ = reg.digestThrough(days[static_cast<std::size_t>(plan.save)]);
    outcome.checkpoint.assign(reinterpret_cast<const char*>(&header), sizeof header);
    outcome.checkpoint.append(bytesOf(saved));
  }
  return outcome;
}

std::vector<Event> RuleSet::evaluate(const Pupil& pupil, const PupilRegister& reg) const {
  std::vector<Event> events;
  for (const auto& policy : policies_) {
    auto found = policy.evaluate(pupil, reg);
    events.insert(events.end(), std::make_move_iterator(found.begin()),
                  std::make_move_iterator(found.end()));
  }
  auto returns = markbridge::admissionReturns(pupil, reg, admission_, reg.calendar().first(),
                                              reg.calendar().last());
  events.insert(events.end(), std::make_move_iterator(returns.begin()),
                std::make_move_iterator(returns.end()));
  auto missing = markbridge::missingEducation(pupil, reg, missing_, reg.calendar().first(),
                                              reg.calendar().last());
  events.insert(events.end(), std::make_move_iterator(missing.begin()),
                std::make_move_iterator(missing.end()));
  return events;
}

}  // namespace markbridge
