#include "core/rules/continuous_unauthorised.h"

#include <optional>

namespace markbridge {
namespace {

enum class DayVerdict { Breaks, Counts, Neutral };

DayVerdict judge(const PupilRegister& reg, Date day) {
  bool anyUnauthorised = false, anyNotTaken = false;
  for (Session s : {Session::AM, Session::PM}) {
    Code code = reg.at(day, s);
    if (code.isAttendance() || code.category() == Category::Authorised) return DayVerdict::Breaks;
    anyNotTaken = anyNotTaken || code.isNotTaken();
    anyUnauthorised = anyUnauthorised || code.isUnauthorised();
  }
  return anyUnauthorised && !anyNotTaken ? DayVerdict::Counts : DayVerdict::Neutral;
}

}  // namespace

void ContinuousUnauthorisedRule::evaluate(const PupilFacts& facts, std::vector<Event>& out) const {
  std::optional<Date> runStart;
  int runDays = 0;
  for (Date day : facts.reg.calendar().schoolDays()) {
    if (!isOfCompulsorySchoolAge(facts.pupil, day)) {
      runStart.reset();
      runDays = 0;
      continue;
    }
    switch (judge(facts.reg, day)) {
      case DayVerdict::Breaks:
        runStart.reset();
        runDays = 0;
        break;
      case DayVerdict::Neutral:
        break;
      case DayVerdict::Counts:
        if (!runStart) runStart = day;
        if (++runDays == schoolDays_) {
          Event event =
              makeEvent(*this, "unauthorised_10_day", facts, runStart->iso(), day, *runStart, day);
          event.summary = std::to_string(schoolDays_) +
                          " school days of continuous unauthorised absence, " + runStart->iso() +
                          " to " + day.iso();
          out.push_back(std::move(event));
        }
        break;
    }
  }
}

}  // namespace markbridge
