// The school's note that the LA was told (issue 14 item 5), decided without a store: what the
// delivery worker queues when the LA portal accepts a notification, its revision or its
// withdrawal (core/outbox/la_notice.h). The store side (queued with the delivery, once) is in
// store_contract_outbox_test.cpp, the whole path through the binary in la_notice_cli_test.cpp.

#include "core/outbox/la_notice.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules/event.h"

using namespace markbridge;

namespace {

Event tenDays() {
  Event e;
  e.rule = "statutory.unauthorised_10_day";
  e.type = "unauthorised_10_day";
  e.pupil.upn = "B801200005001";
  e.pupil.surname = "Khan";
  e.episode = "2024-11-11";
  e.id = Event::makeId(e.rule, e.pupil.upn, e.episode);
  e.from = *Date::parseIso("2024-11-11");
  e.to = e.occurred_on = *Date::parseIso("2024-11-22");
  e.sessions_by_code = {{"N", 20}};
  e.summary = "10 school days of continuous unauthorised absence, 2024-11-11 to 2024-11-22";
  e.actions_taken = std::vector<ActionTaken>{{*Date::parseIso("2024-11-13"), "task: x", "s"}};
  return e;
}

OutboxItem laItem(const Event& e, OutboxKind kind) {
  OutboxItem item;
  item.key = e.id + (kind == OutboxKind::Notify ? "" : "/w2") + "@la";
  item.sink = "la";
  item.event_id = e.id;
  item.upn = e.pupil.upn;
  item.kind = kind;
  return item;
}

const int64_t kAcceptedGmt = 1732284183000;  // 2024-11-22 14:03:03 UTC: 14:03 in London

}  // namespace

TEST(LaNoticePlan, AnAcceptedNotificationIsANoteForEachSinkTakingLaNoticeSayingWhatTheLaWasTold) {
  auto e = tenDays();
  auto notes = laNotices(laItem(e, OutboxKind::Notify), SinkEvent::of(e), "LA-100002", "",
                         kAcceptedGmt, {"cpoms", "la", "cpoms2"});
  ASSERT_EQ(notes.size(), 2u);  // never one back to the portal itself
  EXPECT_EQ(notes[0].key, e.id + "@la/la_notice@cpoms");
  EXPECT_EQ(notes[0].key, laNoticeKey(e.id + "@la", "cpoms"));
  EXPECT_EQ(notes[0].sink, "cpoms");
  EXPECT_EQ(notes[1].sink, "cpoms2");
  EXPECT_EQ(notes[0].event_id, e.id);  // explain shows it with the notification
  EXPECT_EQ(notes[0].upn, e.pupil.upn);
  EXPECT_EQ(notes[0].kind, OutboxKind::Notify);
  ASSERT_TRUE(notes[0].payload);
  auto note = SinkEvent::fromJson(*notes[0].payload);  // what the worker will read back
  EXPECT_EQ(note.type, "la_notice");
  EXPECT_EQ(note.rule, e.rule);
  EXPECT_EQ(note.pupil.upn, e.pupil.upn);
  EXPECT_EQ(note.from, e.from);
  EXPECT_FALSE(note.actions_taken);  // what the LA was sent of the school's actions stays there
  const std::string text =
      "The LA was notified: unauthorised_10_day, period 2024-11-11 to 2024-11-22, LA reference "
      "LA-100002, accepted by the LA portal 2024-11-22 14:03 (London time). What the LA was "
      "told: 10 school days of continuous unauthorised absence, 2024-11-11 to 2024-11-22";
  EXPECT_EQ(note.summary, text);
  ASSERT_TRUE(note.action && note.action->text);
  EXPECT_EQ(*note.action->text, text);
  EXPECT_EQ(note.action->details.value("la_reference", ""), "LA-100002");
  EXPECT_EQ(note.action->details.value("la_type", ""), "unauthorised_10_day");
  EXPECT_EQ(note.action->details.value("change", ""), "notified");
}

TEST(LaNoticePlan, AWithdrawalSaysWhyAndNamesTheNotificationsOwnReference) {
  auto e = tenDays();
  const int64_t acceptedBst = 1727431200000;  // 2024-09-27 10:00 UTC: 11:00 in London (BST)
  auto notes = laNotices(laItem(e, OutboxKind::Withdraw), SinkEvent::of(e), "LA-100009",
                         "LA-100002", acceptedBst, {"cpoms"});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].key, e.id + "/w2@la/la_notice@cpoms");
  EXPECT_EQ(notes[0].kind, OutboxKind::Withdraw);  // a note on the notification's record
  auto note = SinkEvent::fromJson(*notes[0].payload);
  EXPECT_EQ(note.summary,
            "The LA notification unauthorised_10_day (period 2024-11-11 to 2024-11-22, LA "
            "reference LA-100002) was withdrawn; the LA portal accepted the withdrawal 2024-09-27 "
            "11:00 (London time). Why: the register was amended and the grounds for the "
            "notification no longer hold");
  EXPECT_EQ(note.action->details.value("change", ""), "withdrawn");
  EXPECT_EQ(note.action->details.value("la_reference", ""), "LA-100002");
  // The words the LA portal is sent in the correction itself.
  EXPECT_EQ(laCorrectionReason(OutboxKind::Withdraw),
            "the register was amended and the grounds for the notification no longer hold");
  auto revised = laNotices(laItem(e, OutboxKind::Revise), SinkEvent::of(e), "LA-100010",
                           "LA-100002", kAcceptedGmt, {"cpoms"});
  ASSERT_EQ(revised.size(), 1u);
  EXPECT_NE(SinkEvent::fromJson(*revised[0].payload)
                .summary.find("was revised: its period is now 2024-11-11 to 2024-11-22"),
            std::string::npos);
}

TEST(LaNoticePlan, NothingForAnEventThatIsNotAnLaNotificationOrWhenNoSinkTakesIt) {
  auto e = tenDays();
  EXPECT_TRUE(
      laNotices(laItem(e, OutboxKind::Notify), SinkEvent::of(e), "LA-1", "", kAcceptedGmt, {})
          .empty());
  auto concern = tenDays();
  concern.type = "concern";
  concern.actions_taken.reset();
  EXPECT_TRUE(laNotices(laItem(concern, OutboxKind::Notify), SinkEvent::of(concern), "7", "",
                        kAcceptedGmt, {"cpoms"})
                  .empty());
  // Every LA type is told, the admission register's returns too.
  auto joined = tenDays();
  joined.type = "new_pupil";
  joined.actions_taken.reset();
  joined.action = R"({"admission_date":"2024-11-11","due_on":"2024-11-16"})";
  EXPECT_EQ(laNotices(laItem(joined, OutboxKind::Notify), SinkEvent::of(joined), "LA-3", "",
                      kAcceptedGmt, {"cpoms"})
                .size(),
            1u);
}
