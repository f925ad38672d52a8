#include "core/rules/engine/on_ladder.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/rules/engine/ladder.h"

namespace markbridge {

std::optional<Condition> onLadder(const nlohmann::json& json, const std::string& path,
                                  const ConfigContext& context) {
  Condition c;
  c.kind = Condition::Kind::OnLadder;
  if (json.is_string() && !json.get<std::string>().empty()) {
    c.values = {json.get<std::string>()};
    return c;
  }
  bool ok = json.is_object() && json.contains("ladder") && json["ladder"].is_string();
  if (ok)
    for (const auto& [key, value] : json.items())
      if (key != "ladder" && !(key == "at_least_stage" && value.is_string())) {
        context.add(path + "." + key,
                    key == "at_least_stage" ? "must be a stage's id" : "is not a setting here",
                    value.dump());
        return std::nullopt;
      }
  if (!ok) {
    context.add(path, "must be a ladder's id, or {\"ladder\": ID, \"at_least_stage\": STAGE}",
                json.dump());
    return std::nullopt;
  }
  c.values = {json["ladder"].get<std::string>()};
  c.since.name = json.value("at_least_stage", std::string());
  return c;
}

void resolveLadders(Condition& c, const std::vector<Ladder>& ladders, const std::string& path,
                    const ConfigContext& context) {
  for (auto& child : c.children) resolveLadders(child, ladders, path, context);
  if (c.kind != Condition::Kind::OnLadder) return;
  auto ladder = std::find_if(ladders.begin(), ladders.end(),
                             [&](const Ladder& l) { return l.id() == c.values.front(); });
  if (ladder == ladders.end()) {
    context.add(path, "names no ladder of this policy", c.values.front());
    return;
  }
  c.ladder = static_cast<int>(ladder - ladders.begin());
  if (c.since.name.empty()) {
    c.since.index = 0;
    return;
  }
  const auto& stages = ladder->stages();
  auto stage = std::find_if(stages.begin(), stages.end(),
                            [&](const PolicyRule& s) { return s.id == c.since.name; });
  if (stage == stages.end())
    context.add(path, "names no stage of ladder " + ladder->id(), c.since.name);
  else
    c.since.index = static_cast<int>(stage - stages.begin());
}

bool usesLadders(const Condition& c) {
  return c.kind == Condition::Kind::OnLadder ||
         std::any_of(c.children.begin(), c.children.end(), usesLadders);
}

bool onLadderHolds(const Condition& c, const StageContext* stages, int i) {
  if (!stages || !stages->ladder_days || c.ladder < 0 ||
      c.ladder >= static_cast<int>(stages->ladder_days->size()))
    return false;
  const auto& days = (*stages->ladder_days)[static_cast<std::size_t>(c.ladder)];
  if (i < 0 || i >= static_cast<int>(days.size())) return false;
  int stage = days[static_cast<std::size_t>(i)];
  return stage >= 0 && stage >= c.since.index;
}

}  // namespace markbridge
