#include "core/app/backtest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/rules/digest.h"

namespace markbridge {
namespace {

// A percentage measure dates the rule: its events can turn out false alarms.
bool rateMeasured(const PolicyRule& rule) {
  const Condition* primary = rule.when.primary();
  return primary && primary->kind == Condition::Kind::Compare &&
         primary->measure.kind == Measure::Kind::Percent;
}

// Every rule, ladder stage and review of the policies, in the order they are written, by the
// id their events carry.
struct Catalogue {
  std::vector<BacktestRule> rules;
  std::unordered_map<std::string, std::size_t> index;
  std::unordered_map<std::string, const PolicyRule*> definition;
  // A policy's rules (not ladder stages or reviews) whose first measure is a percentage over a
  // window of the register: judged by that measure alone at the period's end.
  std::unordered_map<std::string, const PolicyRule*> by_first_measure;

  void add(const std::string& id, const PolicyRule& rule, bool policyRule = false) {
    if (index.count(id)) return;
    index[id] = rules.size();
    definition[id] = &rule;
    if (policyRule && rateMeasured(rule) &&
        rule.when.primary()->measure.window.kind != Window::Kind::SinceStage)
      by_first_measure[id] = &rule;
    BacktestRule r;
    r.id = id;
    r.action = rule.action.kind;
    r.type = rule.action.type;
    r.rate_measured = rateMeasured(rule);
    rules.push_back(std::move(r));
  }
  BacktestRule& of(const Event& event) {
    auto at = index.find(event.rule);
    if (at != index.end()) return rules[at->second];
    // Not declared under that id (cannot happen with the engine's ids): shown as it came.
    index[event.rule] = rules.size();
    BacktestRule r;
    r.id = event.rule;
    r.type = event.type;
    r.action = event.type == "concern" || event.type == "task" || event.type == "note"
                   ? event.type
                   : "la_notification";
    rules.push_back(std::move(r));
    return rules.back();
  }
};

Catalogue catalogue(const RuleSet& rules) {
  Catalogue c;
  for (const auto& policy : rules.policies()) {
    for (const auto& rule : policy.rules()) c.add(policy.name() + "." + rule.id, rule, true);
    for (const auto& ladder : policy.ladders()) {
      for (std::size_t s = 0; s < ladder.stages().size(); ++s)
        c.add(ladder.stageRuleId(policy.name(), s), ladder.stages()[s]);
      for (const auto& review : ladder.reviews())
        for (int s : review.stages)
          c.add(policy.name() + "." + review.rule.id + "." +
                    ladder.stages()[static_cast<std::size_t>(s)].id,
                review.rule);
    }
  }
  return c;
}

// Who gets the item an event becomes.
std::vector<std::string> rolesOf(const Event& event, const std::string& action) {
  if (action == "la_notification") return {"LA"};
  std::vector<std::string> roles;
  auto details = nlohmann::json::parse(event.action.empty() ? "{}" : event.action, nullptr, false);
  if (details.is_object()) {
    if (auto role = details.find("assignee_role"); role != details.end() && role->is_string())
      roles.push_back(role->get<std::string>());
    if (auto alert = details.find("alert"); alert != details.end() && alert->is_array())
      for (const auto& r : *alert)
        if (r.is_string()) roles.push_back(r.get<std::string>());
  }
  if (roles.empty()) roles.push_back(action == "task" ? "unassigned" : "safeguarding inbox");
  return roles;
}

}  // namespace

std::vector<Date> BacktestResult::weeks() const {
  std::vector<Date> out;
  for (Date w = from.monday(); w <= to; w = w + 7) out.push_back(w);
  return out;
}

int BacktestResult::events() const {
  int n = 0;
  for (const auto& r : rules) n += r.total.events;
  return n;
}

BacktestResult backtest(RegisterStore& store, const SchoolCalendar& calendar, const RuleSet& rules,
                        Date from, Date to, const std::unordered_set<std::string>& sent,
                        const std::atomic<bool>* cancel) {
  BacktestResult result;
  for (const auto& policy : rules.policies())
    result.policies += (result.policies.empty() ? "" : " + ") + policy.name();
  result.from = std::max(from, calendar.first());
  result.to = std::min(to, calendar.last());
  auto cat = catalogue(rules);
  // Distinct pupils per rule and week, and over the period.
  std::vector<std::map<Date, std::unordered_set<std::string>>> weekPupils(cat.rules.size());
  std::vector<std::unordered_set<std::string>> periodPupils(cat.rules.size());
  std::set<std::tuple<std::string, std::string, Date>> digests;  // role, rule, period
  if (result.from > result.to) {
    result.rules = std::move(cat.rules);
    return result;
  }
  store.forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    if (cancel && cancel->load()) throw BacktestCancelled();
    ++result.pupils_evaluated;
    auto found = rules.evaluate(pupil, reg, result.to);
    std::vector<const Event*> inPeriod;
    for (const auto& e : found.events)
      if (e.occurred_on >= result.from && e.occurred_on <= result.to) inPeriod.push_back(&e);
    if (inPeriod.empty()) return;
    ++result.pupils_with_events;
    // Which rate-measured rules still hold on the period's last day (only asked when needed).
    std::optional<std::unordered_set<std::string>> holdingAtEnd;
    auto holds = [&](const std::string& id) {
      // A rule on a band (at risk: 5% to 10%) is judged by its first measure alone: a pupil
      // who went on to be persistently absent was no false alarm.
      if (auto rule = cat.by_first_measure.find(id); rule != cat.by_first_measure.end()) {
        SessionSeries series(reg, pupil, rule->second->compulsory_school_age_only);
        int day = -1;
        while (day + 1 < series.days() && series.day(day + 1) <= result.to) ++day;
        return day >= 0 && markbridge::holds(*rule->second->when.primary(), pupil, series, day);
      }
      if (!holdingAtEnd) {
        holdingAtEnd.emplace();
        for (const auto& policy : rules.policies())
          for (const auto& e : policy.explain(pupil, reg, result.to))
            if (e.holds) holdingAtEnd->insert(policy.name() + "." + e.id);
      }
      return holdingAtEnd->count(id) > 0;
    };
    for (const Event* e : inPeriod) {
      BacktestRule& rule = cat.of(*e);
      if (weekPupils.size() < cat.rules.size()) {
        weekPupils.resize(cat.rules.size());
        periodPupils.resize(cat.rules.size());
      }
      std::size_t r = static_cast<std::size_t>(&rule - cat.rules.data());
      Date week = e->occurred_on.monday();
      BacktestCell& cell = rule.weeks[week];
      bool falseAlarm = rule.rate_measured && !holds(rule.id);
      bool wasSent = sent.count(e->id) > 0;
      for (BacktestCell* c : {&cell, &rule.total}) {
        ++c->events;
        c->false_alarms += falseAlarm;
        c->already_sent += wasSent;
      }
      if (weekPupils[r][week].insert(pupil.upn).second) ++cell.pupils;
      if (periodPupils[r].insert(pupil.upn).second) ++rule.total.pupils;
      if (rule.action == "digest") {
        // One digest per rule and period for its role, however many pupils it lists.
        auto details = nlohmann::json::parse(e->action.empty() ? "{}" : e->action, nullptr, false);
        std::string every = details.is_object() ? details.value("every", "week") : "week";
        std::string role = details.is_object() ? details.value("to", "") : "";
        digests.insert({role.empty() ? "unassigned" : role, rule.id,
                        digestPeriod(every, e->occurred_on).from});
        continue;
      }
      for (const auto& role : rolesOf(*e, rule.action)) ++result.load[role][week];
    }
  });
  for (const auto& [role, rule, period] : digests) ++result.load[role][period.monday()];
  result.rules = std::move(cat.rules);
  return result;
}

BacktestResult backtestStore(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                             Date from, Date to, const std::atomic<bool>* cancel) {
  auto delivered = store.deliveredEventIds();
  std::unordered_set<std::string> sent(delivered.begin(), delivered.end());
  return backtest(store, calendar, rules, from, to, sent, cancel);
}

std::pair<Date, Date> backtestDefaultPeriod(const SchoolCalendar& calendar, Date today) {
  return {calendar.first(), std::min(today, calendar.last())};
}

}  // namespace markbridge
