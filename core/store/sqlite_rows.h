#pragma once
// How pupils are laid out in SQLite rows, shared by the store and its import writer.

#include <spdlog/spdlog.h>

#include <cstdint>

#include "core/domain/logging.h"
#include "core/domain/pupil.h"
#include "core/domain/upn.h"
#include "core/domain/utf8.h"
#include "core/rules/event_lifecycle.h"
#include "core/store/sqlite_db.h"

namespace markbridge {

inline int packFlags(const PupilFlags& f) {
  return f.sen | f.ehcp << 1 | f.cla << 2 | f.cp << 3 | f.cin << 4 | f.fsm << 5 | f.pp << 6;
}

inline PupilFlags unpackFlags(int64_t v) {
  return PupilFlags{(v & 1) != 0,  (v & 2) != 0,  (v & 4) != 0, (v & 8) != 0,
                    (v & 16) != 0, (v & 32) != 0, (v & 64) != 0};
}

constexpr const char* kPupilColumns =
    "upn, mis_id, forename, surname, dob, year_group, reg_group, flags";

// A pupil as stored. Text a store written by an older version holds as ill-formed UTF-8 is read
// with U+FFFD in place of the bad bytes and a warning naming the pupil by masked UPN, so one bad
// value never stops evaluation or delivery for the rest of the school (the next import of the
// pupil writes the text back well-formed).
// Makes every text field but the UPN (every source checks it is a UPN) well-formed UTF-8, U+FFFD
// for each ill-formed byte; the names of the fields repaired ("forename, surname"), or empty.
inline std::string repairPupilText(Pupil& pupil) {
  std::string repaired;
  for (auto [name, text] :
       {std::pair{"mis_id", &pupil.mis_id}, std::pair{"forename", &pupil.forename},
        std::pair{"surname", &pupil.surname}, std::pair{"year_group", &pupil.year_group},
        std::pair{"reg_group", &pupil.reg_group}})
    if (repairUtf8(*text) > 0) repaired += (repaired.empty() ? "" : ", ") + std::string(name);
  return repaired;
}

// A pupil's on-roll periods as stored (core/store/sqlite_schema.cpp, schema 6), from column
// `first` on: admitted ('' when not known), left_on, leaving_reason, destination.
constexpr const char* kOnRollColumns = "admitted, left_on, leaving_reason, destination";

inline OnRollPeriod readOnRollPeriod(const SqliteStatement& s, int first) {
  OnRollPeriod p;
  p.admitted = Date::parseIso(s.textView(first));
  if (!s.isNull(first + 1)) p.left = Date::parseIso(s.textView(first + 1));
  p.leaving_reason = s.text(first + 2);
  p.destination = s.text(first + 3);
  return p;
}

inline std::string onRollKey(const std::optional<Date>& admitted) {
  return admitted ? admitted->iso() : std::string();
}

inline Pupil readPupil(const SqliteStatement& s) {
  Pupil p;
  p.upn = s.text(0);
  p.mis_id = s.text(1);
  p.forename = s.text(2);
  p.surname = s.text(3);
  if (!s.isNull(4)) p.dob = Date::parseIso(s.text(4));
  p.year_group = s.text(5);
  p.reg_group = s.text(6);
  p.flags = unpackFlags(s.integer(7));
  if (auto fields = repairPupilText(p); !fields.empty())
    namedLogger("store")->warn(
        "pupil {}: {} in the store is not valid UTF-8 (written by an older version); read with "
        "U+FFFD in place of the bad bytes: correct it in the MIS and import the pupil again",
        maskUpn(p.upn), fields);
  return p;
}

// An event row's state: a text this version does not know (a newer version's store, or a
// hand edit) stops the reader naming the event, never read as another state.
inline EventState storedEventState(const std::string& eventId, std::string_view text) {
  auto state = eventStateFrom(text);
  if (!state)
    throw StoreError("event " + eventId + " in the store has the state '" + std::string(text) +
                     "', which this version does not know (events table, column state)");
  return *state;
}

}  // namespace markbridge
