#include "core/store/import_merge.h"

#include "core/store/store_rows.h"

namespace markbridge {

PupilMerge mergePupil(const std::optional<Pupil>& existing, const Pupil& incoming,
                      bool sourceStatesFlags) {
  PupilMerge out;
  Pupil& merged = out.merged;
  merged = existing.value_or(Pupil{});
  merged.upn = incoming.upn;
  auto keep = [](std::string& target, const std::string& value) {
    if (!value.empty()) target = value;
  };
  keep(merged.mis_id, incoming.mis_id);
  keep(merged.forename, incoming.forename);
  keep(merged.surname, incoming.surname);
  keep(merged.year_group, incoming.year_group);
  keep(merged.reg_group, incoming.reg_group);
  if (incoming.dob) merged.dob = incoming.dob;
  if (sourceStatesFlags) merged.flags = incoming.flags;
  out.repaired = repairPupilText(merged);
  out.changed = !existing || !(*existing == merged);
  return out;
}

std::optional<OnRollPlan> planOnRoll(const std::vector<OnRollPeriod>& stored,
                                     const OnRollRecord& record) {
  const OnRollPeriod* was = nullptr;
  if (record.period.admitted) {
    for (const auto& p : stored)
      if (p.admitted == record.period.admitted) was = &p;
  } else {
    if (!record.period.left) return std::nullopt;  // says nothing
    for (const auto& p : stored)
      if (!p.admitted || *p.admitted <= *record.period.left) was = &p;
  }
  OnRollPlan change{record.period, std::nullopt};
  OnRollPeriod& now = change.now;
  if (was) {
    now.admitted = was->admitted;
    if (!now.left && !record.states_leaving) now.left = was->left;
    if (now.left) {
      if (now.leaving_reason.empty()) now.leaving_reason = was->leaving_reason;
      if (now.destination.empty()) now.destination = was->destination;
    } else {
      now.leaving_reason.clear();  // no leaving date: nothing about leaving holds
      now.destination.clear();
    }
    if (now == *was) return std::nullopt;
    change.was = *was;
  }
  return change;
}

}  // namespace markbridge
