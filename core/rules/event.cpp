#include "core/rules/event.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/domain/digest.h"
#include "core/rules/actions_taken.h"

namespace markbridge {

std::string Event::makeId(std::string_view rule, std::string_view upn, std::string_view episode) {
  std::string key;
  key.append(rule).append("|").append(upn).append("|").append(episode);
  return "ev-" + sha256Hex(key).substr(0, 24);
}

std::string Event::toJson() const {
  nlohmann::json pupilJson = {
      {"upn", pupil.upn},
      {"mis_id", pupil.mis_id},
      {"forename", pupil.forename},
      {"surname", pupil.surname},
      {"dob", pupil.dob ? nlohmann::json(pupil.dob->iso()) : nlohmann::json()},
      {"year", pupil.year_group},
      {"reg_group", pupil.reg_group},
      {"sen", pupil.flags.sen},
      {"ehcp", pupil.flags.ehcp},
      {"cla", pupil.flags.cla},
      {"cp", pupil.flags.cp},
      {"cin", pupil.flags.cin},
      {"fsm", pupil.flags.fsm},
  };
  nlohmann::json json = {
      {"event_id", id},
      {"rule", rule},
      {"type", type},
      {"episode", episode},
      {"occurred_on", occurred_on.iso()},
      {"period", {{"from", from.iso()}, {"to", to.iso()}}},
      {"sessions_by_code", sessions_by_code},
      {"attendance_percent", std::round(attendance_percent * 10) / 10},
      {"summary", summary},
      {"pupil", pupilJson},
  };
  if (!action.empty()) json["action"] = nlohmann::json::parse(action);
  if (actions_taken) json["actions_taken"] = actionsTakenJson(*actions_taken);
  if (!digest.empty()) json["digest"] = nlohmann::json::parse(digest);
  // Text from the store is well-formed UTF-8 (core/store/sqlite_rows.h); should any not be, it is
  // written with U+FFFD rather than stopping the evaluation of every other pupil.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace markbridge
