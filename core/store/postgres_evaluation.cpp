#include "core/store/postgres_evaluation.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <unordered_set>

#include "core/store/postgres_checkpoints.h"
#include "core/store/postgres_import.h"
#include "core/store/store_rows.h"

namespace markbridge {
namespace {

constexpr const char* kRecordedColumns =
    "SELECT id, state, rule, type, upn, period_from, period_to, record_of, revision, "
    "occurred_on FROM events WHERE school=$1 AND ";

class PostgresEvaluationWriter final : public EvaluationWriter {
 public:
  PostgresEvaluationWriter(PgConnection& db, std::string school, std::string claimant,
                           int64_t claimMs)
      : db_(db),
        school_(std::move(school)),
        claimant_(std::move(claimant)),
        claimMs_(claimMs),
        tx_(db) {
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
    // The new events through COPY (a school's go-live records thousands, a close tens): one
    // statement, not one each.
    if (!plan.record.empty()) {
      PgCopyRows rows;  // in the order of the columns named below
      for (const auto& r : plan.record) {
        const Event& event = *r.event;
        rows.row(15);
        rows.bytes(school_);
        rows.bytes(event.id);
        rows.bytes(event.rule);
        rows.bytes(event.type);
        rows.bytes(event.pupil.upn);
        rows.bytes(event.episode);
        rows.bytes(event.occurred_on.iso());
        rows.bytes(event.from.iso());
        rows.bytes(event.to.iso());
        rows.bytes(r.payload);
        rows.bytes(toString(r.state));
        rows.bytes(r.record_of);
        rows.bigint(0);  // revision
        rows.bigint(now);
        rows.bigint(now);
      }
      db_.copyIn(
          "COPY events(school, id, rule, type, upn, episode, occurred_on, period_from, "
          "period_to, payload, state, record_of, revision, created_at, updated_at) FROM STDIN "
          "(FORMAT binary)",
          rows.finish(), "record the events found");
    }
    if (!plan.change.empty()) {
      PgStatement setState(db_,
                           "UPDATE events SET state=$3, revision=$4, updated_at=$5 WHERE "
                           "school=$1 AND id=$2",
                           "change an event's state");
      PgPipeline writes(db_);  // one round trip for all of them
      for (const auto& c : plan.change) {
        setState.bind(1, school_).bind(2, c.id).bind(3, toString(c.state));
        setState.bind(4, c.revision).bind(5, now);
        writes.queue(setState);
      }
      writes.sync();
    }
    if (plan.queue.empty()) return 0;
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
    // One statement for the items, the rows given as arrays; their order is the order queued
    // (each takes the next seq as it is inserted), which each pupil's items keep at a sink.
    std::vector<std::string_view> keys, sinks, eventIds, upns, kinds, payloads;
    for (std::size_t i = 0; i < plan.queue.size(); ++i) {
      const auto& item = plan.queue[i];
      keys.push_back(item.key);
      sinks.push_back(item.sink);
      eventIds.push_back(item.event_id);
      upns.push_back(item.upn);
      kinds.push_back(toString(item.kind));
      payloads.push_back(item.payload ? *item.payload : stored[i]);
    }
    PgStatement queue(db_,
                      "INSERT INTO outbox(school, key, sink, event_id, upn, kind, payload, state, "
                      "created_at, next_attempt_at, claimed_by, claimed_backend, claimed_until) "
                      "SELECT $1, q.key, q.sink, q.event_id, q.upn, q.kind, q.payload, 'pending', "
                      "$8, $8, $9, pg_backend_pid(), $8::bigint + $10 FROM unnest($2::text[], "
                      "$3::text[], "
                      "$4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS "
                      "q(key, sink, event_id, upn, kind, payload, n) ORDER BY q.n "
                      "ON CONFLICT(school, key) DO NOTHING",
                      "queue the outbox items");
    queue.bind(1, school_).bindTextForm(2, pgTextArray(keys)).bindTextForm(3, pgTextArray(sinks));
    queue.bindTextForm(4, pgTextArray(eventIds)).bindTextForm(5, pgTextArray(upns));
    queue.bindTextForm(6, pgTextArray(kinds)).bindTextForm(7, pgTextArray(payloads));
    queue.bind(8, now).bind(9, claimant_).bind(10, claimMs_);
    return static_cast<int>(queue.run());
  }

  // Packed, many pupils a row (postgres_checkpoints.h).
  void keepCheckpoints(const std::vector<PupilEvaluated>& pupils) override {
    markbridge::keepCheckpoints(db_, school_, pupils);
  }

  void commit() override { tx_.commit(); }

 private:
  static RecordedEvent read(const PgStatement& s) { return readRecordedEvent(s); }

  PgConnection& db_;
  std::string school_;
  std::string claimant_;  // the store's: its delivery run finds the items it queues its own
  int64_t claimMs_;
  PgTransaction tx_;
};

}  // namespace

std::unique_ptr<EvaluationWriter> makePostgresEvaluationWriter(PgConnection& db,
                                                               const std::string& school,
                                                               const std::string& claimant,
                                                               int64_t claimMs) {
  return std::make_unique<PostgresEvaluationWriter>(db, school, claimant, claimMs);
}

}  // namespace markbridge
