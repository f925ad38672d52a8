// Gateway::evaluate's "today" is London's date, not UTC's: between midnight and 01:00 BST the
// UTC date is still yesterday, and a rule that needs today's register must see it.

#include <gtest/gtest.h>

#include "core/app/gateway.h"
#include "core/app/gateway_config.h"
#include "core/outbox/backoff.h"
#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t ms) : ms_(ms) {}
  int64_t nowMs() override { return ms_; }
  void sleepMs(int64_t) override {}

 private:
  int64_t ms_;
};

// A pupil present on Tuesday 3 September 2024, then unauthorised (O) every school day from
// Wednesday 4 to Tuesday 17 September: the tenth school day of the run is the 17th.
// Evaluated at `utcMs`: how many unauthorised_10_day events were raised.
int tenDayEvents(int64_t utcMs) {
  test::TempDir dir;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("markbridge.json", test::schoolConfig(nlohmann::json::object()).dump(2));
  std::vector<Problem> problems;
  auto config = loadGatewayConfig(dir / "markbridge.json", problems);
  if (!problems.empty()) throw ProblemError(problems);
  Gateway gateway(std::move(config));
  FixedClock clock(utcMs);
  SystemRandom random;
  gateway.setClock(&clock, &random);
  ImportBatch batch;
  batch.source = "sims";
  batch.fingerprint = "run";
  const std::string upn = "B801200005001";
  batch.pupils.push_back(Pupil{upn, "1001", "Ann", "Lee", {}, "8", "8B", {}});
  for (Date day : test::autumnCalendar().schoolDays(d("2024-09-03"), d("2024-09-17")))
    for (auto session : {Session::AM, Session::PM})
      batch.marks.push_back(test::mark(upn, day, session, day == d("2024-09-03") ? "/" : "O"));
  gateway.store().importBatch(batch, utcMs);
  gateway.evaluate();
  int found = 0;
  for (const auto& history : gateway.store().eventHistory(upn))
    found += history.event.type == "unauthorised_10_day";
  return found;
}

}  // namespace

TEST(GatewayToday, IsLondonsDateWhenUtcIsStillYesterday) {
  // 23:30 UTC on Monday 16 September 2024 is 00:30 BST on Tuesday 17 September in London.
  int64_t lateMonday = london::toUtc(d("2024-09-17"), 30) * 1000;
  ASSERT_EQ(london::localDate(lateMonday / 1000), d("2024-09-17"));
  EXPECT_EQ(tenDayEvents(lateMonday), 1);
  // An hour earlier it is still Monday in London too: nine days, no notification yet.
  EXPECT_EQ(tenDayEvents(lateMonday - 3600 * 1000), 0);
}
