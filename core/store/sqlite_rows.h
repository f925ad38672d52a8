#pragma once
// How pupils are laid out in SQLite rows, shared by the store and its import writer.

#include <cstdint>

#include "core/domain/pupil.h"
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
  return p;
}

}  // namespace markbridge
