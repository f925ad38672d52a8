#pragma once
// The `graph_mail` sink: an email per event through Microsoft 365, for the staff who live in
// Outlook rather than in a safeguarding system. Each event is one
// POST {base_url}/v1.0/users/{sender}/sendMail (Microsoft Graph) with an OAuth2 client
// credentials token (connectors/common/credentials.h), to the addresses of the role the event's
// action names (graph_mail_message.h). Graph answers 202 Accepted with no body and keeps no
// record we could look up, and it has no idempotency key: the item's key goes in the
// `Idempotency-Key` header all the same and, where a person can see it, in the mail's own
// `X-Markbridge-Key` header and its last line. A crash between Graph accepting a mail and the
// outbox recording it sends that mail again on the next sync (docs/sinks.md, "graph_mail").

#include <memory>
#include <set>
#include <string>

#include "connectors/outbound/common/sink_connection.h"
#include "connectors/outbound/graph_mail/graph_mail_config.h"
#include "connectors/outbound/outbound_types.h"

namespace markbridge {

// Graph's error object ({"error": {"code", "message"}}) as "CODE: message"; empty when the
// body holds none.
std::string graphErrorText(const std::string& body);

class GraphMailSink : public Sink {
 public:
  GraphMailSink(GraphMailConfig config, std::unique_ptr<SinkConnection> connection);
  const std::string& name() const override { return config_.name; }
  std::set<std::string> eventTypes() const override { return config_.events; }
  SinkPacing pacing() const override { return connection_->pacing(); }
  void closeConnections() override { connection_->closeIdle(); }
  DeliveryResult deliver(const OutboxItem& item, const SinkEvent& event,
                         const std::string& originalReference) override;

 private:
  GraphMailConfig config_;
  std::string path_;  // /v1.0/users/{sender}/sendMail
  std::unique_ptr<SinkConnection> connection_;
};

std::unique_ptr<Sink> buildGraphMailSink(const nlohmann::json& config, const std::string& path,
                                         const std::filesystem::path& baseDir, const School& school,
                                         const ConfigContext& context);

}  // namespace markbridge
