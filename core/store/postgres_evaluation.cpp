#include "core/store/postgres_evaluation.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <unordered_set>

#include "core/store/postgres_import.h"
#include "core/store/store_rows.h"

namespace markbridge {
namespace {

constexpr const char* kRecordedColumns =
    "SELECT id, state, rule, type, upn, period_from, period_to, record_of, revision, "
    "occurred_on FROM events WHERE school=$1 AND ";

class PostgresEvaluationWriter final : public EvaluationWriter {
 public:
  PostgresEvaluationWriter(PgConnection& db, std::string school)
      : db_(db), school_(std::move(school)), tx_(db) {
    // Reads and writes under the school's write lock: no other writer changes what the plan is
    // made from before it is applied.
    lockSchoolForWriting(db_, school_);
  }

  // The events found now, and the active events of these pupils that arose since the earliest
  // day looked at again (as the SQLite writer reads them).
  std::vector<RecordedEvent> recorded(const std::vector<PupilEvaluated>& pupils,
                                      const std::vector<Event>& events) override {
    std::vector<RecordedEvent> found;
    if (!events.empty()) {
      std::vector<std::string_view> ids;
      ids.reserve(events.size());
      for (const auto& event : events) ids.push_back(event.id);
      // A lookup by the key for each id (a lateral subquery: never planned as a scan).
      PgStatement byId(db_,
                       "SELECT e.* FROM unnest($2::text[]) AS u(id) CROSS JOIN LATERAL (" +
                           std::string(kRecordedColumns) + "id=u.id OFFSET 0) AS e",
                       "read the recorded events found again");
      byId.bind(1, school_).bindTextForm(2, pgTextArray(ids));
      while (byId.step()) found.push_back(read(byId));
    }
    std::string earliest = "9999-12-31", firstUpn, lastUpn;
    for (const auto& p : pupils) {
      earliest = std::min(earliest, p.from.iso());
      if (firstUpn.empty() || p.upn < firstUpn) firstUpn = p.upn;
      lastUpn = std::max(lastUpn, p.upn);
    }
    PgStatement active(db_,
                       std::string(kRecordedColumns) +
                           "upn BETWEEN $2 AND $3 AND state='active' AND occurred_on>=$4",
                       "read the active events of the pupils evaluated");
    active.bind(1, school_).bind(2, firstUpn).bind(3, lastUpn).bind(4, earliest);
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
    PgStatement insertEvent(
        db_,
        "INSERT INTO events(school, id, rule, type, upn, episode, occurred_on, period_from, "
        "period_to, payload, state, record_of, revision, created_at, updated_at) "
        "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$13,$11,0,$12,$12)",
        "record an event");
    PgStatement setState(db_,
                         "UPDATE events SET state=$3, revision=$4, updated_at=$5 WHERE school=$1 "
                         "AND id=$2",
                         "change an event's state");
    {
      // One round trip for all of them (a year's first evaluation records thousands).
      PgPipeline writes(db_);
      for (const auto& r : plan.record) {
        const Event& event = *r.event;
        insertEvent.bind(1, school_).bind(2, event.id).bind(3, event.rule).bind(4, event.type);
        insertEvent.bind(5, event.pupil.upn).bind(6, event.episode);
        insertEvent.bind(7, event.occurred_on.iso()).bind(8, event.from.iso());
        insertEvent.bind(9, event.to.iso()).bind(10, r.payload).bind(11, r.record_of);
        insertEvent.bind(12, now).bind(13, toString(r.state));
        writes.queue(insertEvent);
      }
      for (const auto& c : plan.change) {
        setState.bind(1, school_).bind(2, c.id).bind(3, toString(c.state));
        setState.bind(4, c.revision).bind(5, now);
        writes.queue(setState);
      }
      writes.sync();
    }
    PgStatement queue(db_,
                      "INSERT INTO outbox(school, key, sink, event_id, upn, kind, payload, state, "
                      "created_at, next_attempt_at) VALUES($1,$2,$3,$4,$5,$6,$7,'pending',$8,$8) "
                      "ON CONFLICT(school, key) DO NOTHING",
                      "queue an outbox item");
    PgStatement payloadOf(db_, "SELECT payload FROM events WHERE school=$1 AND id=$2",
                          "read an event's payload");
    // Items with no payload of their own carry the one recorded with their event.
    std::vector<std::string> stored(plan.queue.size());
    {
      PgPipeline reads(db_, [&](PgStatement& read, std::size_t i) {
        if (read.step()) stored[i] = read.text(0);
      });
      for (std::size_t i = 0; i < plan.queue.size(); ++i)
        if (!plan.queue[i].payload)
          reads.queue(payloadOf.bind(1, school_).bind(2, plan.queue[i].event_id), i);
      reads.sync();
    }
    int queued = 0;
    PgPipeline writes(db_, [&](PgStatement& insert, std::size_t) {
      queued += static_cast<int>(insert.affected());
    });
    for (std::size_t i = 0; i < plan.queue.size(); ++i) {
      const auto& item = plan.queue[i];
      queue.bind(1, school_).bind(2, item.key).bind(3, item.sink).bind(4, item.event_id);
      queue.bind(5, item.upn).bind(6, toString(item.kind));
      queue.bind(7, item.payload ? *item.payload : stored[i]).bind(8, now);
      writes.queue(queue);
    }
    writes.sync();
    return queued;
  }

  // Kept through COPY and one INSERT ... ON CONFLICT (a sync evaluates the whole roll, and a
  // statement per pupil was the biggest cost of a register close); those dropped in one round
  // trip.
  void keepCheckpoints(const std::vector<PupilEvaluated>& pupils) override {
    PgStatement drop(db_, "DELETE FROM evaluation_checkpoints WHERE school=$1 AND upn=$2",
                     "drop a pupil's evaluation checkpoint");
    PgCopyRows kept;  // in the table's column order
    {
      PgPipeline drops(db_);
      for (const auto& p : pupils) {
        if (p.checkpoint.empty()) {
          drops.queue(drop.bind(1, school_).bind(2, p.upn));
          continue;
        }
        kept.row(3);
        kept.bytes(school_);
        kept.bytes(p.upn);
        kept.bytes(p.checkpoint);
      }
      drops.sync();
    }
    if (kept.rows() > 0)
      upsertThrough(db_, made_, "evaluation_kept", "evaluation_checkpoints", kept,
                    "(school, upn) DO UPDATE SET data=EXCLUDED.data",
                    "keep the pupils' evaluation checkpoints");
  }

  void commit() override { tx_.commit(); }

 private:
  static RecordedEvent read(const PgStatement& s) { return readRecordedEvent(s); }

  PgConnection& db_;
  std::string school_;
  PgTransaction tx_;
  PgTempTables made_;  // the temporary tables made (upsertThrough)
};

}  // namespace

std::unique_ptr<EvaluationWriter> makePostgresEvaluationWriter(PgConnection& db,
                                                               const std::string& school) {
  return std::make_unique<PostgresEvaluationWriter>(db, school);
}

}  // namespace markbridge
