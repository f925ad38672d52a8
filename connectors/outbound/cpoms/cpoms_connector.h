#pragma once
// The built-in `cpoms` profile: a CPOMS-style safeguarding system. Each event becomes an
// incident (a concern: categories, the staff roles to alert, what triggered it); a task event
// adds an action to its incident (assignee role, due date, text), a note event a note. A
// correction (the register was amended) is a note on the same incident. Every request carries an
// Idempotency-Key derived from the outbox key, so a retry after a crash finds the incident it
// made instead of making another; for an API without idempotency, `lookup_before_create` asks
// for an incident with the event's external_ref first.
//
// A digest (core/rules/digest.h) has no single student: it becomes an incident with "student":
// null, alerting the role it is for, whose body lists the pupils (names, UPN, year and group,
// figures, what changed), with a task assigned to that role; a revision or withdrawal is a note
// on it, like any correction.
//
// An la_notice (core/outbox/la_notice.h: the LA portal accepted a notification, its revision or
// its withdrawal) is an incident on the pupil with a note saying what the LA was told, its
// reference and when; a revision or withdrawal is a note on that incident.

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "connectors/outbound/common/sink_connection.h"
#include "connectors/outbound/outbound_types.h"

namespace markbridge {

struct CpomsConfig {
  std::string name;
  ConnectionConfig connection;
  // la_notice: the LA was told (or told of a withdrawal): a note on the pupil (la_notice.h).
  std::set<std::string> events = {"concern", "task", "note", "digest", "la_notice"};
  std::vector<std::string> categories = {"Attendance"};  // tasks and notes (a concern: its own)
  bool lookup_before_create = false;

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static CpomsConfig fromJson(const nlohmann::json& json, const std::string& path,
                              const std::filesystem::path& baseDir, const ConfigContext& context);
};

// The bodies of the requests, built from the typed event (pure: no network).
// What triggered it, in plain text: the summary, the period, the sessions by code, the attendance.
std::string cpomsDescription(const SinkEvent& event);
// POST /api/v1/incidents: a concern names its own categories; other types take `categories`.
nlohmann::json cpomsIncidentBody(const SinkEvent& event, const std::string& externalRef,
                                 const std::vector<std::string>& categories);
// A digest's body text: what it lists and what changed since the period before.
std::string cpomsDigestText(const SinkEvent& event);
// A task's POST /api/v1/incidents/{id}/actions (a digest's too: for the role it is for).
nlohmann::json cpomsActionBody(const SinkEvent& event);
// A note event's POST /api/v1/incidents/{id}/notes.
nlohmann::json cpomsNoteBody(const SinkEvent& event);
// A correction (withdraw or revise): a note on the incident the event made.
nlohmann::json cpomsCorrectionBody(OutboxKind kind, const SinkEvent& event);

class CpomsSink : public Sink {
 public:
  CpomsSink(CpomsConfig config, std::unique_ptr<SinkConnection> connection);
  const std::string& name() const override { return config_.name; }
  std::set<std::string> eventTypes() const override { return config_.events; }
  SinkPacing pacing() const override { return connection_->pacing(); }
  void closeConnections() override { connection_->closeIdle(); }
  DeliveryResult deliver(const OutboxItem& item, const SinkEvent& event,
                         const std::string& originalReference) override;

 private:
  // POST (or look up) the incident; its id, or the result that stops the delivery.
  std::optional<std::string> incident(const OutboxItem& item, const SinkEvent& event,
                                      DeliveryResult& stop);
  DeliveryResult post(const std::string& path, const std::string& key, const nlohmann::json& body,
                      std::string* id);

  CpomsConfig config_;
  std::unique_ptr<SinkConnection> connection_;
};

std::unique_ptr<Sink> buildCpomsSink(const nlohmann::json& config, const std::string& path,
                                     const std::filesystem::path& baseDir, const School& school,
                                     const ConfigContext& context);

}  // namespace markbridge
