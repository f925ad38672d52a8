#pragma once
// Measures taken as of the morning register ("as_of": "morning"): the service syncs after the
// morning register closes (schedules/sync_schedule.h), when today's afternoon session is not
// taken yet. A measure as of the morning leaves today's afternoon session out, so a rule over
// this morning fires on that sync, and finds the same event on every later evaluation: the
// afternoon mark, when it comes, does not withdraw it.
//
//   {"measure": "count", "codes": ["N"], "window": {"last_school_days": 1}, "as_of": "morning",
//    "at_least": 1}                                 an unexplained absence this morning
//   {"measure": "consecutive_days", "codes": "absence", "breaks": "attendance",
//    "as_of": "morning", "at_most": 1}              ... on the first day of a run of absence
//
// A run as of the morning counts each earlier day by the sessions that were taken (a session in
// `breaks` ends the run; otherwise a taken session in `codes` extends it; a day with nothing
// taken leaves it as it is) and today by its morning session alone.

#include <vector>

#include "core/rules/engine/condition.h"

namespace markbridge {

struct PolicyRule;

// Per school day: the run's length as of that morning, and its first day (two ints a day).
std::vector<int> morningRuns(const std::vector<Code>& sessions, const std::vector<bool>& excluded,
                             const CodeSet& codes, const CodeSet& breaks);

// Whether `rule`, holding on day `i`, holds for a new run as of this morning: its dating measure
// is a run measured as of the morning that began today. A run can end and a new one begin
// between two mornings (absent on Monday morning, in on Monday afternoon, absent again on
// Tuesday morning) with the condition holding on both mornings: the rule fires for each run.
bool newMorningRun(const PolicyRule& rule, const Pupil& pupil, const SessionSeries& series, int i,
                   const StageContext* stages);
// Whether a condition measures a run as of the morning (so `newMorningRun` is worth asking).
bool measuresMorningRun(const Condition& condition);

}  // namespace markbridge
