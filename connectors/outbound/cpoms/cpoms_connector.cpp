#include "connectors/outbound/cpoms/cpoms_connector.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/common/http_policy.h"

namespace markbridge {
namespace {

constexpr Field kOwnFields[] = {
    {"name", FieldType::String, "", true, "a short name for this sink, e.g. \"cpoms\""},
    {"type", FieldType::String, "", true, "\"cpoms\""},
    {"events", FieldType::Array, R"(["concern","task","note"])", false,
     "the event types sent here: concern, task, note"},
    {"categories", FieldType::Array, R"(["Attendance"])", false,
     "the incident categories for tasks and notes (a concern's rule names its own)"},
    {"lookup_before_create", FieldType::Boolean, "false", false,
     "ask for an incident with the event's external_ref before creating one (for an API that "
     "ignores Idempotency-Key)"},
};

std::string idOf(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("id")) return "";
  const auto& id = json["id"];
  return id.is_string() ? id.get<std::string>() : id.is_number() ? id.dump() : "";
}

// What triggered it, in plain text: the summary, the sessions by code, the attendance.
std::string describe(const nlohmann::json& event) {
  std::ostringstream text;
  text << event.value("summary", "");
  if (event.contains("period"))
    text << "\nPeriod: " << event["period"].value("from", "") << " to "
         << event["period"].value("to", "");
  if (event.contains("sessions_by_code") && !event["sessions_by_code"].empty()) {
    text << "\nSessions:";
    for (const auto& [code, n] : event["sessions_by_code"].items())
      text << " " << code << " x" << n.get<int>();
  }
  if (event.contains("attendance_percent"))
    text << "\nAttendance this academic year: " << event["attendance_percent"].dump() << "%";
  text << "\n(raised by Markbridge, rule " << event.value("rule", "") << ")";
  return text.str();
}

}  // namespace

std::span<const Field> CpomsConfig::schema() {
  static const std::vector<Field> fields = withConnectionFields(kOwnFields);
  return fields;
}

CpomsConfig CpomsConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                  const std::filesystem::path& baseDir,
                                  const ConfigContext& context) {
  CpomsConfig config;
  auto f = applySchema(json, schema(), path, context);
  config.name = f.value("name", "");
  config.connection = ConnectionConfig::fromJson(f, path, baseDir, context);
  config.lookup_before_create = f.value("lookup_before_create", false);
  const auto& events = f.contains("events") ? f["events"] : nlohmann::json::array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto type = events[i].is_string() ? events[i].get<std::string>() : "";
    if (type != "concern" && type != "task" && type != "note")
      context.add(path + ".events[" + std::to_string(i) + "]", "must be concern, task or note",
                  events[i].dump());
    else
      config.events.insert(type);
  }
  const auto& categories = f.contains("categories") ? f["categories"] : nlohmann::json::array();
  for (const auto& c : categories)
    if (c.is_string()) config.categories.push_back(c.get<std::string>());
  if (!f.contains("categories")) config.categories = {"Attendance"};
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

std::optional<std::string> CpomsSink::incident(const OutboxItem& item, const nlohmann::json& event,
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
  const auto& pupil = event["pupil"];
  const auto& action = event.contains("action") ? event["action"] : nlohmann::json::object();
  bool concern = event.value("type", "") == "concern";
  nlohmann::json body = {
      {"student",
       {{"upn", pupil.value("upn", "")},
        {"mis_id", pupil.value("mis_id", "")},
        {"forename", pupil.value("forename", "")},
        {"surname", pupil.value("surname", "")}}},
      {"categories", concern && action.contains("categories") ? action["categories"]
                                                              : nlohmann::json(config_.categories)},
      {"occurred_on", event.value("occurred_on", "")},
      {"body", describe(event)},
      {"alert", action.contains("alert") ? action["alert"] : nlohmann::json::array()},
      {"source", "markbridge"},
      {"external_ref", item.key},
  };
  std::string id;
  stop = post("/api/v1/incidents", item.key + "/incident", body, &id);
  if (stop.outcome != DeliveryResult::Outcome::Delivered) return std::nullopt;
  return id;
}

DeliveryResult CpomsSink::deliver(const OutboxItem& item, const std::string& originalReference) {
  connection_->beginAttempt();  // one deadline for every request of this attempt
  auto event = nlohmann::json::parse(item.payload);
  DeliveryResult result;
  if (item.kind != OutboxKind::Notify) {
    // A correction: a note on the incident the event made.
    std::string text =
        item.kind == OutboxKind::Withdraw
            ? "Correction: the register was amended and the grounds for this record no longer "
              "hold (" +
                  event.value("summary", "") + ")."
            : "Revised: the register was amended; the grounds still hold. " + describe(event);
    if (originalReference.empty())
      result = DeliveryResult::reject("sink " + config_.name +
                                      ": no incident was recorded for this event to correct");
    else
      result = post("/api/v1/incidents/" + originalReference + "/notes", item.key,
                    {{"text", text}, {"source", "markbridge"}}, nullptr);
    if (result.outcome == DeliveryResult::Outcome::Delivered) result.reference = originalReference;
  } else if (auto id = incident(item, event, result)) {
    result = DeliveryResult::delivered(*id);  // made now, or found by the lookup
    const auto& action = event.contains("action") ? event["action"] : nlohmann::json::object();
    std::string type = event.value("type", "");
    if (type == "task")
      result = post("/api/v1/incidents/" + *id + "/actions", item.key + "/action",
                    {{"assignee_role", action.value("assignee_role", "")},
                     {"due_on", action.value("due_on", event.value("occurred_on", ""))},
                     {"text", action.value("text", event.value("summary", ""))}},
                    nullptr);
    else if (type == "note")
      result = post(
          "/api/v1/incidents/" + *id + "/notes", item.key + "/note",
          {{"text", action.value("text", event.value("summary", ""))}, {"source", "markbridge"}},
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
