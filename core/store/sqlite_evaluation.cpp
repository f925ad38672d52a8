#include "core/store/sqlite_evaluation.h"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_set>

#include "core/store/sqlite_rows.h"

namespace markbridge {
namespace {

constexpr const char* kRecordedColumns =
    "SELECT id, state, rule, type, upn, period_from, period_to, record_of, revision, "
    "occurred_on FROM events WHERE ";

class SqliteEvaluationWriter final : public EvaluationWriter {
 public:
  explicit SqliteEvaluationWriter(SqliteDb& db) : db_(db), tx_(db) {}

  // Each event found now, and the active events of these pupils that arose since the earliest
  // day looked at again (those that may have lapsed). Not the whole table, and not the payloads
  // (read for the few events that need them): after a register closes that is a few rows, not
  // every event of the year.
  std::vector<RecordedEvent> recorded(const std::vector<PupilEvaluated>& pupils,
                                      const std::vector<Event>& events) override {
    std::vector<RecordedEvent> found;
    SqliteStatement byId(db_.handle(), std::string(kRecordedColumns) + "id=?1");
    for (const auto& event : events) {
      byId.bind(1, event.id);
      if (byId.step()) found.push_back(read(byId));
      byId.reset();
    }
    std::string earliest = "9999-12-31", firstUpn, lastUpn;
    for (const auto& p : pupils) {
      earliest = std::min(earliest, p.from.iso());
      if (firstUpn.empty() || p.upn < firstUpn) firstUpn = p.upn;
      lastUpn = std::max(lastUpn, p.upn);
    }
    SqliteStatement active(db_.handle(), std::string(kRecordedColumns) +
                                             "upn BETWEEN ?1 AND ?2 AND state='active' AND "
                                             "occurred_on>=?3");
    active.bind(1, firstUpn).bind(2, lastUpn).bind(3, earliest);
    // An event found now is there once, from the first query.
    std::unordered_set<std::string_view> ids;
    ids.reserve(found.size());
    for (const auto& r : found) ids.insert(r.id);
    std::vector<RecordedEvent> lapsing;
    while (active.step())
      if (!ids.count(active.textView(0))) lapsing.push_back(read(active));
    found.insert(found.end(), std::make_move_iterator(lapsing.begin()),
                 std::make_move_iterator(lapsing.end()));
    return found;
  }

  int apply(const EvaluationPlan& plan, int64_t now) override {
    SqliteStatement insertEvent(
        db_.handle(),
        "INSERT INTO events(id, rule, type, upn, episode, occurred_on, period_from, period_to, "
        "payload, state, record_of, revision, created_at, updated_at) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?12,?10,0,?11,?11)");
    for (const auto& r : plan.record) {
      const Event& event = *r.event;
      insertEvent.bind(1, event.id).bind(2, event.rule).bind(3, event.type);
      insertEvent.bind(4, event.pupil.upn).bind(5, event.episode);
      insertEvent.bind(6, event.occurred_on.iso()).bind(7, event.from.iso());
      insertEvent.bind(8, event.to.iso()).bind(9, r.payload).bind(10, r.record_of).bind(11, now);
      insertEvent.bind(12, toString(r.state)).run();
    }
    SqliteStatement setState(db_.handle(),
                             "UPDATE events SET state=?2, revision=?3, updated_at=?4 WHERE id=?1");
    for (const auto& c : plan.change)
      setState.bind(1, c.id).bind(2, toString(c.state)).bind(3, c.revision).bind(4, now).run();
    SqliteStatement queue(db_.handle(),
                          "INSERT OR IGNORE INTO outbox(key, sink, event_id, upn, kind, payload, "
                          "state, created_at, next_attempt_at) "
                          "VALUES(?1,?2,?3,?4,?5,?6,'pending',?7,?7)");
    SqliteStatement payloadOf(db_.handle(), "SELECT payload FROM events WHERE id=?1");
    int queued = 0;
    for (const auto& item : plan.queue) {
      std::string stored;
      if (!item.payload) {
        payloadOf.bind(1, item.event_id);
        if (payloadOf.step()) stored = payloadOf.text(0);
        payloadOf.reset();
      }
      queue.bind(1, item.key).bind(2, item.sink).bind(3, item.event_id).bind(4, item.upn);
      queue.bind(5, toString(item.kind)).bind(6, item.payload ? *item.payload : stored);
      queue.bind(7, now).run();
      queued += db_.changes();
    }
    return queued;
  }

  void keepCheckpoints(const std::vector<PupilEvaluated>& pupils) override {
    SqliteStatement keep(db_.handle(),
                         "INSERT OR REPLACE INTO evaluation_checkpoints(upn, data) VALUES(?1,?2)");
    SqliteStatement drop(db_.handle(), "DELETE FROM evaluation_checkpoints WHERE upn=?1");
    for (const auto& p : pupils) {
      if (p.checkpoint.empty())
        drop.bind(1, p.upn).run();
      else
        keep.bind(1, p.upn).bindBlob(2, p.checkpoint).run();
    }
  }

  void commit() override { tx_.commit(); }

 private:
  static RecordedEvent read(const SqliteStatement& s) { return readRecordedEvent(s); }

  SqliteDb& db_;
  Transaction tx_;
};

}  // namespace

std::unique_ptr<EvaluationWriter> makeSqliteEvaluationWriter(SqliteDb& db) {
  return std::make_unique<SqliteEvaluationWriter>(db);
}

}  // namespace markbridge
