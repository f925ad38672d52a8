#pragma once
// The figures of the console's "Pupils at risk" list, one row per pupil on roll, computed once
// from the store (a snapshot) and then filtered, sorted and paged per request without touching
// the store: 150,000 pupils page in a few milliseconds. The console rebuilds the snapshot after
// each sync and delivery run (console_figures.cpp); bench/console_bench.cpp measures both.
//
// Cost: one pass over every pupil's register (as `markbridge backtest` reads it) and one over the
// events and outbox; about 300 bytes a pupil kept (45 MB for 150,000 pupils).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/pupil.h"
#include "core/rules/register.h"
#include "core/rules/rule_set.h"
#include "schedules/school_calendar.h"

namespace markbridge {

class Store;

// Persistent absence: absence of 10% or more of the pupil's own possible sessions; severe: 50%
// or more (the DfE's definitions, docs/domain: attendance reference section 3).
enum class AbsenceBand : uint8_t { None, Persistent, Severe };
std::string_view toString(AbsenceBand band);  // "", "PA", "SA"
AbsenceBand absenceBand(int absent, int possible);

// What became of an event's notifications, the worst over its sinks.
enum class DeliveryState : uint8_t { None, NotSent, Delivered, Discarded, Pending, Dead };
std::string_view toString(DeliveryState state);  // "-", "not sent", "delivered", ...

struct PupilRow {
  std::string upn, forename, surname, year_group, reg_group;
  PupilFlags flags;
  // This academic year to the snapshot's day, and its last four school weeks (possible sessions,
  // and of them attended: present or approved educational activity; absent: authorised or not).
  int possible = 0, attended = 0, absent = 0;
  int recent_possible = 0, recent_attended = 0;
  int unauthorised_run = 0;  // sessions, the latest taken sessions backwards
  Date run_from;             // the run's first day (when unauthorised_run > 0)
  int illness = 0;           // sessions coded I this year
  AbsenceBand band = AbsenceBand::None;
  std::string stage;  // the ladder stage the latest active stage event entered, or ""
  Date stage_on;      // the day it was entered
  // The latest active event sent to a sink (else the latest active event): its type, or "".
  std::string last_event;
  Date last_event_on;
  DeliveryState delivery = DeliveryState::None;  // the latest active event's
  int name_rank = 0;  // the row's place by surname, forename and UPN (rankByName)
  // For the weekly report: the year's figures to the end of the week before this school week,
  // and this week's new episodes and notifications delivered.
  int before_possible = 0, before_absent = 0;
  int week_episodes = 0, week_notifications = 0;
  // Attendance %; 100 when nothing was possible (as SessionTally says).
  double percent() const { return possible ? 100.0 * attended / possible : 100.0; }
  double recentPercent() const {
    return recent_possible ? 100.0 * recent_attended / recent_possible : 100.0;
  }
  double absencePercent() const { return possible ? 100.0 * absent / possible : 0.0; }
};

struct PupilSnapshot {
  std::vector<PupilRow> rows;  // pupils on roll on `as_of`, in UPN order
  Date as_of;                  // the school day the figures run to
  Date year_from;              // the academic year's first school day
  Date recent_from;            // the first day of the last four school weeks
  Date week_from;              // the first school day of this school week (weekly report)
  int64_t built_at_ms = 0;
  double build_ms = 0;
  std::vector<std::string> years, reg_groups;  // the distinct values, for the filters
  std::size_t bytes() const;                   // memory held, roughly
};

// The days the figures cover, as of `today` (the calendar's last day when it is over).
struct FigureWindows {
  Date as_of, year_from, recent_from;
  int last = -1;  // school day indexes (calendar.index()): the last on or before as_of
  int year_first = 0, recent_first = 0;
  int week_first = 0;  // the first school day of as_of's school week
  Date week_from;
  const std::vector<Date>* days = nullptr;  // the calendar's school days
};
FigureWindows figureWindows(const SchoolCalendar& calendar, Date today);
// One pupil's row (the list's figures; the event columns are left empty).
PupilRow pupilFigures(const Pupil& pupil, const PupilRegister& reg, const FigureWindows& windows);

// Sets each row's name_rank: sorting by it is sorting by surname, forename, then UPN.
void rankByName(std::vector<PupilRow>& rows);

// The figures as of `today` (the calendar's last day when it is over).
PupilSnapshot buildPupilSnapshot(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                                 Date today, int64_t nowMs);

struct PupilQuery {
  std::string year, reg_group;
  std::string band;  // "", "pa" (persistent or severe), "sa" (severe only), "none"
  bool sen = false, fsm = false, cp = false, cla = false;  // each: only pupils flagged so
  std::string sort = "percent";                            // a column's key (kPupilColumns)
  bool descending = false;
  int page = 1;
  static constexpr int kPerPage = 50;
};
// A query from a request's parameters; unknown values fall back to the defaults.
PupilQuery pupilQueryFrom(const std::vector<std::pair<std::string, std::string>>& params);
// The parameters that give `query` (for links), without the page.
std::vector<std::pair<std::string, std::string>> queryParams(const PupilQuery& query);

// The columns the list sorts by: key and heading.
struct PupilColumn {
  const char* key;
  const char* heading;
};
extern const std::vector<PupilColumn> kPupilColumns;

struct PupilSelection {
  std::vector<const PupilRow*> rows;  // this page's
  int total = 0;                      // rows the filters let through
  int page = 1, pages = 1;            // the page shown (clamped), of how many
};
PupilSelection selectPupils(const PupilSnapshot& snapshot, const PupilQuery& query);

}  // namespace markbridge
