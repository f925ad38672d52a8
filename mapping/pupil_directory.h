#pragma once
// Pupil identity: a mark names its pupil by UPN, or, when the source carries no UPN (an MIS API
// keyed on its own ids), by MIS id looked up among the pupils already on roll.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace markbridge {

class PupilDirectory {
 public:
  PupilDirectory() = default;
  // (UPN, MIS id) pairs, e.g. from the store.
  explicit PupilDirectory(const std::vector<std::pair<std::string, std::string>>& ids) {
    for (const auto& [upn, misId] : ids) add(upn, misId);
  }
  void add(const std::string& upn, const std::string& misId) {
    if (!misId.empty()) byMisId_[misId] = upn;
  }
  // The UPN of the pupil with this MIS id, or nothing when no pupil on roll has it.
  const std::string* upnOf(std::string_view misId) const {
    auto it = byMisId_.find(std::string(misId));
    return it == byMisId_.end() ? nullptr : &it->second;
  }
  bool empty() const { return byMisId_.empty(); }

 private:
  std::unordered_map<std::string, std::string> byMisId_;
};

}  // namespace markbridge
