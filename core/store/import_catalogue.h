#pragma once
// The imports a store knows, by id: which source wrote a mark, when, and with what priority.
// Marks keep only their import's id; this answers the rest, reading each import once.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/store/sqlite_db.h"

namespace markbridge {

struct ImportInfo {
  std::string source;
  int64_t imported_at = 0;
  int priority = 0;
};

class ImportCatalogue {
 public:
  explicit ImportCatalogue(SqliteDb& db) : db_(db) {}
  const ImportInfo& at(uint32_t id) {
    auto found = known_.find(id);
    if (found != known_.end()) return found->second;
    SqliteStatement s(db_.handle(),
                      "SELECT source, imported_at, priority FROM imports WHERE id=?1");
    s.bind(1, int64_t{id});
    ImportInfo info;
    if (s.step()) info = ImportInfo{s.text(0), s.integer(1), static_cast<int>(s.integer(2))};
    return known_.emplace(id, std::move(info)).first->second;
  }
  void remember(uint32_t id, ImportInfo info) { known_[id] = std::move(info); }

 private:
  SqliteDb& db_;
  std::unordered_map<uint32_t, ImportInfo> known_;
};

}  // namespace markbridge
