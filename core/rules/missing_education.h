#pragma once
// Children missing education (2024 pupil registration regulations; see
// ../shared/domain/attendance-reference.md section 3a), as a pure function of a pupil, their
// register and the school's settings, evaluated beside the policies like the admission
// register's returns (core/rules/admission_returns.h):
//  - a pupil who vanished from the exports without a leaving date: the last
//    `vanished_after_syncs` syncs that listed the roll did not name them (Pupil::
//    missed_roll_listings, filled in by the app from the store);
//  - a leaver with an open unauthorised-absence run, or whose destination is not known.
// Each raises, at once, a concern for the DSL and a `missing_education` LA notification. The
// third case (20 school days of G, N or O, ground I in reg. 9(1)(i)) is a rule of the statutory
// policy: `missing_education_enquiry` in docs/policies/statutory.json.
// Events like any rule's: a vanished pupil named again withdraws both (the LA's record gets an
// `update` saying withdrawn), a leaving date or destination corrected in the MIS revises or
// withdraws them (core/rules/event_lifecycle.h).

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/config_table.h"
#include "core/rules/event.h"
#include "core/rules/register.h"

namespace markbridge {

struct MissingEducationSettings {
  bool vanished = true;  // raise for pupils who vanish from the exports
  bool leavers = true;   // raise for leavers with an open unauthorised run or no destination
  // Consecutive syncs listing the roll that did not name the pupil before they count as vanished.
  int vanished_after_syncs = 3;
  // The sources whose every import lists the whole roll. Nothing: every source except the
  // incremental MIS API (mis_rest) and transfer files (ctf_xml); decided by the app.
  std::optional<std::vector<std::string>> roll_sources;

  // The `rules.missing_education` settings; the member initialisers above are the defaults.
  static const SettingTable<MissingEducationSettings>& table();
  std::string digest() const;  // what the rules read, for the evaluation checkpoint
};

// The LA notification type (docs/sinks.md): not one of interfaces.md's, which has none for
// children missing education.
inline constexpr const char* kMissingEducationType = "missing_education";

// The school days (from the end of `through`, back to the admission) of the unauthorised run
// open on `through`: the first taken school day on roll at or before it is unauthorised (G, N,
// O or U, no attended or authorised session); 0 when it is not.
int openUnauthorisedRun(const PupilRegister& reg, const std::vector<OnRollPeriod>& onRoll,
                        Date through, Date* runFrom = nullptr);

// The children-missing-education events for this pupil that arose in [from, through].
std::vector<Event> missingEducation(const Pupil& pupil, const PupilRegister& reg,
                                    const MissingEducationSettings& settings, Date from,
                                    Date through);

}  // namespace markbridge
