#include "core/store/postgres_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/store/postgres_checkpoints.h"
#include "core/store/postgres_db.h"
#include "core/store/postgres_evaluation.h"
#include "core/store/postgres_import.h"
#include "core/store/postgres_register_read.h"
#include "core/store/postgres_schema.h"
#include "core/store/register_week.h"
#include "core/store/store_rows.h"
#include "core/store/sync_lease.h"

namespace markbridge {
namespace {

// How long a worker's claim on the outbox items it took lasts (unix ms): longer than any
// attempt takes (a request's timeout). A claim ends when the attempt's outcome is recorded or
// the delivery run ends (endClaims); it runs out only when its worker has died, and its items
// then go to another worker. The items a sync's evaluation queues are claimed as they are
// queued (postgres_evaluation.h), for the delivery that follows.
constexpr int64_t kClaimMs = 5 * 60 * 1000;
// A claim made less than this long ago stands when the store that made it asks again (the
// evaluation's, at the delivery; a delivery run's, while it has items in hand): its row is not
// written again. An older one is made again, so an item is always handed out, and kept while
// under way, with kClaimMs - kFreshClaimMs or more to run.
constexpr int64_t kFreshClaimMs = 30 * 1000;
std::atomic<int64_t> storesOpened{0};

// Each statement names the school as $1: a store sees only its own school's rows.
class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& uri, std::string school, const std::string& password)
      : PostgresStore(std::make_shared<PgConnection>(uri, password), std::move(school)) {
    migratePostgresSchema(db_);
  }
  // On a connection other schools' stores share (migrated by the share).
  PostgresStore(std::shared_ptr<PgConnection> connection, std::string school)
      : connection_(std::move(connection)), db_(*connection_), school_(std::move(school)) {
    if (school_.empty())
      throw StoreError(db_.where() + ": a PostgreSQL store needs the school's URN");
  }

  bool alreadyImported(const std::string& source, const std::string& fingerprint) override {
    PgStatement seen(db_, "SELECT 1 FROM imports WHERE school=$1 AND source=$2 AND fingerprint=$3",
                     "look for an import already stored");
    seen.bind(1, school_).bind(2, source).bind(3, fingerprint);
    return seen.step();
  }

  std::unique_ptr<ImportWriter> beginImport(int64_t now) override {
    return makePostgresImportWriter(db_, school_, now);
  }

  void setSourceState(const std::string& source, const std::string& key, const std::string& value,
                      int64_t now) override {
    PgStatement s(db_,
                  "INSERT INTO source_state(school, source, key, value, updated_at) "
                  "VALUES($1,$2,$3,$4,$5) ON CONFLICT(school, source, key) DO UPDATE SET "
                  "value=$4, updated_at=$5",
                  "remember what a source kept");
    s.bind(1, school_).bind(2, source).bind(3, key).bind(4, value).bind(5, now).run();
  }

  std::optional<std::string> sourceState(const std::string& source,
                                         const std::string& key) override {
    PgStatement s(db_, "SELECT value FROM source_state WHERE school=$1 AND source=$2 AND key=$3",
                  "read what a source kept");
    s.bind(1, school_).bind(2, source).bind(3, key);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  }

  std::vector<RegisterNotTaken> registersNotTaken(int limit) override {
    std::vector<RegisterNotTaken> gaps;
    PgStatement s(db_,
                  "SELECT day, session, COUNT(*) FROM registers_not_taken WHERE school=$1 GROUP "
                  "BY day, session ORDER BY day DESC, session DESC LIMIT $2",
                  "read the registers not taken");
    s.bind(1, school_).bind(2, int64_t{limit});
    while (s.step())
      gaps.push_back({Date::fromDays(static_cast<int32_t>(s.integer(0))),
                      s.integer(1) ? Session::PM : Session::AM, static_cast<int>(s.integer(2))});
    return gaps;
  }

  std::vector<AttendanceTotals> attendanceTotals() override {
    std::vector<AttendanceTotals> all;
    PgStatement s(db_,
                  std::string("SELECT ") + kTotalsColumns +
                      " FROM attendance_totals WHERE school=$1 ORDER BY upn, period",
                  "read the census totals");
    s.bind(1, school_);
    while (s.step()) all.push_back(readAttendanceTotals(s));
    return all;
  }

  std::vector<std::pair<std::string, std::string>> pupilIds() override {
    std::vector<std::pair<std::string, std::string>> ids;
    PgStatement all(db_, "SELECT upn, mis_id FROM pupils WHERE school=$1", "read the pupils' ids");
    all.bind(1, school_);
    while (all.step()) ids.emplace_back(all.text(0), all.text(1));
    return ids;
  }

  std::optional<Pupil> pupil(const std::string& upn) override {
    PgStatement s(
        db_, std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE school=$1 AND upn=$2",
        "read a pupil");
    s.bind(1, school_).bind(2, upn);
    if (!s.step()) return std::nullopt;
    Pupil p = readPupil(s);
    PgStatement roll(db_,
                     std::string("SELECT ") + kOnRollColumns +
                         " FROM on_roll WHERE school=$1 AND upn=$2 ORDER BY admitted",
                     "read a pupil's on-roll periods");
    roll.bind(1, school_).bind(2, upn);
    while (roll.step()) p.on_roll.push_back(readOnRollPeriod(roll, 0));
    return p;
  }

  std::map<std::string, std::vector<int64_t>> rollListingsMissed(
      const std::vector<std::string>& sources) override {
    std::map<std::string, std::vector<int64_t>> missed;
    if (sources.empty()) return missed;
    std::string names = nlohmann::json(sources).dump();
    PgStatement s(db_,
                  "WITH src AS (SELECT json_array_elements_text($2::text::json) AS name), "
                  "syncs AS (SELECT DISTINCT listed_at FROM roll_listings WHERE school=$1 AND "
                  "  source IN (SELECT name FROM src)), "
                  "latest AS (SELECT source, MAX(listed_at) AS at FROM roll_listings WHERE "
                  "  school=$1 AND source IN (SELECT name FROM src) GROUP BY source), "
                  "last AS (SELECT r.upn, MAX(COALESCE(r.seen_at, l.at)) AS seen FROM roll_seen "
                  "  r LEFT JOIN latest l ON l.source=r.source WHERE r.school=$1 AND r.source "
                  "  IN (SELECT name FROM src) GROUP BY r.upn "
                  "  HAVING MAX(COALESCE(r.seen_at, l.at)) < (SELECT MAX(listed_at) FROM syncs)) "
                  "SELECT last.upn, syncs.listed_at FROM last JOIN syncs "
                  "ON syncs.listed_at > last.seen ORDER BY last.upn, syncs.listed_at",
                  "find the pupils the roll's listings stopped naming");
    s.bind(1, school_).bind(2, names);
    while (s.step()) missed[s.text(0)].push_back(s.integer(1));
    return missed;
  }

  std::vector<OnRollChange> onRollChanges(const std::string& upn) override {
    PgStatement s(db_,
                  "SELECT admitted, old_left, new_left, old_reason, new_reason, old_destination, "
                  "new_destination, change, source, changed_at FROM on_roll_changes WHERE "
                  "school=$1 AND upn=$2 ORDER BY id",
                  "read the changes to a pupil's on-roll periods");
    s.bind(1, school_).bind(2, upn);
    std::vector<OnRollChange> list;
    auto date = [&](int c) { return s.isNull(c) ? std::nullopt : Date::parseIso(s.textView(c)); };
    while (s.step())
      list.push_back(OnRollChange{upn, Date::parseIso(s.textView(0)), date(1), date(2), s.text(3),
                                  s.text(4), s.text(5), s.text(6), s.text(7), s.text(8),
                                  s.integer(9)});
    return list;
  }

  // Each pupil's on-roll periods, read once in UPN order beside the pupils (also in UPN order).
  class OnRollCursor {
   public:
    OnRollCursor(PgConnection& db, const std::string& school)
        : rows_(db,
                std::string("SELECT upn, ") + kOnRollColumns +
                    " FROM on_roll WHERE school=$1 ORDER BY upn, admitted",
                "read the admission register") {
      rows_.bind(1, school);
      more_ = rows_.step();
    }
    void fill(Pupil& pupil) {
      while (more_ && rows_.textView(0) < pupil.upn) more_ = rows_.step();
      for (; more_ && rows_.textView(0) == pupil.upn; more_ = rows_.step())
        pupil.on_roll.push_back(readOnRollPeriod(rows_, 1));
    }

   private:
    PgStatement rows_;
    bool more_ = false;
  };

  void forEachRegister(
      const std::function<void(const Pupil&, const std::vector<Mark>&)>& visit) override {
    PgStatement pupils(
        db_, std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE school=$1 ORDER BY upn",
        "read the pupils");
    pupils.bind(1, school_);
    // Each pupil's weeks looked up by the key (school, week, upn), in each week the school's
    // register holds.
    std::vector<int32_t> mondays;
    PgStatement held(db_, "SELECT DISTINCT week FROM register_weeks WHERE school=$1",
                     "read the weeks the register holds");
    held.bind(1, school_);
    while (held.step()) mondays.push_back(static_cast<int32_t>(held.integer(0)));
    std::sort(mondays.begin(), mondays.end());
    const std::string weeksHeld = pgIntegerArray(mondays);
    PgStatement weeks(db_,
                      "SELECT w.* FROM unnest($3::integer[]) AS d(week) CROSS JOIN LATERAL "
                      "(SELECT week, codes, imports, extras FROM register_weeks WHERE school=$1 "
                      "AND week=d.week AND upn=$2 OFFSET 0) AS w ORDER BY d.week",
                      "read a pupil's register");
    std::unordered_map<uint32_t, std::pair<std::string, int64_t>> imports;  // source, time
    PgStatement importRows(db_, "SELECT id, source, imported_at FROM imports WHERE school=$1",
                           "read the imports");
    importRows.bind(1, school_);
    while (importRows.step())
      imports[static_cast<uint32_t>(importRows.integer(0))] = {importRows.text(1),
                                                               importRows.integer(2)};
    std::vector<Mark> list;
    OnRollCursor roll(db_, school_);
    while (pupils.step()) {
      Pupil p = readPupil(pupils);
      roll.fill(p);
      list.clear();
      weeks.bind(1, school_).bind(2, p.upn).bindTextForm(3, weeksHeld);
      while (weeks.step()) {
        Date monday = Date::fromDays(static_cast<int32_t>(weeks.integer(0)));
        auto week = RegisterWeek::decode(weeks.blob(1), weeks.blob(2), weeks.blob(3));
        for (int i = 0; i < RegisterWeek::kSlots; ++i) {
          const auto& slot = week.slots[static_cast<std::size_t>(i)];
          if (slot.empty()) continue;
          const auto& from = imports[slot.import];
          Mark m;
          m.upn = p.upn;
          m.date = monday + i / 2;
          m.session = i % 2 ? Session::PM : Session::AM;
          m.code = codeOfSlot(slot.code);
          m.source = from.first;
          m.source_code = slot.source_code.empty() ? std::string(m.code.str()) : slot.source_code;
          m.recorded_at = from.second;
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
    PgStatement pupils(
        db_, std::string("SELECT ") + kPupilColumns + " FROM pupils WHERE school=$1 ORDER BY upn",
        "read the pupils");
    pupils.bind(1, school_);
    // Everything read in one snapshot (the week rows and the kept year must be of one moment:
    // postgres_register_read.h), then the pupils visited outside it: the visit may write.
    std::optional<KeptYearRead> weeks;
    std::optional<OnRollCursor> roll;
    {
      PgTransaction snapshot(db_);
      db_.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
               "read the register in one snapshot");
      std::vector<std::string_view> upns;
      while (pupils.step()) upns.push_back(pupils.textView(0));
      pupils.rewind();
      roll.emplace(db_, school_);
      weeks.emplace(db_, school_, calendar);
      weeks->readPupilsNotKept(upns);
      snapshot.commit();
    }
    PupilRegister reg(calendar);
    while (pupils.step()) {
      Pupil p = readPupil(pupils);
      roll->fill(p);
      weeks->fill(p.upn, reg);
      visit(p, reg);
    }
    weeks->keep();
  }

  std::vector<Amendment> amendments(const std::string& upn) override {
    PgStatement s(db_,
                  "SELECT date, session, old_code, new_code, old_source, new_source, amended_at "
                  "FROM amendments WHERE school=$1 AND upn=$2 ORDER BY id",
                  "read a pupil's amended marks");
    s.bind(1, school_).bind(2, upn);
    std::vector<Amendment> list;
    while (s.step())
      list.push_back(Amendment{upn, Date::parseIso(s.textView(0)).value_or(Date()),
                               s.integer(1) == 0 ? Session::AM : Session::PM, s.text(2), s.text(3),
                               s.text(4), s.text(5), s.integer(6)});
    return list;
  }

  std::unordered_map<std::string, std::string> evaluationCheckpoints() override {
    return readCheckpoints(db_, school_);
  }

  std::unique_ptr<EvaluationWriter> beginEvaluation() override {
    return makePostgresEvaluationWriter(db_, school_, claimant_, kClaimMs);
  }

  std::vector<EventHistory> eventHistory(const std::string& upn) override {
    PgStatement events(db_,
                       std::string("SELECT ") + kHistoryColumns +
                           " FROM events WHERE school=$1 AND upn=$2 ORDER BY occurred_on, "
                           "created_at, id",
                       "read a pupil's events");
    events.bind(1, school_).bind(2, upn);
    std::vector<EventHistory> list;
    std::unordered_map<std::string, std::size_t> byId;
    while (events.step()) {
      auto h = readEventHistory(events, upn);
      byId.emplace(h.event.id, list.size());
      list.push_back(std::move(h));
    }
    // Through the pupil's events and the outbox's (school, event_id) index: no index leads with
    // (school, upn), and reading the school's whole outbox for each pupil with an LA
    // notification made an evaluation grow with the square of the school.
    PgStatement items(db_,
                      std::string("SELECT ") + kOutboxColumns +
                          " FROM outbox WHERE school=$1 AND event_id IN (SELECT id FROM events "
                          "WHERE school=$1 AND upn=$2) ORDER BY seq",
                      "read a pupil's outbox items");
    items.bind(1, school_).bind(2, upn);
    while (items.step()) {
      auto item = readOutbox(items);
      if (auto at = byId.find(item.event_id); at != byId.end())
        list[at->second].deliveries.push_back(std::move(item));
    }
    return list;
  }

  // The first pending item of each pupil and sink (later ones wait behind it), as `o`, with what
  // says whether it is due and whose claim it is under: one pass over the school's pending items
  // and a sort, whatever the planner thinks of their number. (A NOT EXISTS for an earlier pending
  // item was planned, on the statistics of an outbox mostly delivered, as a scan of every pending
  // item for each: a backlog of n items cost n * n.)
  // With `inLine`, o.in_line also counts the pupil's pending items for the sink (1: none waits
  // behind the first).
  static std::string firstPending(bool inLine) {
    return std::string(
               "(SELECT DISTINCT ON (sink, upn) seq, next_attempt_at, claimed_until, claimed_by, "
               "claimed_backend") +
           (inLine ? ", count(*) OVER (PARTITION BY sink, upn) AS in_line" : "") +
           " FROM outbox WHERE school=$1 AND state='pending' ORDER BY sink, upn, seq) AS o";
  }

  // Items another worker claimed are its own while its connection lives (a worker killed or
  // gone frees them at once, or within the keepalive's 25 s) and at most kClaimMs: they are left
  // alone, and so is every later item of their pupil and sink. This store's own claims (items it
  // took and did not get to) are its to take again (dueOutbox).
  // `now` and `me`: the statement's parameters for the time and this store's claimant.
  static std::string claimLapsed(const char* now, const char* me) {
    return std::string("(o.claimed_until<=") + now + " OR o.claimed_by=" + me +
           " OR o.claimed_backend NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT "
           "NULL))";
  }

  // Claims the items it returns (FOR UPDATE SKIP LOCKED: two workers asking at once get
  // different items), until now + kClaimMs, or gives them with this store's claim of the last
  // kFreshClaimMs; recording an attempt's outcome, or endClaims, ends the claim.
  std::vector<OutboxItem> dueOutbox(int64_t now, int limit,
                                    const std::set<int64_t>& underWay) override {
    // The candidates (f) are chosen once, before any is locked (twice as many as asked for, so
    // rows another worker holds locked do not use up the limit); each is then locked and checked
    // again as it now stands (still pending, still due, its claim still lapsed), so one another
    // worker holds, has just claimed or has put off is left alone. The claimed rows are chosen
    // once (MATERIALIZED): a subquery the join scanned again would skip the rows this statement
    // has just claimed. A delivery run asks again while it has items in hand, so its rows are
    // not written again while its claims are fresh: candidates with a fresh claim of this
    // store's are given as they stand (held), and the items it has sent (underWay) are left
    // out, their claim made again (r) only once it is no longer fresh or was made on a
    // connection since lost. Each candidate carries whether another item waits behind it (more).
    const std::string fresh =
        "claimed_by=$4 AND claimed_backend=pg_backend_pid() AND "
        "claimed_until>$2::bigint+" +
        std::to_string(kClaimMs - kFreshClaimMs);
    const std::string claim = "claimed_by=$4, claimed_backend=pg_backend_pid(), claimed_until=$2+" +
                              std::to_string(kClaimMs);
    PgStatement s(
        db_,
        "WITH f AS MATERIALIZED (SELECT o.seq AS item, (" + fresh +
            ") AS held, o.in_line>1 AS more FROM " + firstPending(true) +
            " WHERE o.next_attempt_at<=$2 AND o.seq<>ALL($5::bigint[]) AND " +
            claimLapsed("$2", "$4") +
            " ORDER BY o.seq LIMIT 2 * $3), c AS MATERIALIZED (SELECT o.seq AS claimed FROM "
            "outbox o WHERE o.school=$1 AND o.state='pending' AND o.next_attempt_at<=$2 AND "
            "o.seq=ANY(ARRAY(SELECT item FROM f WHERE NOT held)) AND " +
            claimLapsed("$2", "$4") +
            " ORDER BY o.seq LIMIT GREATEST($3 - (SELECT count(*) FROM f WHERE held), 0) FOR "
            "UPDATE OF o SKIP LOCKED), u AS (UPDATE outbox SET " +
            claim +
            " FROM c JOIN f ON f.item=c.claimed WHERE outbox.school=$1 AND "
            "outbox.seq=c.claimed RETURNING " +
            kOutboxColumns + ", f.more), r AS (UPDATE outbox SET " + claim +
            " WHERE school=$1 AND seq=ANY($5::bigint[]) AND state='pending' AND claimed_by=$4 "
            "AND NOT (" +
            fresh + ")) SELECT * FROM u UNION ALL SELECT " + kOutboxColumns +
            ", (SELECT more FROM f WHERE f.item=outbox.seq) FROM outbox WHERE school=$1 AND "
            "seq=ANY(ARRAY(SELECT item FROM f WHERE held))",
        "claim the outbox items due");
    s.bind(1, school_).bind(2, now).bind(3, int64_t{limit}).bind(4, claimant_);
    s.bindTextForm(5, pgIntegerArray(underWay));
    std::vector<OutboxItem> items;
    while (s.step()) items.push_back(readDueOutbox(s));
    std::sort(items.begin(), items.end(),
              [](const OutboxItem& a, const OutboxItem& b) { return a.seq < b.seq; });
    if (static_cast<int>(items.size()) > limit) items.resize(static_cast<std::size_t>(limit));
    return items;
  }

  void endClaims() override {
    PgStatement s(db_,
                  "UPDATE outbox SET claimed_by='', claimed_backend=0, claimed_until=0 WHERE "
                  "school=$1 AND state='pending' AND claimed_by=$2",
                  "end the claims of a delivery run");
    s.bind(1, school_).bind(2, claimant_).run();
  }

  std::map<std::string, int> outboxClaims(int64_t now) override {
    PgStatement s(db_,
                  "SELECT split_part(claimed_by, '/', 1), count(*) FROM outbox WHERE school=$1 AND "
                  "state='pending' AND claimed_by<>'' AND claimed_until>$2 AND claimed_backend IN "
                  "(SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL) GROUP BY 1",
                  "read which worker holds which outbox items");
    s.bind(1, school_).bind(2, now);
    std::map<std::string, int> claims;
    while (s.step()) claims[s.text(0)] = static_cast<int>(s.integer(1));
    return claims;
  }

  std::optional<int64_t> nextOutboxDue() override {
    PgStatement s(db_,
                  std::string("SELECT MIN(CASE WHEN ") + claimLapsed("0", "$2") +
                      " THEN next_attempt_at ELSE GREATEST(next_attempt_at, claimed_until) END) "
                      "FROM " +
                      firstPending(false),
                  "find when the next outbox item falls due");
    s.bind(1, school_).bind(2, claimant_);
    if (!s.step() || s.isNull(0)) return std::nullopt;
    return s.integer(0);
  }

  std::vector<OutboxItem> outbox(std::optional<OutboxState> state, int limit) override {
    PgStatement s(db_,
                  std::string("SELECT ") + kOutboxColumns +
                      " FROM outbox WHERE school=$1 AND ($2::text IS NULL OR state=$2::text) "
                      "ORDER BY seq LIMIT $3",
                  "read the outbox");
    s.bind(1, school_);
    if (state)
      s.bind(2, toString(*state));
    else
      s.bindNull(2);
    s.bind(3, int64_t{limit});
    std::vector<OutboxItem> items;
    while (s.step()) items.push_back(readOutbox(s));
    return items;
  }

  // The writes of an attempt's outcome. A discard made while an attempt was under way
  // (discardOutbox) stands when that attempt is refused or retried; an attempt the destination
  // accepted ends delivered all the same.
  static constexpr const char* kRecordDelivered =
      "UPDATE outbox SET state='delivered', attempts=attempts+1, reference=$3, finished_at=$4, "
      "last_error='', claimed_by='', claimed_until=0 WHERE school=$1 AND seq=$2";
  static constexpr const char* kRecordRetry =
      "UPDATE outbox SET attempts=$3, next_attempt_at=$4, last_error=$5, claimed_by='', "
      "claimed_until=0 WHERE school=$1 AND seq=$2 AND state<>'discarded'";
  static constexpr const char* kRecordRejected =
      "UPDATE outbox SET state=CASE WHEN state='discarded' THEN state ELSE 'rejected' END, "
      "attempts=$3, last_error=CASE WHEN state='discarded' THEN last_error ELSE $4::text END, "
      "finished_at=$5, response=$6, claimed_by='', claimed_until=0 WHERE school=$1 AND seq=$2";
  static constexpr std::array<std::pair<const char*, const char*>, 3> kRecordWrites = {{
      {kRecordDelivered, "record an outbox item delivered"},
      {kRecordRetry, "record an outbox item's retry"},
      {kRecordRejected, "record an outbox item rejected"},
  }};

  void recordDelivered(int64_t seq, const std::string& reference, int64_t now) override {
    recordWrite(0, [&](PgStatement& s) {
      s.bind(1, school_).bind(2, seq).bind(3, reference).bind(4, now);
    });
  }

  void recordRetry(int64_t seq, int attempts, int64_t nextAttemptAt,
                   const std::string& error) override {
    recordWrite(1, [&](PgStatement& s) {
      s.bind(1, school_).bind(2, seq).bind(3, int64_t{attempts}).bind(4, nextAttemptAt);
      s.bind(5, error);
    });
  }

  void recordRejected(int64_t seq, int attempts, const std::string& error, int64_t now,
                      const std::string& response) override {
    recordWrite(2, [&](PgStatement& s) {
      s.bind(1, school_).bind(2, seq).bind(3, int64_t{attempts}).bind(4, error).bind(5, now);
      s.bind(6, response);
    });
  }

  // The outcomes are sent one after another without waiting for each answer, and the answers
  // read together at the end (a pipeline), BEGIN before them and COMMIT after: one round trip
  // for all of it, not one each. An outcome the server refuses fails the whole (read at the end:
  // nothing of it is kept).
  void recordTogether(const std::function<void()>& writes) override {
    // Prepared first: a pipeline cannot prepare a statement.
    for (const auto& [sql, purpose] : kRecordWrites) db_.ready(db_.prepare(sql, purpose), purpose);
    Together together(db_);
    PgTransaction transaction(db_, together.pipeline);
    together_ = &together;
    try {
      writes();
      transaction.commit();
    } catch (...) {
      together_ = nullptr;
      throw;
    }
    together_ = nullptr;
  }

  int queueOutbox(const std::vector<OutboxEntry>& entries, int64_t now) override {
    if (together_) together_->pipeline.sync();  // its answers are needed: none may wait behind
    PgStatement queue(db_,
                      "INSERT INTO outbox(school, key, sink, event_id, upn, kind, payload, state, "
                      "created_at, next_attempt_at) VALUES($1,$2,$3,$4,$5,$6,$7,'pending',$8,$8) "
                      "ON CONFLICT(school, key) DO NOTHING",
                      "queue an outbox item");
    int queued = 0;
    for (const auto& item : entries) {
      queue.bind(1, school_).bind(2, item.key).bind(3, item.sink).bind(4, item.event_id);
      queue.bind(5, item.upn).bind(6, toString(item.kind));
      queue.bind(7, item.payload ? *item.payload : std::string()).bind(8, now);
      queued += static_cast<int>(queue.run());
    }
    return queued;
  }

  std::optional<OutboxItem> outboxItem(int64_t seq) override {
    PgStatement s(
        db_, std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE school=$1 AND seq=$2",
        "read an outbox item");
    s.bind(1, school_).bind(2, seq);
    if (!s.step()) return std::nullopt;
    return readOutbox(s);
  }

  bool retryOutbox(int64_t seq, int64_t now) override {
    PgStatement s(db_,
                  "UPDATE outbox SET attempts=CASE WHEN state='pending' THEN attempts ELSE 0 END, "
                  "created_at=CASE WHEN state='pending' THEN created_at ELSE $3 END, "
                  "state='pending', next_attempt_at=$3, finished_at=NULL, claimed_by='', "
                  "claimed_until=0 WHERE school=$1 AND "
                  "seq=$2 AND state IN ('pending','rejected','discarded')",
                  "put an outbox item back to pending");
    s.bind(1, school_).bind(2, seq).bind(3, now);
    return s.run() > 0;
  }

  int retrySinkPending(const std::string& sink, int64_t now) override {
    PgStatement s(db_,
                  "UPDATE outbox SET next_attempt_at=$3 WHERE school=$1 AND sink=$2 AND "
                  "state='pending' AND next_attempt_at>$3",
                  "make a sink's waiting items due now");
    s.bind(1, school_).bind(2, sink).bind(3, now);
    return static_cast<int>(s.run());
  }

  bool discardOutbox(int64_t seq, int64_t now, const std::string& why) override {
    PgStatement s(db_,
                  "UPDATE outbox SET state='discarded', finished_at=$3, "
                  "last_error=CASE WHEN last_error='' THEN $4::text ELSE last_error || '; ' || "
                  "$4::text END WHERE school=$1 AND seq=$2 AND state IN ('pending','rejected')",
                  "discard an outbox item");
    s.bind(1, school_).bind(2, seq).bind(3, now).bind(4, why);
    return s.run() > 0;
  }

  std::vector<SinkOutboxStats> outboxBySink() override {
    PgStatement s(db_,
                  "SELECT sink, COUNT(*) FILTER (WHERE state='pending'), "
                  "COUNT(*) FILTER (WHERE state='delivered'), "
                  "COUNT(*) FILTER (WHERE state='rejected'), "
                  "COUNT(*) FILTER (WHERE state='discarded'), "
                  "SUM(GREATEST(attempts-1, 0))::bigint, "
                  "MIN(created_at) FILTER (WHERE state='pending') "
                  "FROM outbox WHERE school=$1 GROUP BY sink ORDER BY sink",
                  "count the outbox by sink");
    s.bind(1, school_);
    std::vector<SinkOutboxStats> out;
    while (s.step())
      out.push_back(SinkOutboxStats{s.text(0), static_cast<int>(s.integer(1)),
                                    static_cast<int>(s.integer(2)), static_cast<int>(s.integer(3)),
                                    static_cast<int>(s.integer(4)), s.integer(5),
                                    s.isNull(6) ? 0 : s.integer(6)});
    return out;
  }

  std::vector<std::string> deliveredEventIds() override {
    PgStatement q(db_,
                  "SELECT DISTINCT event_id FROM outbox WHERE school=$1 AND state='delivered' "
                  "AND kind='notify'",
                  "read which events a sink received");
    q.bind(1, school_);
    std::vector<std::string> ids;
    while (q.step()) ids.push_back(q.text(0));
    return ids;
  }

  std::string deliveredReference(const std::string& eventId, const std::string& sink) override {
    PgStatement s(db_,
                  "SELECT reference FROM outbox WHERE school=$1 AND sink=$3 AND kind='notify' AND "
                  "state='delivered' AND event_id=(SELECT record_of FROM events WHERE school=$1 "
                  "AND id=$2) ORDER BY seq DESC LIMIT 1",
                  "read the reference a sink gave a record");
    s.bind(1, school_).bind(2, eventId).bind(3, sink);
    return s.step() ? s.text(0) : std::string();
  }

  StoreStatus status() override {
    StoreStatus st;
    auto scalar = [&](const char* sql) {
      PgStatement s(db_, sql, "read the store's status");
      s.bind(1, school_);
      return s.step() ? s.integer(0) : 0;
    };
    st.pupils = static_cast<int>(scalar("SELECT COUNT(*) FROM pupils WHERE school=$1"));
    st.marks = scalar(
        "SELECT COALESCE(MAX(value), 0) FROM register_totals WHERE school=$1 AND key='marks'");
    st.marks_not_taken = scalar("SELECT COUNT(*) FROM registers_not_taken WHERE school=$1");
    st.amendments = scalar("SELECT COUNT(*) FROM amendments WHERE school=$1");
    st.imports = static_cast<int>(scalar("SELECT COUNT(*) FROM imports WHERE school=$1"));
    st.active_events =
        static_cast<int>(scalar("SELECT COUNT(*) FROM events WHERE school=$1 AND state='active'"));
    st.oldest_pending_at = scalar(
        "SELECT COALESCE(MIN(created_at), 0) FROM outbox WHERE school=$1 AND state='pending'");
    constexpr const char* kIso =
        "to_char(to_timestamp(MAX(imported_at)) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
    PgStatement last(db_, std::string("SELECT ") + kIso + " FROM imports WHERE school=$1",
                     "read the store's status");
    last.bind(1, school_);
    if (last.step() && !last.isNull(0)) st.last_import_at = last.text(0);
    PgStatement bySource(
        db_,
        std::string("SELECT source, ") + kIso + " FROM imports WHERE school=$1 GROUP BY source",
        "read the store's status");
    bySource.bind(1, school_);
    while (bySource.step()) st.last_import_by_source[bySource.text(0)] = bySource.text(1);
    st.outbox_by_state = outboxCounts();
    return st;
  }

  OnRollSummary onRollSummary(Date today, Date from, Date to) override {
    OnRollSummary r;
    auto count = [&](const char* sql, Date a, std::optional<Date> b = std::nullopt) {
      PgStatement s(db_, sql, "count the admission register");
      s.bind(1, school_).bind(2, a.iso());
      if (b) s.bind(3, b->iso());
      return s.step() ? static_cast<int>(s.integer(0)) : 0;
    };
    r.on_roll = count(
        "SELECT COUNT(DISTINCT upn) FROM on_roll WHERE school=$1 AND (admitted='' OR "
        "admitted<=$2) AND (left_on IS NULL OR left_on>=$2)",
        today);
    PgStatement without(db_,
                        "SELECT COUNT(*) FROM pupils p WHERE p.school=$1 AND NOT EXISTS (SELECT "
                        "1 FROM on_roll r WHERE r.school=p.school AND r.upn=p.upn)",
                        "count the pupils without on-roll data");
    without.bind(1, school_);
    if (without.step()) r.without_roll = static_cast<int>(without.integer(0));
    r.joined = count(
        "SELECT COUNT(*) FROM on_roll WHERE school=$1 AND admitted<>'' AND admitted BETWEEN $2 "
        "AND $3",
        from, to);
    r.left = count("SELECT COUNT(*) FROM on_roll WHERE school=$1 AND left_on BETWEEN $2 AND $3",
                   from, to);
    PgStatement waiting(
        db_,
        "SELECT e.type, COUNT(*), MIN(e.payload::json #>> '{action,due_on}') FROM events e "
        "WHERE e.school=$1 AND e.state='active' AND e.type IN ('new_pupil','deletion',"
        "'missing_education') AND (NOT EXISTS (SELECT 1 FROM outbox o WHERE o.school=e.school "
        "AND o.event_id=e.id) OR EXISTS (SELECT 1 FROM outbox o WHERE o.school=e.school AND "
        "o.event_id=e.id AND o.state<>'delivered')) GROUP BY e.type",
        "count the returns waiting");
    waiting.bind(1, school_);
    while (waiting.step()) {
      r.waiting[waiting.text(0)] = static_cast<int>(waiting.integer(1));
      if (waiting.textView(0) == "new_pupil" && !waiting.isNull(2))
        r.earliest_due = waiting.text(2);
    }
    auto active = [&](const char* sql) {
      PgStatement s(db_, sql, "count the admission register's tasks");
      s.bind(1, school_);
      return s.step() ? static_cast<int>(s.integer(0)) : 0;
    };
    r.office_tasks = active(
        "SELECT COUNT(*) FROM events WHERE school=$1 AND state='active' AND "
        "rule='admission_register.deletion_details_missing'");
    r.vanished = active(
        "SELECT COUNT(DISTINCT upn) FROM events WHERE school=$1 AND state='active' AND "
        "rule='missing_education.vanished'");
    return r;
  }

  std::map<std::string, int> outboxCounts() override {
    std::map<std::string, int> counts;
    PgStatement states(db_, "SELECT state, COUNT(*) FROM outbox WHERE school=$1 GROUP BY state",
                       "count the outbox by state");
    states.bind(1, school_);
    while (states.step()) counts[states.text(0)] = static_cast<int>(states.integer(1));
    return counts;
  }

 private:
  std::shared_ptr<PgConnection> connection_;  // its own, or a worker's shared one
  PgConnection& db_;
  std::string school_;
  // While recordTogether runs: the outcomes written so far, and the pipeline they went on (the
  // statements live until it has read their answers: destroyed after it).
  struct Together {
    explicit Together(PgConnection& db) : pipeline(db) {}
    std::deque<PgStatement> statements;
    PgPipeline pipeline;
  };
  Together* together_ = nullptr;

  // Runs kRecordWrites[which] with what `bind` binds; inside recordTogether, queues it on the
  // pipeline instead (the statement kept until the pipeline has read its answer).
  void recordWrite(std::size_t which, const std::function<void(PgStatement&)>& bind) {
    const auto& [sql, purpose] = kRecordWrites.at(which);
    if (!together_) {
      PgStatement s(db_, sql, purpose);
      bind(s);
      s.run();
      return;
    }
    auto& s = together_->statements.emplace_back(db_, sql, purpose);
    bind(s);
    together_->pipeline.queue(s);
  }
  // Who claims outbox items through this store: the worker, and which of its stores (one per
  // school and reload), so a claim is never mistaken for another store's of the same process.
  std::string claimant_ = thisWorker() + "/" + std::to_string(++storesOpened);
};

}  // namespace

std::unique_ptr<Store> openPostgresStore(const std::string& uri, const std::string& school,
                                         const std::string& password) {
  return std::make_unique<PostgresStore>(uri, school, password);
}

std::unique_ptr<Store> openPostgresStore(std::shared_ptr<PgConnection> shared,
                                         const std::string& school) {
  return std::make_unique<PostgresStore>(std::move(shared), school);
}

std::shared_ptr<PgConnection> PgConnectionShare::connection(const std::string& uri,
                                                            const std::string& password) {
  auto& shared = connections_[uri + '\n' + password];
  if (!shared) {
    auto made = std::make_shared<PgConnection>(uri, password);
    migratePostgresSchema(*made);
    made->name(name_);
    shared = std::move(made);
  }
  return shared;
}

}  // namespace markbridge
