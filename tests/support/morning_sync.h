#pragma once
// Policy tests of what a sync finds as the registers close: one pupil's register up to a
// school day, that day's afternoon not taken yet (the sync after the morning register), and the
// rules evaluated through that day, resumed from the checkpoint of the sync before, as
// `markbridge sync` and `run` do.

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/rules/rule_set.h"
#include "tests/support/policy_register.h"

namespace markbridge::test {

// The named shipped policies (files in docs/policies/), as the config's "rules" names them.
inline RuleSet shippedPolicies(const std::vector<std::string>& files) {
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto set = RuleSet::fromJson(nlohmann::json{{"policies", files}}, "$.rules",
                               sourceDir() + "/docs/policies", context);
  for (const auto& p : problems) ADD_FAILURE() << p.str();
  return set;
}

struct MorningSync : PolicyRegister {
  std::string checkpoint;  // kept from one sync to the next, as the store keeps it

  explicit MorningSync(const char* from = "2024-09-03", const char* to = "2025-04-04")
      : PolicyRegister(autumnCalendar(), from, to) {}
  // The register as it stands when `day`'s morning register has closed: nothing after it.
  void morningOf(Date day, const char* am) {
    std::erase_if(marks, [&](const Mark& m) {
      return m.date > day || (m.date == day && m.session == Session::PM);
    });
    set({day}, am, "/");  // the afternoon mark is gone: only the morning's is set
    if (std::none_of(marks.begin(), marks.end(), [&](const Mark& m) { return m.date == day; }))
      marks.push_back(mark(pupil.upn, day, Session::AM, am));
  }
  // The afternoon register of `day` closes with `pm`.
  void afternoonOf(Date day, const char* pm) {
    marks.push_back(mark(pupil.upn, day, Session::PM, pm));
  }
  // A sync on `today`: the events with rule id `rule` (or under it) that it finds.
  std::vector<Event> sync(const RuleSet& rules, Date today, const std::string& rule) {
    PupilRegister reg(cal, marks);
    auto outcome = rules.evaluate(pupil, reg, today, checkpoint);
    checkpoint = outcome.checkpoint;
    std::vector<Event> out;
    for (auto& e : outcome.events)
      if (e.rule == rule || e.rule.rfind(rule + ".", 0) == 0) out.push_back(std::move(e));
    return out;
  }
};

}  // namespace markbridge::test
