// The sandbox's stand-in for Microsoft Graph's sendMail, for the `graph_mail` sink (Microsoft's
// cloud cannot run here). It speaks Graph's protocol as its documentation gives it:
//
//   POST /v1.0/users/{sender}/sendMail    Authorization: Bearer <an OAuth2 token the sandbox
//                                          issued, or any with accept_any_bearer>
//     {"message": {"subject", "body": {"contentType": "Text"|"HTML", "content"},
//                  "toRecipients": [{"emailAddress": {"address"}}],
//                  "internetMessageHeaders": [{"name": "X-...", "value"}]},
//      "saveToSentItems": true|false}
//     -> 202 Accepted, no body. Graph has no idempotency key and keeps no record one could look
//        up: every mail accepted is recorded (kind "mail"), a repeat of an X-Markbridge-Key
//        counted in duplicates() as a mail sent twice.
//
// Its refusals carry Graph's error object {"error": {"code", "message"}}: 401
// InvalidAuthenticationToken (no token, or one it did not issue for Graph's scope
// https://graph.microsoft.com/.default: another audience's), 404 ErrorInvalidUser (a
// sender outside the sandbox's tenant: mailboxes exist only under @school.example), 400
// ErrorInvalidRecipients (no recipient, or an address without @), 400
// InvalidInternetMessageHeader (a custom header whose name does not start with X-), 400
// RequestBodyRead (not the shape above). A fault the test asks for (POST /_sandbox/faults
// {"fail": N, "status": S}) on this endpoint is answered the same way: 400, 401, 403
// (ErrorAccessDenied, as an Exchange application access policy refuses a mailbox), 429
// (ApplicationThrottled, with Retry-After: 5), 503 (ServiceUnavailable, no Retry-After).

#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <regex>

#include "tests/sandbox/sandbox_state.h"

namespace markbridge::sandbox {

using Poco::Net::HTTPResponse;

namespace {

const std::regex& sendMailPath() {
  static const std::regex path(R"(^/v1\.0/users/([^/?]+)/sendMail$)");
  return path;
}

void graphError(Poco::Net::HTTPServerResponse& response, int status, const std::string& code,
                const std::string& message) {
  reply(response, static_cast<HTTPResponse::HTTPStatus>(status),
        {{"error",
          {{"code", code},
           {"message", message},
           {"innerError",
            {{"date", "2024-09-27T09:00:00"},
             {"request-id", "00000000-0000-0000-0000-000000000000"}}}}}});
}

bool startsWithX(const std::string& name) {
  return name.size() > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-';
}

}  // namespace

bool isGraphSendMail(const std::string& path) {
  return std::regex_match(path, sendMailPath());
}

void replyGraphFault(Poco::Net::HTTPServerResponse& response, int status) {
  switch (status) {
    case 400:
      return graphError(response, 400, "ErrorInvalidRecipients",
                        "At least one recipient is not valid., Recipient "
                        "'nobody@school.example' is not resolved. All recipients must be "
                        "resolved before a message can be submitted.");
    case 401:
      return graphError(response, 401, "InvalidAuthenticationToken",
                        "Access token validation failure. Invalid audience.");
    case 403:
      return graphError(response, 403, "ErrorAccessDenied",
                        "Access to OData is disabled: [RAOP] : Blocked by tenant configured "
                        "AppOnly AccessPolicy settings.");
    case 429:
      response.set("Retry-After", "5");
      return graphError(response, 429, "ApplicationThrottled",
                        "Application is over its MailboxConcurrency limit.");
    case 503:
      return graphError(response, 503, "ServiceUnavailable",
                        "Service Unavailable: the service is temporarily unavailable.");
    default:
      return graphError(response, status, "ErrorInternalServerError", "sandbox told to fail");
  }
}

bool serveGraphSendMail(SandboxServer::State& state, Poco::Net::HTTPServerRequest& request,
                        const std::string& body, Poco::Net::HTTPServerResponse& response,
                        bool authorised, bool dropAnswer) {
  if (!authorised) {
    graphError(response, 401, "InvalidAuthenticationToken",
               request.get("Authorization", "").empty()
                   ? "Access token is empty."
                   : "Access token validation failure. Invalid audience.");
    return false;
  }
  std::smatch match;
  std::string path = request.getURI();
  std::regex_match(path, match, sendMailPath());
  std::string sender;
  Poco::URI::decode(match[1].str(), sender);
  const std::string tenant = "@school.example";
  if (sender.size() <= tenant.size() ||
      sender.compare(sender.size() - tenant.size(), tenant.size(), tenant) != 0) {
    graphError(response, 404, "ErrorInvalidUser",
               "The requested user '" + sender + "' is invalid.");
    return false;
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  auto bad = [&](const std::string& why) {
    graphError(response, 400, "RequestBodyRead", why);
    return false;
  };
  if (!json.is_object() || !json.contains("message") || !json["message"].is_object())
    return bad("The request body must hold a 'message' object.");
  const auto& message = json["message"];
  if (!message.value("subject", nlohmann::json()).is_string())
    return bad("The message must have a 'subject'.");
  auto content = message.value("body", nlohmann::json());
  if (!content.is_object() || !content.value("content", nlohmann::json()).is_string())
    return bad("The message body must have 'contentType' and 'content'.");
  auto type = content.value("contentType", std::string());
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  if (type != "text" && type != "html")
    return bad("Cannot convert the literal '" + type + "' to the expected type 'bodyType'.");
  if (json.contains("saveToSentItems") && !json["saveToSentItems"].is_boolean())
    return bad("'saveToSentItems' must be a Boolean.");
  auto to = message.value("toRecipients", nlohmann::json());
  bool recipientsOk = to.is_array() && !to.empty();
  for (const auto& r : recipientsOk ? to : nlohmann::json::array()) {
    auto address = r.is_object() && r.contains("emailAddress") && r["emailAddress"].is_object()
                       ? r["emailAddress"].value("address", std::string())
                       : std::string();
    recipientsOk = recipientsOk && address.find('@') != std::string::npos;
  }
  if (!recipientsOk) {
    graphError(response, 400, "ErrorInvalidRecipients", "At least one recipient is not valid.");
    return false;
  }
  std::string key;
  for (const auto& h : message.value("internetMessageHeaders", nlohmann::json::array())) {
    auto name = h.is_object() ? h.value("name", std::string()) : std::string();
    if (!startsWithX(name)) {
      graphError(response, 400, "InvalidInternetMessageHeader",
                 "The internet message header name '" + name + "' should start with 'x-' or 'X-'.");
      return false;
    }
    if (name == "X-Markbridge-Key") key = h.value("value", std::string());
  }
  {
    std::lock_guard lock(state.mutex);
    bool repeat = !key.empty() && state.byKey.count("mail|" + key) > 0;
    if (repeat)
      ++state.duplicates;  // Graph would send it again: the recipients get it twice
    else if (!key.empty())
      state.byKey["mail|" + key] = state.records.size();
    auto authorization = request.get("Authorization", "");
    state.records.push_back(Received{
        "mail", "", request.get("Idempotency-Key", ""), body, request.getMethod() + " " + path,
        authorization.rfind("Bearer ", 0) == 0 ? authorization.substr(7) : ""});
  }
  if (dropAnswer) return true;
  if (state.options.log_requests)
    std::cout << "Graph sent a mail as " << sender << " to " << to.size() << " recipient(s)"
              << std::endl;
  response.setStatus(HTTPResponse::HTTP_ACCEPTED);
  response.setContentLength(0);
  response.send();
  return false;
}

}  // namespace markbridge::sandbox
