#include "core/rules/admission_returns.h"

#include <nlohmann/json.hpp>

#include "core/rules/rule.h"

namespace markbridge {
namespace {

constexpr Field kFields[] = {
    {"new_pupil", FieldType::Boolean, "true", false,
     "raise a new pupil return (reg. 13(1)) for each admission"},
    {"deletion", FieldType::Boolean, "true", false,
     "raise a deletion return (reg. 13(4)) for each leaving date"},
    {"youngest_years", FieldType::Array, R"(["N1","N2","R","7"])", false,
     "year groups that are the school's most junior class: their pupils starting on the first "
     "school day of the year get no new pupil return (reg. 13(2))"},
    {"youngest_on_first_day", FieldType::Boolean, "false", false,
     "the LA asked for new pupil returns for the most junior class starting on the first day "
     "too (reg. 13(3))"},
    {"final_year", FieldType::String, "\"\"", false,
     "the school's final year group (e.g. \"6\" or \"11\"): its pupils leaving in July or August "
     "completed it and get no deletion return; empty: every leaver gets one"},
    {"final_year_leavers", FieldType::Boolean, "false", false,
     "the LA asked for deletion returns for pupils who completed the final year too"},
};

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

std::span<const Field> AdmissionReturnSettings::schema() {
  return kFields;
}

AdmissionReturnSettings AdmissionReturnSettings::fromJson(const nlohmann::json& json,
                                                          const std::string& path,
                                                          const ConfigContext& context) {
  AdmissionReturnSettings s;
  auto f = applySchema(json, kFields, path, context);
  s.new_pupil = f.value("new_pupil", true);
  s.deletion = f.value("deletion", true);
  s.youngest_on_first_day = f.value("youngest_on_first_day", false);
  s.final_year = f.value("final_year", std::string());
  s.final_year_leavers = f.value("final_year_leavers", false);
  if (f.contains("youngest_years") && f["youngest_years"].is_array()) {
    s.youngest_years.clear();
    for (std::size_t i = 0; i < f["youngest_years"].size(); ++i) {
      const auto& year = f["youngest_years"][i];
      if (year.is_string())
        s.youngest_years.insert(year.get<std::string>());
      else
        context.add(path + ".youngest_years[" + std::to_string(i) + "]",
                    "must be a year group such as \"R\" or \"7\"", year.dump());
    }
  }
  return s;
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
