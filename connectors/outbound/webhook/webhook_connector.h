#pragma once
// The generic `webhook` profile: any HTTPS API a school or LA uses (another safeguarding system
// such as MyConcern, an LA's online form), described in the config instead of code: the method,
// path, headers and a JSON body template over the event; the field of the answer that names the
// record made; and, optionally, the request that corrects that record when the register was
// amended. Every request carries the outbox key as Idempotency-Key.
//
//   {"name": "myconcern", "type": "webhook", "base_url": "https://...", "ca_file": "...",
//    "auth": {...}, "events": ["concern"],
//    "request": {"method": "POST", "path": "/api/concerns",
//                "body": {"pupil": "{{event.pupil.upn}}", "text": "{{event.summary}}"}},
//    "reference_field": "id",
//    "correction": {"method": "POST", "path": "/api/concerns/{{reference}}/notes",
//                   "body": {"text": "{{kind}}: {{event.summary}}"}}}

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "connectors/outbound/common/sink_connection.h"
#include "connectors/outbound/outbound_types.h"

namespace markbridge {

struct WebhookRequest {
  std::string method = "POST";
  std::string path;        // template
  nlohmann::json headers;  // object of templates
  nlohmann::json body;     // template
};

struct WebhookConfig {
  std::string name;
  ConnectionConfig connection;
  std::set<std::string> events;
  WebhookRequest request;
  std::optional<WebhookRequest> correction;
  std::string reference_field = "id";

  // Its settings as a Markdown table; the member initialisers are the defaults.
  static std::string describe();
  static WebhookConfig fromJson(const nlohmann::json& json, const std::string& path,
                                const std::filesystem::path& baseDir, const ConfigContext& context);
};

// What a request's {{...}} placeholders resolve against: `event` (the typed event's JSON view,
// SinkEvent::toJson: the keys docs/sinks.md lists), `kind`, `key`, `reference` and `school`.
nlohmann::json webhookTemplateContext(const OutboxItem& item, const SinkEvent& event,
                                      const std::string& originalReference,
                                      const nlohmann::json& school);

class WebhookSink : public Sink {
 public:
  WebhookSink(WebhookConfig config, School school, std::unique_ptr<SinkConnection> connection);
  const std::string& name() const override { return config_.name; }
  std::set<std::string> eventTypes() const override { return config_.events; }
  SinkPacing pacing() const override { return connection_->pacing(); }
  void closeConnections() override { connection_->closeIdle(); }
  DeliveryResult deliver(const OutboxItem& item, const SinkEvent& event,
                         const std::string& originalReference) override;

 private:
  WebhookConfig config_;
  nlohmann::json school_;
  std::unique_ptr<SinkConnection> connection_;
};

std::unique_ptr<Sink> buildWebhookSink(const nlohmann::json& config, const std::string& path,
                                       const std::filesystem::path& baseDir, const School& school,
                                       const ConfigContext& context);

}  // namespace markbridge
