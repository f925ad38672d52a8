#pragma once
// The parts every event shares, filled from the register: id, pupil, the period's sessions by
// code and the attendance percentage for the academic year up to `occurredOn`.

#include <string>
#include <string_view>

#include "core/domain/pupil.h"
#include "core/rules/event.h"
#include "core/rules/register.h"

namespace markbridge {

Event makeEvent(const std::string& ruleId, std::string_view type, const Pupil& pupil,
                const PupilRegister& reg, std::string episode, Date occurredOn, Date from, Date to);

}  // namespace markbridge
