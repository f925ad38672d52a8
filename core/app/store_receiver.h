#pragma once
// Takes what inbound connectors read into the store: each input's parts go into one store
// transaction that commits only when the whole input had no problems. Notes marks that fall on
// days the calendar says are not school days.

#include <functional>
#include <memory>

#include "connectors/inbound/common/import_receiver.h"
#include "core/app/gateway.h"

namespace markbridge {

class StoreReceiver : public ImportReceiver {
 public:
  StoreReceiver(Store& store, const SchoolCalendar& calendar, int64_t now,
                std::function<void(ImportResult&&)> done);
  bool alreadyImported(const std::string& source, const std::string& fingerprint) override;
  void part(ImportBatch& batch) override;
  void finish(ImportBatch&& batch) override;
  const PupilDirectory& directory() const override { return directory_; }

 private:
  void write(const ImportBatch& batch);
  Store& store_;
  const SchoolCalendar& calendar_;
  int64_t now_;
  std::function<void(ImportResult&&)> done_;
  PupilDirectory directory_;
  std::unique_ptr<ImportWriter> writer_;
  ImportResult result_;
};

}  // namespace markbridge
