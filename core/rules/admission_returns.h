#pragma once
// The LA returns the admission register triggers (2024 regulations, reg. 13; see
// ../shared/domain/attendance-reference.md section 3a), as a pure function of a pupil's on-roll
// periods, the calendar and the school's settings, beside the policies' rules:
//  - `new_pupil` (reg. 13(1)) for each admission, due by the end of the fifth day after entry;
//    not for the most junior class starting on the first day of the school year unless the LA
//    asked (reg. 13(2)-(3));
//  - `deletion` (reg. 13(4)) for each leaving date, with the ground and the destination; not
//    when the pupil completed the school's final year unless the LA asked. A return that would
//    lack a required field (ground, destination, parents' contact) is a task for the office
//    instead, never a half-filled return.
// Each is an event like any rule's: its id follows the period, so a leaving date that is moved
// revises the return and one that is withdrawn withdraws it (core/rules/event_lifecycle.h).

#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/domain/config_table.h"
#include "core/rules/event.h"
#include "core/rules/register.h"

namespace markbridge {

struct AdmissionReturnSettings {
  bool new_pupil = true;  // send new pupil returns at all
  bool deletion = true;   // send deletion returns at all
  // Year groups that are the school's most junior class (reg. 13(2)): their pupils starting on
  // the first school day of the year are not returned unless `youngest_on_first_day`.
  std::set<std::string> youngest_years = {"N1", "N2", "R", "7"};
  bool youngest_on_first_day = false;  // the LA asked for those too
  // The school's final year group; a pupil in it who leaves in July or August completed it and
  // is not returned unless `final_year_leavers`. Empty: not set, every leaver is returned.
  std::string final_year;
  bool final_year_leavers = false;  // the LA asked for those too
  int new_pupil_due_days = 5;       // "by the end of the fifth day after entry"

  // The `rules.admission_register` settings; the member initialisers above are the defaults
  // (new_pupil_due_days is the regulation's, not a setting).
  static const SettingTable<AdmissionReturnSettings>& table();
};

// The returns owed for this pupil that arose in [from, through] on days the calendar covers
// (an admission or leaving date before the calendar is history the rules do not read).
std::vector<Event> admissionReturns(const Pupil& pupil, const PupilRegister& reg,
                                    const AdmissionReturnSettings& settings, Date from,
                                    Date through);

}  // namespace markbridge
