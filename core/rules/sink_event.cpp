#include "core/rules/sink_event.h"

#include "core/rules/actions_taken.h"
#include "core/rules/event.h"

namespace markbridge {
namespace {

using Json = nlohmann::json;

std::string kindOf(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::string:
      return "text";
    case Json::value_t::boolean:
      return "true or false";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    default:
      return "a number";
  }
}

[[noreturn]] void bad(const std::string& key, const std::string& what) {
  throw BadEventPayload("the key " + key + " " + what);
}

// The value at `key` of `object` (whose own path is `at`), which must be there.
const Json& member(const Json& object, const std::string& at, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) bad(at + key, "is missing");
  return *it;
}

std::string text(const Json& object, const std::string& at, const char* key) {
  const auto& value = member(object, at, key);
  if (!value.is_string()) bad(at + key, "holds " + kindOf(value) + ", not text");
  return value.get<std::string>();
}

bool flag(const Json& object, const std::string& at, const char* key) {
  const auto& value = member(object, at, key);
  if (!value.is_boolean()) bad(at + key, "holds " + kindOf(value) + ", not true or false");
  return value.get<bool>();
}

Date date(const Json& value, const std::string& key) {
  if (!value.is_string()) bad(key, "holds " + kindOf(value) + ", not a date (yyyy-mm-dd)");
  auto parsed = Date::parseIso(value.get_ref<const std::string&>());
  if (!parsed) bad(key, "holds text that is not a date (yyyy-mm-dd)");
  return *parsed;
}

Date date(const Json& object, const std::string& at, const char* key) {
  return date(member(object, at, key), at + key);
}

const Json& object(const Json& parent, const std::string& at, const char* key) {
  const auto& value = member(parent, at, key);
  if (!value.is_object()) bad(at + key, "holds " + kindOf(value) + ", not an object");
  return value;
}

std::optional<std::string> optionalText(const Json& details, const char* key) {
  auto it = details.find(key);
  if (it == details.end()) return std::nullopt;
  if (!it->is_string()) bad(std::string("action.") + key, "holds " + kindOf(*it) + ", not text");
  return it->get<std::string>();
}

std::optional<std::vector<std::string>> optionalList(const Json& details, const char* key) {
  auto it = details.find(key);
  if (it == details.end()) return std::nullopt;
  std::string at = std::string("action.") + key;
  if (!it->is_array()) bad(at, "holds " + kindOf(*it) + ", not a list of text");
  std::vector<std::string> list;
  for (const auto& item : *it) {
    if (!item.is_string()) bad(at, "holds a list with " + kindOf(item) + " in it, not only text");
    list.push_back(item.get<std::string>());
  }
  return list;
}

// An LA notification's actions taken: a list of {on, action, stage}.
std::vector<ActionTaken> actionsTaken(const Json& list) {
  if (!list.is_array()) bad("actions_taken", "holds " + kindOf(list) + ", not a list");
  std::vector<ActionTaken> actions;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string at = "actions_taken[" + std::to_string(i) + "]";
    if (!list[i].is_object()) bad(at, "holds " + kindOf(list[i]) + ", not an object");
    at += ".";
    actions.push_back(
        {date(list[i], at, "on"), text(list[i], at, "action"), text(list[i], at, "stage")});
  }
  return actions;
}

// The action details an event type cannot be sent without (the admission register's returns:
// the LA's form needs these dates and grounds). Any other type's details are optional.
std::vector<const char*> requiredActionKeys(const std::string& type) {
  if (type == "new_pupil") return {"admission_date", "due_on"};
  if (type == "deletion") return {"leaving_date", "deletion_ground", "destination"};
  return {};
}

}  // namespace

SinkAction SinkAction::fromDetails(Json details) {
  if (!details.is_object()) bad("action", "holds " + kindOf(details) + ", not an object");
  SinkAction action;
  action.categories = optionalList(details, "categories");
  action.alert = optionalList(details, "alert");
  action.assignee_role = optionalText(details, "assignee_role");
  action.due_on = optionalText(details, "due_on");
  action.text = optionalText(details, "text");
  action.admission_date = optionalText(details, "admission_date");
  action.leaving_date = optionalText(details, "leaving_date");
  action.deletion_ground = optionalText(details, "deletion_ground");
  action.destination = optionalText(details, "destination");
  action.details = std::move(details);
  return action;
}

SinkEvent SinkEvent::of(const Event& event) {
  return fromJson(event.toJson());
}

SinkEvent SinkEvent::fromJson(std::string_view payload) {
  auto json = Json::parse(payload, nullptr, false);
  if (json.is_discarded()) throw BadEventPayload("the payload is not JSON");
  if (!json.is_object()) throw BadEventPayload("the payload is not a JSON object");
  SinkEvent e;
  e.event_id = text(json, "", "event_id");
  e.rule = text(json, "", "rule");
  e.type = text(json, "", "type");
  if (e.type.empty()) bad("type", "is empty");
  e.episode = text(json, "", "episode");
  e.occurred_on = date(json, "", "occurred_on");
  const auto& period = object(json, "", "period");
  e.from = date(period, "period.", "from");
  e.to = date(period, "period.", "to");
  for (const auto& [code, n] : object(json, "", "sessions_by_code").items()) {
    if (!n.is_number_integer())
      bad("sessions_by_code." + code, "holds " + kindOf(n) + ", not a whole number");
    e.sessions_by_code[code] = n.get<int>();
  }
  const auto& percent = member(json, "", "attendance_percent");
  if (!percent.is_number())
    bad("attendance_percent", "holds " + kindOf(percent) + ", not a number");
  e.attendance_percent = percent.get<double>();
  e.summary = text(json, "", "summary");

  const auto& p = object(json, "", "pupil");
  const std::string at = "pupil.";
  e.pupil.upn = text(p, at, "upn");
  e.pupil.mis_id = text(p, at, "mis_id");
  e.pupil.forename = text(p, at, "forename");
  e.pupil.surname = text(p, at, "surname");
  if (const auto& dob = member(p, at, "dob"); !dob.is_null()) e.pupil.dob = date(dob, "pupil.dob");
  e.pupil.year = text(p, at, "year");
  e.pupil.reg_group = text(p, at, "reg_group");
  e.pupil.sen = flag(p, at, "sen");
  e.pupil.ehcp = flag(p, at, "ehcp");
  e.pupil.cla = flag(p, at, "cla");
  e.pupil.cp = flag(p, at, "cp");
  e.pupil.cin = flag(p, at, "cin");
  e.pupil.fsm = flag(p, at, "fsm");

  if (auto it = json.find("action"); it != json.end()) e.action = SinkAction::fromDetails(*it);
  if (auto it = json.find("actions_taken"); it != json.end()) e.actions_taken = actionsTaken(*it);
  if (auto it = json.find("digest"); it != json.end()) {
    if (!it->is_object()) bad("digest", "holds " + kindOf(*it) + ", not an object");
    const auto& pupils = member(*it, "digest.", "pupils");
    if (!pupils.is_array()) bad("digest.pupils", "holds " + kindOf(pupils) + ", not a list");
    for (const auto& p : pupils)
      if (!p.is_object()) bad("digest.pupils", "holds a list with " + kindOf(p) + " in it");
    e.digest = *it;
  }
  for (const char* key : requiredActionKeys(e.type))
    if (!e.action || !e.action->details.contains(key))
      bad(std::string("action.") + key, "is missing (a " + e.type + " return needs it)");
  return e;
}

Json SinkEvent::toJson() const {
  Json pupilJson = {
      {"upn", pupil.upn},
      {"mis_id", pupil.mis_id},
      {"forename", pupil.forename},
      {"surname", pupil.surname},
      {"dob", pupil.dob ? Json(pupil.dob->iso()) : Json()},
      {"year", pupil.year},
      {"reg_group", pupil.reg_group},
      {"sen", pupil.sen},
      {"ehcp", pupil.ehcp},
      {"cla", pupil.cla},
      {"cp", pupil.cp},
      {"cin", pupil.cin},
      {"fsm", pupil.fsm},
  };
  Json json = {
      {"event_id", event_id},
      {"rule", rule},
      {"type", type},
      {"episode", episode},
      {"occurred_on", occurred_on.iso()},
      {"period", {{"from", from.iso()}, {"to", to.iso()}}},
      {"sessions_by_code", sessions_by_code},
      {"attendance_percent", attendance_percent},
      {"summary", summary},
      {"pupil", pupilJson},
  };
  if (action) json["action"] = action->details;
  if (actions_taken) json["actions_taken"] = actionsTakenJson(*actions_taken);
  if (digest) json["digest"] = *digest;
  return json;
}

}  // namespace markbridge
