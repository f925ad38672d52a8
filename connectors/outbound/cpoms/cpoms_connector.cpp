#include "connectors/outbound/cpoms/cpoms_connector.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/common/http_policy.h"
#include "core/outbox/la_notice.h"

namespace markbridge {
namespace {

const SettingTable<CpomsConfig>& cpomsTable() {
  using M = CpomsConfig;
  static const auto table =
      SettingTable<M>()
          .text("name", &M::name, "a short name for this sink, e.g. \"cpoms\"")
          .required()
          .typeKey("cpoms")
          .rowsOf(&M::connection, connectionTable())
          .converted(
              "events", FieldType::Array, "array of strings",
              "the event types sent here: concern, task, note, digest, la_notice (a note on the "
              "pupil when the LA portal accepts a notification or its withdrawal)",
              [](M& c, const nlohmann::json& events, const SettingScope& scope) {
                c.events.clear();
                for (std::size_t i = 0; i < events.size(); ++i) {
                  auto type = events[i].is_string() ? events[i].get<std::string>() : "";
                  if (type != "concern" && type != "task" && type != "note" && type != "digest" &&
                      type != kLaNoticeType)
                    scope.context.add(scope.path + "[" + std::to_string(i) + "]",
                                      "must be concern, task, note, digest or la_notice",
                                      events[i].dump());
                  else
                    c.events.insert(type);
                }
              },
              [](M& c) { return nlohmann::json(c.events); })
          .list("categories", &M::categories,
                "the incident categories for tasks and notes (a concern's rule names its own)")
          .boolean("lookup_before_create", &M::lookup_before_create,
                   "ask for an incident with the event's external_ref before creating one (for an "
                   "API that ignores Idempotency-Key)");
  return table;
}

std::string idOf(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("id")) return "";
  const auto& id = json["id"];
  return id.is_string() ? id.get<std::string>() : id.is_number() ? id.dump() : "";
}

}  // namespace

namespace {

// A figure as a person writes it: 3, 96.2.
std::string figure(const nlohmann::json& v) {
  if (!v.is_number()) return v.dump();
  double d = v.get<double>();
  if (d == std::floor(d) && std::abs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  return nlohmann::json(d).dump();
}

// "Smith, Ann (year 8, 8B, UPN B801200005001)"
std::string digestPupil(const nlohmann::json& p) {
  return p.value("surname", "") + ", " + p.value("forename", "") + " (year " + p.value("year", "") +
         ", " + p.value("reg_group", "") + ", UPN " + p.value("upn", "") + ")";
}

}  // namespace

std::string cpomsDigestText(const SinkEvent& event) {
  std::ostringstream text;
  text << event.summary;
  const auto& digest = *event.digest;
  const auto& pupils = digest["pupils"];
  if (!pupils.empty()) text << "\nPupils:";
  for (const auto& p : pupils) {
    std::string change = p.value("change", "");
    text << "\n- " << digestPupil(p) << ": " << figure(p.value("value", nlohmann::json(0)));
    const auto* before = p.contains("before") && p["before"].is_object() ? &p["before"] : nullptr;
    if (before) text << " (was " << figure(before->value("value", nlohmann::json(0))) << ")";
    text << "; " << p.value("sessions", 0) << " sessions absent";
    if (before) text << " (was " << before->value("sessions", 0) << ")";
    text << "; attendance " << figure(p.value("attendance_percent", nlohmann::json(0))) << "%";
    if (before)
      text << " (was " << figure(before->value("attendance_percent", nlohmann::json(0))) << "%)";
    if (change == "new") text << "; new this period";
    text << "\n  " << p.value("summary", "");
  }
  if (digest.contains("gone") && digest["gone"].is_array() && !digest["gone"].empty()) {
    text << "\nNo longer listed:";
    for (const auto& p : digest["gone"]) text << "\n- " << digestPupil(p);
  }
  text << "\n(raised by Markbridge, rule " << event.rule << ")";
  return text.str();
}

std::string cpomsDescription(const SinkEvent& event) {
  if (event.digest) return cpomsDigestText(event);
  std::ostringstream text;
  text << event.summary;
  text << "\nPeriod: " << event.from.iso() << " to " << event.to.iso();
  if (!event.sessions_by_code.empty()) {
    text << "\nSessions:";
    for (const auto& [code, n] : event.sessions_by_code) text << " " << code << " x" << n;
  }
  text << "\nAttendance this academic year: " << nlohmann::json(event.attendance_percent).dump()
       << "%";
  text << "\n(raised by Markbridge, rule " << event.rule << ")";
  return text.str();
}

nlohmann::json cpomsIncidentBody(const SinkEvent& event, const std::string& externalRef,
                                 const std::vector<std::string>& categories) {
  const auto& pupil = event.pupil;
  const auto* action = event.action ? &*event.action : nullptr;
  bool concern = event.type == "concern";
  // A digest is about many pupils (listed in its body), not one student.
  nlohmann::json student = nullptr;
  if (!event.digest)
    student = {{"upn", pupil.upn},
               {"mis_id", pupil.mis_id},
               {"forename", pupil.forename},
               {"surname", pupil.surname}};
  return {
      {"student", student},
      {"categories", concern && action && action->categories ? *action->categories : categories},
      {"occurred_on", event.occurred_on.iso()},
      {"body", cpomsDescription(event)},
      {"alert", action && action->alert ? nlohmann::json(*action->alert) : nlohmann::json::array()},
      {"source", "markbridge"},
      {"external_ref", externalRef},
  };
}

nlohmann::json cpomsActionBody(const SinkEvent& event) {
  const auto* action = event.action ? &*event.action : nullptr;
  return {{"assignee_role", action && action->assignee_role ? *action->assignee_role : ""},
          {"due_on", action && action->due_on ? *action->due_on : event.occurred_on.iso()},
          {"text", action && action->text ? *action->text : event.summary}};
}

nlohmann::json cpomsNoteBody(const SinkEvent& event) {
  const auto* action = event.action ? &*event.action : nullptr;
  return {{"text", action && action->text ? *action->text : event.summary},
          {"source", "markbridge"}};
}

nlohmann::json cpomsCorrectionBody(OutboxKind kind, const SinkEvent& event) {
  if (event.digest) {
    std::string digestText =
        kind == OutboxKind::Withdraw
            ? "Correction: the register was amended and nobody is listed in this digest any "
              "more (" +
                  event.summary + ")."
            : "Revised: the register was amended; this digest now reads: " +
                  cpomsDescription(event);
    return {{"text", digestText}, {"source", "markbridge"}};
  }
  std::string text =
      kind == OutboxKind::Withdraw
          ? "Correction: the register was amended and the grounds for this record no longer "
            "hold (" +
                event.summary + ")."
          : "Revised: the register was amended; the grounds still hold. " + cpomsDescription(event);
  return {{"text", text}, {"source", "markbridge"}};
}

std::string CpomsConfig::describe() {
  return cpomsTable().describe();
}

CpomsConfig CpomsConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                  const std::filesystem::path& baseDir,
                                  const ConfigContext& context) {
  CpomsConfig config;
  cpomsTable().apply(json, path, baseDir, context, config);
  config.connection.sink = config.name;
  config.connection.check(path, context);
  return config;
}

CpomsSink::CpomsSink(CpomsConfig config, std::unique_ptr<SinkConnection> connection)
    : config_(std::move(config)), connection_(std::move(connection)) {}

DeliveryResult CpomsSink::post(const std::string& path, const std::string& key,
                               const nlohmann::json& body, std::string* id) {
  HttpRequest request;
  request.path = path;
  request.headers["Idempotency-Key"] = key;
  request.body = body.dump();
  counters_.bytes += static_cast<int64_t>(request.body.size());
  auto response = connection_->send(request);
  std::string reference = response.status / 100 == 2 ? idOf(response.body) : "";
  if (id) *id = reference;
  auto result = deliveryResult(config_.name, response, reference);
  if (result.outcome == DeliveryResult::Outcome::Delivered && id && reference.empty())
    result =
        DeliveryResult::retry("sink " + config_.name + ": " + path + " answered without an id");
  return result;
}

std::optional<std::string> CpomsSink::incident(const OutboxItem& item, const SinkEvent& event,
                                               DeliveryResult& stop) {
  if (config_.lookup_before_create) {
    HttpRequest lookup;
    lookup.method = "GET";
    lookup.path = "/api/v1/incidents?external_ref=" + urlEncode(item.key);
    auto response = connection_->send(lookup);
    if (response.status / 100 != 2) {
      stop = deliveryResult(config_.name, response, "");
      if (stop.outcome == DeliveryResult::Outcome::Delivered)
        stop = DeliveryResult::retry("sink " + config_.name + ": incident lookup failed");
      return std::nullopt;
    }
    auto found = nlohmann::json::parse(response.body, nullptr, false);
    if (found.is_object() && found.contains("data") && found["data"].is_array() &&
        !found["data"].empty() && !idOf(found["data"][0].dump()).empty())
      return idOf(found["data"][0].dump());
  }
  std::string id;
  stop = post("/api/v1/incidents", item.key + "/incident",
              cpomsIncidentBody(event, item.key, config_.categories), &id);
  if (stop.outcome != DeliveryResult::Outcome::Delivered) return std::nullopt;
  return id;
}

DeliveryResult CpomsSink::deliver(const OutboxItem& item, const SinkEvent& event,
                                  const std::string& originalReference) {
  connection_->beginAttempt();  // one deadline for every request of this attempt
  DeliveryResult result;
  // What the LA was told (core/outbox/la_notice.h): a note on the pupil's record. Its revision
  // or withdrawal is a note on the incident the notification's note made; without one (the
  // notification was accepted before la_notice was listed) it makes its own.
  bool laNotice = event.type == kLaNoticeType;
  if (laNotice && item.kind != OutboxKind::Notify && !originalReference.empty()) {
    result = post("/api/v1/incidents/" + originalReference + "/notes", item.key,
                  cpomsNoteBody(event), nullptr);
    if (result.outcome == DeliveryResult::Outcome::Delivered) result.reference = originalReference;
  } else if (item.kind != OutboxKind::Notify && !laNotice) {
    // A correction: a note on the incident the event made.
    if (originalReference.empty())
      result = DeliveryResult::reject("sink " + config_.name +
                                      ": no incident was recorded for this event to correct");
    else
      result = post("/api/v1/incidents/" + originalReference + "/notes", item.key,
                    cpomsCorrectionBody(item.kind, event), nullptr);
    if (result.outcome == DeliveryResult::Outcome::Delivered) result.reference = originalReference;
  } else if (auto id = incident(item, event, result)) {
    result = DeliveryResult::delivered(*id);  // made now, or found by the lookup
    if (event.type == "task" || event.digest)
      result = post("/api/v1/incidents/" + *id + "/actions", item.key + "/action",
                    cpomsActionBody(event), nullptr);
    else if (event.type == "note" || laNotice)
      result = post("/api/v1/incidents/" + *id + "/notes", item.key + "/note", cpomsNoteBody(event),
                    nullptr);
    if (result.outcome == DeliveryResult::Outcome::Delivered) result.reference = *id;
  }
  count(result);
  return result;
}

std::unique_ptr<Sink> buildCpomsSink(const nlohmann::json& json, const std::string& path,
                                     const std::filesystem::path& baseDir, const School&,
                                     const ConfigContext& context) {
  return buildHttpsSink<CpomsConfig, CpomsSink>(json, path, baseDir, context);
}

}  // namespace markbridge
