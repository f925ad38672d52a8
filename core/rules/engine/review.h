#pragma once
// A ladder's reviews: held a number of school days after a pupil entered one of the named
// stages. Without a condition a review is held whatever the pupil did since (Devon: "2 weeks
// Review ... with Attendance Improvement Officer"); with one, its action follows only when the
// condition holds on the review day (OTW: "If attendance has improved: celebrate progress").
// A review whose condition waits for taken sessions (see `improved`, `no_improvement`) is held
// on the first school day the evidence is there. Entering a stage again starts its review
// again; a pupil who leaves the ladder (stepping down to the start, a new academic year) has no
// review pending. Events carry the rule id POLICY.REVIEW.STAGE.
//
//   "reviews": [{"id": "aio_review", "of_stages": ["letter_1", "letter_3_sam"],
//                "after_school_days": 10,
//                "when": {"improved": {...}},          optional
//                "action": {...}, "summary": "review of {stage}, entered {entered}"}]

#include <string>
#include <vector>

#include "core/rules/engine/policy_rule.h"

namespace markbridge {

struct LadderReview {
  PolicyRule rule;          // id, description, when (holds when not given), action, summary
  std::vector<int> stages;  // the stages reviewed, by index in the ladder
  int after_days = 0;
};

// Reads the ladder's "reviews" (at `path`), naming each problem by JSON path.
std::vector<LadderReview> readReviews(const nlohmann::json& json, const std::string& path,
                                      const ConfigContext& context,
                                      const std::vector<PolicyRule>& stages,
                                      const std::string& ladderId);

// Holds on school day `i` every review that falls due that day, given the day each stage was
// last entered (-1: not entered), appending an event for each whose condition holds.
void holdReviews(const std::vector<LadderReview>& reviews, const std::string& policy,
                 const std::vector<PolicyRule>& stages, const Pupil& pupil,
                 const PupilRegister& reg, const SessionSeries& series, int i,
                 const std::vector<int>& entered, std::vector<Event>& events);

// The review of stage `s` (entered on school day `entered[s]`) is held on day `i`: the first
// school day `after_days` or more after it on which the condition has the evidence it needs.
bool reviewDue(const LadderReview& review, const SessionSeries& series, int i,
               const std::vector<int>& entered, int s);

// Where the review of stage `s` stands on day `day`, for `markbridge explain`: "due ...",
// waiting for taken sessions, held, or the stage not entered.
std::string reviewStanding(const LadderReview& review, const SessionSeries& series, int day,
                           const std::vector<int>& entered, int s);

}  // namespace markbridge
