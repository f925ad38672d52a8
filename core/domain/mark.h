#pragma once
// A canonical mark: one pupil, one session, one 2024 code, and where it came from.

#include <cstdint>
#include <optional>
#include <string>

#include "core/domain/codes.h"
#include "core/domain/date.h"

namespace markbridge {

struct Mark {
  std::string upn;
  Date date;
  Session session = Session::AM;
  Code code;
  std::string source;       // connector name
  std::string source_code;  // the code as the MIS wrote it, before mapping
  int64_t recorded_at = 0;  // unix seconds when the gateway received it
  std::optional<int> minutes_late;
};

}  // namespace markbridge
