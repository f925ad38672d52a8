#include "core/app/console/pupil_figures.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <tuple>

#include "core/store/console_reads.h"
#include "core/store/store.h"
#include "schedules/london_time.h"

namespace markbridge {

std::string_view toString(AbsenceBand band) {
  switch (band) {
    case AbsenceBand::Persistent:
      return "PA";
    case AbsenceBand::Severe:
      return "SA";
    case AbsenceBand::None:
      break;
  }
  return "";
}

AbsenceBand absenceBand(int absent, int possible) {
  if (possible <= 0) return AbsenceBand::None;
  // In whole sessions, so 10% is exactly 10% (no floating point at the boundary).
  if (absent * 2 >= possible) return AbsenceBand::Severe;
  if (absent * 10 >= possible) return AbsenceBand::Persistent;
  return AbsenceBand::None;
}

std::string_view toString(DeliveryState state) {
  switch (state) {
    case DeliveryState::None:
      return "-";
    case DeliveryState::NotSent:
      return "not sent";
    case DeliveryState::Delivered:
      return "delivered";
    case DeliveryState::Discarded:
      return "discarded";
    case DeliveryState::Pending:
      return "pending";
    case DeliveryState::Dead:
      return "dead letter";
  }
  return "-";
}

namespace {

std::size_t heap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// The worst state over the event's sinks, each sink's latest item.
DeliveryState deliveryOf(const EventHistory& h) {
  if (h.deliveries.empty()) return DeliveryState::NotSent;
  std::map<std::string, const OutboxItem*> latest;
  for (const auto& item : h.deliveries) latest[item.sink] = &item;  // queue order
  DeliveryState worst = DeliveryState::None;
  for (const auto& [sink, item] : latest) {
    DeliveryState s = item->state == OutboxState::Delivered   ? DeliveryState::Delivered
                      : item->state == OutboxState::Discarded ? DeliveryState::Discarded
                      : item->state == OutboxState::Pending   ? DeliveryState::Pending
                                                              : DeliveryState::Dead;
    worst = std::max(worst, s);
  }
  return worst;
}

}  // namespace

std::size_t PupilSnapshot::bytes() const {
  std::size_t n = sizeof(*this) + rows.capacity() * sizeof(PupilRow);
  for (const auto& r : rows)
    n += heap(r.upn) + heap(r.forename) + heap(r.surname) + heap(r.year_group) + heap(r.reg_group) +
         heap(r.stage) + heap(r.last_event);
  return n;
}

FigureWindows figureWindows(const SchoolCalendar& calendar, Date today) {
  FigureWindows w;
  const auto& index = calendar.index();
  w.as_of = std::min(today, calendar.last());
  // The last school day on or before as_of: the year and the four weeks run to it.
  auto end = std::upper_bound(index.days.begin(), index.days.end(), w.as_of);
  w.last = static_cast<int>(end - index.days.begin()) - 1;
  if (w.last >= 0) {
    auto last = static_cast<std::size_t>(w.last);
    w.year_first = index.yearFirst[last];
    int week = index.week[last];
    w.recent_first =
        std::max(w.year_first, index.weekFirst[static_cast<std::size_t>(std::max(0, week - 3))]);
    w.week_first = std::max(w.year_first, index.weekFirst[static_cast<std::size_t>(week)]);
    w.week_from = index.days[static_cast<std::size_t>(w.week_first)];
    w.year_from = index.days[static_cast<std::size_t>(w.year_first)];
    w.recent_from = index.days[static_cast<std::size_t>(w.recent_first)];
  } else {
    w.year_first = 0;
    w.recent_first = 0;
  }
  w.days = &index.days;
  return w;
}

PupilRow pupilFigures(const Pupil& pupil, const PupilRegister& reg, const FigureWindows& w) {
  PupilRow row;
  row.upn = pupil.upn;
  row.forename = pupil.forename;
  row.surname = pupil.surname;
  row.year_group = pupil.year_group;
  row.reg_group = pupil.reg_group;
  row.flags = pupil.flags;
  bool allOnRoll = pupil.on_roll.empty();
  const auto& days = *w.days;
  for (int i = w.year_first; i <= w.last; ++i) {
    Date day = days[static_cast<std::size_t>(i)];
    if (!allOnRoll && !isOnRoll(pupil.on_roll, day)) continue;
    for (Session s : {Session::AM, Session::PM}) {
      Code code = reg.at(day, s);
      if (!code.isPossible()) continue;
      ++row.possible;
      bool attended = code.isAttendance();
      row.attended += attended;
      row.absent += code.isAbsence();
      row.illness += code.isIllness();
      if (i < w.week_first) {
        ++row.before_possible;
        row.before_absent += code.isAbsence();
      }
      if (i >= w.recent_first) {
        ++row.recent_possible;
        row.recent_attended += attended;
      }
    }
  }
  // The current run: unauthorised sessions from the latest taken session backwards; a session
  // not taken or not possible neither breaks nor extends it.
  bool broken = false;
  for (int i = w.last; i >= w.year_first && !broken; --i) {
    Date day = days[static_cast<std::size_t>(i)];
    if (!allOnRoll && !isOnRoll(pupil.on_roll, day)) continue;
    for (Session s : {Session::PM, Session::AM}) {
      Code code = reg.at(day, s);
      if (!code.isPossible()) continue;
      if (!code.isUnauthorised()) {
        broken = true;
        break;
      }
      ++row.unauthorised_run;
      row.run_from = day;
    }
  }
  row.band = absenceBand(row.absent, row.possible);
  return row;
}

void rankByName(std::vector<PupilRow>& rows) {
  std::vector<PupilRow*> order;
  order.reserve(rows.size());
  for (auto& r : rows) order.push_back(&r);
  std::sort(order.begin(), order.end(), [](const PupilRow* a, const PupilRow* b) {
    return std::tie(a->surname, a->forename, a->upn) < std::tie(b->surname, b->forename, b->upn);
  });
  for (std::size_t i = 0; i < order.size(); ++i) order[i]->name_rank = static_cast<int>(i);
}

PupilSnapshot buildPupilSnapshot(Store& store, const SchoolCalendar& calendar, const RuleSet& rules,
                                 Date today, int64_t nowMs) {
  auto started = std::chrono::steady_clock::now();
  PupilSnapshot snap;
  snap.built_at_ms = nowMs;
  auto w = figureWindows(calendar, today);
  snap.as_of = w.as_of;
  snap.year_from = w.year_from;
  snap.recent_from = w.recent_from;
  snap.week_from = w.week_from;
  std::set<std::string> years, groups;
  store.forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    if (!isOnRoll(pupil.on_roll, w.as_of)) return;
    auto row = pupilFigures(pupil, reg, w);
    years.insert(row.year_group);
    groups.insert(row.reg_group);
    snap.rows.push_back(std::move(row));
  });
  std::sort(snap.rows.begin(), snap.rows.end(),
            [](const PupilRow& a, const PupilRow& b) { return a.upn < b.upn; });
  snap.rows.shrink_to_fit();
  rankByName(snap.rows);

  // The latest active event and ladder stage of each pupil.
  std::map<std::string, std::string> stages;  // stage rule id -> "ladder: stage"
  for (const auto& policy : rules.policies())
    for (const auto& ladder : policy.ladders())
      for (std::size_t s = 0; s < ladder.stages().size(); ++s)
        stages[ladder.stageRuleId(policy.name(), s)] = ladder.id() + ": " + ladder.stages()[s].id;
  for (auto& [upn, history] : everyEventHistory(store)) {
    auto at = std::lower_bound(snap.rows.begin(), snap.rows.end(), upn,
                               [](const PupilRow& r, const std::string& u) { return r.upn < u; });
    if (at == snap.rows.end() || at->upn != upn) continue;
    // The latest episode still standing that was sent to a sink (what the LA or the DSL was
    // told), else the latest one recorded.
    const EventHistory* latest = nullptr;
    const EventHistory* latestSent = nullptr;
    const EventHistory* stage = nullptr;
    for (const auto& h : history) {  // oldest first
      // This week's: new episodes (not revisions, not history) and notifications delivered.
      if (h.event.type != "digest_entry" && h.event.state != EventState::Historical &&
          h.event.record_of == h.event.id && h.event.occurred_on >= snap.week_from &&
          h.event.occurred_on <= snap.as_of)
        ++at->week_episodes;
      for (const auto& item : h.deliveries)
        if (item.kind == OutboxKind::Notify && item.state == OutboxState::Delivered &&
            london::localDate(item.finished_at / 1000) >= snap.week_from &&
            london::localDate(item.finished_at / 1000) <= snap.as_of)
          ++at->week_notifications;
      if (h.event.state != EventState::Active || h.event.type == "digest_entry") continue;
      latest = &h;
      if (!h.deliveries.empty()) latestSent = &h;
      if (stages.count(h.event.rule)) stage = &h;
    }
    if (latestSent) latest = latestSent;
    if (latest) {
      at->last_event = latest->event.type;
      at->last_event_on = latest->event.occurred_on;
      at->delivery = deliveryOf(*latest);
    }
    if (stage) {
      at->stage = stages[stage->event.rule];
      at->stage_on = stage->event.occurred_on;
    }
  }
  snap.years.assign(years.begin(), years.end());
  std::sort(snap.years.begin(), snap.years.end(), [](const std::string& a, const std::string& b) {
    // R, 1, 2 .. 13 in school order; anything else after, alphabetically.
    auto rank = [](const std::string& y) {
      if (y == "R") return 0;
      if (!y.empty() && y.size() <= 2 && std::all_of(y.begin(), y.end(), ::isdigit))
        return std::stoi(y);
      return 100;
    };
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  snap.reg_groups.assign(groups.begin(), groups.end());
  snap.build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return snap;
}

const std::vector<PupilColumn> kPupilColumns = {
    {"name", "Pupil"},          {"year", "Year"},
    {"reg", "Reg group"},       {"percent", "Attendance this year"},
    {"recent", "Last 4 weeks"}, {"run", "Unauthorised run"},
    {"illness", "Illness"},     {"band", "Band"},
    {"stage", "Ladder stage"},  {"event", "Last event"},
    {"delivery", "Delivery"},
};

PupilQuery pupilQueryFrom(const std::vector<std::pair<std::string, std::string>>& params) {
  PupilQuery q;
  for (const auto& [key, value] : params) {
    if (key == "year") q.year = value.substr(0, 128);
    if (key == "reg") q.reg_group = value.substr(0, 128);
    if (key == "band" && (value == "pa" || value == "sa" || value == "none")) q.band = value;
    if (key == "sen") q.sen = value == "1";
    if (key == "fsm") q.fsm = value == "1";
    if (key == "cp") q.cp = value == "1";
    if (key == "cla") q.cla = value == "1";
    if (key == "sort")
      for (const auto& c : kPupilColumns)
        if (value == c.key) q.sort = value;
    if (key == "dir") q.descending = value == "desc";
    if (key == "page") {
      long n = std::strtol(value.c_str(), nullptr, 10);
      q.page = static_cast<int>(std::clamp<long>(n, 1, 1'000'000));
    }
  }
  return q;
}

std::vector<std::pair<std::string, std::string>> queryParams(const PupilQuery& q) {
  std::vector<std::pair<std::string, std::string>> p;
  if (!q.year.empty()) p.emplace_back("year", q.year);
  if (!q.reg_group.empty()) p.emplace_back("reg", q.reg_group);
  if (!q.band.empty()) p.emplace_back("band", q.band);
  if (q.sen) p.emplace_back("sen", "1");
  if (q.fsm) p.emplace_back("fsm", "1");
  if (q.cp) p.emplace_back("cp", "1");
  if (q.cla) p.emplace_back("cla", "1");
  p.emplace_back("sort", q.sort);
  if (q.descending) p.emplace_back("dir", "desc");
  return p;
}

PupilSelection selectPupils(const PupilSnapshot& snapshot, const PupilQuery& q) {
  std::vector<const PupilRow*> rows;
  rows.reserve(snapshot.rows.size());
  for (const auto& r : snapshot.rows) {
    if (!q.year.empty() && r.year_group != q.year) continue;
    if (!q.reg_group.empty() && r.reg_group != q.reg_group) continue;
    if (q.band == "pa" && r.band == AbsenceBand::None) continue;
    if (q.band == "sa" && r.band != AbsenceBand::Severe) continue;
    if (q.band == "none" && r.band != AbsenceBand::None) continue;
    if ((q.sen && !(r.flags.sen || r.flags.ehcp)) || (q.fsm && !r.flags.fsm) ||
        (q.cp && !r.flags.cp) || (q.cla && !r.flags.cla))
      continue;
    rows.push_back(&r);
  }
  // Ascending by the column (ties by name, then UPN, so pages never overlap); descending
  // reverses the column only.
  PupilSelection sel;
  sel.total = static_cast<int>(rows.size());
  sel.pages = std::max(1, (sel.total + PupilQuery::kPerPage - 1) / PupilQuery::kPerPage);
  sel.page = std::clamp(q.page, 1, sel.pages);
  auto from = static_cast<std::ptrdiff_t>(sel.page - 1) * PupilQuery::kPerPage;
  auto to = std::min(static_cast<std::ptrdiff_t>(rows.size()), from + PupilQuery::kPerPage);
  // Ascending by the column, ties by name (then UPN: name_rank), so pages never overlap;
  // descending reverses the column only. Only this page's rows are put in order: the rows
  // before it are found (nth_element) but not sorted, so any page costs about one pass.
  auto by = [&](auto key) {
    auto less = [&](const PupilRow* a, const PupilRow* b) {
      const auto& ka = key(*a);
      const auto& kb = key(*b);
      if (ka != kb) return q.descending ? kb < ka : ka < kb;
      return a->name_rank < b->name_rank;
    };
    if (from > 0) std::nth_element(rows.begin(), rows.begin() + from, rows.end(), less);
    std::partial_sort(rows.begin() + from, rows.begin() + to, rows.end(), less);
  };
  const std::string& s = q.sort;
  if (s == "name")
    by([](const PupilRow& r) { return r.name_rank; });
  else if (s == "year")
    by([](const PupilRow& r) {
      return std::tuple<std::size_t, const std::string&>(r.year_group.size(), r.year_group);
    });
  else if (s == "reg")
    by([](const PupilRow& r) -> const std::string& { return r.reg_group; });
  else if (s == "recent")
    // No marks at all over the weeks (a register not taken, a child not seen) first: a warning
    // sign, not the best attendance.
    by([](const PupilRow& r) { return std::make_pair(r.recent_possible > 0, r.recentPercent()); });
  else if (s == "run")
    by([](const PupilRow& r) { return r.unauthorised_run; });
  else if (s == "illness")
    by([](const PupilRow& r) { return r.illness; });
  else if (s == "band")
    by([](const PupilRow& r) { return std::make_pair(-static_cast<int>(r.band), r.percent()); });
  else if (s == "stage")
    by([](const PupilRow& r) {
      return std::tuple<bool, const std::string&>(r.stage.empty(), r.stage);
    });
  else if (s == "event")
    by([](const PupilRow& r) { return std::make_pair(r.last_event.empty(), r.last_event_on); });
  else if (s == "delivery")
    by([](const PupilRow& r) { return -static_cast<int>(r.delivery); });
  else
    by([](const PupilRow& r) { return std::make_pair(r.possible > 0, r.percent()); });
  sel.rows.assign(rows.begin() + from, rows.begin() + to);
  return sel;
}

}  // namespace markbridge
