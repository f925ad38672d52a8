#include "connectors/outbound/webhook/webhook_connector.h"

#include "connectors/common/http_policy.h"
#include "connectors/outbound/webhook/json_template.h"

namespace markbridge {
namespace {

constexpr std::string_view kRoots[] = {"event", "kind", "key", "reference", "school"};

std::optional<WebhookRequest> readRequest(const nlohmann::json& json, const std::string& path,
                                          const ConfigContext& context) {
  if (!json.is_object()) {
    context.add(path, "must be an object: method, path, headers, body", json.dump());
    return std::nullopt;
  }
  WebhookRequest r;
  r.method = json.value("method", std::string("POST"));
  if (r.method != "POST" && r.method != "PUT" && r.method != "PATCH")
    context.add(path + ".method", "must be POST, PUT or PATCH", r.method);
  r.path = json.value("path", std::string());
  if (r.path.empty() || r.path[0] != '/')
    context.add(path + ".path", "must be the path to call, starting with /", r.path);
  r.headers = json.value("headers", nlohmann::json::object());
  if (!r.headers.is_object()) context.add(path + ".headers", "must be an object of headers");
  r.body = json.value("body", nlohmann::json::object());
  for (const auto& [key, value] : json.items())
    if (key != "method" && key != "path" && key != "headers" && key != "body")
      context.add(path + "." + key, "is not a setting of a request", key);
  for (const auto& p : templatePaths(nlohmann::json{r.path, r.headers, r.body})) {
    auto root = p.substr(0, p.find('.'));
    if (std::find(std::begin(kRoots), std::end(kRoots), root) == std::end(kRoots))
      context.add(path, "{{" + p + "}} names nothing: use event.*, kind, key, reference, school.*",
                  p);
  }
  return r;
}

nlohmann::json requestJson(const WebhookRequest& r) {
  return {{"method", r.method}, {"path", r.path}, {"headers", r.headers}, {"body", r.body}};
}

const SettingTable<WebhookConfig>& webhookTable() {
  using W = WebhookConfig;
  static const auto table =
      SettingTable<W>()
          .text("name", &W::name, "a short name for this sink, e.g. \"myconcern\"")
          .required()
          .typeKey("webhook")
          .rowsOf(&W::connection, connectionTable())
          .converted(
              "events", FieldType::Array, "array of strings",
              "the event types sent here: LA notification types, concern, task, note, digest",
              [](W& c, const nlohmann::json& events, const SettingScope& scope) {
                c.events.clear();
                for (std::size_t i = 0; i < events.size(); ++i) {
                  if (events[i].is_string())
                    c.events.insert(events[i].get<std::string>());
                  else
                    scope.context.add(scope.path + "[" + std::to_string(i) + "]",
                                      "must be an event type", events[i].dump());
                }
                if (c.events.empty())
                  scope.context.add(scope.path, "must name at least one event type");
              },
              [](W& c) { return nlohmann::json(c.events); })
          .required()
          .converted(
              "request", FieldType::Object, "object",
              "{\"method\": \"POST\", \"path\": TEMPLATE, \"headers\": {NAME: TEMPLATE}, "
              "\"body\": JSON TEMPLATE}: the request that makes the record ({{event.summary}}, "
              "{{event.pupil.upn}}, {{kind}}, {{key}}, {{school.urn}}...)",
              [](W& c, const nlohmann::json& v, const SettingScope& scope) {
                if (auto r = readRequest(v, scope.path, scope.context)) c.request = *r;
              },
              [](W& c) { return requestJson(c.request); })
          .required()
          .text("reference_field", &W::reference_field,
                "the field of the answer (JSON) that names the record made")
          .converted(
              "correction", FieldType::Object, "object",
              "the request that corrects a record when the register was amended ({{reference}} "
              "is the record's, {{kind}} withdraw or revise); without it corrections are "
              "dead-lettered for a person to act on",
              [](W& c, const nlohmann::json& v, const SettingScope& scope) {
                c.correction =
                    v.is_null() ? std::nullopt : readRequest(v, scope.path, scope.context);
              },
              [](W& c) {
                return c.correction ? requestJson(*c.correction) : nlohmann::json(nullptr);
              });
  return table;
}

}  // namespace

std::string WebhookConfig::describe() {
  return webhookTable().describe();
}

WebhookConfig WebhookConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                      const std::filesystem::path& baseDir,
                                      const ConfigContext& context) {
  WebhookConfig config;
  webhookTable().apply(json, path, baseDir, context, config);
  config.connection.sink = config.name;
  config.connection.check(path, context);
  return config;
}

nlohmann::json webhookTemplateContext(const OutboxItem& item, const SinkEvent& event,
                                      const std::string& originalReference,
                                      const nlohmann::json& school) {
  return {{"event", event.toJson()},
          {"kind", std::string(toString(item.kind))},
          {"key", item.key},
          {"reference", originalReference},
          {"school", school}};
}

WebhookSink::WebhookSink(WebhookConfig config, School school,
                         std::unique_ptr<SinkConnection> connection)
    : config_(std::move(config)),
      school_(
          {{"urn", school.urn}, {"la", school.la}, {"estab", school.estab}, {"name", school.name}}),
      connection_(std::move(connection)) {}

DeliveryResult WebhookSink::deliver(const OutboxItem& item, const SinkEvent& event,
                                    const std::string& originalReference) {
  connection_->beginAttempt();  // one deadline for every request of this attempt
  DeliveryResult result;
  const WebhookRequest* request = &config_.request;
  if (item.kind != OutboxKind::Notify)
    request = config_.correction ? &*config_.correction : nullptr;
  if (!request) {
    result = DeliveryResult::reject("sink " + config_.name +
                                    ": a correction is due but no `correction` request is "
                                    "configured: correct record " +
                                    originalReference + " by hand");
  } else {
    auto context = webhookTemplateContext(item, event, originalReference, school_);
    HttpRequest http;
    http.method = request->method;
    http.path = pathEncode(renderText(request->path, context));
    for (const auto& [name, value] : request->headers.items())
      http.headers[name] =
          value.is_string() ? renderText(value.get<std::string>(), context) : value.dump();
    http.headers["Idempotency-Key"] = item.key;
    http.body = renderTemplate(request->body, context).dump();
    counters_.bytes += static_cast<int64_t>(http.body.size());
    auto response = connection_->send(http);
    std::string reference = originalReference;
    if (response.status / 100 == 2 && item.kind == OutboxKind::Notify) {
      auto json = nlohmann::json::parse(response.body, nullptr, false);
      if (json.is_object() && json.contains(config_.reference_field)) {
        const auto& ref = json[config_.reference_field];
        reference = ref.is_string() ? ref.get<std::string>() : ref.dump();
      }
    }
    result = deliveryResult(config_.name, response, reference);
  }
  count(result);
  return result;
}

std::unique_ptr<Sink> buildWebhookSink(const nlohmann::json& json, const std::string& path,
                                       const std::filesystem::path& baseDir, const School& school,
                                       const ConfigContext& context) {
  return buildHttpsSink<WebhookConfig, WebhookSink>(json, path, baseDir, context, school);
}

}  // namespace markbridge
