#pragma once
// The evaluation's checkpoints on PostgreSQL (schema 8): packed (packed_entries.h: the key a
// UPN, the value its checkpoint), a row of evaluation_checkpoints holding up to 64 KB of a
// school's pupils' checkpoints (about 500 of them) in UPN order. A row covers the UPNs from its
// own first (first_upn) to the next row's first, so the pupils an evaluation batch keeps (500
// at a time, in UPN order) fall in one row or two, which are read, changed and written again
// whole: a few values instead of a row each (a thousand rows read and a thousand written again
// at every school's first sync of the day, about 9 ms of the server's time a school).

#include <string>
#include <unordered_map>
#include <vector>

#include "core/rules/event_lifecycle.h"
#include "core/store/postgres_db.h"

namespace markbridge {

// A row is closed once it holds this much; the next pupil starts the next row.
constexpr std::size_t kCheckpointRowBytes = 64 * 1024;

// Every checkpoint the school keeps, by UPN. A row that cannot be unpacked (broken by hand) is
// passed over, with a warning: its pupils are evaluated from the start of the calendar.
std::unordered_map<std::string, std::string> readCheckpoints(PgConnection& db,
                                                             const std::string& school);
// Inside the caller's transaction, under the school's write lock: each pupil's checkpoint kept,
// an empty one dropped (the last given for a pupil counts). Only the rows among whose UPNs the
// pupils fall are read and written again.
void keepCheckpoints(PgConnection& db, const std::string& school,
                     const std::vector<PupilEvaluated>& pupils,
                     std::size_t rowBytes = kCheckpointRowBytes);
// Writes `checkpoints` (in UPN order, none stored among them yet) as rows of `rowBytes`: what
// keepCheckpoints writes again, and what store copy writes.
void writeCheckpoints(PgConnection& db, const std::string& school,
                      const std::vector<std::pair<std::string_view, std::string_view>>& checkpoints,
                      std::size_t rowBytes = kCheckpointRowBytes);

}  // namespace markbridge
