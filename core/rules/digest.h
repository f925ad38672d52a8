#pragma once
// Digests (issue 14 item 4): a rule or ladder stage whose action is
//   {"digest": {"every": "week" | "day", "to": ROLE}}
// raises, for each pupil, a "digest_entry" event that no sink is sent (it is the pupil's record:
// stored, shown by `explain`, withdrawn and revised like any other). Once a period (a Monday to
// Sunday week, or a day) has ended, the entries of the rule that arose in it become ONE "digest"
// event for the school: the pupils, their figures (the measure's value, the sessions by code,
// the attendance percentage) and what changed since the period before (new pupils, pupils no
// longer listed, figures moved). The digest is an ordinary event of a pseudo-pupil
// ("digest:RULE"): its id is derived from the rule, the period and what it lists, so the same
// entries give the same id (never sent twice) and an amendment that changes them gives a new id
// over the same period, which the event lifecycle turns into a revision of the digest already
// sent (core/rules/event_lifecycle.h). A period with no entries has no digest (one sent before
// is withdrawn). The LA is never sent one: "digest" is not an LA notification type.
//
// planDigests is pure: pupils' entries in, digest events out (core/app/evaluation.cpp reads
// the entries from the store and records what it returns).

#include <string>
#include <string_view>
#include <vector>

#include "core/domain/date.h"
#include "core/rules/event.h"
#include "core/rules/sink_event.h"

namespace markbridge {

class Policy;

inline constexpr std::string_view kDigestEntryType = "digest_entry";  // one pupil's part
inline constexpr std::string_view kDigestType = "digest";             // the school's digest

// A rule (or ladder stage) whose action is a digest.
struct DigestRule {
  std::string rule;   // the id its events carry: POLICY.RULE or POLICY.LADDER.STAGE
  std::string every;  // "week" | "day"
  std::string to;     // the role it is addressed to
};
std::vector<DigestRule> digestRules(const std::vector<Policy>& policies);

// The period a day falls in: Monday to Sunday for "week", the day itself for "day".
struct DigestPeriod {
  Date from, to;
};
DigestPeriod digestPeriod(std::string_view every, Date day);

// The pseudo-pupil a rule's digests are recorded under (its events, its outbox items in order).
std::string digestUpn(std::string_view rule);
bool isDigestUpn(std::string_view upn);

// The digests of `rules` for every period that began on or after `from` and ended before
// `today` and has at least one entry among `members` (pupils' digest_entry events; others are
// ignored). A pupil with several entries in one period is listed once, with the latest. What
// changed is measured against the period just before, whose entries must be among `members`
// for it to be known (without them every pupil is new). Ordered by rule, then period.
std::vector<Event> planDigests(const std::vector<DigestRule>& rules,
                               const std::vector<SinkEvent>& members, Date from, Date today);

}  // namespace markbridge
