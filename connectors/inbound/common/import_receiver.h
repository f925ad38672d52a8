#pragma once
// Where an inbound connector hands what it reads. A large input arrives in parts so it is never
// held whole; the receiver (the gateway) writes the parts inside one store transaction and
// commits at finish() only if the input had no problems.

#include <optional>
#include <string>
#include <vector>

#include "core/domain/import_batch.h"
#include "mapping/pupil_directory.h"

namespace markbridge {

class ImportReceiver {
 public:
  virtual ~ImportReceiver() = default;
  // True when these exact bytes from this source came before: the connector skips them.
  virtual bool alreadyImported(const std::string& source, const std::string& fingerprint) {
    (void)source, (void)fingerprint;
    return false;
  }
  // Takes the pupils and marks gathered so far; the connector clears them afterwards.
  virtual void part(ImportBatch& batch) = 0;
  // The end of one input: its last pupils and marks, its totals and its problems.
  virtual void finish(ImportBatch&& batch) = 0;
  // What the source remembered after its last stored import (e.g. a high-water mark).
  virtual std::optional<std::string> sourceState(const std::string& source,
                                                 const std::string& key) {
    (void)source, (void)key;
    return std::nullopt;
  }
  // Pupils on roll, for marks that name a pupil only by MIS id.
  virtual const PupilDirectory& directory() const { return empty_; }
  // The school calendar's last day: a mark after today but not after it is pre-entered (a
  // planned absence entered ahead in the MIS), one after it is refused. Nothing: no calendar.
  virtual std::optional<Date> calendarEnd() const { return std::nullopt; }
  // A preview (`markbridge sync --dry-run`): what is read goes into a copy of the store, so a
  // drop folder leaves its files where they are (no archive/, no quarantine/, no sidecar).
  virtual bool preview() const { return false; }

 private:
  PupilDirectory empty_;
};

// Passes everything to another receiver; a subclass watches what goes by (counts, outcomes).
class ForwardingReceiver : public ImportReceiver {
 public:
  explicit ForwardingReceiver(ImportReceiver& inner) : inner_(inner) {}
  bool alreadyImported(const std::string& source, const std::string& fingerprint) override {
    return inner_.alreadyImported(source, fingerprint);
  }
  std::optional<std::string> sourceState(const std::string& source,
                                         const std::string& key) override {
    return inner_.sourceState(source, key);
  }
  const PupilDirectory& directory() const override { return inner_.directory(); }
  std::optional<Date> calendarEnd() const override { return inner_.calendarEnd(); }
  bool preview() const override { return inner_.preview(); }
  void part(ImportBatch& batch) override { inner_.part(batch); }
  void finish(ImportBatch&& batch) override { inner_.finish(std::move(batch)); }

 private:
  ImportReceiver& inner_;
};

// Gathers whole batches in memory (tests, `markbridge import` of a small file, fuzzing).
class BatchCollector : public ImportReceiver {
 public:
  explicit BatchCollector(const PupilDirectory* directory = nullptr) : directory_(directory) {}
  void part(ImportBatch& batch) override { append(current_, batch); }
  void finish(ImportBatch&& batch) override {
    ImportBatch whole = std::move(batch);
    append(current_, whole);
    whole.pupils = std::move(current_.pupils);
    whole.marks = std::move(current_.marks);
    whole.on_roll = std::move(current_.on_roll);
    current_ = ImportBatch{};
    batches.push_back(std::move(whole));
  }
  const PupilDirectory& directory() const override {
    return directory_ ? *directory_ : ImportReceiver::directory();
  }
  std::vector<ImportBatch> batches;

 private:
  static void append(ImportBatch& into, ImportBatch& from) {
    into.pupils.insert(into.pupils.end(), std::make_move_iterator(from.pupils.begin()),
                       std::make_move_iterator(from.pupils.end()));
    into.marks.insert(into.marks.end(), std::make_move_iterator(from.marks.begin()),
                      std::make_move_iterator(from.marks.end()));
    into.on_roll.insert(into.on_roll.end(), std::make_move_iterator(from.on_roll.begin()),
                        std::make_move_iterator(from.on_roll.end()));
  }
  const PupilDirectory* directory_;
  ImportBatch current_;
};

}  // namespace markbridge
