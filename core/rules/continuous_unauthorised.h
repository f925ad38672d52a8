#pragma once
// Statutory: tell the LA when a pupil of compulsory school age has been absent without
// authorisation (G, N, O, U) for a continuous period of at least N school days (10 by law).
// A school day counts when it has a possible session and every possible session is unauthorised.
// Any attended or authorised session breaks the run; non-school days, not-counted sessions and
// registers not yet taken neither break nor extend it. One event per run, fired on its Nth day.

#include "core/rules/rule.h"

namespace markbridge {

class ContinuousUnauthorisedRule : public Rule {
 public:
  explicit ContinuousUnauthorisedRule(int schoolDays) : schoolDays_(schoolDays) {}
  std::string_view id() const override { return "statutory.unauthorised_10_day"; }
  void evaluate(const PupilFacts& facts, std::vector<Event>& out) const override;

 private:
  int schoolDays_;
};

}  // namespace markbridge
