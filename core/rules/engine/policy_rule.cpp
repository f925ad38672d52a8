#include "core/rules/engine/policy_rule.h"

#include <algorithm>

#include "core/domain/la_notification_types.h"
#include "core/rules/rule.h"

namespace markbridge {
namespace {

std::string render(std::string text, const std::string& key, const std::string& value) {
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

std::string number(double v) {
  std::string s =
      v == static_cast<int>(v) ? std::to_string(static_cast<int>(v)) : std::to_string(v);
  if (auto dot = s.find('.'); dot != std::string::npos) s = s.substr(0, dot + 2);
  return s;
}

// The sessions a count measure counted, day by day: "2024-09-16 AM; 2024-09-18 AM and PM".
std::string sessionList(const SessionSeries& series, const std::vector<int>& sessions) {
  std::string out;
  for (std::size_t k = 0; k < sessions.size(); ++k) {
    int day = sessions[k] / 2;
    bool both =
        k + 1 < sessions.size() && sessions[k + 1] == sessions[k] + 1 && sessions[k] % 2 == 0;
    if (!out.empty()) out += "; ";
    out += series.day(day).iso() + (both ? " AM and PM" : sessions[k] % 2 ? " PM" : " AM");
    if (both) ++k;
  }
  return out;
}

bool mentions(const nlohmann::json& json, const std::string& key) {
  if (json.is_string()) return json.get<std::string>().find(key) != std::string::npos;
  if (json.is_structured())
    for (const auto& item : json)
      if (mentions(item, key)) return true;
  return false;
}

struct Facts {
  std::string value, from, to, sessions;
  std::string fill(const std::string& text) const {
    return render(render(render(render(render(text, "{value}", value), "{from}", from), "{to}", to),
                         "{day}", to),
                  "{sessions}", sessions);
  }
  void fillAll(nlohmann::json& json) const {
    if (json.is_string())
      json = fill(json.get<std::string>());
    else if (json.is_structured())
      for (auto& item : json) fillAll(item);
  }
};

}  // namespace

PolicyRule readRule(const nlohmann::json& r, const std::string& path,
                    const ConfigContext& context) {
  PolicyRule rule;
  rule.id = r.value("id", "");
  rule.description = r.value("description", "");
  rule.summary = r.value("summary", "");
  if (r.contains("when"))
    if (auto when = Condition::fromJson(r["when"], path + ".when", context))
      rule.when = std::move(*when);
  if (!r.contains("action")) return rule;
  const auto& a = r["action"];
  if (!a.is_object() || a.size() != 1) {
    context.add(path + ".action", "must have exactly one action", a.dump());
    return rule;
  }
  auto [kind, value] = *a.items().begin();
  rule.action.kind = kind;
  rule.action.details = value;
  if (kind == "la_notification" && value.is_string()) {
    rule.action.type = value.get<std::string>();
    if (!isLaNotificationType(rule.action.type))
      context.add(path + ".action.la_notification",
                  "must be an LA portal notification type: " + laNotificationTypeList(),
                  rule.action.type);
  } else if ((kind == "concern" || kind == "task" || kind == "note") && value.is_object())
    rule.action.type = kind;
  else if (kind == "digest" && value.is_object()) {
    // One event per period for the school, not one per pupil (core/rules/digest.h).
    rule.action.type = "digest_entry";
    auto every = value.find("every");
    if (every == value.end() || !every->is_string() ||
        (every->get<std::string>() != "week" && every->get<std::string>() != "day"))
      context.add(path + ".action.digest.every", "must be \"week\" or \"day\"",
                  every == value.end() ? "nothing" : every->dump());
    auto to = value.find("to");
    if (to == value.end() || !to->is_string() || to->get<std::string>().empty())
      context.add(path + ".action.digest.to",
                  "must name the role the digest is for, e.g. \"attendance_officer\"",
                  to == value.end() ? "nothing" : to->dump());
    for (const auto& [key, v] : value.items())
      if (key != "every" && key != "to")
        context.add(path + ".action.digest." + key, "is not a digest setting (every, to)",
                    v.dump());
  } else
    context.add(path + ".action." + kind,
                "must be la_notification (with its type), or concern, task, note or digest "
                "(with an object of details)",
                value.dump());
  if (value.is_object() && value.contains("due_in_school_days") &&
      !value["due_in_school_days"].is_number_integer())
    context.add(path + ".action." + kind + ".due_in_school_days", "must be a whole number",
                value["due_in_school_days"].dump());
  return rule;
}

std::optional<double> datingValue(const PolicyRule& rule, const Pupil& pupil,
                                  const SessionSeries& series, int i, int* from,
                                  const StageContext* stages) {
  const Condition* dating = firing(rule.when, pupil, series, i, stages);
  if (!dating) return std::nullopt;
  if (dating->isReview()) {
    int entered = stages ? stages->enteredDay(dating->since) : -1;
    auto value = series.value(dating->measure, i, from);
    if (from && entered >= 0 && entered < i) *from = entered + 1;
    return value;
  }
  int since = stages && dating->measure.window.kind == Window::Kind::SinceStage
                  ? stages->enteredDay(dating->since)
                  : -1;
  return series.value(dating->measure, i, from, since);
}

Event fireRule(const std::string& ruleId, const PolicyRule& rule, const Pupil& pupil,
               const PupilRegister& reg, const SessionSeries& series, int i,
               const StageContext* stages) {
  int from = i;
  double value = datingValue(rule, pupil, series, i, &from, stages).value_or(0);
  Date day = series.day(i), start = series.day(from);
  const Condition* dating = firing(rule.when, pupil, series, i, stages);
  bool run = dating && dating->measure.kind == Measure::Kind::ConsecutiveDays;
  Event event =
      makeEvent(ruleId, rule.action.type, pupil, reg, (run ? start : day).iso(), day, start, day);
  Facts facts{number(value), start.iso(), day.iso(), {}};
  if (dating && dating->kind == Condition::Kind::Compare &&
      (mentions(rule.summary, "{sessions}") || mentions(rule.action.details, "{sessions}"))) {
    int since = stages && dating->measure.window.kind == Window::Kind::SinceStage
                    ? stages->enteredDay(dating->since)
                    : -1;
    facts.sessions = sessionList(series, series.countedSessions(dating->measure, i, since));
  }
  event.summary = facts.fill(rule.summary);
  if (rule.action.details.is_object()) {
    nlohmann::json details = rule.action.details;
    facts.fillAll(details);
    if (auto due = details.find("due_in_school_days");
        due != details.end() && due->is_number_integer()) {
      int at = i + std::max(0, due->get<int>());
      Date dueOn = at < series.days() ? series.day(at)
                                      : series.day(series.days() - 1) + (at - series.days() + 1);
      details["due_on"] = dueOn.iso();
    }
    // A digest lists each pupil with the value of the measure that raised their entry.
    if (rule.action.kind == "digest") details["value"] = value;
    event.action = details.dump();
  }
  return event;
}

}  // namespace markbridge
