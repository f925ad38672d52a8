#pragma once
// A rule looks at one pupil's register against the calendar and reports the events whose
// grounds hold. It is a pure function: same register, same calendar, same events.

#include <string_view>
#include <vector>

#include "core/domain/pupil.h"
#include "core/rules/event.h"
#include "core/rules/register.h"

namespace markbridge {

struct PupilFacts {
  const Pupil& pupil;
  const PupilRegister& reg;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual std::string_view id() const = 0;
  virtual void evaluate(const PupilFacts& facts, std::vector<Event>& out) const = 0;
};

// Fills the parts every event shares: id, pupil, the period's sessions by code and the
// attendance percentage for the academic year up to `occurredOn`.
Event makeEvent(const Rule& rule, std::string_view type, const PupilFacts& facts,
                std::string episode, Date occurredOn, Date from, Date to);
Event makeEvent(const std::string& ruleId, std::string_view type, const Pupil& pupil,
                const PupilRegister& reg, std::string episode, Date occurredOn, Date from, Date to);

}  // namespace markbridge
