#pragma once
// How pupils, on-roll periods and event states are laid out in a store's rows, shared by every
// backend (SQLite, PostgreSQL) and their import writers. `Row` is a backend's statement
// (SqliteStatement, PgStatement): text(), textView(), integer() and isNull() of a column.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/domain/attendance_totals.h"
#include "core/domain/logging.h"
#include "core/domain/pupil.h"
#include "core/domain/upn.h"
#include "core/domain/utf8.h"
#include "core/outbox/outbox_item.h"
#include "core/rules/event_lifecycle.h"
#include "core/store/event_store.h"
#include "core/store/store_error.h"

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

template <typename Row>
OnRollPeriod readOnRollPeriod(const Row& s, int first) {
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

template <typename Row>
Pupil readPupil(const Row& s) {
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

// An outbox row, read from the columns kOutboxColumns lists, in that order.
constexpr const char* kOutboxColumns =
    "seq, key, sink, event_id, upn, kind, payload, state, attempts, created_at, next_attempt_at, "
    "last_error, reference, response, finished_at";

template <typename Row>
OutboxItem readOutbox(const Row& s) {
  OutboxItem item;
  item.seq = s.integer(0);
  item.key = s.text(1);
  item.sink = s.text(2);
  item.event_id = s.text(3);
  item.upn = s.text(4);
  // A kind or a state this version does not know is never guessed at. An unknown state (only
  // a hand-edited or newer store has one) stops whoever reads the row, naming it; an unknown
  // kind leaves the row readable so the delivery worker can dead-letter that one item with the
  // reason (outbox_item.h) while the rest of the school's items go on.
  auto state = outboxStateFrom(s.textView(7));
  if (!state)
    throw StoreError("outbox item " + std::to_string(item.seq) + " in the store has the state '" +
                     s.text(7) +
                     "', which this version does not know (outbox table, column state): correct "
                     "the row or restore the store from its backup");
  item.state = *state;
  if (auto kind = outboxKindFrom(s.textView(5)))
    item.kind = *kind;
  else
    item.unreadable = "outbox item " + std::to_string(item.seq) + " in the store has the kind '" +
                      s.text(5) +
                      "', which this version does not know (outbox table, column kind): it "
                      "was not sent";
  item.payload = s.text(6);
  item.attempts = static_cast<int>(s.integer(8));
  item.created_at = s.integer(9);
  item.next_attempt_at = s.integer(10);
  item.last_error = s.text(11);
  item.reference = s.text(12);
  item.response = s.text(13);
  item.finished_at = s.isNull(14) ? 0 : s.integer(14);
  // Error text and references come from other systems' answers; a store written by an older
  // version may hold them ill-formed. Read well-formed, they can always be shown as JSON.
  for (auto* text : {&item.last_error, &item.reference, &item.response}) repairUtf8(*text);
  if (repairUtf8(item.payload) > 0)
    namedLogger("store")->warn(
        "outbox item {}: its payload in the store is not valid UTF-8; sent "
        "with U+FFFD in place of the bad bytes",
        item.seq);
  return item;
}

// An item dueOutbox gives: the columns kOutboxColumns lists, then whether a later pending item
// of its pupil and sink waits behind it.
template <typename Row>
OutboxItem readDueOutbox(const Row& s) {
  OutboxItem item = readOutbox(s);
  item.more_in_line = s.integer(15) != 0;  // the column after kOutboxColumns' fifteen
  return item;
}

// An event row as the lifecycle planner reads it (core/rules/event_lifecycle.h), from the columns
// id, state, rule, type, upn, period_from, period_to, record_of, revision, occurred_on in that
// order. A date that is not one stops the reader naming the event and the column.
template <typename Row>
Date storedEventDate(const Row& s, int column, const std::string& id) {
  auto text = s.textView(column);
  auto date = Date::parseIso(text);
  if (!date)
    throw StoreError("event " + id + " in the store has '" + std::string(text) +
                     "' where a date belongs (events table, column " + std::to_string(column) +
                     ")");
  return *date;
}

template <typename Row>
RecordedEvent readRecordedEvent(const Row& s) {
  RecordedEvent r;
  r.id = s.text(0);
  r.state = storedEventState(r.id, s.textView(1));
  r.rule = s.text(2);
  r.type = s.text(3);
  r.upn = s.text(4);
  r.from = storedEventDate(s, 5, r.id);
  r.to = storedEventDate(s, 6, r.id);
  r.record_of = s.text(7);
  r.revision = s.integer(8);
  r.occurred_on = storedEventDate(s, 9, r.id);
  return r;
}

// A census total as stored, from the columns kTotalsColumns lists, in that order.
constexpr const char* kTotalsColumns =
    "source, upn, period, period_from, period_to, possible, authorised, unauthorised, by_reason";

template <typename Row>
AttendanceTotals readAttendanceTotals(const Row& s) {
  AttendanceTotals t;
  t.source = s.text(0);
  t.upn = s.text(1);
  t.period = s.text(2);
  if (!s.isNull(3)) t.from = Date::parseIso(s.text(3));
  if (!s.isNull(4)) t.to = Date::parseIso(s.text(4));
  t.possible = static_cast<int>(s.integer(5));
  t.authorised = static_cast<int>(s.integer(6));
  t.unauthorised = static_cast<int>(s.integer(7));
  auto reasons = nlohmann::json::parse(s.textView(8), nullptr, false);
  if (reasons.is_object())
    for (const auto& [code, n] : reasons.items()) t.by_reason[code] = n.template get<int>();
  return t;
}

// The columns a pupil's history is read with, in this order: "id, state, rule, type,
// period_from, period_to, record_of, revision, occurred_on, payload, created_at, updated_at".
constexpr const char* kHistoryColumns =
    "id, state, rule, type, period_from, period_to, record_of, revision, occurred_on, payload, "
    "created_at, updated_at";

// One row of kHistoryColumns as the pupil's history holds it.
template <typename Row>
EventHistory readEventHistory(const Row& events, std::string upn) {
  auto date = [](std::string_view text) { return Date::parseIso(text).value_or(Date()); };
  EventHistory h;
  auto& e = h.event;
  e.id = events.text(0);
  e.state = storedEventState(e.id, events.textView(1));
  e.rule = events.text(2);
  e.type = events.text(3);
  e.upn = std::move(upn);
  e.from = date(events.textView(4));
  e.to = date(events.textView(5));
  e.record_of = events.text(6);
  e.revision = events.integer(7);
  e.occurred_on = date(events.textView(8));
  h.payload = events.text(9);
  nlohmann::json payload = nlohmann::json::parse(h.payload, nullptr, false);
  if (payload.is_object() && payload.contains("summary") && payload["summary"].is_string())
    h.summary = payload["summary"].get<std::string>();
  h.created_at = events.integer(10);
  h.updated_at = events.integer(11);
  return h;
}

}  // namespace markbridge
