#pragma once
// Takes what inbound connectors read into the store: each input's parts go into one store
// transaction that commits only when the whole input had no problems. Parts are written on a
// second thread while the connector reads on, so a large import costs the larger of parsing and
// writing, not their sum; at most two parts wait in between. Notes marks that fall on days the
// calendar says are not school days.

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "connectors/inbound/common/import_receiver.h"
#include "core/app/gateway.h"

namespace markbridge {

class StoreReceiver : public ImportReceiver {
 public:
  // The source_state key under which each stored import notes its marks on days that are not
  // school days (empty when none), for `status`.
  static constexpr std::string_view kOffCalendarKey = "marks_off_calendar";
  // ... and the marks of its last import not applied (a source of higher priority holds them).
  static constexpr std::string_view kNotAppliedKey = "marks_not_applied";
  // ... and each refused input (when, which file, the first problem), for `status`.
  static constexpr std::string_view kLastRefusedKey = "last_refused";

  StoreReceiver(Store& store, const SchoolCalendar& calendar, int64_t now,
                std::function<void(ImportResult&&)> done);
  ~StoreReceiver() override;
  bool alreadyImported(const std::string& source, const std::string& fingerprint) override;
  std::optional<std::string> sourceState(const std::string& source,
                                         const std::string& key) override {
    return store_.sourceState(source, key);
  }
  void part(ImportBatch& batch) override;
  void finish(ImportBatch&& batch) override;
  const PupilDirectory& directory() const override { return directory_; }
  std::optional<Date> calendarEnd() const override;
  // A preview's receiver (the store is a copy): drop folders leave their files in place.
  void previewOnly() { preview_ = true; }
  bool preview() const override { return preview_; }

 private:
  void write(const ImportBatch& batch);
  void writeParts();  // the writer thread
  // Waits for the writer thread to write what is queued; rethrows what it threw.
  void drain();

  Store& store_;
  const SchoolCalendar& calendar_;
  int64_t now_;
  bool preview_ = false;
  Date today_;  // London's date at now_
  std::function<void(ImportResult&&)> done_;
  PupilDirectory directory_;
  std::unique_ptr<ImportWriter> writer_;
  ImportResult result_;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<ImportBatch> queue_;
  bool ending_ = false;
  std::exception_ptr failure_;
};

}  // namespace markbridge
