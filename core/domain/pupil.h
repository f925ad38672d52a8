#pragma once
// A pupil on roll, as the register and the notifications need them.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/domain/date.h"
#include "core/domain/on_roll.h"

namespace markbridge {

struct PupilFlags {
  bool sen = false;   // special educational needs support
  bool ehcp = false;  // education, health and care plan
  bool cla = false;   // child looked after
  bool cp = false;    // child protection plan
  bool cin = false;   // child in need
  bool fsm = false;   // free school meals
  bool pp = false;    // pupil premium
  bool operator==(const PupilFlags&) const = default;
};

struct Pupil {
  std::string upn;
  std::string mis_id;  // admission number or MIS id
  std::string forename;
  std::string surname;
  std::optional<Date> dob;
  std::string year_group;  // "R", "1".."13"
  std::string reg_group;
  PupilFlags flags;
  // The admission register, oldest first; empty when no source carries it (see on_roll.h).
  std::vector<OnRollPeriod> on_roll = {};
  // The days of the syncs, since the pupil was last named, whose imports listed the whole roll
  // without naming them, oldest first (children missing education: core/rules/
  // missing_education.h). Not stored with the pupil: the app fills it in for evaluation.
  std::vector<Date> missed_roll_listings = {};
  bool operator==(const Pupil&) const = default;
};

// Compulsory school age on `day`: from the first prescribed day (31 Aug, 31 Dec, 31 Mar) on or
// after the fifth birthday, to the last Friday of June in the school year the pupil turns 16.
// Without a date of birth, years 1 to 11 are taken as compulsory, and so is a pupil whose year
// group is not known either (a statutory duty is never missed for want of a column).
bool isOfCompulsorySchoolAge(const Pupil& pupil, Date day);
// The same as the days [first, last] (first > last when never), for checking many days at once.
std::pair<Date, Date> compulsorySchoolAgeDays(const Pupil& pupil);

}  // namespace markbridge
