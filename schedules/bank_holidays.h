#pragma once
// The bank holidays of England and Wales that follow rules: New Year's Day, Good Friday, Easter
// Monday, the early May and spring bank holidays, the summer bank holiday, Christmas Day and
// Boxing Day, with the substitute days when they fall at a weekend. One-off days (a coronation,
// a state funeral) and moved days (VE Day 2020, the 2022 jubilee) are not rules: list them in the
// calendar's "bank_holidays".

#include <vector>

#include "core/domain/date.h"

namespace markbridge {

std::vector<Date> englandBankHolidays(int year);
Date easterSunday(int year);

}  // namespace markbridge
