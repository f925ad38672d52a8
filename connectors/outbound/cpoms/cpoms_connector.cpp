#include "connectors/outbound/cpoms/cpoms_connector.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/common/http_policy.h"

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
              "the event types sent here: concern, task, note",
              [](M& c, const nlohmann::json& events, const SettingScope& scope) {
                c.events.clear();
                for (std::size_t i = 0; i < events.size(); ++i) {
                  auto type = events[i].is_string() ? events[i].get<std::string>() : "";
                  if (type != "concern" && type != "task" && type != "note")
                    scope.context.add(scope.path + "[" + std::to_string(i) + "]",
                                      "must be concern, task or note", events[i].dump());
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

std::string cpomsDescription(const SinkEvent& event) {
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
  return {
      {"student",
       {{"upn", pupil.upn},
        {"mis_id", pupil.mis_id},
        {"forename", pupil.forename},
        {"surname", pupil.surname}}},
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
  if (item.kind != OutboxKind::Notify) {
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
    if (event.type == "task")
      result = post("/api/v1/incidents/" + *id + "/actions", item.key + "/action",
                    cpomsActionBody(event), nullptr);
    else if (event.type == "note")
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
