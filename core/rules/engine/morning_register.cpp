#include "core/rules/engine/morning_register.h"

#include <algorithm>

#include "core/rules/engine/policy_rule.h"

namespace markbridge {

std::vector<int> morningRuns(const std::vector<Code>& sessions, const std::vector<bool>& excluded,
                             const CodeSet& codes, const CodeSet& breaks) {
  const std::size_t days = excluded.size();
  std::vector<int> runs(days * 2, 0);
  auto counts = [&](Code code) { return !code.isNotTaken() && codes.has(code); };
  int length = 0, start = 0;  // at the end of the day before
  for (std::size_t d = 0; d < days; ++d) {
    Code am = sessions[d * 2], pm = sessions[d * 2 + 1];
    if (excluded[d]) {
      length = 0;
      runs[d * 2 + 1] = static_cast<int>(d);
      continue;
    }
    int morning = length, first = start;
    if (breaks.has(am))
      morning = 0;
    else if (counts(am) && morning++ == 0)
      first = static_cast<int>(d);
    runs[d * 2] = morning;
    runs[d * 2 + 1] = morning ? first : static_cast<int>(d);
    if (breaks.has(am) || breaks.has(pm))
      length = 0;
    else if ((counts(am) || counts(pm)) && length++ == 0)
      start = static_cast<int>(d);
  }
  return runs;
}

bool measuresMorningRun(const Condition& c) {
  if (c.kind == Condition::Kind::Compare)
    return c.measure.kind == Measure::Kind::ConsecutiveDays && c.measure.as_of_morning;
  return std::any_of(c.children.begin(), c.children.end(), measuresMorningRun);
}

bool newMorningRun(const PolicyRule& rule, const Pupil& pupil, const SessionSeries& series, int i,
                   const StageContext* stages) {
  const Condition* dating = firing(rule.when, pupil, series, i, stages);
  if (!dating || dating->kind != Condition::Kind::Compare ||
      dating->measure.kind != Measure::Kind::ConsecutiveDays || !dating->measure.as_of_morning)
    return false;
  int from = -1;
  auto length = series.value(dating->measure, i, &from);
  return length && *length > 0 && from == i;
}

}  // namespace markbridge
