#pragma once
// Statutory: tell the LA when a pupil of compulsory school age will miss 15 school days through
// sickness: N illness (I) sessions in one academic year (30 by default), consecutive or not.
// One event per pupil per academic year, fired on the school day the count is reached.

#include "core/rules/rule.h"

namespace markbridge {

class SicknessRule : public Rule {
 public:
  explicit SicknessRule(int sessions) : sessions_(sessions) {}
  std::string_view id() const override { return "statutory.sickness_15_day"; }
  void evaluate(const PupilFacts& facts, std::vector<Event>& out) const override;

 private:
  int sessions_;
};

}  // namespace markbridge
