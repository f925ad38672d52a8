// St John's "Reason other than illness - key staff to be alerted (Keyworker, HOY, SENCO,
// Safeguarding)" from the register to the CPOMS sandbox over TLS: the concern the policy raises
// reaches CPOMS as one incident alerting all four roles.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/policy_register.h"

using namespace markbridge;
using markbridge::test::d;

TEST(CpomsKeyStaffAlert, ReasonOtherThanIllnessAlertsTheKeyWorkerHoySencoAndSafeguarding) {
  test::PolicyRegister reg(test::autumnCalendar());
  reg.set({d("2024-10-09")}, "G", "G");  // one day of holiday not granted
  auto policy = Policy::load(test::sourceDir() + "/docs/policies/st-johns-graduated-response.json");
  auto alerts = reg.fired(policy, "st_johns.reason_other_than_illness");
  ASSERT_EQ(alerts.size(), 1u);

  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  auto server = test::startSandbox("server", [](sandbox::SandboxOptions&) {});
  ::setenv("MB_T_CPOMS_ALERT", "cpoms-sandbox-key", 1);
  auto config = test::cpomsSink(server->baseUrl(), "MB_T_CPOMS_ALERT");
  std::vector<Problem> problems;
  auto sink = findOutboundType("cpoms")->build(config, "$.sinks[0]", dir.path(),
                                               School{"140000", "801", "4000", "Demo"},
                                               ConfigContext{"markbridge.json", &problems});
  ASSERT_TRUE(sink) << (problems.empty() ? "" : problems.front().str());
  SystemClock clock;
  SystemRandom random;
  std::map<std::string, CircuitBreaker> circuits;
  store->commitEvaluation({reg.pupil.upn}, alerts, {{"cpoms", sink->eventTypes()}}, clock.nowMs());
  DeliveryOptions options;
  options.backoff = BackoffPolicy{20, 200};
  options.run_budget_ms = 5000;
  int delivered = 0;
  for (int run = 0; run < 5 && delivered == 0; ++run) {  // a loaded machine may time one out
    DeliveryWorker worker(*store, {{"cpoms", sink.get()}}, clock, random, options, circuits);
    delivered += worker.run().delivered;
    circuits.clear();
    for (const auto& item : store->outbox(OutboxState::Pending, 10))
      store->recordRetry(item.seq, item.attempts, clock.nowMs(), item.last_error);
  }
  ASSERT_EQ(delivered, 1);
  std::vector<nlohmann::json> incidents;
  for (const auto& r : server->received())
    if (r.kind == "incident") incidents.push_back(nlohmann::json::parse(r.body));
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0]["alert"],
            nlohmann::json::array({"key_worker", "head_of_year", "SENCO", "DSL"}));
  EXPECT_EQ(incidents[0]["occurred_on"], "2024-10-09");
  EXPECT_EQ(incidents[0]["student"]["upn"], reg.pupil.upn);
}
