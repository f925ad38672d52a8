#pragma once
// The longest text any source may give for a pupil's forename or surname (the DfE's Common Basic
// Data Set allows 100), and for a short field: UPN, MIS id, date, year or registration group, one
// mark. Longer values are refused with the field's name and length (never the value: it may be
// a pupil's name).

#include <cstddef>

namespace markbridge {

constexpr std::size_t kMaxNameCharacters = 100;
constexpr std::size_t kMaxShortFieldCharacters = 32;

}  // namespace markbridge
