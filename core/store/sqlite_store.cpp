#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/domain/utf8.h"
#include "core/store/console_reads.h"
#include "core/store/import_catalogue.h"
#include "core/store/register_week.h"
#include "core/store/sqlite_db.h"
#include "core/store/sqlite_evaluation.h"
#include "core/store/sqlite_import.h"
#include "core/store/sqlite_rows.h"
#include "core/store/sqlite_schema.h"
#include "core/store/store.h"

namespace markbridge {
namespace {

// The on_roll table read once in UPN order beside the pupils table (also in UPN order): each
// pupil's periods without a lookup per pupil.
class OnRollCursor {
 public:
  explicit OnRollCursor(SqliteDb& db)
      : rows_(db.handle(), std::string("SELECT upn, ") + kOnRollColumns +
                               " FROM on_roll ORDER BY upn, admitted") {
    more_ = rows_.step();
  }
  // Only the pupils after `after`, up to and including `last`.
  OnRollCursor(SqliteDb& db, const std::string& after, const std::string& last)
      : rows_(db.handle(), std::string("SELECT upn, ") + kOnRollColumns +
                               " FROM on_roll WHERE upn>?1 AND upn<=?2 ORDER BY upn, admitted") {
    rows_.bind(1, after).bind(2, last);
    more_ = rows_.step();
  }
  void fill(Pupil& pupil) {
    while (more_ && rows_.textView(0) < pupil.upn) more_ = rows_.step();  // periods of no pupil
    for (; more_ && rows_.textView(0) == pupil.upn; more_ = rows_.step())
      pupil.on_roll.push_back(readOnRollPeriod(rows_, 1));
  }

 private:
  SqliteStatement rows_;
  bool more_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::string& path) : db_(path) { migrateSqliteSchema(db_); }

  bool alreadyImported(const std::string& source, const std::string& fingerprint) override {
    SqliteStatement seen(db_.handle(), "SELECT 1 FROM imports WHERE source=?1 AND fingerprint=?2");
    seen.bind(1, source).bind(2, fingerprint);
    return seen.step();
  }

  std::unique_ptr<ImportWriter> beginImport(int64_t now) override {
    return makeSqliteImportWriter(db_, now);
  }

  void setSourceState(const std::string& source, const std::string& key, const std::string& value,
                      int64_t now) override {
    SqliteStatement s(db_.handle(),
                      "INSERT OR REPLACE INTO source_state(source, key, value, updated_at) "
                      "VALUES(?1,?2,?3,?4)");
    s.bind(1, source).bind(2, key).bind(3, value).bind(4, now).run();
  }

  std::optional<std::string> sourceState(const std::string& source,
                                         const std::string& key) override {
    SqliteStatement s(db_.handle(), "SELECT value FROM source_state WHERE source=?1 AND key=?2");
    s.bind(1, source).bind(2, key);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  }

  std::vector<RegisterNotTaken> registersNotTaken(int limit) override {
    std::vector<RegisterNotTaken> gaps;
    SqliteStatement s(db_.handle(),
                      "SELECT day, session, COUNT(*) FROM registers_not_taken GROUP BY day, "
                      "session ORDER BY day DESC, session DESC LIMIT ?1");
    s.bind(1, int64_t{limit});
    while (s.step())
      gaps.push_back({Date::fromDays(static_cast<int32_t>(s.integer(0))),
                      s.integer(1) ? Session::PM : Session::AM, static_cast<int>(s.integer(2))});
    return gaps;
  }

  std::vector<AttendanceTotals> attendanceTotals() override {
    std::vector<AttendanceTotals> all;
    SqliteStatement s(db_.handle(), std::string("SELECT ") + kTotalsColumns +
                                        " FROM attendance_totals ORDER BY upn, period");
    while (s.step()) all.push_back(readAttendanceTotals(s));
    return all;
  }

  std::vector<std::pair<std::string, std::string>> pupilIds() override {
    std::vector<std::pair<std::string, std::string>> ids;
    SqliteStatement all(db_.handle(), "SELECT upn, mis_id FROM pupils");
    while (all.step()) ids.emplace_back(all.text(0), all.text(1));
    return ids;
  }

  std::optional<Pupil> pupil(const std::string& upn) override {
    SqliteStatement s(db_.handle(),
                      std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE upn=?1");
    s.bind(1, upn);
    if (!s.step()) return std::nullopt;
    Pupil p = readPupil(s);
    SqliteStatement roll(db_.handle(), std::string("SELECT ") + kOnRollColumns +
                                           " FROM on_roll WHERE upn=?1 ORDER BY admitted");
    roll.bind(1, upn);
    while (roll.step()) p.on_roll.push_back(readOnRollPeriod(roll, 0));
    return p;
  }

  std::map<std::string, std::vector<int64_t>> rollListingsMissed(
      const std::vector<std::string>& sources) override {
    std::map<std::string, std::vector<int64_t>> missed;
    if (sources.empty()) return missed;
    // The sources as a JSON array (json_each): any number of names, bound as one parameter.
    std::string names = nlohmann::json(sources).dump();
    SqliteStatement s(db_.handle(),
                      "WITH src AS (SELECT value AS name FROM json_each(?1)), "
                      "syncs AS (SELECT DISTINCT listed_at FROM roll_listings "
                      "  WHERE source IN (SELECT name FROM src)), "
                      // Only pupils the latest listing did not name are joined with the syncs.
                      "last AS (SELECT upn, MAX(seen_at) AS seen FROM roll_seen "
                      "  WHERE source IN (SELECT name FROM src) GROUP BY upn "
                      "  HAVING MAX(seen_at) < (SELECT MAX(listed_at) FROM syncs)) "
                      "SELECT last.upn, syncs.listed_at FROM last JOIN syncs "
                      "ON syncs.listed_at > last.seen ORDER BY last.upn, syncs.listed_at");
    s.bind(1, names);
    while (s.step()) missed[s.text(0)].push_back(s.integer(1));
    return missed;
  }

  std::vector<OnRollChange> onRollChanges(const std::string& upn) override {
    SqliteStatement s(db_.handle(),
                      "SELECT admitted, old_left, new_left, old_reason, new_reason, "
                      "old_destination, new_destination, change, source, changed_at FROM "
                      "on_roll_changes WHERE upn=?1 ORDER BY id");
    s.bind(1, upn);
    std::vector<OnRollChange> list;
    auto date = [&](int c) { return s.isNull(c) ? std::nullopt : Date::parseIso(s.textView(c)); };
    while (s.step())
      list.push_back(OnRollChange{upn, Date::parseIso(s.textView(0)), date(1), date(2), s.text(3),
                                  s.text(4), s.text(5), s.text(6), s.text(7), s.text(8),
                                  s.integer(9)});
    return list;
  }

  void forEachRegister(
      const std::function<void(const Pupil&, const std::vector<Mark>&)>& visit) override {
    SqliteStatement pupils(db_.handle(),
                           std::string("SELECT ") + kPupilColumns + " FROM pupils ORDER BY upn");
    SqliteStatement weeks(db_.handle(),
                          "SELECT week, codes, imports, extras FROM register_weeks WHERE upn=?1 "
                          "ORDER BY week");
    ImportCatalogue catalogue(db_);
    std::vector<Mark> list;
    OnRollCursor roll(db_);
    while (pupils.step()) {
      Pupil p = readPupil(pupils);
      roll.fill(p);
      list.clear();
      weeks.bind(1, p.upn);
      while (weeks.step()) {
        Date monday = Date::fromDays(static_cast<int32_t>(weeks.integer(0)));
        auto week = RegisterWeek::decode(weeks.blob(1), weeks.blob(2), weeks.blob(3));
        for (int i = 0; i < RegisterWeek::kSlots; ++i) {
          const auto& slot = week.slots[static_cast<std::size_t>(i)];
          if (slot.empty()) continue;
          const auto& from = catalogue.at(slot.import);
          Mark m;
          m.upn = p.upn;
          m.date = monday + i / 2;
          m.session = i % 2 ? Session::PM : Session::AM;
          m.code = codeOfSlot(slot.code);
          m.source = from.source;
          m.source_code = slot.source_code.empty() ? std::string(m.code.str()) : slot.source_code;
          m.recorded_at = from.imported_at;
          m.minutes_late = slot.minutes_late;
          list.push_back(std::move(m));
        }
      }
      weeks.reset();
      visit(p, list);
    }
  }

  void forEachPupilRegister(
      const SchoolCalendar& calendar,
      const std::function<void(const Pupil&, const PupilRegister&)>& visit) override {
    // A chunk of pupils at a time, each read whole in one pass over each table in UPN order
    // (merged: no lookup per pupil), its statements finished before its pupils are visited. A
    // visitor that writes (the evaluation commits a batch every 500 pupils) then leaves no read
    // snapshot open behind it, so the write-ahead log is checkpointed as it goes instead of
    // growing through a whole authority's evaluation and slowing every read.
    constexpr int64_t kChunk = 512;
    std::string after;  // the last UPN read ("" before the first)
    std::vector<std::pair<Pupil, PupilRegister>> chunk;
    while (true) {
      chunk.clear();
      {
        SqliteStatement pupils(db_.handle(), std::string("SELECT ") + kPupilColumns +
                                                 " FROM pupils WHERE upn>?1 ORDER BY upn LIMIT ?2");
        pupils.bind(1, after).bind(2, kChunk);
        while (pupils.step()) chunk.emplace_back(readPupil(pupils), PupilRegister(calendar));
        if (chunk.empty()) return;
        const std::string& last = chunk.back().first.upn;
        SqliteStatement weeks(db_.handle(),
                              "SELECT upn, week, codes FROM register_weeks WHERE upn>?1 AND "
                              "upn<=?2 AND week>=?3 AND week<=?4 ORDER BY upn, week");
        weeks.bind(1, after).bind(2, last);
        weeks.bind(3, int64_t{calendar.first().monday().days()});
        weeks.bind(4, int64_t{calendar.last().days()});
        bool more = weeks.step();
        OnRollCursor roll(db_, after, last);
        for (auto& [p, reg] : chunk) {
          roll.fill(p);
          while (more && weeks.textView(0) < p.upn) more = weeks.step();  // weeks of no pupil
          for (; more && weeks.textView(0) == p.upn; more = weeks.step())
            setWeekCodes(reg, Date::fromDays(static_cast<int32_t>(weeks.integer(1))),
                         weeks.blob(2));
        }
      }
      after = chunk.back().first.upn;
      for (const auto& [p, reg] : chunk) visit(p, reg);
    }
  }

  std::vector<Amendment> amendments(const std::string& upn) override {
    SqliteStatement s(db_.handle(),
                      "SELECT date, session, old_code, new_code, old_source, new_source, "
                      "amended_at FROM amendments WHERE upn=?1 ORDER BY id");
    s.bind(1, upn);
    std::vector<Amendment> list;
    while (s.step())
      list.push_back(Amendment{upn, *Date::parseIso(s.text(0)),
                               s.integer(1) == 0 ? Session::AM : Session::PM, s.text(2), s.text(3),
                               s.text(4), s.text(5), s.integer(6)});
    return list;
  }

  std::unordered_map<std::string, std::string> evaluationCheckpoints() override {
    std::unordered_map<std::string, std::string> out;
    SqliteStatement s(db_.handle(), "SELECT upn, data FROM evaluation_checkpoints");
    while (s.step()) {
      out.emplace(s.text(0), std::string(s.blob(1)));
    }
    return out;
  }

  std::unique_ptr<EvaluationWriter> beginEvaluation() override {
    return makeSqliteEvaluationWriter(db_);
  }

  std::vector<EventHistory> eventHistory(const std::string& upn) override {
    SqliteStatement events(db_.handle(), std::string("SELECT ") + kHistoryColumns +
                                             " FROM events WHERE upn=?1 ORDER BY occurred_on, "
                                             "created_at, id");
    events.bind(1, upn);
    std::vector<EventHistory> list;
    std::unordered_map<std::string, std::size_t> byId;
    while (events.step()) {
      auto h = readEventHistory(events, upn);
      byId.emplace(h.event.id, list.size());
      list.push_back(std::move(h));
    }
    // The pupil's items through the (sink, upn, ...) index, one sink at a time. The sinks are
    // found by seeking from one to the next in that index (a few seeks), never by reading the
    // whole outbox: this runs for each pupil with an LA notification in every evaluation, and
    // a scan per pupil made a large authority's evaluation grow with the square of its size.
    SqliteStatement items(db_.handle(),
                          std::string("WITH RECURSIVE sinks(sink) AS (SELECT MIN(sink) FROM outbox "
                                      "UNION ALL SELECT (SELECT MIN(sink) FROM outbox WHERE "
                                      "sink>sinks.sink) FROM sinks WHERE sinks.sink IS NOT NULL) "
                                      "SELECT ") +
                              kOutboxColumns +
                              " FROM outbox WHERE sink IN (SELECT sink FROM sinks WHERE sink IS "
                              "NOT NULL) AND upn=?1 ORDER BY seq");
    items.bind(1, upn);
    while (items.step()) {
      auto item = readOutbox(items);
      if (auto at = byId.find(item.event_id); at != byId.end())
        list[at->second].deliveries.push_back(std::move(item));
    }
    return list;
  }

  // One pupil's part of forEachPupilRegister.
  bool visitPupilRegister(const SchoolCalendar& calendar, const std::string& upn,
                          const std::function<void(const Pupil&, const PupilRegister&)>& visit) {
    auto p = pupil(upn);
    if (!p) return false;
    SqliteStatement weeks(db_.handle(),
                          "SELECT week, codes FROM register_weeks WHERE upn=?1 AND week>=?2 AND "
                          "week<=?3 ORDER BY week");
    weeks.bind(1, upn);
    weeks.bind(2, int64_t{calendar.first().monday().days()});
    weeks.bind(3, int64_t{calendar.last().days()});
    PupilRegister reg(calendar);
    while (weeks.step())
      setWeekCodes(reg, Date::fromDays(static_cast<int32_t>(weeks.integer(0))), weeks.blob(1));
    visit(*p, reg);
    return true;
  }

  // The same as eventHistory() for every pupil, in two passes (events, then outbox items).
  std::map<std::string, std::vector<EventHistory>> everyEventHistory() {
    SqliteStatement events(db_.handle(), std::string("SELECT ") + kHistoryColumns +
                                             ", upn FROM events ORDER BY upn, occurred_on, "
                                             "created_at, id");
    std::map<std::string, std::vector<EventHistory>> all;
    std::unordered_map<std::string, std::pair<std::string, std::size_t>> byId;
    while (events.step()) {
      auto h = readEventHistory(events, events.text(12));
      auto& list = all[h.event.upn];
      byId.emplace(h.event.id, std::make_pair(h.event.upn, list.size()));
      list.push_back(std::move(h));
    }
    SqliteStatement items(db_.handle(),
                          std::string("SELECT ") + kOutboxColumns + " FROM outbox ORDER BY seq");
    while (items.step()) {
      auto item = readOutbox(items);
      if (auto at = byId.find(item.event_id); at != byId.end())
        all[at->second.first][at->second.second].deliveries.push_back(std::move(item));
    }
    return all;
  }

  // Pending items not waiting behind an earlier pending item for the same pupil and sink.
  static constexpr const char* kReady =
      "state='pending' AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.sink=o.sink AND "
      "p.upn=o.upn AND p.state='pending' AND p.seq<o.seq)";

  // Items under way are passed over as they are read (as many more are read).
  std::vector<OutboxItem> dueOutbox(int64_t now, int limit,
                                    const std::set<int64_t>& underWay) override {
    SqliteStatement s(db_.handle(),
                      std::string("SELECT ") + kOutboxColumns +
                          ", EXISTS (SELECT 1 FROM outbox p WHERE p.sink=o.sink AND p.upn=o.upn "
                          "AND p.state='pending' AND p.seq>o.seq) FROM outbox o WHERE "
                          "next_attempt_at<=?1 AND " +
                          kReady + " ORDER BY seq LIMIT ?2");
    s.bind(1, now).bind(2, int64_t{limit} + static_cast<int64_t>(underWay.size()));
    std::vector<OutboxItem> items;
    while (static_cast<int>(items.size()) < limit && s.step()) {
      if (underWay.count(s.integer(0))) continue;
      items.push_back(readDueOutbox(s));
    }
    return items;
  }

  std::optional<int64_t> nextOutboxDue() override {
    SqliteStatement s(db_.handle(),
                      std::string("SELECT MIN(next_attempt_at) FROM outbox o WHERE ") + kReady);
    if (!s.step() || s.isNull(0)) return std::nullopt;
    return s.integer(0);
  }

  std::vector<OutboxItem> outbox(std::optional<OutboxState> state, int limit) override {
    SqliteStatement s(db_.handle(), std::string("SELECT ") + kOutboxColumns +
                                        " FROM outbox WHERE ?1 IS NULL OR state=?1 ORDER BY seq "
                                        "LIMIT ?2");
    if (state)
      s.bind(1, toString(*state));
    else
      s.bindNull(1);
    s.bind(2, int64_t{limit});
    std::vector<OutboxItem> items;
    while (s.step()) items.push_back(readOutbox(s));
    return items;
  }

  // A discard made while an attempt was under way (discardOutbox) stands when that attempt is
  // refused or retried; an attempt the destination accepted ends delivered all the same.
  void recordDelivered(int64_t seq, const std::string& reference, int64_t now) override {
    SqliteStatement s(db_.handle(),
                      "UPDATE outbox SET state='delivered', attempts=attempts+1, reference=?2, "
                      "finished_at=?3, last_error='' WHERE seq=?1");
    s.bind(1, seq).bind(2, reference).bind(3, now).run();
  }

  void recordRetry(int64_t seq, int attempts, int64_t nextAttemptAt,
                   const std::string& error) override {
    SqliteStatement s(
        db_.handle(),
        "UPDATE outbox SET attempts=?2, next_attempt_at=?3, last_error=?4 WHERE seq=?1 AND "
        "state<>'discarded'");
    s.bind(1, seq).bind(2, int64_t{attempts}).bind(3, nextAttemptAt).bind(4, error).run();
  }

  void recordRejected(int64_t seq, int attempts, const std::string& error, int64_t now,
                      const std::string& response) override {
    SqliteStatement s(db_.handle(),
                      "UPDATE outbox SET state=CASE WHEN state='discarded' THEN state ELSE "
                      "'rejected' END, attempts=?2, last_error=CASE WHEN state='discarded' THEN "
                      "last_error ELSE ?3 END, finished_at=?4, response=?5 WHERE seq=?1");
    s.bind(1, seq).bind(2, int64_t{attempts}).bind(3, error).bind(4, now).bind(5, response).run();
  }

  void recordTogether(const std::function<void()>& writes) override {
    Transaction transaction(db_);
    writes();
    transaction.commit();
  }

  int queueOutbox(const std::vector<OutboxEntry>& entries, int64_t now) override {
    SqliteStatement queue(db_.handle(),
                          "INSERT OR IGNORE INTO outbox(key, sink, event_id, upn, kind, payload, "
                          "state, created_at, next_attempt_at) "
                          "VALUES(?1,?2,?3,?4,?5,?6,'pending',?7,?7)");
    int queued = 0;
    for (const auto& item : entries) {
      queue.bind(1, item.key).bind(2, item.sink).bind(3, item.event_id).bind(4, item.upn);
      queue.bind(5, toString(item.kind)).bind(6, item.payload ? *item.payload : std::string());
      queue.bind(7, now).run();
      queued += db_.changes();
    }
    return queued;
  }

  std::optional<OutboxItem> outboxItem(int64_t seq) override {
    SqliteStatement s(db_.handle(),
                      std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE seq=?1");
    s.bind(1, seq);
    if (!s.step()) return std::nullopt;
    return readOutbox(s);
  }

  bool retryOutbox(int64_t seq, int64_t now) override {
    // A dead letter starts again; a pending item keeps its attempts and is due now.
    SqliteStatement s(db_.handle(),
                      "UPDATE outbox SET attempts=CASE WHEN state='pending' THEN attempts ELSE 0 "
                      "END, created_at=CASE WHEN state='pending' THEN created_at ELSE ?2 END, "
                      "state='pending', next_attempt_at=?2, finished_at=NULL WHERE seq=?1 AND "
                      "state IN ('pending','rejected','discarded')");
    s.bind(1, seq).bind(2, now).run();
    return db_.changes() > 0;
  }

  int retrySinkPending(const std::string& sink, int64_t now) override {
    SqliteStatement s(db_.handle(),
                      "UPDATE outbox SET next_attempt_at=?2 WHERE sink=?1 AND state='pending' "
                      "AND next_attempt_at>?2");
    s.bind(1, sink).bind(2, now).run();
    return db_.changes();
  }

  bool discardOutbox(int64_t seq, int64_t now, const std::string& why) override {
    SqliteStatement s(db_.handle(),
                      "UPDATE outbox SET state='discarded', finished_at=?2, "
                      "last_error=CASE WHEN last_error='' THEN ?3 ELSE last_error || '; ' || ?3 "
                      "END WHERE seq=?1 AND state IN ('pending','rejected')");
    s.bind(1, seq).bind(2, now).bind(3, why).run();
    return db_.changes() > 0;
  }

  std::vector<SinkOutboxStats> outboxBySink() override {
    SqliteStatement s(db_.handle(),
                      "SELECT sink, SUM(state='pending'), SUM(state='delivered'), "
                      "SUM(state='rejected'), SUM(state='discarded'), "
                      "SUM(MAX(attempts-1,0)), MIN(CASE WHEN state='pending' THEN created_at END) "
                      "FROM outbox GROUP BY sink ORDER BY sink");
    std::vector<SinkOutboxStats> out;
    while (s.step())
      out.push_back(SinkOutboxStats{s.text(0), static_cast<int>(s.integer(1)),
                                    static_cast<int>(s.integer(2)), static_cast<int>(s.integer(3)),
                                    static_cast<int>(s.integer(4)), s.integer(5),
                                    s.isNull(6) ? 0 : s.integer(6)});
    return out;
  }

  std::vector<std::string> deliveredEventIds() override {
    SqliteStatement q(db_.handle(),
                      "SELECT DISTINCT event_id FROM outbox WHERE state='delivered' AND "
                      "kind='notify'");
    std::vector<std::string> ids;
    while (q.step()) ids.push_back(q.text(0));
    return ids;
  }

  std::string deliveredReference(const std::string& eventId, const std::string& sink) override {
    SqliteStatement s(db_.handle(),
                      "SELECT reference FROM outbox WHERE sink=?2 AND kind='notify' AND "
                      "state='delivered' AND event_id=(SELECT record_of FROM events WHERE id=?1) "
                      "ORDER BY seq DESC LIMIT 1");
    s.bind(1, eventId).bind(2, sink);
    return s.step() ? s.text(0) : std::string();
  }

  StoreStatus status() override {
    StoreStatus st;
    auto scalar = [&](const char* sql) {
      SqliteStatement s(db_.handle(), sql);
      return s.step() ? s.integer(0) : 0;
    };
    st.pupils = static_cast<int>(scalar("SELECT COUNT(*) FROM pupils"));
    st.marks = scalar("SELECT value FROM register_totals WHERE key='marks'");
    st.marks_not_taken = scalar("SELECT COUNT(*) FROM registers_not_taken");
    st.amendments = scalar("SELECT COUNT(*) FROM amendments");
    st.imports = static_cast<int>(scalar("SELECT COUNT(*) FROM imports"));
    st.active_events = static_cast<int>(scalar("SELECT COUNT(*) FROM events WHERE state='active'"));
    st.oldest_pending_at =
        scalar("SELECT COALESCE(MIN(created_at),0) FROM outbox WHERE state='pending'");
    SqliteStatement last(db_.handle(),
                         "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', MAX(imported_at), 'unixepoch') "
                         "FROM imports");
    if (last.step() && !last.isNull(0)) st.last_import_at = last.text(0);
    SqliteStatement bySource(db_.handle(),
                             "SELECT source, strftime('%Y-%m-%dT%H:%M:%SZ', MAX(imported_at), "
                             "'unixepoch') FROM imports GROUP BY source");
    while (bySource.step()) st.last_import_by_source[bySource.text(0)] = bySource.text(1);
    st.outbox_by_state = outboxCounts();
    return st;
  }

  OnRollSummary onRollSummary(Date today, Date from, Date to) override {
    OnRollSummary r;
    auto count = [&](const char* sql, Date a, std::optional<Date> b = std::nullopt) {
      SqliteStatement s(db_.handle(), sql);
      s.bind(1, a.iso());
      if (b) s.bind(2, b->iso());
      return s.step() ? static_cast<int>(s.integer(0)) : 0;
    };
    r.on_roll = count(
        "SELECT COUNT(DISTINCT upn) FROM on_roll WHERE (admitted='' OR admitted<=?1) AND "
        "(left_on IS NULL OR left_on>=?1)",
        today);
    SqliteStatement without(
        db_.handle(), "SELECT COUNT(*) FROM pupils WHERE upn NOT IN (SELECT upn FROM on_roll)");
    if (without.step()) r.without_roll = static_cast<int>(without.integer(0));
    r.joined = count(
        "SELECT COUNT(*) FROM on_roll WHERE admitted<>'' AND admitted BETWEEN ?1 AND ?2", from, to);
    r.left = count("SELECT COUNT(*) FROM on_roll WHERE left_on BETWEEN ?1 AND ?2", from, to);
    SqliteStatement waiting(
        db_.handle(),
        "SELECT e.type, COUNT(*), MIN(json_extract(e.payload, '$.action.due_on')) FROM events e "
        "WHERE e.state='active' AND e.type IN ('new_pupil','deletion','missing_education') AND "
        "(NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id=e.id) OR EXISTS (SELECT 1 FROM "
        "outbox o WHERE o.event_id=e.id AND o.state<>'delivered')) GROUP BY e.type");
    while (waiting.step()) {
      r.waiting[waiting.text(0)] = static_cast<int>(waiting.integer(1));
      if (waiting.text(0) == "new_pupil" && !waiting.isNull(2)) r.earliest_due = waiting.text(2);
    }
    SqliteStatement tasks(db_.handle(),
                          "SELECT COUNT(*) FROM events WHERE state='active' AND "
                          "rule='admission_register.deletion_details_missing'");
    if (tasks.step()) r.office_tasks = static_cast<int>(tasks.integer(0));
    SqliteStatement vanished(db_.handle(),
                             "SELECT COUNT(DISTINCT upn) FROM events WHERE state='active' AND "
                             "rule='missing_education.vanished'");
    if (vanished.step()) r.vanished = static_cast<int>(vanished.integer(0));
    return r;
  }

  std::map<std::string, int> outboxCounts() override {
    std::map<std::string, int> counts;
    SqliteStatement states(db_.handle(), "SELECT state, COUNT(*) FROM outbox GROUP BY state");
    while (states.step()) counts[states.text(0)] = static_cast<int>(states.integer(1));
    return counts;
  }

 private:
  SqliteDb db_;
};

}  // namespace

void copySqliteStore(const std::string& from, const std::string& to) {
  SqliteDb db(from);
  SqliteStatement copy(db.handle(), "VACUUM INTO ?1");
  copy.bind(1, to);
  copy.run();
}

std::unique_ptr<Store> openSqliteStore(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

bool visitPupilRegister(Store& store, const SchoolCalendar& calendar, const std::string& upn,
                        const std::function<void(const Pupil&, const PupilRegister&)>& visit) {
  if (auto* sqlite = dynamic_cast<SqliteStore*>(&store))
    return sqlite->visitPupilRegister(calendar, upn, visit);
  bool found = false;
  store.forEachPupilRegister(calendar, [&](const Pupil& p, const PupilRegister& reg) {
    if (p.upn != upn) return;
    found = true;
    visit(p, reg);
  });
  return found;
}

std::map<std::string, std::vector<EventHistory>> everyEventHistory(Store& store) {
  if (auto* sqlite = dynamic_cast<SqliteStore*>(&store)) return sqlite->everyEventHistory();
  // Every pupil who may have an event: those on the register, and those ever evaluated (an
  // event is only made by an evaluation, which keeps the pupil's checkpoint).
  std::set<std::string> upns;
  for (const auto& [upn, misId] : store.pupilIds()) upns.insert(upn);
  for (const auto& [upn, checkpoint] : store.evaluationCheckpoints()) upns.insert(upn);
  std::map<std::string, std::vector<EventHistory>> all;
  for (const auto& upn : upns)
    if (auto history = store.eventHistory(upn); !history.empty())
      all.emplace(upn, std::move(history));
  return all;
}

}  // namespace markbridge
