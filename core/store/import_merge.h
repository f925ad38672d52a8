#pragma once
// What an import changes in a store, decided without a database: every backend's import writer
// (sqlite_import.cpp, postgres_import.cpp) reads the stored rows, asks these, and only binds the
// answer. The store decides nothing of its own (docs/extending.md, "A store backend").

#include <optional>
#include <string>
#include <vector>

#include "core/domain/on_roll.h"
#include "core/domain/pupil.h"

namespace markbridge {

// A pupil as the store is to hold them after an import.
struct PupilMerge {
  Pupil merged;
  bool changed = false;  // differs from what the store held (or the pupil is new)
  std::string repaired;  // the fields that were not valid UTF-8 ("forename, surname"), or empty
};

// A file that leaves a detail out keeps what the store knew; flags are replaced only when the
// source states them (`sourceStatesFlags`). Every connector hands on well-formed UTF-8; should
// one not, the text is repaired (U+FFFD) so the store never keeps text that cannot be written
// out as JSON (and PostgreSQL, which refuses it, still takes the import).
PupilMerge mergePupil(const std::optional<Pupil>& existing, const Pupil& incoming,
                      bool sourceStatesFlags);

// One change to a pupil's on-roll periods: `now` replaces the period admitted on the same date
// (`was`, when there is one) or is added.
struct OnRollPlan {
  OnRollPeriod now;
  std::optional<OnRollPeriod> was;
};

// A record laid over the pupil's stored periods: the period with the same admission date is
// amended (a leaving date set, moved or, from a source that states leaving dates, withdrawn), or
// a new period is added. A record with a leaving date but no admission date (a census leaver)
// closes the latest period admitted on or before it. Nothing when the record changes nothing.
std::optional<OnRollPlan> planOnRoll(const std::vector<OnRollPeriod>& stored,
                                     const OnRollRecord& record);

}  // namespace markbridge
