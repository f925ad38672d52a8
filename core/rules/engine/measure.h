#pragma once
// The measures a policy's conditions are built from, over one pupil's register on the school
// calendar: a count of sessions matching a code set in a window, the run of consecutive school
// days matching a set, and a percentage of possible sessions. A pupil's sessions are laid out
// once per evaluation (SessionSeries) with prefix sums per code set, so each measure on each
// school day costs O(1).

#include <bitset>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/config_schema.h"
#include "core/domain/pupil.h"
#include "core/rules/register.h"

namespace markbridge {

// A set of 2024 codes, written as codes ("G", "N"), categories ("unauthorised", "authorised",
// "absence", "present", "attending", "attendance", "possible", "not_taken") or both.
class CodeSet {
 public:
  static std::optional<CodeSet> fromJson(const nlohmann::json& json, const std::string& path,
                                         const ConfigContext& context);
  static CodeSet of(std::initializer_list<Category> categories);
  bool has(Code code) const { return bits_[code.index()]; }
  uint64_t key() const { return bits_.to_ullong(); }
  bool operator==(const CodeSet&) const = default;

 private:
  std::bitset<64> bits_;
};

// A ladder stage named by a condition; an empty name means the one the context implies.
struct StageRef {
  std::string name;
  int index = -1;  // resolved by the ladder
};

struct Window {
  enum class Kind {
    All,
    AcademicYear,
    Term,
    LastSchoolDays,
    RollingSchoolWeeks,
    SchoolDaysAgo,
    // The school week whose last school day was `n` school days ago (0: today), Monday to that
    // day; on any other day the measure has no value, so a rule on it is taken once a week.
    SchoolWeekEndedDaysAgo,
    SinceStage  // from the school day after the stage was entered (ladders only)
  };
  Kind kind = Kind::AcademicYear;
  int n = 0;
  StageRef stage;
  static std::optional<Window> fromJson(const nlohmann::json& json, const std::string& path,
                                        const ConfigContext& context);
};

struct Measure {
  enum class Kind { Count, ConsecutiveDays, Percent };
  Kind kind = Kind::Count;
  CodeSet codes;
  CodeSet breaks;  // consecutive days: a session in this set ends the run
  Window window;
  int min_possible = 0;  // percent: below this many possible sessions the measure has no value
  // "as_of": "morning": the measure as it stood when the morning register closed, so a rule can
  // act on today's morning before the afternoon register is taken (see morning_register.h).
  bool as_of_morning = false;
};

// One pupil's school days, sessions and running sums, ready for measures.
class SessionSeries {
 public:
  // Sessions on days the pupil is not on roll (pupil.on_roll) are left out, and so are those on
  // days the pupil is not of compulsory school age when `compulsoryOnly`: neither possible nor
  // "not taken", and a day left out ends a consecutive run.
  SessionSeries(const PupilRegister& reg, const Pupil& pupil, bool compulsoryOnly);
  int days() const { return static_cast<int>(days_.size()); }
  Date day(int i) const { return days_[static_cast<std::size_t>(i)]; }
  // Value of `measure` on school day `i`; nothing when it has none (too few possible sessions,
  // or a window since a stage not entered: `sinceDay` < 0). `from` is set to the first school
  // day the value rests on.
  std::optional<double> value(const Measure& measure, int i, int* from, int sinceDay = -1) const;
  // The sessions a count measure counted on day `i` (day index * 2, + 1 for the afternoon), in
  // order; empty for the other measures or when it has no value.
  std::vector<int> countedSessions(const Measure& measure, int i, int sinceDay = -1) const;
  // Sessions on school days [fromDay, toDay] whose register was taken with a possible mark
  // (present, attending, authorised or unauthorised absence): the evidence a review rests on.
  int taken(int fromDay, int toDay) const;

 private:
  const std::vector<int>& prefix(const CodeSet& set) const;
  int windowStart(const Window& window, int i, int sinceDay) const;
  // The window's last school day on day `i`: `i`, or the day it ended for a window in the
  // past; -1 when the window has no day then (a school week that did not end that day).
  int windowEnd(const Window& window, int i) const;
  int count(const CodeSet& set, int fromDay, int toDay) const;  // sessions in [fromDay, toDay]
  // Sessions from `fromDay`'s morning to `toDay`'s morning only (its afternoon left out).
  int countToMorning(const CodeSet& set, int fromDay, int toDay) const;

  const SchoolDayIndex& index_;
  const std::vector<Date>& days_;
  std::vector<Code> sessions_;  // two per school day; excluded sessions are not taken
  std::vector<bool> excluded_;  // per day: off roll, or outside compulsory school age
  mutable std::vector<std::pair<uint64_t, std::vector<int>>> prefixes_;  // by CodeSet::key()
  mutable std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::vector<int>>> runs_;
  mutable std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::vector<int>>> morningRuns_;
};

// Why a {"school_week_ended_days_ago": N} window has no value on `asOf` (`markbridge explain`):
// it counts one school week, on the day N school days after that week's last school day, and
// has no value on other days. Names the week it counts next and the one it counted last, with
// the days they are counted: "none on 2024-11-12: ...; the school week ending 2024-11-15 is
// counted on 2024-11-22; the school week ending 2024-11-08 was counted on 2024-11-15". Empty for
// any other window.
std::string weeklyWindowNote(const Window& window, const SchoolCalendar& calendar, Date asOf);

}  // namespace markbridge
