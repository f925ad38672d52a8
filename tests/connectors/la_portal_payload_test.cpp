#include "connectors/outbound/la_portal/la_portal_payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules/event.h"

using namespace markbridge;

namespace {

OutboxItem itemFor(OutboxKind kind) {
  Event event;
  event.id = "ev-1";
  event.rule = "statutory.unauthorised_10_day";
  event.type = "unauthorised_10_day";
  event.pupil =
      Pupil{"B801200005001", "1001", "Zoë", "O'Brien", Date::parseIso("2012-10-01"), "7", "7A", {}};
  event.pupil.flags.cp = true;
  event.from = *Date::parseIso("2024-09-16");
  event.to = *Date::parseIso("2024-09-27");
  event.occurred_on = event.to;
  event.sessions_by_code = {{"N", 20}};
  event.attendance_percent = 61.54;
  OutboxItem item;
  item.kind = kind;
  item.payload = event.toJson();
  return item;
}

const School kSchool{"140000", "801", "4000", "Demo Academy"};

}  // namespace

TEST(LaPortalPayload, ANotificationCarriesSchoolPupilPeriodAndSessions) {
  LaPortalConfig config;
  config.contact_email = "attendance@demo.sch.uk";
  auto body = nlohmann::json::parse(
      laPortalNotificationBody(itemFor(OutboxKind::Notify), "", kSchool, config));
  EXPECT_EQ(body["type"], "unauthorised_10_day");
  EXPECT_EQ(body["school"]["urn"], "140000");
  EXPECT_EQ(body["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(body["pupil"]["forename"], "Zoë");
  EXPECT_EQ(body["pupil"]["cp"], true);
  EXPECT_EQ(body["period"]["from"], "2024-09-16");
  EXPECT_EQ(body["sessions_by_code"]["N"], 20);
  EXPECT_DOUBLE_EQ(body["attendance_percent"].get<double>(), 61.5);
  EXPECT_EQ(body["contact"]["email"], "attendance@demo.sch.uk");
  EXPECT_FALSE(body["pupil"].contains("pp"));  // not part of the LA's form
}

TEST(LaPortalPayload, AWithdrawalNamesTheRecordItCorrectsAndNothingMore) {
  auto body = nlohmann::json::parse(laPortalNotificationBody(
      itemFor(OutboxKind::Withdraw), "LA-100001", kSchool, LaPortalConfig{}));
  EXPECT_EQ(body["type"], "update");
  EXPECT_EQ(body["corrects"]["reference"], "LA-100001");
  EXPECT_EQ(body["corrects"]["type"], "unauthorised_10_day");
  EXPECT_EQ(body["pupil"].size(), 1u);  // the UPN only: no names, no flags
  EXPECT_FALSE(body.contains("sessions_by_code"));
}
