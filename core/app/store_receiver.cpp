#include "core/app/store_receiver.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <map>
#include <utility>

#include "core/domain/fault_point.h"
#include "core/domain/logging.h"
#include "core/domain/upn.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

std::string utcTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

// For `status`: how many marks of the import were not applied and which sources hold them.
std::string notAppliedNote(const ImportOutcome& outcome) {
  if (outcome.marks_not_applied == 0) return "";
  std::map<std::string, int> byHolder;
  for (const auto& n : outcome.not_applied) ++byHolder[n.held_by];
  std::string holders;
  for (const auto& [source, n] : byHolder) holders += (holders.empty() ? "" : ", ") + source;
  const auto& first = outcome.not_applied.front();
  return std::to_string(outcome.marks_not_applied) +
         " mark(s) of its last import not applied: " + holders +
         (byHolder.size() == 1 ? " holds" : " hold") + " those sessions (first pupil " +
         maskUpn(first.upn) + " " + first.date.iso() + " " + std::string(toString(first.session)) +
         "); correct them there";
}

}  // namespace

StoreReceiver::StoreReceiver(Store& store, const SchoolCalendar& calendar, int64_t now,
                             std::function<void(ImportResult&&)> done)
    : store_(store),
      calendar_(calendar),
      now_(now),
      today_(london::localDate(now)),
      done_(std::move(done)),
      directory_(store.pupilIds()) {}

StoreReceiver::~StoreReceiver() {
  try {
    drain();
  } catch (...) {
  }
}

bool StoreReceiver::alreadyImported(const std::string& source, const std::string& fingerprint) {
  return store_.alreadyImported(source, fingerprint);
}

std::optional<Date> StoreReceiver::calendarEnd() const {
  return calendar_.last();
}

void StoreReceiver::write(const ImportBatch& batch) {
  auto count = [](int& n, std::optional<Date>& first, Date day) {
    ++n;
    if (!first || day < *first) first = day;
  };
  for (const auto& mark : batch.marks) {
    if (mark.date > today_) count(result_.ahead, result_.first_ahead, mark.date);
    if (!mark.code.isPossible() || calendar_.isSchoolDay(mark.date)) continue;
    count(result_.off_calendar, result_.first_off_calendar, mark.date);
  }
  if (!writer_) writer_ = store_.beginImport(now_);
  writer_->add(batch, result_.outcome);
  faultPoint("after-import-part");  // crash tests: written, not yet committed
}

void StoreReceiver::writeParts() {
  for (;;) {
    ImportBatch piece;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !queue_.empty() || ending_; });
      if (queue_.empty()) return;
      piece = std::move(queue_.front());
      queue_.pop_front();
    }
    changed_.notify_all();
    try {
      if (!failure_) write(piece);
    } catch (...) {
      failure_ = std::current_exception();
    }
  }
}

void StoreReceiver::drain() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    ending_ = true;
  }
  changed_.notify_all();
  thread_.join();
  ending_ = false;
  if (auto failure = std::exchange(failure_, nullptr)) std::rethrow_exception(failure);
}

void StoreReceiver::part(ImportBatch& batch) {
  if (!batch.ok()) return;
  ImportBatch piece;
  piece.source = batch.source;
  piece.priority = batch.priority;
  piece.has_flags = batch.has_flags;
  piece.marks = std::move(batch.marks);
  piece.pupils = std::move(batch.pupils);
  piece.on_roll = std::move(batch.on_roll);  // before the marks they decide the counting of
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { writeParts(); });
  changed_.wait(lock, [&] { return queue_.size() < 2; });
  queue_.push_back(std::move(piece));
  lock.unlock();
  changed_.notify_all();
}

void StoreReceiver::finish(ImportBatch&& batch) {
  auto log = namedLogger(batch.source);
  try {
    drain();
  } catch (...) {
    writer_.reset();
    result_ = ImportResult{};
    throw;
  }
  if (batch.skipped) {
    result_ = ImportResult{};
    result_.outcome.already_imported = true;
  } else if (!batch.ok()) {
    writer_.reset();  // rolls back every part already written
    result_ = ImportResult{};
    log->error("{} rejected whole, nothing stored: {} problem(s), first: {}", batch.origin,
               batch.problems.size(), batch.problems.front().str());
    // Nothing of the input is kept, only the note that it was refused, for `status`.
    store_.setSourceState(batch.source, std::string(kLastRefusedKey),
                          utcTime(now_) + " " + batch.problems.front().str() +
                              (batch.problems.size() > 1
                                   ? " (and " + std::to_string(batch.problems.size() - 1) + " more)"
                                   : ""),
                          now_);
  } else {
    write(batch);
    // Kept with the marks, so `status` shows it until the source's next stored import.
    std::string note;
    if (result_.off_calendar) {
      note = std::to_string(result_.off_calendar) +
             " mark(s) of its last import fall on days the calendar says are not school days "
             "(first " +
             result_.first_off_calendar->iso() + "): check the calendar or the export";
      log->warn("{}: {} marks fall on days the calendar says are not school days (first {})",
                batch.origin, result_.off_calendar, result_.first_off_calendar->iso());
    }
    if (result_.ahead) {
      note += (note.empty() ? "" : "; ") + std::to_string(result_.ahead) +
              " mark(s) are pre-entered for sessions after today (first " +
              result_.first_ahead->iso() + "): rules read them when their day comes";
      log->warn("{}: {} marks are pre-entered for sessions after today (first {})", batch.origin,
                result_.ahead, result_.first_ahead->iso());
    }
    batch.source_state[std::string(kOffCalendarKey)] = note;
    batch.source_state[std::string(kNotAppliedKey)] = notAppliedNote(result_.outcome);
    writer_->commit(batch, result_.outcome);
    writer_.reset();
    log->info("{}: {} marks added, {} amended, {} unchanged, {} not applied", batch.origin,
              result_.outcome.marks_added, result_.outcome.marks_amended,
              result_.outcome.marks_unchanged, result_.outcome.marks_not_applied);
    if (result_.outcome.marks_not_applied)
      log->warn("{}: {} marks not applied: a source of higher priority holds those sessions",
                batch.origin, result_.outcome.marks_not_applied);
    if (result_.outcome.marks_off_roll)
      log->warn(
          "{}: {} marks fall outside every on-roll period of their pupil (first {}): stored, "
          "not counted",
          batch.origin, result_.outcome.marks_off_roll, result_.outcome.first_off_roll->iso());
    if (result_.outcome.pupils_added + result_.outcome.pupils_updated > 0)
      directory_ = PupilDirectory(store_.pupilIds());
  }
  ImportResult done = std::move(result_);
  result_ = ImportResult{};
  done.source = batch.source;
  done.origin = batch.origin;
  done.rows = batch.rows;
  done.missing_marks = batch.missing_marks;
  done.review_flags = batch.review_flags;
  done.problems = std::move(batch.problems);
  done.warnings = std::move(batch.warnings);
  done_(std::move(done));
}

}  // namespace markbridge
