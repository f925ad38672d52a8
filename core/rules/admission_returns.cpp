#include "core/rules/admission_returns.h"

#include <nlohmann/json.hpp>

#include "core/rules/rule.h"

namespace markbridge {
namespace {

bool inWindow(Date day, const PupilRegister& reg, Date from, Date through) {
  return day >= from && day <= through && reg.calendar().covers(day);
}

// The first school day of the academic year `day` falls in, from the calendar.
std::optional<Date> firstDayOfYear(const SchoolCalendar& calendar, Date day) {
  auto september = Date::fromYmd(day.academicYear(), 9, 1);
  if (!september) return std::nullopt;
  if (calendar.isSchoolDay(*september)) return *september;
  return calendar.nextSchoolDay(*september);
}

std::string missingFields(const OnRollPeriod& period) {
  std::string missing;
  auto add = [&](const char* what) {
    missing += (missing.empty() ? "" : ", ") + std::string(what);
  };
  if (period.leaving_reason.empty()) add("the ground for deletion");
  if (period.destination.empty()) add("the destination (new school or address)");
  // No source the gateway reads carries the parents' names, addresses and emergency number.
  add("the parents' names, addresses and an emergency telephone number");
  return missing;
}

Event newPupil(const Pupil& pupil, const PupilRegister& reg, const OnRollPeriod& period,
               const AdmissionReturnSettings& settings) {
  Date admitted = *period.admitted;
  Date due = admitted + settings.new_pupil_due_days;
  Event event = makeEvent("admission_register.new_pupil", "new_pupil", pupil, reg, admitted.iso(),
                          admitted, admitted, due);
  event.summary = "admitted on " + admitted.iso() + ": new pupil return due by " + due.iso();
  event.action = nlohmann::json{{"admission_date", admitted.iso()}, {"due_on", due.iso()}}.dump();
  return event;
}

Event deletion(const Pupil& pupil, const PupilRegister& reg, const OnRollPeriod& period) {
  Date left = *period.left;
  Date from = period.admitted.value_or(left);
  std::string missing = missingFields(period);
  bool complete = missing.empty();
  Event event = makeEvent(
      complete ? "admission_register.deletion" : "admission_register.deletion_details_missing",
      complete ? "deletion" : "task", pupil, reg, left.iso(), left, from, left);
  nlohmann::json action = {{"leaving_date", left.iso()},
                           {"deletion_ground", period.leaving_reason},
                           {"destination", period.destination}};
  if (complete) {
    event.summary = "left on " + left.iso() + " (" + period.leaving_reason + "): deletion return";
  } else {
    event.summary =
        "left on " + left.iso() + ": the deletion return cannot be sent without " + missing;
    action["assignee_role"] = "office";
    action["due_on"] = left.iso();
    action["text"] = "Deletion return (reg. 13(4)) for the pupil who left on " + left.iso() +
                     ": record " + missing + " in the MIS so the return can be sent";
  }
  event.action = action.dump();
  return event;
}

}  // namespace

const SettingTable<AdmissionReturnSettings>& AdmissionReturnSettings::table() {
  using A = AdmissionReturnSettings;
  static const auto table =
      SettingTable<A>()
          .boolean("new_pupil", &A::new_pupil,
                   "raise a new pupil return (reg. 13(1)) for each admission")
          .boolean("deletion", &A::deletion,
                   "raise a deletion return (reg. 13(4)) for each leaving date")
          .list("youngest_years", &A::youngest_years,
                "year groups that are the school's most junior class: their pupils starting on "
                "the first school day of the year get no new pupil return (reg. 13(2))",
                "must be a year group such as \"R\" or \"7\"")
          .boolean("youngest_on_first_day", &A::youngest_on_first_day,
                   "the LA asked for new pupil returns for the most junior class starting on the "
                   "first day too (reg. 13(3))")
          .text("final_year", &A::final_year,
                "the school's final year group (e.g. \"6\" or \"11\"): its pupils leaving in "
                "July or August completed it and get no deletion return; empty: every leaver gets "
                "one")
          .boolean("final_year_leavers", &A::final_year_leavers,
                   "the LA asked for deletion returns for pupils who completed the final year "
                   "too");
  return table;
}

std::vector<Event> admissionReturns(const Pupil& pupil, const PupilRegister& reg,
                                    const AdmissionReturnSettings& settings, Date from,
                                    Date through) {
  std::vector<Event> events;
  const auto& calendar = reg.calendar();
  for (const auto& period : pupil.on_roll) {
    if (settings.new_pupil && period.admitted && inWindow(*period.admitted, reg, from, through)) {
      auto firstDay = firstDayOfYear(calendar, *period.admitted);
      bool juniorOnFirstDay = settings.youngest_years.count(pupil.year_group) && firstDay &&
                              *period.admitted <= *firstDay;
      if (!juniorOnFirstDay || settings.youngest_on_first_day)
        events.push_back(newPupil(pupil, reg, period, settings));
    }
    if (settings.deletion && period.left && inWindow(*period.left, reg, from, through)) {
      bool completedFinalYear = !settings.final_year.empty() &&
                                pupil.year_group == settings.final_year &&
                                (period.left->month() == 7 || period.left->month() == 8);
      if (!completedFinalYear || settings.final_year_leavers)
        events.push_back(deletion(pupil, reg, period));
    }
  }
  return events;
}

}  // namespace markbridge
