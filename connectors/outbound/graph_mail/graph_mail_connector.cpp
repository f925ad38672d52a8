#include "connectors/outbound/graph_mail/graph_mail_connector.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "connectors/common/http_policy.h"
#include "connectors/outbound/graph_mail/graph_mail_message.h"

namespace markbridge {

std::string graphErrorText(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return "";
  const auto& error = json["error"];
  auto text = [&](const char* key) {
    return error.contains(key) && error[key].is_string() ? error[key].get<std::string>() : "";
  };
  auto code = text("code"), message = text("message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

GraphMailSink::GraphMailSink(GraphMailConfig config, std::unique_ptr<SinkConnection> connection)
    : config_(std::move(config)), connection_(std::move(connection)) {
  // The mailbox as a path segment: '@' may stand there (RFC 3986 pchar), as Graph's examples
  // write it; anything else outside the unreserved characters is percent-encoded.
  path_ = "/v1.0/users/";
  for (char c : config_.sender) path_ += c == '@' ? std::string("@") : urlEncode(std::string(1, c));
  path_ += "/sendMail";
}

DeliveryResult GraphMailSink::deliver(const OutboxItem& item, const SinkEvent& event,
                                      const std::string& originalReference) {
  connection_->beginAttempt();  // one deadline for the token and the mail
  DeliveryResult result;
  auto roles = mailRoles(event, config_.default_role);
  std::vector<std::string> to, unaddressed;
  for (const auto& role : roles) {
    auto found = config_.to.find(role);
    if (found == config_.to.end()) {
      unaddressed.push_back(role);
      continue;
    }
    for (const auto& address : found->second)
      if (std::find(to.begin(), to.end(), address) == to.end()) to.push_back(address);
  }
  if (!unaddressed.empty()) {
    std::string names;
    for (const auto& role : unaddressed) names += (names.empty() ? "" : ", ") + role;
    result = DeliveryResult::reject("sink " + config_.name + ": no address for the role" +
                                    (unaddressed.size() > 1 ? "s " : " ") + names +
                                    " in `to`: add " + (unaddressed.size() > 1 ? "them" : "it") +
                                    ", then `markbridge outbox retry " + std::to_string(item.seq) +
                                    "` (nothing was sent)");
    count(result);
    return result;
  }
  auto mail = mailMessage(item.kind, event, config_.names, roles, item.key, originalReference);
  HttpRequest request;
  request.path = path_;
  request.headers["Idempotency-Key"] = item.key;  // Graph ignores it; sent as every sink does
  request.body = graphSendMailBody(mail, to, item.key, config_.save_to_sent_items).dump();
  counters_.bytes += static_cast<int64_t>(request.body.size());
  auto response = connection_->send(request);
  // Graph's answers say why in an error object: the reason names its code and message.
  auto graphSaid = graphErrorText(response.body);
  auto answer = response;
  if (!graphSaid.empty()) answer.body = nlohmann::json{{"message", graphSaid}}.dump();
  // 202 Accepted, no body: the mail's key is the reference a correction quotes.
  result = deliveryResult(config_.name, answer, item.key);
  if (result.outcome == DeliveryResult::Outcome::Reject) {
    result.response_body = response.body.substr(0, 4096);
    if (response.status == 404) {
      // The path is fixed, so Graph not finding it means the sender mailbox does not exist
      // (ErrorInvalidUser): every mail would fail alike. The sink waits for the technician
      // instead of dead-lettering each one.
      // Graph's words name our sender mailbox, not a pupil: the technician reads them.
      result = DeliveryResult::retry(result.described() + " (check `sender`: " + config_.sender +
                                     " must be a mailbox of the tenant)");
      result.sink_unavailable = true;
      result.http_status = 404;
    }
  }
  count(result);
  return result;
}

std::unique_ptr<Sink> buildGraphMailSink(const nlohmann::json& json, const std::string& path,
                                         const std::filesystem::path& baseDir, const School&,
                                         const ConfigContext& context) {
  return buildHttpsSink<GraphMailConfig, GraphMailSink>(json, path, baseDir, context);
}

}  // namespace markbridge
