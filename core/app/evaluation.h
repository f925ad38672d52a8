#pragma once
// The evaluate step of a sync: every pupil's register through today against the rules, each
// resumed from its checkpoint where it can be (unless `resume` is false: every pupil's whole
// year walked again), and the events and outbox rows committed in one
// transaction.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/rules/rule_set.h"
#include "core/store/store.h"

namespace markbridge {

struct EvaluationRun {
  EvaluationOutcome outcome;
  int pupils = 0;
  int resumed = 0;  // pupils whose walk resumed from their checkpoint
};

EvaluationRun evaluateRegisters(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                                const std::vector<SinkRoute>& routes, Date today, int64_t nowMs,
                                bool resume = true,
                                const std::vector<std::string>& rollSources = {});

// The sources whose imports list the whole roll (children missing education): the rules'
// missing_education.roll_sources, or every configured source but mis_rest and ctf_xml ones.
std::vector<std::string> rollSourcesOf(const RuleSet& rules, const nlohmann::json& sources);

}  // namespace markbridge
