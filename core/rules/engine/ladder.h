#pragma once
// A ladder: a school's graduated response as ordered stages (letter 1, letter 2, meeting...),
// each entered when its condition holds, with its action. A pupil climbs one stage at a time, or
// with "jump" straight to the highest stage whose condition holds; a stage's condition may ask
// for "no improvement" since the stage before it after a review period, or count sessions since
// a stage was entered. "de_escalate" steps a pupil down (or off the ladder) once attendance has
// improved for a number of school days, so they are not chased for the past and are caught
// again if they slip back: a stage stepped down from is entered again only once its condition
// has stopped holding and holds anew. Each academic year starts off the ladder unless told
// otherwise.
//
//   {"id": "graduated_response", "jump": true,
//    "de_escalate": {"when": {...}, "for_school_days": 20, "to": "start"},
//    "stages": [{"id": "letter_1", "when": {...}, "action": {...}, "summary": "..."}, ...],
//    "reviews": [...]}   held after a stage whatever happens, or on a condition: see review.h

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/rules/engine/policy_rule.h"
#include "core/rules/engine/review.h"

namespace markbridge {

// Where one pupil stands on a ladder after a school day.
struct LadderStanding {
  int stage = -1;            // -1: not on the ladder
  std::vector<int> entered;  // per stage: the school day last entered this episode, or -1
  int improving_days = 0;    // school days in a row the de-escalation condition has held
  // Per stage: stepped down from (or passed on the way), so not to be entered again until its
  // condition has stopped holding once; otherwise a pupil would be stepped down and straight
  // back up with the same letter, day after day.
  std::vector<char> disarmed;
};

// Which school days a walk covers, where it starts, and the day whose end it remembers.
struct LadderWalk {
  int from = 0;                         // first school day walked
  int through = -1;                     // last (-1: the calendar's last)
  std::optional<LadderStanding> start;  // the standing at the end of day `from - 1`
  int save = -1;                        // remember the standing at the end of this day
  LadderStanding* saved = nullptr;
  std::vector<int>* stage_by_day = nullptr;  // the stage at the end of each day walked
};

class Ladder {
 public:
  static std::optional<Ladder> fromJson(const nlohmann::json& json, const std::string& path,
                                        const ConfigContext& context);

  const std::string& id() const { return id_; }
  const std::string& description() const { return description_; }
  const std::vector<PolicyRule>& stages() const { return stages_; }
  const std::vector<LadderReview>& reviews() const { return reviews_; }
  bool compulsorySchoolAgeOnly() const { return compulsory_; }
  // The rule id events of stage `s` carry: POLICY.LADDER.STAGE.
  std::string stageRuleId(const std::string& policy, std::size_t s) const;

  // Walks the school days `plan` names, appending an event for every stage entered; returns
  // where the pupil stands after the last.
  LadderStanding walk(const std::string& policy, const Pupil& pupil, const PupilRegister& reg,
                      const SessionSeries& series, std::vector<Event>& events,
                      const LadderWalk& plan = {}) const;
  // A standing as whole numbers (for a checkpoint), and back; nothing if `in` is too short.
  void save(const LadderStanding& standing, std::vector<int32_t>& out) const;
  std::optional<LadderStanding> restore(std::span<const int32_t>& in) const;
  // Whether stage `s`'s condition holds on day `i` for a pupil standing at `standing`.
  bool stageHolds(std::size_t s, const Pupil& pupil, const SessionSeries& series, int i,
                  const LadderStanding& standing) const;
  bool neverClimbs(const Pupil& pupil) const;
  // Where every pupil starts (and starts each academic year).
  LadderStanding offTheLadder() const;
  // Stages a pupil can never enter, and why, with the JSON path under `path`.
  std::vector<std::string> unreachable(const std::string& path) const;

 private:
  std::string id_, description_;
  std::vector<PolicyRule> stages_;
  std::vector<LadderReview> reviews_;  // see review.h
  bool jump_ = false;
  bool compulsory_ = true;
  bool restartEachYear_ = true;
  std::optional<Condition> leaveWhen_;
  int leaveAfter_ = 0;
  bool leaveToStart_ = true;
};

}  // namespace markbridge
