#pragma once
// `markbridge backtest`: a policy replayed over the school's own stored register, sending
// nothing. The rules are a pure function of the register and the calendar, so the events a
// policy raises on each school day of the period are exactly the events a sync on that day
// would have raised (with the register as it stands now: later amendments included). Per week,
// rule and stage: events raised, distinct pupils, false alarms by the period's end, overlap
// with what was already sent, and the load on each role.

#include <atomic>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/domain/date.h"
#include "core/rules/rule_set.h"
#include "core/store/register_store.h"
#include "core/store/store.h"

namespace markbridge {

struct BacktestCell {  // one rule (or ladder stage) in one week
  int events = 0;
  int pupils = 0;        // distinct pupils
  int false_alarms = 0;  // see BacktestRule::rate_measured
  int already_sent = 0;  // the same event (same id) was delivered by a real sync
};

struct BacktestRule {
  std::string id;      // as in the events: POLICY.RULE or POLICY.LADDER.STAGE
  std::string action;  // la_notification | concern | task | note | digest
  std::string type;    // the event type (LA notification type or the action)
  // Measured as a percentage (e.g. persistent absence): an event is a false alarm when its
  // condition no longer holds for the pupil on the period's last day; for a policy's rule, its
  // first measure alone (a rule on a band, at risk at 5% to 10%, is no false alarm for a pupil
  // who went above the band). Rules on runs or counts (10 days' unauthorised absence) were true
  // when raised and have no false alarms.
  bool rate_measured = false;
  std::map<Date, BacktestCell> weeks;  // by the week's Monday
  BacktestCell total;                  // pupils: distinct over the period
};

struct BacktestResult {
  std::string policies;  // the policies' names, joined with " + "
  Date from, to;
  int pupils_evaluated = 0;
  int pupils_with_events = 0;
  std::vector<BacktestRule> rules;  // in the order the policies declare them
  // Items each role would have received, per week: "LA", a concern's alert roles, a task's
  // assignee role; a concern alerting nobody counts for "safeguarding inbox"; a digest rule's
  // role one item per period with entries (not one per pupil).
  std::map<std::string, std::map<Date, int>> load;
  std::vector<Date> weeks() const;  // every week of the period, Mondays
  int events() const;
};

// Thrown by a backtest whose `cancel` was set (the service is stopping).
struct BacktestCancelled : std::runtime_error {
  BacktestCancelled() : std::runtime_error("the backtest was cancelled") {}
};

// Replays `rules` over every pupil's stored register for school days from..to (the period is
// clipped to the calendar). `sent` holds the ids of events a sink already received. When
// `cancel` is given and becomes true, the replay stops at the next pupil: BacktestCancelled.
BacktestResult backtest(RegisterStore& store, const SchoolCalendar& calendar, const RuleSet& rules,
                        Date from, Date to, const std::unordered_set<std::string>& sent,
                        const std::atomic<bool>* cancel = nullptr);

// The same over the configured store, "already sent" from its outbox's delivered events (the
// CLI's `markbridge backtest` and the console's Backtest page).
BacktestResult backtestStore(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                             Date from, Date to, const std::atomic<bool>* cancel = nullptr);
// The period replayed when none is given: the calendar's first day (the academic year's) up to
// today, or the calendar's last day when that is earlier.
std::pair<Date, Date> backtestDefaultPeriod(const SchoolCalendar& calendar, Date today);

// Reports (backtest_report.cpp). `other`, when given, is shown side by side.
void printBacktestText(std::ostream& out, const BacktestResult& result,
                       const BacktestResult* other = nullptr);
void printBacktestCsv(std::ostream& out, const BacktestResult& result,
                      const BacktestResult* other = nullptr);
void printBacktestHtml(std::ostream& out, const BacktestResult& result,
                       const BacktestResult* other = nullptr);

// Pieces of the reports the console's Backtest page shares (backtest_report.cpp).
// A rule's id without its policy's name ("statutory.persistent_absence" -> "persistent_absence"),
// so two policies' rules line up side by side.
std::string backtestLocalId(const std::string& id);
// A rule's row in a report: its local id, or its whole id when another policy of the same result
// has a rule of that local id (the school's rules run two policies each with a first-day call).
std::string backtestRowId(const BacktestResult& result, const BacktestRule& rule);
// The rule of a row (by its row id here, or by its whole id when the row is one); none: null.
const BacktestRule* findBacktestRule(const BacktestResult& result, const std::string& rowId);
// The rows of both, in the first's order then the second's new ones (a rule already on a row by
// its whole id keeps that row).
std::vector<std::string> backtestRuleRows(const BacktestResult& a, const BacktestResult* b);
// "3 (25%)" for a rate-measured rule's false alarms over the period, "n/a" for any other.
std::string backtestFalseAlarms(const BacktestRule& rule);
// A stacked SVG bar chart (one bar per week, a key below), in a <figure> captioned `title`.
void printBacktestChart(std::ostream& out, const std::string& title, const std::vector<Date>& weeks,
                        const std::vector<std::pair<std::string, std::map<Date, int>>>& series);

}  // namespace markbridge
