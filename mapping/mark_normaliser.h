#pragma once
// Turns one raw row from a connector (text as the MIS wrote it) into a canonical Mark, or into a
// Problem naming file, line, column and value. Knows no file format.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/mark.h"
#include "core/domain/problem.h"
#include "mapping/code_map.h"

namespace markbridge {

struct RawField {
  std::string_view text;
  int column = 0;  // 1-based column in the source, for messages
};

struct RawMark {
  int line = 0;
  RawField upn, date, session, code, minutes_late;
};

class MarkNormaliser {
 public:
  MarkNormaliser(const CodeMap& codes, std::string file, std::string source, int64_t recordedAt)
      : codes_(codes),
        file_(std::move(file)),
        source_(std::move(source)),
        recordedAt_(recordedAt) {}

  // Appends to `problems` and returns nothing when the row cannot be trusted.
  std::optional<Mark> normalise(const RawMark& raw, std::vector<Problem>& problems,
                                bool* review = nullptr) const;
  // Empty when `upn` is a valid UPN; otherwise a problem is appended.
  bool checkUpn(const RawField& upn, int line, std::vector<Problem>& problems) const;

 private:
  void report(std::vector<Problem>& problems, int line, const RawField& field,
              std::string message) const;
  const CodeMap& codes_;
  std::string file_;
  std::string source_;
  int64_t recordedAt_;
};

}  // namespace markbridge
