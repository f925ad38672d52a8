#pragma once
// A rule's condition on where the pupil stands on one of the policy's ladders, that school day
// (after the day's climb): a rule that is not for pupils on a ladder, or only for those at a
// stage of it.
//
//   {"not": {"on_ladder": "significant_concerns"}}     no amber letter for a pupil in red
//   {"on_ladder": {"ladder": "percentage", "at_least_stage": "ac7_no_further_improvement"}}
//
// Rules only: a ladder's stages speak of their own ladder (since_stage, no_improvement).

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/rules/engine/condition.h"

namespace markbridge {

class Ladder;

std::optional<Condition> onLadder(const nlohmann::json& json, const std::string& path,
                                  const ConfigContext& context);
// Names every "on_ladder" in `condition` by the index of its ladder and stage; problems name
// `path`.
void resolveLadders(Condition& condition, const std::vector<Ladder>& ladders,
                    const std::string& path, const ConfigContext& context);
bool usesLadders(const Condition& condition);
// Whether the pupil stands at (or above) the condition's stage on day `i`.
bool onLadderHolds(const Condition& condition, const StageContext* stages, int i);

}  // namespace markbridge
