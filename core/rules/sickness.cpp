#include "core/rules/sickness.h"

#include <optional>

namespace markbridge {

void SicknessRule::evaluate(const PupilFacts& facts, std::vector<Event>& out) const {
  int academicYear = -1, count = 0;
  std::optional<Date> firstIllness;
  for (Date day : facts.reg.calendar().schoolDays()) {
    if (day.academicYear() != academicYear) {
      academicYear = day.academicYear();
      count = 0;
      firstIllness.reset();
    }
    if (!isOfCompulsorySchoolAge(facts.pupil, day)) continue;
    for (Session s : {Session::AM, Session::PM}) {
      if (!facts.reg.at(day, s).isIllness()) continue;
      if (!firstIllness) firstIllness = day;
      if (++count == sessions_) {
        std::string year =
            std::to_string(academicYear) + "-" + std::to_string((academicYear + 1) % 100);
        Event event = makeEvent(*this, "sickness_15_day", facts, "academic-year-" + year, day,
                                *firstIllness, day);
        event.summary = std::to_string(sessions_) + " illness (I) sessions in academic year " +
                        year + ", reached on " + day.iso();
        out.push_back(std::move(event));
      }
    }
  }
}

}  // namespace markbridge
