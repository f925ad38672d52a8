#include "core/rules/engine/review.h"

#include <algorithm>

namespace markbridge {
namespace {

constexpr Field kReviewFields[] = {
    {"id", FieldType::String, "", true, "unique in the ladder; events carry POLICY.ID.STAGE"},
    {"description", FieldType::String, "\"\"", false, "what the review is"},
    {"of_stages", FieldType::Array, "", true, "the stages reviewed, by id"},
    {"after_school_days", FieldType::Integer, "", true,
     "the review period: school days after the stage was entered"},
    {"when", FieldType::Object, "", false,
     "the condition for the action on the review day (none: the review is held whatever "
     "happened)"},
    {"action", FieldType::Object, "", true,
     "{\"la_notification\": TYPE} | {\"concern\": {...}} | {\"task\": {...}} | {\"note\": {...}}"},
    {"summary", FieldType::String, "\"\"", false,
     "plain text for the record; {value}, {from}, {to}, {day}, {stage} and {entered} are "
     "filled in"},
};

// Every review inside `c` (improved, no_improvement) must use the review's own period.
void checkPeriods(const Condition& c, int days, const std::string& path,
                  const ConfigContext& context) {
  if (c.isReview() && c.after_days != days)
    context.add(path,
                "a review inside a review must wait the review's after_school_days (" +
                    std::to_string(days) + ")",
                std::to_string(c.after_days));
  for (const auto& child : c.children) checkPeriods(child, days, path, context);
}

std::string replaceAll(std::string text, const std::string& key, const std::string& value) {
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

void fillStage(nlohmann::json& json, const std::string& stage, const std::string& entered) {
  if (json.is_string())
    json = replaceAll(replaceAll(json.get<std::string>(), "{stage}", stage), "{entered}", entered);
  else if (json.is_structured())
    for (auto& item : json) fillStage(item, stage, entered);
}

}  // namespace

std::vector<LadderReview> readReviews(const nlohmann::json& json, const std::string& path,
                                      const ConfigContext& context,
                                      const std::vector<PolicyRule>& stages,
                                      const std::string& ladderId) {
  std::vector<LadderReview> reviews;
  if (!json.is_array()) {
    context.add(path, "must be a list of reviews", json.dump());
    return reviews;
  }
  for (std::size_t r = 0; r < json.size(); ++r) {
    std::string at = path + "[" + std::to_string(r) + "]";
    auto checked = applySchema(json[r], kReviewFields, at, context);
    LadderReview review;
    review.rule = readRule(checked, at, context);  // without "when", an empty "all": holds
    auto sameId = [&](const auto& other) { return other.id == review.rule.id; };
    if (review.rule.id == ladderId || std::any_of(stages.begin(), stages.end(), sameId) ||
        std::any_of(reviews.begin(), reviews.end(),
                    [&](const LadderReview& other) { return other.rule.id == review.rule.id; }))
      context.add(at + ".id", "is used by the ladder, one of its stages or another review",
                  review.rule.id);
    review.after_days = checked.value("after_school_days", 0);
    if (checked.contains("after_school_days") &&
        (!checked["after_school_days"].is_number_integer() || review.after_days < 1))
      context.add(at + ".after_school_days", "must be a whole number of school days, at least 1",
                  checked["after_school_days"].dump());
    const auto& names = checked.contains("of_stages") ? checked["of_stages"] : nlohmann::json();
    if (checked.contains("of_stages") && (!names.is_array() || names.empty()))
      context.add(at + ".of_stages", "must list at least one stage of this ladder", names.dump());
    else if (names.is_array())
      for (std::size_t n = 0; n < names.size(); ++n) {
        auto it = names[n].is_string()
                      ? std::find_if(stages.begin(), stages.end(),
                                     [&](const PolicyRule& s) { return s.id == names[n]; })
                      : stages.end();
        if (it == stages.end())
          context.add(at + ".of_stages[" + std::to_string(n) + "]", "names no stage of this ladder",
                      names[n].dump());
        else
          review.stages.push_back(static_cast<int>(it - stages.begin()));
      }
    checkPeriods(review.rule.when, review.after_days, at + ".when", context);
    reviews.push_back(std::move(review));
  }
  return reviews;
}

bool reviewDue(const LadderReview& review, const SessionSeries& series, int i,
               const std::vector<int>& entered, int s) {
  int on = entered[static_cast<std::size_t>(s)];
  if (on < 0) return false;
  StageContext context{&entered, s};
  auto ready = [&](int day) {
    return day - on >= review.after_days &&
           !waitingForEvidence(review.rule.when, series, day, &context);
  };
  return ready(i) && !ready(i - 1);
}

void holdReviews(const std::vector<LadderReview>& reviews, const std::string& policy,
                 const std::vector<PolicyRule>& stages, const Pupil& pupil,
                 const PupilRegister& reg, const SessionSeries& series, int i,
                 const std::vector<int>& entered, std::vector<Event>& events) {
  for (const auto& review : reviews)
    for (int s : review.stages) {
      if (!reviewDue(review, series, i, entered, s)) continue;
      int on = entered[static_cast<std::size_t>(s)];
      StageContext context{&entered, s};
      if (!holds(review.rule.when, pupil, series, i, &context)) continue;
      const auto& stage = stages[static_cast<std::size_t>(s)].id;
      PolicyRule rule = review.rule;
      nlohmann::json texts = {rule.summary, rule.action.details};
      fillStage(texts, stage, series.day(on).iso());
      rule.summary = texts[0].get<std::string>();
      rule.action.details = texts[1];
      events.push_back(fireRule(policy + "." + review.rule.id + "." + stage, rule, pupil, reg,
                                series, i, &context));
    }
}

std::string reviewStanding(const LadderReview& review, const SessionSeries& series, int day,
                           const std::vector<int>& entered, int s) {
  int on = day < 0 ? -1 : entered[static_cast<std::size_t>(s)];
  if (on < 0) return "the stage is not entered";
  int due = on + review.after_days;
  std::string since = "the stage was entered " + series.day(on).iso();
  if (due > day)
    return since + "; due " +
           (due < series.days() ? series.day(due).iso() : std::string("after the calendar ends"));
  StageContext context{&entered, s};
  for (int i = due; i <= day; ++i)
    if (reviewDue(review, series, i, entered, s)) return since + "; held " + series.day(i).iso();
  if (auto why = waitingForEvidence(review.rule.when, series, day, &context)) return *why;
  return since;
}

}  // namespace markbridge
