#include "core/rules/actions_taken.h"

#include <algorithm>
#include <unordered_set>

#include "core/domain/la_notification_types.h"

namespace markbridge {
namespace {

constexpr std::size_t kMaxActionText = 240;

std::string detailText(const nlohmann::json& action, const char* key) {
  if (!action.is_object()) return "";
  auto it = action.find(key);
  return it != action.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool takesActionsTaken(const std::string& type) {
  return isLaNotificationType(type) && type != "new_pupil" && type != "deletion";
}

std::string stageOf(const std::string& rule) {
  auto dot = rule.find('.');
  return dot == std::string::npos || dot + 1 == rule.size() ? rule : rule.substr(dot + 1);
}

std::string actionText(const PriorEvent& event) {
  std::string text;
  std::string detail = detailText(event.action, "text");
  if (event.type == "task") {
    std::string role = detailText(event.action, "assignee_role");
    text = "task" + (role.empty() ? std::string() : " for " + role) + ": " +
           (detail.empty() ? event.summary : detail);
  } else if (event.type == "note") {
    text = "note: " + (detail.empty() ? event.summary : detail);
  } else if (event.type == "digest_entry") {
    // Raised to a role in a digest (core/rules/digest.h), not on its own.
    std::string every = detailText(event.action, "every");
    std::string role = detailText(event.action, "to");
    text = "listed in the " + std::string(every == "day" ? "daily" : "weekly") + " digest" +
           (role.empty() ? std::string() : " for " + role) + ": " + event.summary;
  } else {
    text = event.type + ": " + event.summary;
  }
  if (text.size() > kMaxActionText) {
    // Cut at a character boundary: never inside a UTF-8 sequence.
    std::size_t cut = kMaxActionText - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

nlohmann::json actionsTakenJson(const std::vector<ActionTaken>& actions) {
  auto list = nlohmann::json::array();
  for (const auto& a : actions)
    list.push_back({{"on", a.on.iso()}, {"action", a.action}, {"stage", a.stage}});
  return list;
}

std::vector<ActionTaken> selectActionsTaken(const std::vector<PriorEvent>& prior, Date through,
                                            std::size_t limit) {
  std::vector<const PriorEvent*> chosen;
  std::unordered_set<std::string> seen;
  for (const auto& event : prior) {
    if (!seen.insert(event.id).second) continue;
    if (!event.counts || isLaNotificationType(event.type) || event.occurred_on > through) continue;
    chosen.push_back(&event);
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const PriorEvent* a, const PriorEvent* b) {
    return a->occurred_on < b->occurred_on;
  });
  std::size_t skip = chosen.size() > limit ? chosen.size() - limit : 0;
  std::vector<ActionTaken> actions;
  for (std::size_t i = skip; i < chosen.size(); ++i)
    actions.push_back({chosen[i]->occurred_on, actionText(*chosen[i]), stageOf(chosen[i]->rule)});
  return actions;
}

}  // namespace markbridge
